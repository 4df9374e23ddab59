/** No secret value in rendered manifests. */
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { isRecord } from '@optibid/rendered';

const NAME = 'no-secret-data';

export const noSecretData: PolicyCheck = {
  name: NAME,
  description:
    'No v1 Secret carries data or stringData: secret values come from ExternalSecrets at runtime and never sit in rendered manifests or git.',
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const o of objects) {
      if (o.obj.kind !== 'Secret' || o.obj.apiVersion !== 'v1') continue;
      for (const field of ['data', 'stringData'] as const) {
        const value = o.obj[field];
        if (value === undefined || value === null) continue;
        if (isRecord(value)) {
          const keys = Object.keys(value);
          if (keys.length) findings.push(finding(NAME, o, `${field} carries key(s) ${keys.join(', ')}: secret values must come from an ExternalSecret, not from the manifest`));
        } else {
          findings.push(finding(NAME, o, `${field} is set: secret values must come from an ExternalSecret, not from the manifest`));
        }
      }
    }
    return findings;
  },
};
