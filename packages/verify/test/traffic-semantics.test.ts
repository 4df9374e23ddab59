/**
 * NetworkPolicy semantics of the traffic model, on small synthetic environments.
 */
import { objectPath } from '@optibid/rendered';
import { buildTrafficGraph } from '../src/checks/traffic/graph';
import { buildTrafficModel, egressToOutside, flow, ingressFromOutside, type Endpoint, type TrafficModel } from '../src/checks/traffic/model';
import { PortSet } from '../src/checks/traffic/ports';
import { addressSet, containsAll, ipBlockAddresses, parseCidr } from '../src/checks/traffic/cidr';
import type { CfnTemplate, KubeObject, RenderedEnvironment } from '../src/types';

function ns(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

function deploy(namespace: string, name: string, labels: Record<string, string>, ports: { name?: string; containerPort: number; protocol?: string }[] = [], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: 'x', ports }], ...extra } } },
  };
}

function policy(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

function envOf(objects: KubeObject[], templates: Record<string, CfnTemplate> = {}): RenderedEnvironment {
  return { name: 'test', objects: objects.map((obj) => ({ env: 'test', file: objectPath(obj), obj })), templates, k8sFiles: new Map() };
}

function ep(model: TrafficModel, id: string): Endpoint {
  const e = [...model.workloads, ...model.system, ...model.externals].find((x) => x.id === id);
  if (!e) throw new Error(`no endpoint ${id}`);
  return e;
}

function allowed(model: TrafficModel, from: string, to: string): string {
  return flow(model, ep(model, from), ep(model, to)).ports.format();
}

const base = [
  ns('a', { team: 'alpha' }),
  ns('b', { team: 'beta' }),
  deploy('a', 'web', { app: 'web' }, [{ name: 'http', containerPort: 8080 }]),
  deploy('a', 'api', { app: 'api' }, [{ name: 'http', containerPort: 9000 }, { name: 'metrics', containerPort: 9100 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }]),
  deploy('b', 'db', { app: 'db' }, [{ name: 'pg', containerPort: 5432 }]),
  deploy('b', 'web', { app: 'web' }, [{ name: 'http', containerPort: 8080 }]),
];

describe('isolation', () => {
  it('without policies everything is allowed (to the declared container ports)', () => {
    const m = buildTrafficModel(envOf(base));
    expect(allowed(m, 'a/web', 'b/db')).toBe('5432/TCP');
    expect(allowed(m, 'b/db', 'a/api')).toBe('5353/UDP, 9000/TCP, 9100/TCP');
  });

  it('an Ingress policy isolates only the pods it selects, and only for ingress', () => {
    const m = buildTrafficModel(envOf([...base, policy('b', 'db-deny', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'] })]));
    expect(allowed(m, 'a/web', 'b/db')).toBe('none');
    expect(allowed(m, 'a/web', 'b/web')).toBe('8080/TCP');
    // db's egress is still open.
    expect(allowed(m, 'b/db', 'a/api')).toBe('5353/UDP, 9000/TCP, 9100/TCP');
  });

  it('omitted policyTypes mean Ingress, plus Egress when egress rules are present', () => {
    const m = buildTrafficModel(envOf([...base, policy('a', 'web-egress', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }] }] })]));
    // Ingress isolated (default type) with no ingress rules:
    expect(allowed(m, 'a/api', 'a/web')).toBe('none');
    // Egress isolated: only api.
    expect(allowed(m, 'a/web', 'a/api')).toBe('5353/UDP, 9000/TCP, 9100/TCP');
    expect(allowed(m, 'a/web', 'b/db')).toBe('none');
  });

  it('a connection needs both the egress of the source and the ingress of the target', () => {
    const objs = [
      ...base,
      policy('a', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      policy('b', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      policy('b', 'db-in', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'alpha' } }, podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }] }),
    ];
    const onlyIngress = buildTrafficModel(envOf(objs));
    expect(allowed(onlyIngress, 'a/api', 'b/db')).toBe('none');
    const v = flow(onlyIngress, ep(onlyIngress, 'a/api'), ep(onlyIngress, 'b/db'));
    expect(v.ingress.allowed.format()).toBe('5432/TCP');
    expect(v.egress.isolated).toBe(true);
    const both = buildTrafficModel(envOf([...objs, policy('a', 'api-out', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 5432 }, { port: 6379 }] }] })]));
    expect(allowed(both, 'a/api', 'b/db')).toBe('5432/TCP');
  });

  it('policies in other namespaces do not select the pod', () => {
    const m = buildTrafficModel(envOf([...base, policy('a', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] })]));
    expect(allowed(m, 'a/api', 'b/web')).toBe('8080/TCP');
    expect(allowed(m, 'b/web', 'a/web')).toBe('none');
  });
});

