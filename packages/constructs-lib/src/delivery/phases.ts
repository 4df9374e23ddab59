import { platformOwnedNamespaces, type PlatformNames } from '../naming/naming';

/**
 * The order an environment's dist/k8s/<env> reaches the cluster, for both delivery paths: the push deploy applies
 * one step per phase (packages/delivery/src/deploy/apply-order.ts, apply.ts: each step waits until its objects are
 * ready before the next starts) and the Argo CD Application gives each phase its own sync wave (src/argocd: Argo CD
 * applies a wave only once every object of the waves before it is healthy). One list, read by both, so the two
 * paths cannot drift apart; packages/delivery/test/deploy/argocd-order.test.ts compares the plan the deploy CLI
 * actually computes with the waves the rendered Application actually gives every rendered object.
 *
 * 1. cluster-scoped objects (Namespaces first of all, PriorityClasses, RBAC, the ClusterSecretStore...), never pruned
 *    by either path (a typo must not delete a Namespace and everything in it);
 * 2. every ExternalSecret, so the Secrets exist before any pod that mounts them starts;
 * 3. one phase per platform namespace in the naming contract's dependency order: data, app, monitoring, agents.
 */

export const EXTERNAL_SECRET_KIND = 'ExternalSecret';

/** What a phase holds: every cluster-scoped object, every object of one kind, or every object of one namespace. */
export type DeliveryPhaseSelector = { readonly clusterScoped: true } | { readonly kind: string } | { readonly namespace: string };

export interface DeliveryPhase {
  /** For messages: `cluster-scoped`, `ExternalSecret`, or the namespace. */
  readonly name: string;
  readonly select: DeliveryPhaseSelector;
  /** Whether an object of the phase that leaves the render is deleted from the cluster. */
  readonly prune: boolean;
}

/** The phases in apply order (index 0 first). */
export function deliveryPhases(namespaces: PlatformNames['namespaces']): DeliveryPhase[] {
  return [
    { name: 'cluster-scoped', select: { clusterScoped: true }, prune: false },
    { name: EXTERNAL_SECRET_KIND, select: { kind: EXTERNAL_SECRET_KIND }, prune: true },
    ...platformOwnedNamespaces(namespaces).map((namespace) => ({ name: namespace, select: { namespace }, prune: true })),
  ];
}

/** The namespaces of the namespace phases, in apply order. */
export function deliveryNamespaceOrder(phases: readonly DeliveryPhase[]): string[] {
  return phases.flatMap((p) => ('namespace' in p.select ? [p.select.namespace] : []));
}

/**
 * Selector precedence when several phases select an object (an ExternalSecret is also in its namespace): the most
 * specific wins — cluster-scoped, then kind, then namespace. The Argo CD rendering lists its patches in the reverse
 * of this order, because kustomize applies patches in list order and the last one written wins.
 */
export function selectorPrecedence(select: DeliveryPhaseSelector): number {
  return 'clusterScoped' in select ? 2 : 'kind' in select ? 1 : 0;
}
