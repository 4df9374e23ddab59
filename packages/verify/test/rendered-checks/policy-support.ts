/**
 * Fixtures for the policy gate tests: a compliant object set (Namespace, ServiceAccount, Deployment, Service, HPA, PDB,
 * NetworkPolicies, CronJob), built in TypeScript; each test mutates a deep clone of it.
 */
import type { Finding, KubeObject, RenderedObject } from '@optibid/rendered';
import type { PolicyCheck } from '../../src/checks/policy/policy-check';

export const ENV = 'test';
export const NS = 'optibid';
export const DIGEST = `sha256:${'ab12'.repeat(16)}`;
export const IMAGE = `registry.example.com/optibid/backend:1.4.2@${DIGEST}`;

/** Wraps an object as the loader would, with the renderer's file name (`<namespace|_cluster>/<kind>-<name>.yaml`). */
export function rendered(obj: KubeObject): RenderedObject {
  return { env: ENV, file: `${obj.metadata.namespace ?? '_cluster'}/${obj.kind.toLowerCase()}-${obj.metadata.name}.yaml`, obj };
}

/** The six recommended labels. */
export function recommendedLabels(name: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': `${name}-test`,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'optibid',
    'app.kubernetes.io/managed-by': 'cdk8s',
    'app.kubernetes.io/version': '1.4.2',
  };
}

export function namespace(name = NS): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        ...recommendedLabels(name, 'namespace'),
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    },
  };
}

export function serviceAccountObject(name = 'backend', ns = NS): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, labels: recommendedLabels(name, 'service-account') }, automountServiceAccountToken: false };
}

/** The labels every backend pod carries (the PDB and NetworkPolicies select on the first two). */
export function podLabels(name = 'backend'): Record<string, string> {
  return { ...recommendedLabels(name, 'api') };
}

export function selectorLabels(name = 'backend'): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': `${name}-test` };
}

/** A compliant container: pinned image, requests and memory limit, probes on a named port, restricted security context. */
export function container(name = 'backend', extra: Record<string, unknown> = {}): Record<string, any> {
  return {
    name,
    image: IMAGE,
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
    livenessProbe: { httpGet: { path: '/live', port: 'http' }, periodSeconds: 10 },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    ...extra,
  };
}

/** A compliant init container: no probes (exempt), otherwise like a container. */
export function initContainer(name = 'migrate'): Record<string, any> {
  const c = container(name);
  delete c.readinessProbe;
  delete c.livenessProbe;
  delete c.ports;
  return c;
}

/** A compliant pod spec whose ServiceAccount and main container are both called `name`. */
export function podSpec(name = 'backend'): Record<string, any> {
  return {
    serviceAccountName: name,
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    initContainers: [initContainer()],
    containers: [container(name)],
    volumes: [
      { name: 'tmp', emptyDir: {} },
      { name: 'config', configMap: { name: 'backend' } },
    ],
  };
}

export function deployment(name = 'backend', ns = NS): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: recommendedLabels(name, 'api') },
    spec: {
      replicas: 2,
      selector: { matchLabels: selectorLabels(name) },
      template: { metadata: { labels: podLabels(name) }, spec: podSpec(name) },
    },
  };
}

export function cronJob(name = 'report', ns = NS): KubeObject {
  const spec = podSpec('backend');
  spec.restartPolicy = 'OnFailure';
  spec.containers = [container(name)];
  for (const c of spec.containers) {
    delete c.readinessProbe;
    delete c.livenessProbe;
    delete c.ports;
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: ns, labels: recommendedLabels(name, 'job') },
    spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { metadata: { labels: podLabels(name) }, spec } } } },
  };
}

export function service(name = 'backend', ns = NS): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: recommendedLabels(name, 'api') },
    spec: { selector: selectorLabels(name), ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
}

export function hpa(target = 'backend', ns = NS, minReplicas = 2, maxReplicas = 6): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: target, namespace: ns, labels: recommendedLabels(target, 'api') },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
      minReplicas,
      maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
  };
}

export function pdb(name = 'backend', ns = NS, budget: Record<string, unknown> = { maxUnavailable: 1 }): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: ns, labels: recommendedLabels(name, 'api') },
    spec: { selector: { matchLabels: selectorLabels(name) }, ...budget },
  };
}

