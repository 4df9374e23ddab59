import { apiVersionsCheck } from '../src/checks/api-versions';
import { embeddedManifests } from '../src/checks/api-versions/sources';
import { API_FLOOR, compareVersions, CUSTOM_APIS, KUBERNETES_APIS } from '../src/data/kubernetes-apis';
import type { CfnTemplate, KubeObject } from '../src/types';
import { broken, find, rendered, ENVIRONMENTS } from './support';

function clusterTemplate(templates: Record<string, CfnTemplate>): CfnTemplate {
  const name = Object.keys(templates).find((n) => Object.values(templates[n].Resources).some((r) => r.Type === 'AWS::EKS::Cluster'));
  if (!name) throw new Error('no cluster template');
  return templates[name];
}

function setClusterVersion(templates: Record<string, CfnTemplate>, version: string): void {
  for (const r of Object.values(clusterTemplate(templates).Resources)) if (r.Type === 'AWS::EKS::Cluster') r.Properties.Version = version;
}

describe('committed renders', () => {
  it.each([...ENVIRONMENTS])('%s: every applied API is served, no findings', (env) => {
    const r = apiVersionsCheck.run(rendered(env));
    expect(r.findings).toEqual([]);
    expect(r.summary).toMatch(/^api-versions: Kubernetes 1\.\d+ \(optibid-\w+-cluster\/\w+ Properties\.Version\), API floor 1\.28/);
    expect(r.summary).toContain('external-secrets 2.10.0');
  });

  it('reads the manifests embedded in the cluster template', () => {
    const { objects, unreadable } = embeddedManifests(rendered('production'));
    expect(unreadable).toEqual([]);
    expect(objects.map((o) => `${o.apiVersion} ${o.kind}`)).toContain('networking.k8s.io/v1 Ingress');
  });
});

describe('removed-api', () => {
  it('policy/v1beta1 PodDisruptionBudget: removed in 1.25, use policy/v1', () => {
    const env = broken((e) => {
      find(e, 'PodDisruptionBudget', 'backend', 'optibid').apiVersion = 'policy/v1beta1';
    });
    const f = apiVersionsCheck.run(env).findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ check: 'api-versions', rule: 'removed-api', env: 'production', object: 'PodDisruptionBudget/optibid/backend', field: 'apiVersion' });
    expect(f[0].message).toContain('removed in Kubernetes 1.25');
    expect(f[0].message).toContain('use policy/v1 PodDisruptionBudget');
    expect(f[0].message).toContain('the cluster version 1.35 and the API floor 1.28');
  });

  it('external-secrets.io/v1beta1: not served by the pinned external-secrets 2.10.0', () => {
    const env = broken((e) => {
      find(e, 'ExternalSecret', 'backend-secrets', 'optibid').apiVersion = 'external-secrets.io/v1beta1';
    });
    const f = apiVersionsCheck.run(env).findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: 'removed-api', object: 'ExternalSecret/optibid/backend-secrets' });
    expect(f[0].message).toContain('no longer served since External Secrets Operator 0.17.0');
    expect(f[0].message).toContain('installs 2.10.0');
    expect(f[0].message).toContain('use external-secrets.io/v1');
  });

  it('embedded manifests are checked too (extensions/v1beta1 Ingress)', () => {
    const env = broken((e) => {
      const t = clusterTemplate(e.templates);
      const id = Object.keys(t.Resources).find((k) => t.Resources[k].Type === 'Custom::AWSCDK-EKS-KubernetesResource')!;
      const join = t.Resources[id].Properties.Manifest['Fn::Join'][1] as unknown[];
      join[0] = (join[0] as string).replace('"apiVersion":"networking.k8s.io/v1"', '"apiVersion":"extensions/v1beta1"');
    });
    const f = apiVersionsCheck.run(env).findings;
    expect(f).toHaveLength(1);
    expect(f[0].rule).toBe('removed-api');
    expect(f[0].object).toMatch(/^optibid-production-cluster\/EdgeIngressManifest/);
    expect(f[0].field).toBe('Properties.Manifest[0].apiVersion (Ingress nginx-ingress/edge)');
    expect(f[0].message).toContain('removed in Kubernetes 1.22');
    expect(f[0].message).toContain('networking.k8s.io/v1 Ingress');
  });
});

describe('not-yet-served', () => {
  it('cluster Version 1.22 with an autoscaling/v2 HPA: served from 1.23', () => {
    const env = broken((e) => setClusterVersion(e.templates, '1.22'));
    const r = apiVersionsCheck.run(env);
    const hpa = r.findings.filter((f) => f.object === 'HorizontalPodAutoscaler/optibid/backend');
    expect(hpa).toHaveLength(1);
    expect(hpa[0].rule).toBe('not-yet-served');
    expect(hpa[0].message).toBe('autoscaling/v2 HorizontalPodAutoscaler is served from Kubernetes 1.23, later than the cluster version 1.22');
    expect(r.summary).toContain('the cluster version 1.22 is below the API floor 1.28');
    // Everything else the render uses is served by 1.22.
    expect(new Set(r.findings.map((f) => f.object.split('/')[0]))).toEqual(new Set(['HorizontalPodAutoscaler']));
  });

  it('an API newer than the floor is reported against the floor', () => {
    const env = broken((e) => {
      e.objects.push({
        file: '_cluster/validatingadmissionpolicy-x.yaml',
        obj: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'x' }, spec: {} } as KubeObject,
      });
    });
    const f = apiVersionsCheck.run(env).findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: 'not-yet-served', object: 'ValidatingAdmissionPolicy/_cluster/x' });
    expect(f[0].message).toContain('served from Kubernetes 1.30, later than the API floor 1.28 (manifests are generated with cdk8s-plus-28');
  });

  it('a custom resource whose provider the templates do not install', () => {
    const env = broken((e) => {
      e.objects.push({ file: 'optibid/peerauthentication-default.yaml', obj: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'optibid' }, spec: {} } as KubeObject });
    });
    const f = apiVersionsCheck.run(env).findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: 'not-yet-served', object: 'PeerAuthentication/optibid/default' });
    expect(f[0].message).toContain('no Helm chart in the templates installs it');
  });
});

