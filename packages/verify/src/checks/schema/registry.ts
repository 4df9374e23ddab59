import * as fs from 'fs';
import * as path from 'path';

/**
 * Where the published schema of an apiVersion/kind lives: the kubernetes-models family of npm packages
 * (one module per kind, exporting the model class `<Kind>` with an ajv `validate()` and the interface `I<Kind>`).
 *
 * Only packages declared in packages/verify/package.json are searched, so a CRD schema that is merely
 * present in node_modules as someone else's transitive dependency is not silently relied upon.
 */
export const MODEL_PACKAGES: readonly string[] = [
  'kubernetes-models', // built-in API groups
  '@kubernetes-models/cert-manager', // cert-manager.io, acme.cert-manager.io, ...
  '@kubernetes-models/external-secrets', // external-secrets.io, generators.external-secrets.io
  '@kubernetes-models/istio', // security.istio.io, networking.istio.io, telemetry.istio.io, ...
];

/**
 * kubernetes-models merges the OpenAPI specs of old Kubernetes releases into the latest one so that removed
 * API versions keep a model. Those versions are not served by the clusters we target, so they are rejected.
 * Source: https://kubernetes.io/docs/reference/using-api/deprecation-guide/ (value: release that removed it;
 * `kinds` restricts the entry when newer kinds were later (re)introduced under the same group/version).
 */
