/**
 * What the api-versions check reads from a rendered environment, through the shared reader (../../cfn.ts): every
 * Kubernetes object it will apply (dist/k8s and the manifests embedded in the CloudFormation templates), the
 * cluster's Kubernetes version, and the CRD providers' versions (the Helm charts the cluster template installs).
 */
import { byResourceId, helmCharts, kubernetesManifests, resourceId, resources } from '../../cfn';
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

/** Manifests of Custom::AWSCDK-EKS-KubernetesResource resources, plus the ones that could not be read. */
export function embeddedManifests(env: RenderedEnvironment): { objects: AppliedObject[]; unreadable: string[] } {
  const objects: AppliedObject[] = [];
  const unreadable: string[] = [];
  for (const m of [...kubernetesManifests(env)].sort(byResourceId)) {
    const id = resourceId(m);
    if (!Array.isArray(m.manifest)) {
      unreadable.push(id);
      continue;
    }
    m.manifest.forEach((o: any, i: number) => {
      if (o && typeof o.apiVersion === 'string' && typeof o.kind === 'string') {
        objects.push({ apiVersion: o.apiVersion, kind: o.kind, object: id, field: `Properties.Manifest[${i}].apiVersion (${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'})`, source: id });
      }
    });
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
  const c = resources(env, 'AWS::EKS::Cluster').sort(byResourceId)[0];
  if (!c) return {};
  const v = c.properties.Version;
  return typeof v === 'string' ? { version: v, from: `${resourceId(c)} Properties.Version` } : { from: `${resourceId(c)} Properties.Version (not a literal)` };
}

/** Helm charts installed by the templates: chart name → version (first wins, sorted by stack and logical id). */
export function chartVersions(env: RenderedEnvironment): Map<string, { version: string; from: string }> {
  const out = new Map<string, { version: string; from: string }>();
  for (const c of [...helmCharts(env)].sort(byResourceId)) {
    const { Chart, Version } = c.properties;
    if (typeof Chart === 'string' && typeof Version === 'string' && !out.has(Chart)) out.set(Chart, { version: Version, from: resourceId(c) });
  }
  return out;
}
