/** Kubernetes objects as read from rendered files, and how every tool names one. */
import { CLUSTER_SCOPED_DIR } from './layout';

/** One parsed object (apiVersion, kind, metadata, ...). Parsed YAML: fields beyond these may have any shape. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: any;
}

/** One Kubernetes object read from a rendered file. */
export interface RenderedObject {
  /** Environment folder name (dev, staging, production...). */
  readonly env: string;
  /** Path relative to dist/k8s/<env>/, e.g. `optibid/deployment-backend.yaml`. */
  readonly file: string;
  readonly obj: KubeObject;
}

/** `<Kind>/<namespace>/<name>`, `_cluster` for cluster-scoped objects: how findings and reports name an object. */
export function objectId(obj: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${obj.kind}/${obj.metadata.namespace ?? CLUSTER_SCOPED_DIR}/${obj.metadata.name}`;
}

/** Namespace of an object, `default` when unset (as the API server defaults a namespaced object). */
export function namespaceOf(obj: Pick<KubeObject, 'metadata'>): string {
  return obj.metadata?.namespace ?? 'default';
}

/** Objects of one kind, optionally in one namespace. */
export function objectsOfKind<T extends { readonly obj: KubeObject }>(objects: readonly T[], kind: string, namespace?: string): T[] {
  return objects.filter((o) => o.obj.kind === kind && (namespace === undefined || namespaceOf(o.obj) === namespace));
}

export function isRecord(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function asArray<T>(x: T[] | undefined | unknown): T[] {
  return Array.isArray(x) ? (x as T[]) : [];
}
