import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { validateEnvironmentConfig, production } from '@optibid/constructs-lib';
import { AppWorkload, pdbMaxUnavailable, PlatformNamespace } from '@optibid/constructs-lib/k8s';
import { renderEnvironmentManifests } from '../src';

const labels = { name: 'worker', instance: 'worker-test', component: 'api', partOf: 'optibid-test', version: '1.0.0' };
const baseProps = {
  namespace: 'optibid',
  labels,
  image: 'example.com/worker:1.0.0@sha256:' + 'a'.repeat(64),
  port: { name: 'http', port: 8080 },
  replicas: { min: 3, max: 6 },
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
  probes: { livenessPath: '/healthz', readinessPath: '/readyz' },
  runAsUser: 10001,
  ingressFrom: [],
  egressTo: [],
};

describe('pdbMaxUnavailable', () => {
  test.each([
    [1, 1],
    [2, 1],
    [3, 1],
    [4, 1],
    [5, 2],
    [10, 4],
  ])('min %i replicas -> maxUnavailable %i (a drain is never blocked; a majority stays from 3 up)', (min, expected) => {
    expect(pdbMaxUnavailable(min)).toBe(expected);
    if (min >= 3) expect(min - expected).toBeGreaterThan(min / 2);
  });
});

describe('AppWorkload', () => {
  test('mounts no service-account token and renders no Role unless the workload calls the Kubernetes API', () => {
    const chart = Testing.chart();
    new AppWorkload(chart, 'w', baseProps);
    const objs = Testing.synth(chart);
    expect(objs.filter((o) => o.kind === 'Role')).toEqual([]);
    expect(objs.find((o) => o.kind === 'Deployment').spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  test('with API rules: Role, RoleBinding to its own service account, token mounted, egress to the API server', () => {
    const chart = Testing.chart();
    new AppWorkload(chart, 'w', { ...baseProps, kubernetesApiRules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] });
    const objs = Testing.synth(chart);
    expect(objs.find((o) => o.kind === 'Role').rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]);
    expect(objs.find((o) => o.kind === 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'worker', namespace: 'optibid' }]);
    expect(objs.find((o) => o.kind === 'ServiceAccount').automountServiceAccountToken).toBe(true);
    expect(objs.find((o) => o.metadata.name === 'worker-egress').spec.egress).toContainEqual({ ports: [{ port: 443, protocol: 'TCP' }] });
  });

  test('rejects min replicas above max', () => {
    expect(() => new AppWorkload(Testing.chart(), 'w', { ...baseProps, replicas: { min: 4, max: 2 } })).toThrow('worker: replicas.min (4) exceeds replicas.max (2)');
  });
});

describe('PlatformNamespace', () => {
  test('a non-restricted namespace must say why', () => {
    expect(() => new PlatformNamespace(new Chart(Testing.app(), 'c'), 'n', { name: 'agents', labels: { component: 'x', partOf: 'p', version: '1' }, podSecurity: 'privileged' })).toThrow(/needs an exceptionReason/);
  });
});

describe('service mesh flag', () => {
  test('on: application namespaces labelled for injection and a STRICT PeerAuthentication rendered', () => {
    const cfg = validateEnvironmentConfig({ ...structuredClone(production), mesh: { istio: true } });
    const files = renderEnvironmentManifests(cfg);
    const pa = parse(files.get('optibid/peerauthentication-default.yaml')!);
    expect(pa.spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(parse(files.get('_cluster/namespace-optibid.yaml')!).metadata.labels['istio-injection']).toBe('enabled');
  });
});
