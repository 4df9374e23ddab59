/** Label selectors, and the HPAs / PDBs that apply to a workload. */
import type { RenderedObject } from '../types';
import { asArray, isRecord, namespaceOf, objectsOfKind, type PodTemplate } from './pods';

export interface LabelSelectorRequirement {
  key?: string;
  operator?: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * Whether a label selector selects a set of labels, with Kubernetes semantics:
 * every matchLabels pair must be present and every matchExpression (In, NotIn, Exists, DoesNotExist) hold.
 * An empty selector `{}` selects everything; a missing one (undefined/null) selects nothing; an unknown operator never matches.
 */
export function selectorMatches(selector: LabelSelector | null | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!isRecord(selector)) return false;
  const has = (k: string) => Object.prototype.hasOwnProperty.call(labels, k);
  for (const [k, v] of Object.entries(isRecord(selector.matchLabels) ? selector.matchLabels : {})) {
    if (!has(k) || labels[k] !== String(v)) return false;
  }
  for (const req of asArray<LabelSelectorRequirement>(selector.matchExpressions)) {
    const key = String(req?.key ?? '');
    const values = asArray<unknown>(req?.values).map(String);
    switch (req?.operator) {
      case 'In':
        if (!has(key) || !values.includes(labels[key])) return false;
        break;
      case 'NotIn':
        if (has(key) && values.includes(labels[key])) return false;
        break;
      case 'Exists':
        if (!has(key)) return false;
        break;
      case 'DoesNotExist':
        if (has(key)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** `{}` (or a selector with empty matchLabels and matchExpressions): selects every pod of the namespace. */
export function isEmptySelector(selector: LabelSelector | null | undefined): boolean {
  if (!isRecord(selector)) return false;
  const labels = isRecord(selector.matchLabels) ? Object.keys(selector.matchLabels).length : 0;
  return labels === 0 && asArray(selector.matchExpressions).length === 0;
}

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

/** PodDisruptionBudgets of the template's namespace whose spec.selector selects its pod labels (a missing selector selects nothing). */
export function pdbsSelecting(objects: readonly RenderedObject[], template: PodTemplate): RenderedObject[] {
  return objectsOfKind(objects, 'PodDisruptionBudget', template.namespace).filter((p) => selectorMatches(p.obj.spec?.selector, template.labels));
}
