/** The HPAs and PDBs that apply to a workload (label selectors: the shared matcher of @optibid/rendered). */
import { isRecord, matchesLabelSelector, namespaceOf, objectsOfKind, type PodTemplate } from '@optibid/rendered';
import type { RenderedObject } from './policy-check';

/** HorizontalPodAutoscalers of the owner's namespace whose scaleTargetRef names the owner (kind and name). */
export function hpasTargeting(objects: readonly RenderedObject[], owner: RenderedObject): RenderedObject[] {
  return objectsOfKind(objects, 'HorizontalPodAutoscaler', namespaceOf(owner.obj)).filter((h) => {
    const ref = h.obj.spec?.scaleTargetRef;
    return isRecord(ref) && ref.kind === owner.obj.kind && ref.name === owner.obj.metadata.name;
  });
}

/** HPA spec.minReplicas, 1 when unset (the API default). */
export function hpaMinReplicas(hpa: RenderedObject): number {
  const min = hpa.obj.spec?.minReplicas;
  return typeof min === 'number' ? min : 1;
}

/** PodDisruptionBudgets of the template's namespace whose spec.selector selects its pod labels (absent selects nothing). */
export function pdbsSelecting(objects: readonly RenderedObject[], template: PodTemplate): RenderedObject[] {
  return objectsOfKind(objects, 'PodDisruptionBudget', template.namespace).filter((p) => matchesLabelSelector(p.obj.spec?.selector, template.labels));
}
