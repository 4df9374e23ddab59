/**
 * Shared contract of the gates: checks that read rendered manifests (never TypeScript sources) and report findings.
 * Every gate is a pure function of the loaded objects, so tests can feed it a broken manifest set.
 */

/** One Kubernetes object read from a rendered file. */
export interface RenderedObject {
  /** Environment folder name (dev, staging, production...). */
  readonly env: string;
  /** Path relative to dist/k8s/<env>/, e.g. `optibid/deployment-backend.yaml`. */
  readonly file: string;
  /** The parsed object (apiVersion, kind, metadata, ...). */
  readonly obj: KubeObject;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: any;
}

/** A rule broken by one object. */
export interface Finding {
  /** Name of the check that found it, e.g. `pss-restricted`. */
  readonly check: string;
  readonly env: string;
  readonly file: string;
  /** `<Kind>/<namespace>/<name>` (namespace `_cluster` for cluster-scoped objects). */
  readonly object: string;
  readonly message: string;
}

/** A named policy rule over all objects of one environment. */
export interface PolicyCheck {
  readonly name: string;
  /** One sentence: what the rule demands and why. */
  readonly description: string;
  readonly run: (objects: readonly RenderedObject[]) => Finding[];
}

export function objectRef(o: RenderedObject): string {
  return `${o.obj.kind}/${o.obj.metadata.namespace ?? '_cluster'}/${o.obj.metadata.name}`;
}

export function finding(check: string, o: RenderedObject, message: string): Finding {
  return { check, env: o.env, file: o.file, object: objectRef(o), message };
}

export function formatFinding(f: Finding): string {
  return `[${f.check}] ${f.env}/${f.file} (${f.object}): ${f.message}`;
}
