/**
 * Kubernetes label selectors, evaluated the way the API server and the network plugins evaluate them
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements).
 *
 * - `matchLabels` and every `matchExpressions` requirement are ANDed.
 * - Operators: `In` (key present and value listed), `NotIn` (key absent, or value not listed), `Exists` (key present),
 *   `DoesNotExist` (key absent). `In`/`NotIn` need a non-empty `values`; `Exists`/`DoesNotExist` take none.
 * - An empty selector (`{}`) selects everything. Whether an ABSENT selector (`undefined`/`null`) means "everything" or
 *   "nothing" depends on the field (a NetworkPolicy peer without `podSelector` means "all pods of the namespaces
 *   selected", a Service without `selector` selects no pod), so callers decide: the functions here treat an absent
 *   selector as empty, and say so.
 * - Namespaces carry the immutable label `kubernetes.io/metadata.name: <name>` (set by the API server since 1.21,
 *   GA 1.22), which is how a NetworkPolicy names one namespace; `namespaceLabels` adds it.
 *
 * Invalid selectors (unknown operator, wrong `values` arity) are reported by `labelSelectorProblems`; matching an
 * invalid requirement fails closed (matches nothing), as the API server would reject the object anyway.
 *
 * Pure and generic: used by the traffic check (NetworkPolicy podSelector/namespaceSelector) and reusable by any check
 * that resolves a selector (Service, PodDisruptionBudget, workload selectors).
 */

export type Labels = Readonly<Record<string, string>>;

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator | string;
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Labels | null;
  readonly matchExpressions?: readonly LabelSelectorRequirement[] | null;
}

/** The label every namespace carries automatically. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** True when the selector has no requirement at all (selects everything). */
export function isEmptySelector(selector: LabelSelector | null | undefined): boolean {
  return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
}

function requirementMatches(req: LabelSelectorRequirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return values.length > 0 && has && values.includes(labels[req.key]);
    case 'NotIn':
      return values.length > 0 && (!has || !values.includes(labels[req.key]));
    case 'Exists':
      return values.length === 0 && has;
    case 'DoesNotExist':
      return values.length === 0 && !has;
    default:
      return false; // invalid operator: fail closed
  }
}

/**
 * Whether `labels` satisfy `selector` (matchLabels AND every matchExpression). An absent selector is treated as
 * empty and selects everything; callers for which absent means "nothing" must check before calling.
 */
export function matchesLabelSelector(selector: LabelSelector | null | undefined, labels: Labels | null | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(l, k) || l[k] !== v) return false;
  }
  return (selector?.matchExpressions ?? []).every((req) => requirementMatches(req, l));
}

/** A namespace's labels as selectors see them: its own labels plus `kubernetes.io/metadata.name: <name>`. */
export function namespaceLabels(name: string, labels?: Labels | null): Labels {
  return { ...(labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
}

/** Whether a namespaceSelector selects the namespace `name` (with its labels, the automatic name label added). */
export function matchesNamespace(selector: LabelSelector | null | undefined, name: string, labels?: Labels | null): boolean {
  return matchesLabelSelector(selector, namespaceLabels(name, labels));
}

/**
 * The namespace names a selector pins through `kubernetes.io/metadata.name` (`matchLabels` or `In`), or undefined
 * when it does not pin the name (then any namespace with matching labels is selected).
 */
export function pinnedNamespaceNames(selector: LabelSelector | null | undefined): string[] | undefined {
  let names: string[] | undefined;
  const fromLabels = selector?.matchLabels?.[NAMESPACE_NAME_LABEL];
  if (fromLabels !== undefined) names = [fromLabels];
  for (const req of selector?.matchExpressions ?? []) {
    if (req.key === NAMESPACE_NAME_LABEL && req.operator === 'In') {
      const vals = [...(req.values ?? [])];
      names = names ? names.filter((n) => vals.includes(n)) : vals;
    }
  }
  return names;
}

/** Problems that make a selector invalid (the API server would reject it); empty when valid. */
export function labelSelectorProblems(selector: LabelSelector | null | undefined): string[] {
  const out: string[] = [];
  (selector?.matchExpressions ?? []).forEach((req, i) => {
    const n = (req.values ?? []).length;
    if (req.operator === 'In' || req.operator === 'NotIn') {
      if (n === 0) out.push(`matchExpressions[${i}] (${req.key} ${req.operator}) needs at least one value`);
    } else if (req.operator === 'Exists' || req.operator === 'DoesNotExist') {
      if (n > 0) out.push(`matchExpressions[${i}] (${req.key} ${req.operator}) takes no values`);
    } else {
      out.push(`matchExpressions[${i}] has unknown operator "${req.operator}" (In, NotIn, Exists, DoesNotExist)`);
    }
  });
  return out;
}

/**
 * The selector in kubectl's notation (`a=b,c in (d,e),!f`), sorted for determinism; `*` for the empty selector.
 */
export function formatLabelSelector(selector: LabelSelector | null | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  for (const req of selector?.matchExpressions ?? []) {
    const vals = [...(req.values ?? [])].sort().join(',');
    if (req.operator === 'In') parts.push(`${req.key} in (${vals})`);
    else if (req.operator === 'NotIn') parts.push(`${req.key} notin (${vals})`);
    else if (req.operator === 'Exists') parts.push(req.key);
    else if (req.operator === 'DoesNotExist') parts.push(`!${req.key}`);
    else parts.push(`${req.key} ${req.operator} (${vals})`);
  }
  return parts.length ? parts.join(',') : '*';
}
