/**
 * What the api-versions check reads from a rendered environment: every Kubernetes object it will apply (dist/k8s and
 * the manifests embedded in the CloudFormation templates), the cluster's Kubernetes version, and the CRD providers'
 * versions (the Helm charts the cluster template installs).
 */
import { objectId, type RenderedEnvironment } from '../../types';

export interface AppliedObject {
  readonly apiVersion: string;
  readonly kind: string;
  /** Finding object: `<Kind>/<namespace>/<name>` or `<stack>/<logicalId>` for embedded manifests. */
  readonly object: string;
  /** Finding field. */
  readonly field: string;
  /** Where it comes from, for the summary (`dist/k8s` or `<stack>/<logicalId>`). */
  readonly source: string;
}

/** A CloudFormation value as text: strings kept, intrinsic functions (Fn::ImportValue, Ref…) replaced by a token. */
function flatten(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    if (!Array.isArray(parts)) return undefined;
    return parts.map((p) => (typeof p === 'string' ? p : (flatten(p) ?? 'TOKEN'))).join(sep);
  }
  return undefined;
}

/** Manifests of Custom::AWSCDK-EKS-KubernetesResource resources, plus the ones that could not be read. */
export function embeddedManifests(env: RenderedEnvironment): { objects: AppliedObject[]; unreadable: string[] } {
  const objects: AppliedObject[] = [];
  const unreadable: string[] = [];
  for (const stack of Object.keys(env.templates).sort()) {
    const resources = env.templates[stack].Resources ?? {};
    for (const id of Object.keys(resources).sort()) {
      const r = resources[id];
      if (r.Type !== 'Custom::AWSCDK-EKS-KubernetesResource') continue;
      const text = flatten(r.Properties?.Manifest);
      let parsed: unknown;
      try {
        parsed = text === undefined ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed)) {
        unreadable.push(`${stack}/${id}`);
        continue;
      }
      parsed.forEach((m: any, i: number) => {
        if (m && typeof m.apiVersion === 'string' && typeof m.kind === 'string') {
          objects.push({ apiVersion: m.apiVersion, kind: m.kind, object: `${stack}/${id}`, field: `Properties.Manifest[${i}].apiVersion (${m.kind} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata?.name ?? '?'})`, source: `${stack}/${id}` });
        }
      });
    }
  }
  return { objects, unreadable };
}

export function appliedObjects(env: RenderedEnvironment): { objects: AppliedObject[]; unreadable: string[] } {
  const rendered = env.objects.map(({ obj }) => ({ apiVersion: String(obj.apiVersion), kind: String(obj.kind), object: objectId(obj), field: 'apiVersion', source: 'dist/k8s' }));
  const embedded = embeddedManifests(env);
  return { objects: [...rendered, ...embedded.objects], unreadable: embedded.unreadable };
}

/** The cluster's Kubernetes version (AWS::EKS::Cluster `Version`), with where it was read. */
export function clusterVersion(env: RenderedEnvironment): { version?: string; from?: string } {
  for (const stack of Object.keys(env.templates).sort()) {
    const resources = env.templates[stack].Resources ?? {};
    for (const id of Object.keys(resources).sort()) {
      const r = resources[id];
      if (r.Type === 'AWS::EKS::Cluster') {
        const v = r.Properties?.Version;
        return typeof v === 'string' ? { version: v, from: `${stack}/${id} Properties.Version` } : { from: `${stack}/${id} Properties.Version (not a literal)` };
      }
    }
  }
  return {};
}

/** Helm charts installed by the templates: chart name → version (first wins, sorted by stack and logical id). */
export function helmCharts(env: RenderedEnvironment): Map<string, { version: string; from: string }> {
  const out = new Map<string, { version: string; from: string }>();
  for (const stack of Object.keys(env.templates).sort()) {
    const resources = env.templates[stack].Resources ?? {};
    for (const id of Object.keys(resources).sort()) {
      const r = resources[id];
      if (r.Type === 'Custom::AWSCDK-EKS-HelmChart' && typeof r.Properties?.Chart === 'string' && typeof r.Properties?.Version === 'string' && !out.has(r.Properties.Chart)) {
        out.set(r.Properties.Chart, { version: r.Properties.Version, from: `${stack}/${id}` });
      }
    }
  }
  return out;
}