export function defaultDenyPolicy(ns = NS): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny', namespace: ns, labels: recommendedLabels('default-deny', 'network-policy') },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}

export function allowPolicy(name = 'backend', ns = NS): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: ns, labels: recommendedLabels(name, 'network-policy') },
    spec: {
      podSelector: { matchLabels: selectorLabels(name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ ports: [{ port: 'http' }] }],
      egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 53, protocol: 'UDP' }] }],
    },
  };
}

/** A fully compliant environment: every policy check finds nothing in it. */
export function compliantSet(): RenderedObject[] {
  return [
    namespace(),
    serviceAccountObject(),
    deployment(),
    service(),
    hpa(),
    pdb(),
    defaultDenyPolicy(),
    allowPolicy(),
    cronJob(),
  ].map(rendered);
}

/** Reference of an object in findings (`null` namespace: cluster-scoped). */
export function ref(kind: string, name: string, ns: string | null = NS): string {
  return `${kind}/${ns ?? '_cluster'}/${name}`;
}

/** A deep clone of the set with the object `kind/name` passed through `mutate` (which edits it in place). */
export function withObject(set: readonly RenderedObject[], kind: string, name: string, mutate: (obj: any) => void): RenderedObject[] {
  const clone: RenderedObject[] = structuredClone(set as RenderedObject[]);
  const target = clone.find((o) => o.obj.kind === kind && o.obj.metadata.name === name);
  if (!target) throw new Error(`no ${kind}/${name} in the fixture set`);
  mutate(target.obj);
  return clone;
}

/** The compliant set with the backend Deployment's pod spec mutated. */
export function withPodSpec(mutate: (spec: any) => void, set: readonly RenderedObject[] = compliantSet()): RenderedObject[] {
  return withObject(set, 'Deployment', 'backend', (d) => mutate(d.spec.template.spec));
}

/** The compliant set with the backend Deployment's first container (or its init container) mutated. */
export function withContainer(mutate: (c: any) => void, which: 'containers' | 'initContainers' = 'containers'): RenderedObject[] {
  return withPodSpec((s) => mutate(s[which][0]));
}

/** A deep clone of the set without the objects matching. */
export function without(set: readonly RenderedObject[], kind: string, name?: string): RenderedObject[] {
  return structuredClone(set.filter((o) => !(o.obj.kind === kind && (name === undefined || o.obj.metadata.name === name))) as RenderedObject[]);
}

/** A deep clone of the set with more objects. */
export function withExtra(set: readonly RenderedObject[], ...objs: KubeObject[]): RenderedObject[] {
  return [...structuredClone(set as RenderedObject[]), ...objs.map(rendered)];
}

/** Asserts the check finds nothing, printing the findings otherwise. */
export function expectClean(check: PolicyCheck, objects: readonly RenderedObject[]): void {
  expect(check.run(objects).map((f) => `${f.object}: ${f.message}`)).toEqual([]);
}

/**
 * Asserts the check reports exactly one finding whose message contains every fragment, against `object`,
 * and that each finding carries the check name, env and the object's file.
 */
export function expectFinding(check: PolicyCheck, objects: readonly RenderedObject[], object: string, ...fragments: string[]): Finding {
  const findings = check.run(objects);
  for (const f of findings) {
    expect(f.check).toBe('policy');
    expect(f.rule).toBe(check.name);
    expect(f.env).toBe(ENV);
  }
  const matching = findings.filter((f) => f.object === object && fragments.every((fr) => f.message.includes(fr)));
  if (matching.length !== 1) {
    throw new Error(`expected one ${check.name} finding on ${object} containing ${JSON.stringify(fragments)}, got:\n${findings.map((f) => `  ${f.object}: ${f.message}`).join('\n') || '  (none)'}`);
  }
  const [f] = matching;
  const owner = objects.find((o) => `${o.obj.kind}/${o.obj.metadata.namespace ?? '_cluster'}/${o.obj.metadata.name}` === object);
  expect(f.file).toBe(owner?.file);
  return f;
}
