/** The Kubernetes recommended labels on every object. */
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { isRecord } from '@optibid/rendered';

const NAME = 'recommended-labels';

export const RECOMMENDED_LABELS: readonly string[] = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/component',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/version',
];

export const recommendedLabels: PolicyCheck = {
  name: NAME,
  description: `Every object carries the non-empty recommended labels ${RECOMMENDED_LABELS.join(', ')}, so tools and people can tell what it is, which release it belongs to and who manages it.`,
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const o of objects) {
      const labels: Record<string, unknown> = isRecord(o.obj.metadata?.labels) ? o.obj.metadata.labels : {};
      const missing = RECOMMENDED_LABELS.filter((l) => {
        const v = labels[l];
        return v === undefined || v === null || String(v).trim() === '';
      });
      if (missing.length) {
        findings.push(finding(NAME, o, `metadata.labels lacks (or has empty) recommended label(s) ${missing.join(', ')}`));
      }
    }
    return findings;
  },
};
