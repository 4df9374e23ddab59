/**
 * Kubernetes recommended labels (app.kubernetes.io/*). Every rendered object carries all six; selectors use only
 * name + instance, which never change for the life of a workload (a selector change breaks `kubectl apply`).
 */
export interface AppLabels {
  /** What it is: backend, frontend, postgres, ... (also the Service name). */
  readonly name: string;
  /** Which installation: `<name>-<environment>`. */
  readonly instance: string;
  /** Its role in the architecture: api, web, database, platform, ... */
  readonly component: string;
  /** The larger application: the naming module's prefix (e.g. optibid-production). */
  readonly partOf: string;
  /** Version of what runs (image tag) or of the platform configuration. */
  readonly version: string;
}

export const MANAGED_BY = 'cdk8s';

export function recommendedLabels(l: AppLabels): Record<string, string> {
  return {
    'app.kubernetes.io/name': l.name,
    'app.kubernetes.io/instance': l.instance,
    'app.kubernetes.io/component': l.component,
    'app.kubernetes.io/part-of': l.partOf,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/version': l.version,
  };
}

/** The stable subset used by selectors. */
export function selectorLabels(l: Pick<AppLabels, 'name' | 'instance'>): Record<string, string> {
  return { 'app.kubernetes.io/name': l.name, 'app.kubernetes.io/instance': l.instance };
}

/** Label Kubernetes sets on every Namespace; network policies select namespaces by it. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
