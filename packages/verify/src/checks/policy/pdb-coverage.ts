/** PodDisruptionBudgets for replicated workloads. */
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { podTemplates } from '@optibid/rendered';
import { hpaMinReplicas, hpasTargeting, pdbsSelecting } from './selectors';

const NAME = 'pdb-coverage';

const KINDS = new Set(['Deployment', 'StatefulSet']);

export const pdbCoverage: PolicyCheck = {
  name: NAME,
  description:
    'Every Deployment or StatefulSet that runs more than one replica (spec.replicas or its HorizontalPodAutoscaler minReplicas above 1) is selected by exactly one PodDisruptionBudget of its namespace, ' +
    'so a node drain cannot take all replicas down at once, and the Eviction API (which refuses pods covered by several PDBs) can still evict it.',
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const t of podTemplates(objects)) {
      if (!KINDS.has(t.owner.obj.kind)) continue;
      const reasons: string[] = [];
      const replicas = t.owner.obj.spec?.replicas;
      if (typeof replicas === 'number' && replicas > 1) reasons.push(`spec.replicas is ${replicas}`);
      for (const hpa of hpasTargeting(objects, t.owner)) {
        const min = hpaMinReplicas(hpa);
        if (min > 1) reasons.push(`HorizontalPodAutoscaler "${hpa.obj.metadata.name}" has minReplicas ${min}`);
      }
      const pdbs = pdbsSelecting(objects, t);
      if (reasons.length && pdbs.length === 0) {
        findings.push(
          finding(NAME, t.owner, `${reasons.join(' and ')}, but no PodDisruptionBudget of namespace "${t.namespace}" selects its pod template labels: a replicated workload needs a PodDisruptionBudget`),
        );
      }
      if (pdbs.length > 1) {
        const names = pdbs.map((p) => p.obj.metadata.name).join(', ');
        findings.push(finding(NAME, t.owner, `its pods are selected by ${pdbs.length} PodDisruptionBudgets (${names}): the Eviction API refuses to evict a pod covered by more than one PDB`));
      }
    }
    return findings;
  },
};