describe('unknown-api', () => {
  it('a kind missing from the table', () => {
    const env = broken((e) => {
      e.objects.push({ file: 'optibid/widget-w.yaml', obj: { apiVersion: 'example.optibid.io/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'optibid' } } as KubeObject });
    });
    const f = apiVersionsCheck.run(env).findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: 'unknown-api', object: 'Widget/optibid/w', field: 'apiVersion' });
    expect(f[0].message).toContain('example.optibid.io/v1 Widget is not in the API table');
  });

  it('a known group with an unknown kind', () => {
    const env = broken((e) => {
      e.objects.push({ file: 'optibid/pushsecret-p.yaml', obj: { apiVersion: 'external-secrets.io/v1', kind: 'PushSecret', metadata: { name: 'p', namespace: 'optibid' } } as KubeObject });
    });
    expect(apiVersionsCheck.run(env).findings.map((f) => f.rule)).toEqual(['unknown-api']);
  });
});

describe('deprecated but served', () => {
  it('is a summary warning, not a finding (v1 Endpoints, deprecated in 1.33)', () => {
    const env = broken((e) => {
      e.objects.push({ file: 'optibid/endpoints-legacy.yaml', obj: { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'legacy', namespace: 'optibid' } } as KubeObject });
    });
    const r = apiVersionsCheck.run(env);
    expect(r.findings).toEqual([]);
    expect(r.summary).toContain('! warning: v1 Endpoints: deprecated since Kubernetes 1.33; use discovery.k8s.io/v1 EndpointSlice (1 object)');
  });
});

describe('the API table', () => {
  it('has one entry per apiVersion/kind and consistent versions', () => {
    const seen = new Set<string>();
    for (const a of KUBERNETES_APIS) {
      for (const k of a.kinds) {
        const key = `${a.groupVersion} ${k}`;
        expect([key, seen.has(key)]).toEqual([key, false]);
        seen.add(key);
      }
      if (a.deprecated) expect(compareVersions(a.deprecated, a.introduced)).toBeGreaterThanOrEqual(0);
      if (a.removed) {
        expect(compareVersions(a.removed, a.deprecated ?? a.introduced)).toBeGreaterThan(0);
        expect(a.replacement).toBeTruthy();
      }
    }
    for (const a of CUSTOM_APIS) {
      for (const k of a.kinds) {
        const key = `${a.groupVersion} ${k}`;
        expect([key, seen.has(key)]).toEqual([key, false]);
        seen.add(key);
      }
      expect(a.source.length).toBeGreaterThan(10);
      if (a.unservedFrom) expect(a.replacement).toBeTruthy();
    }
  });

  it('records the removals the design depends on', () => {
    const removed = (gv: string, kind: string) => KUBERNETES_APIS.find((a) => a.groupVersion === gv && a.kinds.includes(kind))?.removed;
    expect(removed('extensions/v1beta1', 'Ingress')).toBe('1.22');
    expect(removed('networking.k8s.io/v1beta1', 'Ingress')).toBe('1.22');
    expect(removed('policy/v1beta1', 'PodDisruptionBudget')).toBe('1.25');
    expect(removed('policy/v1beta1', 'PodSecurityPolicy')).toBe('1.25');
    expect(removed('batch/v1beta1', 'CronJob')).toBe('1.25');
    expect(removed('autoscaling/v2beta1', 'HorizontalPodAutoscaler')).toBe('1.25');
    expect(removed('autoscaling/v2beta2', 'HorizontalPodAutoscaler')).toBe('1.26');
    expect(removed('flowcontrol.apiserver.k8s.io/v1beta2', 'FlowSchema')).toBe('1.29');
    expect(removed('flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema')).toBe('1.32');
    expect(removed('storage.k8s.io/v1beta1', 'CSIStorageCapacity')).toBe('1.27');
    expect(removed('discovery.k8s.io/v1beta1', 'EndpointSlice')).toBe('1.25');
    expect(API_FLOOR).toBe('1.28');
  });

  it('compares versions numerically', () => {
    expect(compareVersions('1.9', '1.28')).toBeLessThan(0);
    expect(compareVersions('v1.21.2', '1.6.0')).toBeGreaterThan(0);
    expect(compareVersions('2.10.0', '0.17.0')).toBeGreaterThan(0);
    expect(compareVersions('1.28', '1.28.0')).toBe(0);
  });
});
