/**
 * Kubernetes label selectors, evaluated with the API machinery's own semantics, for every reader of rendered objects
 * (policy, references, contract, capacity, traffic).
 *
 * - A `LabelSelector` that is absent (`null`/`undefined`) selects NOTHING; an empty one (`{}`) selects EVERYTHING.
 *   That is `metav1.LabelSelectorAsSelector` (k8s.io/apimachinery pkg/apis/meta/v1/helpers.go: `if ps == nil
 *   { return labels.Nothing() }; if len(MatchLabels)+len(MatchExpressions) == 0 { return labels.Everything() }`),
 *   which the PodDisruptionBudget, topology-spread, workload and NetworkPolicy controllers all call.
 *   Fields whose API defines absence differently say so at the call site: a NetworkPolicy peer without
 *   `podSelector` means "every pod of the selected namespaces" (pass `{}`), a Service without `selector` selects no
 *   pod (`serviceSelector`).
 * - `matchLabels` and every `matchExpressions` requirement are ANDed. Operators: `In` (key present and value listed),
 *   `NotIn` (key absent, or value not listed), `Exists`, `DoesNotExist`. `In`/`NotIn` need a non-empty `values`,
 *   `Exists`/`DoesNotExist` take none; an invalid requirement fails closed (the API server rejects it anyway, and
 *   `labelSelectorProblems` reports it).
 * - Namespaces carry the immutable label `kubernetes.io/metadata.name: <name>` (set by the API server since 1.21),
 *   which is how a NetworkPolicy names one namespace; `namespaceLabels` adds it.
 * - Runtime labels: a process may set labels on its own pod (Patroni's role label). A selector on such a key matches
 *   the template when one of the declared values satisfies it.
 */
import { isRecord } from './objects';

export type Labels = Readonly<Record<string, string>>;
/** Labels a process sets on its own pod at run time, with their possible values. */
export type RuntimeLabels = Readonly<Record<string, readonly string[]>>;

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

/** True for `{}` (or empty matchLabels and matchExpressions): selects everything. An absent selector is not empty. */
export function isEmptySelector(selector: LabelSelector | null | undefined): boolean {
  return isRecord(selector) && Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

function satisfied(req: LabelSelectorRequirement, value: string | undefined): boolean {
  const values = (req.values ?? []).map(String);
  switch (req.operator) {
    case 'In':
      return values.length > 0 && value !== undefined && values.includes(value);
    case 'NotIn':
      return values.length > 0 && (value === undefined || !values.includes(value));
    case 'Exists':
      return values.length === 0 && value !== undefined;
    case 'DoesNotExist':
      return values.length === 0 && value === undefined;
    default:
      return false; // invalid operator: fail closed
  }
}

/**
 * Whether pods with `labels` (and `runtime` labels) are selected: absent selector → no, `{}` → yes, otherwise
 * matchLabels AND every matchExpression.
 */
export function matchesLabelSelector(selector: LabelSelector | null | undefined, labels: Labels | null | undefined, runtime: RuntimeLabels = {}): boolean {
  if (!isRecord(selector)) return false;
  const l = labels ?? {};
  const can = (key: string, pred: (v: string | undefined) => boolean) =>
    Object.prototype.hasOwnProperty.call(l, key) ? pred(l[key]) : pred(undefined) || (runtime[key] ?? []).some((v) => pred(v));
  for (const [k, v] of Object.entries(isRecord(selector.matchLabels) ? selector.matchLabels : {})) {
    if (!can(k, (x) => x === String(v))) return false;
  }
  return (Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []).every((req) => isRecord(req) && can(String(req.key), (x) => satisfied(req as LabelSelectorRequirement, x)));
}

/**
 * A Service's `spec.selector` (a plain map) as a LabelSelector: absent or empty selects no pod (the Service's
 * endpoints are then managed by hand; kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors).
 */
export function serviceSelector(selector: Record<string, string> | null | undefined): LabelSelector | undefined {
  return isRecord(selector) && Object.keys(selector).length > 0 ? { matchLabels: selector } : undefined;
}

/** A namespace's labels as selectors see them: its own labels plus `kubernetes.io/metadata.name: <name>`. */
export function namespaceLabels(name: string, labels?: Labels | null): Labels {
  return { ...(labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
}

/** Whether a namespaceSelector selects the namespace `name` (its labels plus the automatic name label). */
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

/** The selector in kubectl's notation (`a=b,c in (d,e),!f`), sorted for determinism; `*` for `{}`, `(none)` when absent. */
export function formatLabelSelector(selector: LabelSelector | null | undefined): string {
  if (!isRecord(selector)) return '(none)';
  const parts = Object.entries(selector.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions ?? []) {
    const vals = [...(req.values ?? [])].sort().join(',');
    if (req.operator === 'In') parts.push(`${req.key} in (${vals})`);
    else if (req.operator === 'NotIn') parts.push(`${req.key} notin (${vals})`);
    else if (req.operator === 'Exists') parts.push(req.key);
    else if (req.operator === 'DoesNotExist') parts.push(`!${req.key}`);
    else parts.push(`${req.key} ${req.operator} (${vals})`);
  }
  return parts.length ? parts.join(',') : '*';
}