describe('peers', () => {
  const isolated = [...base, policy('b', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })];
  // Rules below have no `ports`: an admitted peer gets every port ("any").

  it('namespaceSelector + podSelector in one peer are ANDed; separate peers are ORed', () => {
    const and = buildTrafficModel(envOf([...isolated, policy('b', 'db-in', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'alpha' } }, podSelector: { matchLabels: { app: 'web' } } }] }] })]));
    expect(allowed(and, 'a/web', 'b/db')).toBe('any');
    expect(allowed(and, 'a/api', 'b/db')).toBe('none'); // right namespace, wrong pod
    expect(allowed(and, 'b/web', 'b/db')).toBe('none'); // right pod, wrong namespace
    const or = buildTrafficModel(envOf([...isolated, policy('b', 'db-in', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'alpha' } } }, { podSelector: { matchLabels: { app: 'web' } } }] }] })]));
    expect(allowed(or, 'a/api', 'b/db')).toBe('any'); // any pod of namespace a
    expect(allowed(or, 'b/web', 'b/db')).toBe('any'); // web in the policy's own namespace
  });

  it('podSelector alone means the policy\'s namespace', () => {
    const m = buildTrafficModel(envOf([...isolated, policy('b', 'db-in', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] })]));
    expect(allowed(m, 'b/web', 'b/db')).toBe('any');
    expect(allowed(m, 'a/web', 'b/db')).toBe('none');
  });

  it('namespaceSelector matches the automatic kubernetes.io/metadata.name label', () => {
    const m = buildTrafficModel(envOf([...isolated, policy('b', 'db-in', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'a' } } }] }] })]));
    expect(allowed(m, 'a/web', 'b/db')).toBe('any');
    expect(allowed(m, 'b/web', 'b/db')).toBe('none');
  });

  it('matchExpressions work in peers', () => {
    const m = buildTrafficModel(envOf([...isolated, policy('b', 'db-in', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] } }] }] })]));
    expect(allowed(m, 'a/api', 'b/db')).toBe('any');
    expect(allowed(m, 'a/web', 'b/db')).toBe('none');
  });

  it('empty from = everyone; empty ports = every port and protocol', () => {
    const m = buildTrafficModel(envOf([...isolated, policy('b', 'db-in', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{}] })]));
    expect(allowed(m, 'a/web', 'b/db')).toBe('any');
    expect(ingressFromOutside(m, ep(m, 'b/db'), '203.0.113.9').ports.format()).toBe('any');
  });
});

describe('components outside the render', () => {
  it('a peer naming an unrendered namespace becomes an external node named after its selector', () => {
    const m = buildTrafficModel(
      envOf([
        ...base,
        policy('b', 'db-in', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ci' } }, podSelector: { matchLabels: { app: 'runner' } } }], ports: [{ port: 5432 }] }] }),
      ]),
    );
    expect(m.externals.map((e) => e.id)).toEqual(['ci/app=runner']);
    const g = buildTrafficGraph(m);
    expect(g.edges.filter((e) => e.from.id === 'ci/app=runner').map((e) => `${e.to.id} ${e.ports.format()}`)).toEqual(['b/db 5432/TCP']);
  });

  it('CoreDNS and the ingress controller are system endpoints; the ingress controller namespace follows its Helm chart', () => {
    const chart: CfnTemplate = { Resources: { Nginx: { Type: 'Custom::AWSCDK-EKS-HelmChart', Properties: { Chart: 'nginx-ingress', Namespace: 'edge', Release: 'edge-nginx' } } } };
    const m = buildTrafficModel(
      envOf(
        [...base, policy('a', 'web-in', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge' } } }], ports: [{ port: 8080 }] }] })],
        { cluster: chart },
      ),
    );
    expect(allowed(m, 'edge/ingress-controller', 'a/web')).toBe('8080/TCP');
    expect(m.externals).toEqual([]);
    // Components listen only on their ports: DNS on 53 and 9153.
    expect(allowed(m, 'a/web', 'kube-system/kube-dns')).toBe('53/TCP, 53/UDP, 9153/TCP');
  });

  it('warns about peers that select no pod in rendered namespaces', () => {
    const m = buildTrafficModel(envOf([...base, policy('a', 'web-out', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'nothing' } } }] }] })]));
    expect(m.warnings).toEqual(['NetworkPolicy/a/web-out spec.egress[0].to[0] selects no pod (namespaces a; podSelector app=nothing)']);
  });
});

