/**
 * Parses the rendered Kubernetes tree into objects keyed by identity.
 *
 * Objects are identified by what they are (API group, kind, namespace, name), not by file name:
 * a renamed file is not a delete + create, and an apiVersion bump (v2beta2 → v2) of the same
 * object is a change, which is how the API server sees both.
 */
import { parseAllDocuments } from 'yaml';
import { CLUSTER_SCOPED_DIR, DIST_DIRS } from '@optibid/rendered';
import { isPlainObject } from './field-diff';

export interface K8sObject {
  key: string;
  env: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  /** File it was read from, for pointing the reviewer at it. */
  path: string;
  doc: Record<string, unknown>;
}

export interface ParsedK8s {
  /** env → key → object */
  envs: Map<string, Map<string, K8sObject>>;
  /** Files that could not be read as Kubernetes objects; reported, never fatal. */
  problems: string[];
}

const K8S_PREFIX = `dist/${DIST_DIRS.k8s}/`;

/** `apps/v1` → `apps`; `v1` → `` (the core group). */
export function apiGroup(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function objectKey(group: string, kind: string, namespace: string, name: string): string {
  return `${group || 'core'}/${kind}/${namespace || CLUSTER_SCOPED_DIR}/${name}`;
}

/** How a reviewer reads an object: `Deployment optibid/backend`, `ClusterRole read-only`. */
export function displayName(o: Pick<K8sObject, 'kind' | 'namespace' | 'name'>): string {
  return o.namespace ? `${o.kind} ${o.namespace}/${o.name}` : `${o.kind} ${o.name}`;
}

/** The environment a dist path belongs to, or undefined when it is not under `dist/k8s/<env>/`. */
export function k8sEnvOf(path: string): string | undefined {
  if (!path.startsWith(K8S_PREFIX)) return undefined;
  const rest = path.slice(K8S_PREFIX.length).split('/');
  return rest.length >= 2 ? rest[0] : undefined;
}

export function parseK8sTree(files: ReadonlyMap<string, string>): ParsedK8s {
  const envs = new Map<string, Map<string, K8sObject>>();
  const problems: string[] = [];
  for (const [path, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const env = k8sEnvOf(path);
    if (!env || !/\.ya?ml$/.test(path)) continue;
    if (!envs.has(env)) envs.set(env, new Map());
    const objects = envs.get(env)!;
    for (const doc of parseAllDocuments(content)) {
      if (doc.errors.length > 0) {
        problems.push(`${path}: YAML parse error: ${doc.errors[0]!.message.split('\n')[0]}`);
        continue;
      }
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue;
      if (!isPlainObject(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string') {
        problems.push(`${path}: not a Kubernetes object (no apiVersion/kind)`);
        continue;
      }
      const group = apiGroup(value.apiVersion);
      // The kustomization lists files; every object change already shows up on its own.
      if (group === 'kustomize.config.k8s.io') continue;
      const meta = isPlainObject(value.metadata) ? value.metadata : {};
      const name = typeof meta.name === 'string' ? meta.name : '';
      if (!name) {
        problems.push(`${path}: ${value.kind} without metadata.name`);
        continue;
      }
      const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
      const key = objectKey(group, value.kind, namespace, name);
      if (objects.has(key)) problems.push(`${path}: duplicate ${displayName({ kind: value.kind, namespace, name })} (also in ${objects.get(key)!.path})`);
      objects.set(key, { key, env, group, kind: value.kind, namespace, name, path, doc: value });
    }
  }
  return { envs, problems };
}

export interface ObjectChange {
  key: string;
  before?: K8sObject;
  after?: K8sObject;
}

export interface EnvObjectDiff {
  added: K8sObject[];
  removed: K8sObject[];
  /** Only objects whose parsed content differs (formatting-only edits are not changes). */
  changed: { before: K8sObject; after: K8sObject }[];
}

function sortObjects(a: K8sObject, b: K8sObject): number {
  return a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name);
}

export function diffObjectSets(
  before: ReadonlyMap<string, K8sObject> | undefined,
  after: ReadonlyMap<string, K8sObject> | undefined,
  equal: (a: unknown, b: unknown) => boolean,
): EnvObjectDiff {
  const b = before ?? new Map<string, K8sObject>();
  const a = after ?? new Map<string, K8sObject>();
  const added = [...a.values()].filter((o) => !b.has(o.key)).sort(sortObjects);
  const removed = [...b.values()].filter((o) => !a.has(o.key)).sort(sortObjects);
  const changed = [...a.values()]
    .filter((o) => b.has(o.key) && !equal(b.get(o.key)!.doc, o.doc))
    .sort(sortObjects)
    .map((o) => ({ before: b.get(o.key)!, after: o }));
  return { added, removed, changed };
}