const REMOVED_API_VERSIONS: Readonly<Record<string, { removedIn: string; kinds?: readonly string[] }>> = {
  'extensions/v1beta1': { removedIn: '1.22' },
  'apps/v1beta1': { removedIn: '1.16' },
  'apps/v1beta2': { removedIn: '1.16' },
  'admissionregistration.k8s.io/v1beta1': { removedIn: '1.22', kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'] },
  'apiextensions.k8s.io/v1beta1': { removedIn: '1.22' },
  'apiregistration.k8s.io/v1beta1': { removedIn: '1.22' },
  'authentication.k8s.io/v1beta1': { removedIn: '1.22', kinds: ['TokenReview'] },
  'authorization.k8s.io/v1beta1': { removedIn: '1.22' },
  'certificates.k8s.io/v1beta1': { removedIn: '1.22', kinds: ['CertificateSigningRequest'] },
  'coordination.k8s.io/v1beta1': { removedIn: '1.22', kinds: ['Lease'] },
  'networking.k8s.io/v1beta1': { removedIn: '1.22', kinds: ['Ingress', 'IngressClass'] },
  'rbac.authorization.k8s.io/v1beta1': { removedIn: '1.22' },
  'scheduling.k8s.io/v1beta1': { removedIn: '1.22' },
  'storage.k8s.io/v1beta1': { removedIn: '1.22', kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment', 'CSIStorageCapacity'] },
  'batch/v1beta1': { removedIn: '1.25' },
  'discovery.k8s.io/v1beta1': { removedIn: '1.25' },
  'events.k8s.io/v1beta1': { removedIn: '1.25' },
  'autoscaling/v2beta1': { removedIn: '1.25' },
  'autoscaling/v2beta2': { removedIn: '1.26' },
  'policy/v1beta1': { removedIn: '1.25' },
  'node.k8s.io/v1beta1': { removedIn: '1.25' },
  'flowcontrol.apiserver.k8s.io/v1beta1': { removedIn: '1.26' },
  'flowcontrol.apiserver.k8s.io/v1beta2': { removedIn: '1.29' },
  'flowcontrol.apiserver.k8s.io/v1beta3': { removedIn: '1.32' },
};

/** A resolved model: everything needed to import its class (runtime) or its interface (type-level). */
export interface ModelRef {
  readonly apiVersion: string;
  readonly kind: string;
  /** npm package that publishes it. */
  readonly pkg: string;
  /** Module specifier, e.g. `kubernetes-models/apps/v1/Deployment`. */
  readonly specifier: string;
  /** Exported model class name (`Deployment`). */
  readonly className: string;
  /** Exported interface name (`IDeployment`). */
  readonly typeName: string;
  /** Absolute path of the module's .d.ts. */
  readonly dtsPath: string;
}

export type ModelResolution = { readonly ok: true; readonly model: ModelRef } | { readonly ok: false; readonly reason: string };

const packageDirs = new Map<string, string | undefined>();

/** node_modules/<pkg> as Node would find it from this file (walking up), or undefined when not installed. */
export function packageDir(pkg: string): string | undefined {
  if (packageDirs.has(pkg)) return packageDirs.get(pkg);
  let found: string | undefined;
  for (let d = __dirname; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', pkg);
    if (fs.existsSync(path.join(candidate, 'package.json'))) {
      found = candidate;
      break;
    }
    if (path.dirname(d) === d) break;
  }
  packageDirs.set(pkg, found);
  return found;
}

const resolutions = new Map<string, ModelResolution>();

function noSchema(apiVersion: string, kind: string, detail: string): ModelResolution {
  return {
    ok: false,
    reason:
      `no published schema for ${apiVersion} ${kind} (${detail}); add its @kubernetes-models package to ` +
      `packages/verify/package.json and to MODEL_PACKAGES in src/checks/schema/registry.ts`,
  };
}

/** The model module of an apiVersion/kind, or why there is none. Cached. */
export function resolveModel(apiVersion: unknown, kind: unknown): ModelResolution {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !apiVersion || !kind) {
    return { ok: false, reason: `apiVersion and kind must be non-empty strings (got ${JSON.stringify(apiVersion)} / ${JSON.stringify(kind)})` };
  }
  const key = `${apiVersion}\0${kind}`;
  let r = resolutions.get(key);
  if (!r) {
    r = resolveUncached(apiVersion, kind);
    resolutions.set(key, r);
  }
  return r;
}

function resolveUncached(apiVersion: string, kind: string): ModelResolution {
  const parts = apiVersion.split('/');
  const segment = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
  if (parts.length > 2 || !parts.every((p) => segment.test(p))) return noSchema(apiVersion, kind, 'malformed apiVersion');
  if (!/^[A-Z][A-Za-z0-9]*$/.test(kind)) return noSchema(apiVersion, kind, 'malformed kind');
  const removed = REMOVED_API_VERSIONS[apiVersion];
  if (removed && (!removed.kinds || removed.kinds.includes(kind))) {
    return { ok: false, reason: `${apiVersion} ${kind} was removed in Kubernetes ${removed.removedIn}; use the current API version (see the Kubernetes deprecation guide)` };
  }
  // Core group: apiVersion `v1` lives in `<pkg>/v1`; others in `<pkg>/<group>/<version>`.
  const rel = parts.join('/');
  for (const pkg of MODEL_PACKAGES) {
    const dir = packageDir(pkg);
    if (!dir || !fs.existsSync(path.join(dir, rel))) continue;
    const dtsPath = path.join(dir, rel, `${kind}.d.ts`);
    const text = fs.existsSync(dtsPath) ? fs.readFileSync(dtsPath, 'utf8') : '';
    // A top-level kind declares its apiVersion/kind literals; nested types (PodSpec...) do not.
    const isKind =
      new RegExp(`export interface I${kind}\\b`).test(text) &&
      text.includes(`"apiVersion": ${JSON.stringify(apiVersion)};`) &&
      text.includes(`"kind": ${JSON.stringify(kind)};`);
    if (!isKind) return noSchema(apiVersion, kind, `${pkg} has ${apiVersion} but no kind ${kind}`);
    return { ok: true, model: { apiVersion, kind, pkg, specifier: `${pkg}/${rel}/${kind}`, className: kind, typeName: `I${kind}`, dtsPath } };
  }
  return noSchema(apiVersion, kind, `none of ${MODEL_PACKAGES.join(', ')} publishes ${apiVersion}`);
}
