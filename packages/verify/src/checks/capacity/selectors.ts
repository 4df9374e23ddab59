/**
 * Scheduling predicates the capacity simulation needs: label selectors (matchLabels + matchExpressions), node
 * selector terms of required node affinity (In, NotIn, Exists, DoesNotExist, Gt, Lt), and taint tolerations
 * (https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/).
 */

import { type LabelSelector, type LabelSelectorRequirement as Requirement, type Labels, matchesLabelSelector } from '@optibid/rendered';

export type { LabelSelector, Labels, Requirement };

export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly Requirement[];
  readonly matchFields?: readonly Requirement[];
}

export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: string;
}

function requirementMatches(r: Requirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(v);
    case 'NotIn':
      return !has || !values.includes(v);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
      return has && Number(v) > Number(values[0]);
    case 'Lt':
      return has && Number(v) < Number(values[0]);
    default:
      return false;
  }
}

/** matchLabels AND every matchExpression; `{}` matches everything, an absent selector nothing (the shared matcher of @optibid/rendered). */
export function matchesSelector(sel: LabelSelector | null | undefined, labels: Labels): boolean {
  return matchesLabelSelector(sel, labels);
}

/** Required node affinity: the terms are ORed, the expressions of a term ANDed (matchFields on metadata.name only). */
export function matchesNodeAffinity(terms: readonly NodeSelectorTerm[] | undefined, labels: Labels, nodeName: string): boolean {
  if (!terms || terms.length === 0) return true;
  return terms.some((t) => (t.matchExpressions ?? []).every((r) => requirementMatches(r, labels)) && (t.matchFields ?? []).every((r) => requirementMatches({ ...r, key: 'metadata.name' }, { 'metadata.name': nodeName })));
}

/** Whether a toleration tolerates a taint. */
export function tolerates(t: Toleration, taint: { key: string; value?: string; effect: string }): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** Whether a pod with these tolerations may be scheduled on a node with these taints (NoSchedule/NoExecute). */
export function toleratesTaints(tolerations: readonly Toleration[], taints: readonly { key: string; value?: string; effect: string }[]): boolean {
  return taints.filter((x) => x.effect !== 'PreferNoSchedule').every((x) => tolerations.some((t) => tolerates(t, x)));
}
