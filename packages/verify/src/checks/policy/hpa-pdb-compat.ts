/** A PodDisruptionBudget that still lets one pod go when its HorizontalPodAutoscaler is at minReplicas. */
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { isRecord, namespaceOf, podTemplateOf } from '@optibid/rendered';
import { hpaMinReplicas, pdbsSelecting } from './selectors';

const NAME = 'hpa-pdb-compat';

/** An int-or-percent PDB field resolved against a pod count, rounding percentages up as the disruption controller does. */
export function resolveIntOrPercent(value: unknown, pods: number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return undefined;
  return Math.ceil((pods * Number(m[1])) / 100);
}

/** What a PDB allows when `pods` pods are running and healthy. */
export type DisruptionVerdict = { readonly ok: true } | { readonly ok: false; readonly problem: string };

export function pdbAllowsDisruption(pdbSpec: unknown, pods: number, hpaName: string): DisruptionVerdict {
  const spec = isRecord(pdbSpec) ? pdbSpec : {};
  const { minAvailable, maxUnavailable } = spec;
  const at = `at HorizontalPodAutoscaler "${hpaName}" minReplicas ${pods}`;
  if (minAvailable !== undefined && maxUnavailable !== undefined) return { ok: false, problem: 'spec sets both minAvailable and maxUnavailable, which Kubernetes rejects' };
  if (minAvailable !== undefined) {
    const keeps = resolveIntOrPercent(minAvailable, pods);
    if (keeps === undefined) return { ok: false, problem: `spec.minAvailable ${JSON.stringify(minAvailable)} is neither a non-negative integer nor a percentage` };
    if (pods - keeps < 1) {
      return {
        ok: false,
        problem: `spec.minAvailable ${JSON.stringify(minAvailable)} keeps ${keeps} pod(s) available ${at}, so no pod can be evicted and node drains hang: HPA minReplicas must be above what the PDB keeps`,
      };
    }
  }
  if (maxUnavailable !== undefined) {
    const unavailable = resolveIntOrPercent(maxUnavailable, pods);
    if (unavailable === undefined) return { ok: false, problem: `spec.maxUnavailable ${JSON.stringify(maxUnavailable)} is neither a non-negative integer nor a percentage` };
    if (unavailable < 1) {
      return { ok: false, problem: `spec.maxUnavailable ${JSON.stringify(maxUnavailable)} resolves to ${unavailable} ${at}, so no pod can be evicted and node drains hang: maxUnavailable must be >= 1` };
    }
  }
  return { ok: true };
}

export const hpaPdbCompat: PolicyCheck = {
  name: NAME,
  description:
    'For every workload scaled by a HorizontalPodAutoscaler and covered by a PodDisruptionBudget, the PDB allows at least one disruption at HPA minReplicas ' +
    '(minAvailable below minReplicas, maxUnavailable at least 1, percentages rounded up as Kubernetes does), otherwise a scaled-down workload blocks every node drain.',
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const hpa of objects) {
      if (hpa.obj.kind !== 'HorizontalPodAutoscaler') continue;
      const ref = hpa.obj.spec?.scaleTargetRef;
      if (!isRecord(ref)) continue;
      const target = objects.find((o) => o.obj.kind === ref.kind && o.obj.metadata?.name === ref.name && namespaceOf(o.obj) === namespaceOf(hpa.obj));
      const template = target && podTemplateOf(target);
      if (!template) continue;
      const min = hpaMinReplicas(hpa);
      if (min < 1) continue; // scaled to zero: nothing to disrupt
      for (const pdb of pdbsSelecting(objects, template)) {
        const verdict = pdbAllowsDisruption(pdb.obj.spec, min, hpa.obj.metadata.name);
        if (!verdict.ok) findings.push(finding(NAME, pdb, `${verdict.problem} (${target!.obj.kind} "${target!.obj.metadata.name}")`));
      }
    }
    return findings;
  },
};