describe('ports', () => {
  const isolated = [...base, policy('a', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })];

  it('named ports resolve against the target pod\'s container ports, by name and protocol', () => {
    const m = buildTrafficModel(envOf([...isolated, policy('a', 'in', { podSelector: {}, ingress: [{ ports: [{ port: 'http' }, { port: 'dns', protocol: 'UDP' }, { port: 'metrics', protocol: 'UDP' }] }] })]));
    expect(allowed(m, 'b/db', 'a/web')).toBe('8080/TCP');
    expect(allowed(m, 'b/db', 'a/api')).toBe('5353/UDP, 9000/TCP'); // metrics is TCP, the rule asked for UDP
  });

  it('named egress ports resolve against the destination, and name nothing on outside addresses', () => {
    const m = buildTrafficModel(
      envOf([...base, policy('b', 'web-out', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }] })]),
    );
    expect(allowed(m, 'b/web', 'a/web')).toBe('8080/TCP');
    expect(allowed(m, 'b/web', 'a/api')).toBe('9000/TCP'); // "http" is 9000 on api: resolved per destination
    expect(egressToOutside(m, ep(m, 'b/web'), '203.0.113.9').ports.format()).toBe('none');
  });

  it('protocol defaults to TCP, port without number = whole protocol, endPort = range', () => {
    const m = buildTrafficModel(envOf([...isolated, policy('a', 'in', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ ports: [{ protocol: 'UDP' }, { port: 9000, endPort: 9050 }] }] })]));
    expect(allowed(m, 'b/db', 'a/api')).toBe('any/UDP, 9000-9050/TCP');
  });
});

describe('ipBlock', () => {
  const egress = (except?: string[]) =>
    buildTrafficModel(
      envOf([
        ...base,
        policy('a', 'api-out', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except } }], ports: [{ port: 443 }] }] }),
      ]),
    );

  it('cidr minus except', () => {
    const m = egress(['10.0.0.0/8', '169.254.169.254/32']);
    expect(egressToOutside(m, ep(m, 'a/api'), '198.51.100.7').ports.format()).toBe('443/TCP');
    expect(egressToOutside(m, ep(m, 'a/api'), '10.1.2.3').ports.format()).toBe('none');
    expect(egressToOutside(m, ep(m, 'a/api'), '169.254.169.254').ports.format()).toBe('none');
    expect(egressToOutside(m, ep(m, 'a/api'), '169.254.169.253').ports.format()).toBe('443/TCP');
    expect(egressToOutside(m, ep(m, 'a/api')).ports.format()).toBe('443/TCP');
  });

  it('ipBlock peers do not select pods', () => {
    const m = egress();
    expect(allowed(m, 'a/api', 'b/db')).toBe('none');
  });

  it('hostNetwork pods are outside policy and reached through ipBlocks covering the node range', () => {
    const vpc: CfnTemplate = { Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.30.0.0/16' } } } };
    const objs = [
      ...base,
      deploy('b', 'exporter', { app: 'exporter' }, [{ name: 'metrics', containerPort: 9100 }], { hostNetwork: true }),
      policy('b', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      policy('a', 'api-out', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.30.0.0/16' } }], ports: [{ port: 9100 }] }, { to: [{ namespaceSelector: {} }] }] }),
    ];
    const m = buildTrafficModel(envOf(objs, { network: vpc }));
    expect(allowed(m, 'a/api', 'b/exporter')).toBe('9100/TCP'); // via the ipBlock, not the namespaceSelector
    expect(allowed(m, 'a/web', 'b/exporter')).toBe('9100/TCP'); // web is not egress-isolated; the exporter is not ingress-isolated
    const g = buildTrafficGraph(m);
    expect(g.unrestricted.map((w) => w.id)).toEqual(['b/exporter']);
    expect(g.edges.some((e) => e.from.id === 'b/exporter')).toBe(false);
  });

  it('cidr helpers', () => {
    expect(parseCidr('10.30.0.0/16')).toEqual([0x0a1e0000, 0x0a1effff]);
    expect(parseCidr('10.30.1.2/16')).toEqual([0x0a1e0000, 0x0a1effff]);
    expect(parseCidr('::/0')).toBeUndefined();
    expect(containsAll(ipBlockAddresses({ cidr: '0.0.0.0/0', except: ['10.30.0.0/16'] }), addressSet(['10.30.0.0/16']))).toBe(false);
    expect(containsAll(ipBlockAddresses({ cidr: '10.0.0.0/8' }), addressSet(['10.30.0.0/16']))).toBe(true);
  });
});

describe('PortSet', () => {
  it('union, intersection, difference, formatting', () => {
    const a = PortSet.union([PortSet.parse('53/UDP'), PortSet.parse('53/TCP'), PortSet.parse('8000-8010/TCP')]);
    expect(a.format()).toBe('53/TCP, 53/UDP, 8000-8010/TCP');
    expect(a.intersect(PortSet.parse('8005/TCP')).format()).toBe('8005/TCP');
    expect(a.subtract(PortSet.parse('8005/TCP')).format()).toBe('53/TCP, 53/UDP, 8000-8004/TCP, 8006-8010/TCP');
    expect(PortSet.all().format()).toBe('any');
    expect(PortSet.all().subtract(PortSet.allOf('SCTP')).subtract(PortSet.allOf('UDP')).format()).toBe('any/TCP');
    expect(PortSet.empty().format()).toBe('none');
    expect(PortSet.all().covers(a)).toBe(true);
    expect(a.has(53, 'UDP')).toBe(true);
    expect(a.has(54, 'UDP')).toBe(false);
  });
});
