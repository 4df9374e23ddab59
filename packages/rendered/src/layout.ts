/**
 * The layout of the rendered output, spelled once for the render and every reader (checks, diff, deploy, tests):
 *
 *   dist/cloudformation/<env>/<Stack>.template.json
 *   dist/k8s/<env>/<namespace|_cluster>/<kind>-<name>.yaml   + dist/k8s/<env>/kustomization.yaml
 *   dist/argocd/<env>/   dist/compose/   dist/reports/<env>/
 */
import * as path from 'path';

/** Folder of cluster-scoped objects (no namespace) inside dist/k8s/<env>/. */
export const CLUSTER_SCOPED_DIR = '_cluster';
/** The kustomization of one environment (`kubectl apply -k`, Argo CD): lists every object file. */
export const KUSTOMIZATION_FILE = 'kustomization.yaml';
/** Suffix of a CloudFormation template file; the stack name is the rest. */
export const TEMPLATE_SUFFIX = '.template.json';

/** Top-level folders of dist/. */
export const DIST_DIRS = { cloudformation: 'cloudformation', k8s: 'k8s', argocd: 'argocd', compose: 'compose', reports: 'reports' } as const;

/** The identity fields of a Kubernetes object that decide its file. */
export interface ObjectIdentity {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [k: string]: unknown };
  readonly [k: string]: unknown;
}

/** `<namespace|_cluster>/<kind>-<name>.yaml`, lower-case kind: the file of one object inside dist/k8s/<env>/. */
export function objectPath(obj: ObjectIdentity): string {
  return `${obj.metadata.namespace ?? CLUSTER_SCOPED_DIR}/${obj.kind.toLowerCase()}-${obj.metadata.name}.yaml`;
}

/** Reads an object file path back: namespace (undefined for `_cluster`), lower-case kind and name; undefined when it is not one. */
export function parseObjectPath(rel: string): { readonly namespace?: string; readonly kindLower: string; readonly name: string } | undefined {
  const m = /^([^/]+)\/([a-z0-9]+)-(.+)\.yaml$/.exec(rel.split(path.sep).join('/'));
  if (!m) return undefined;
  return { ...(m[1] === CLUSTER_SCOPED_DIR ? {} : { namespace: m[1] }), kindLower: m[2], name: m[3] };
}

/** dist/k8s/<env> */
export function k8sDir(dist: string, env: string): string {
  return path.join(dist, DIST_DIRS.k8s, env);
}
/** dist/cloudformation/<env> */
export function cloudFormationDir(dist: string, env: string): string {
  return path.join(dist, DIST_DIRS.cloudformation, env);
}
/** dist/argocd/<env> */
export function argoCdDir(dist: string, env: string): string {
  return path.join(dist, DIST_DIRS.argocd, env);
}
/** dist/reports/<env> */
export function reportsDir(dist: string, env: string): string {
  return path.join(dist, DIST_DIRS.reports, env);
}
/** dist/compose */
export function composeDir(dist: string): string {
  return path.join(dist, DIST_DIRS.compose);
}
