import type { EnvironmentConfig } from '../../config/schema';
import type { PlatformNames } from '../../naming/naming';
import { AppLabels, recommendedLabels, selectorLabels } from '../labels';
import { namespaceNamed, podsIn, podsNamed } from '../network-peers';

/** Everything a monitoring component receives. */
export interface MonitoringProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
  readonly priorityClassName: string;
}

/** Labels, selector and a metadata factory for one component in one namespace. */
export function component(p: MonitoringProps, name: string, componentName: string, version: string, namespace: string) {
  const set: AppLabels = { name, instance: `${name}-${p.config.name}`, component: componentName, partOf: p.names.prefix, version };
  const labels = recommendedLabels(set);
  return {
    set,
    labels,
    selector: selectorLabels(set),
    meta: (objectName = name) => ({ name: objectName, namespace, labels }),
  };
}

export { intOrStr, quantity } from '../values';

/** A namespace selector by name. */
export const inNamespace = (ns: string) => namespaceNamed(ns);
/** Pods of a service (by `app.kubernetes.io/name`), optionally in another namespace. */
export const podsOf = (name: string, ns?: string) => (ns ? podsIn(ns, name) : podsNamed(name));
