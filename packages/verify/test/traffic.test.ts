/**
 * The traffic check on the committed production render, and on copies broken on purpose.
 */
import { trafficCheck } from '../src/checks/traffic';
import { FORBIDDEN_FLOWS, REQUIRED_FLOWS } from '../src/checks/traffic/expectations';
import { buildTrafficGraph } from '../src/checks/traffic/graph';
import { buildTrafficModel, flow, type Endpoint, type TrafficModel } from '../src/checks/traffic/model';
import { PortSet } from '../src/checks/traffic/ports';
import type { KubeObject } from '../src/types';
import { broken, find, rendered } from './support';

const prod = rendered('production');
const model = buildTrafficModel(prod);

function ep(m: TrafficModel, id: string): Endpoint {
  const e = [...m.workloads, ...m.system].find((x) => x.id === id);
  if (!e) throw new Error(`no endpoint ${id}`);
  return e;
}

function allows(m: TrafficModel, from: string, to: string, port: string): boolean {
  return flow(m, ep(m, from), ep(m, to)).ports.covers(PortSet.parse(port));
}

function nothing(m: TrafficModel, from: string, to: string): boolean {
  return flow(m, ep(m, from), ep(m, to)).ports.isEmpty();
}

describe('traffic picture of the committed production render', () => {
  it('has the flows the application needs', () => {
    expect(allows(model, 'optibid/backend', 'optibid-data/pgbouncer', '6432/TCP')).toBe(true);
    expect(allows(model, 'optibid-data/pgbouncer', 'optibid-data/postgres', '5432/TCP')).toBe(true);
    expect(allows(model, 'optibid/backend', 'optibid-data/redis', '6379/TCP')).toBe(true);
    expect(allows(model, 'nginx-ingress/ingress-controller', 'optibid/backend', '8000/TCP')).toBe(true);
    expect(allows(model, 'nginx-ingress/ingress-controller', 'optibid/frontend', '3000/TCP')).toBe(true);
    expect(allows(model, 'optibid/frontend', 'optibid/backend', '8000/TCP')).toBe(true);
  });

  it('lets every workload resolve names through kube-dns on 53/UDP and 53/TCP', () => {
    for (const w of model.workloads) {
      expect([w.id, allows(model, w.id, 'kube-system/kube-dns', '53/UDP') && allows(model, w.id, 'kube-system/kube-dns', '53/TCP')]).toEqual([w.id, true]);
    }
  });

  it('lets Prometheus scrape every annotated workload on its prometheus.io/port', () => {
    const scraped = model.workloads.filter((w) => w.workload!.annotations['prometheus.io/scrape'] === 'true');
    expect(scraped.map((w) => w.id)).toEqual(
      expect.arrayContaining(['optibid/backend', 'optibid-data/pgbouncer', 'optibid-data/postgres', 'optibid-data/redis', 'monitoring-agents/node-exporter', 'monitoring-agents/fluent-bit']),
    );
    for (const w of scraped) expect([w.id, allows(model, 'monitoring/prometheus', w.id, `${w.workload!.annotations['prometheus.io/port']}/TCP`)]).toEqual([w.id, true]);
  });

  it('keeps the frontend away from the data tier and the backend away from PostgreSQL', () => {
    expect(nothing(model, 'optibid/frontend', 'optibid-data/postgres')).toBe(true);
    expect(nothing(model, 'optibid/frontend', 'optibid-data/pgbouncer')).toBe(true);
    expect(nothing(model, 'optibid/frontend', 'optibid-data/redis')).toBe(true);
    expect(nothing(model, 'optibid/backend', 'optibid-data/postgres')).toBe(true);
    expect(nothing(model, 'optibid/backend', 'monitoring/prometheus')).toBe(true);
  });

  it('has no forbidden flow and no missing required flow (backend → jaeger:4317 included, fixed after this check found it)', () => {
    const { findings } = trafficCheck.run(prod);
    expect(findings.filter((f) => f.rule === 'forbidden-flow')).toEqual([]);
    expect(findings).toEqual([]);
  });

  it('expectations name rendered workloads and carry a reason', () => {
    const names = new Set(model.workloads.map((w) => w.id));
    for (const x of [...REQUIRED_FLOWS, ...FORBIDDEN_FLOWS]) {
      expect(x.reason.length).toBeGreaterThan(10);
      for (const ref of [x.from, x.to]) {
        if ('namespace' in ref && !ref.workload.includes('*')) expect(names.has(`${ref.namespace}/${ref.workload}`)).toBe(true);
      }
    }
  });

  it('summarises workloads, edges and egress-to-outside edges', () => {
    const { summary } = trafficCheck.run(prod);
    const graph = buildTrafficGraph(model);
    expect(summary).toMatch(new RegExp(`^traffic: ${model.workloads.length} workloads, ${graph.edges.length} edges, \\d+ egress-to-outside edges`));
    expect(model.workloads.length).toBe(18);
    expect(summary).toContain('monitoring-agents/node-exporter');
  });
});

describe('reports', () => {
  const { reports } = trafficCheck.run(prod);

  it('writes a Mermaid flowchart with a subgraph per namespace and a table of edges', () => {
    const md = reports!['traffic.md'];
    expect(md).toContain('```mermaid\nflowchart LR');
    for (const ns of ['optibid', 'optibid-data', 'monitoring', 'monitoring-agents', 'kube-system', 'nginx-ingress', 'outside']) expect(md).toContain(`["${ns}"]`);
    expect(md).toMatch(/-->\|"6432\/TCP"\|/);
    expect(md).toContain('| optibid/backend | optibid-data/pgbouncer | 6432/TCP | NetworkPolicy/optibid-data/pgbouncer-ingress spec.ingress[0]<br>NetworkPolicy/optibid/backend-egress spec.egress[0] |');
    expect(md).toContain('| monitoring/alertmanager | outside/0.0.0.0/0 except 10.30.0.0/16 | 443/TCP, 587/TCP |');
  });

  it('is the Markdown only (no drawn SVG), byte for byte the same on a second run and on a copy of the render', () => {
    expect(Object.keys(reports!)).toEqual(['traffic.md']);
    expect(trafficCheck.run(prod).reports!['traffic.md']).toBe(reports!['traffic.md']);
    expect(trafficCheck.run(broken(() => undefined)).reports!['traffic.md']).toBe(reports!['traffic.md']);
  });
});

describe('broken renders', () => {
  it('required-flow when the pgbouncer ingress rule admitting the backend is deleted', () => {
    const env = broken((e) => {
      const np = find(e, 'NetworkPolicy', 'pgbouncer-ingress', 'optibid-data');
      np.spec.ingress = np.spec.ingress.filter((r: any) => !JSON.stringify(r.from ?? []).includes('"backend"'));
    });
    const f = trafficCheck.run(env).findings.filter((x) => x.rule === 'required-flow');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ check: 'traffic', rule: 'required-flow', env: 'production', object: 'NetworkPolicy/optibid-data/pgbouncer-ingress', field: 'spec.ingress' });
    expect(f[0].message).toContain('optibid/backend (Deployment/optibid/backend) → optibid-data/pgbouncer (Deployment/optibid-data/pgbouncer) must be allowed on 6432/TCP');
    expect(f[0].message).toContain('ingress: no rule of NetworkPolicy/optibid-data/default-deny, NetworkPolicy/optibid-data/pgbouncer-ingress admits optibid/backend');
  });

  it('forbidden-flow naming both workloads and the policies when frontend egress and postgres ingress are opened', () => {
    const env = broken((e) => {
      const np = (namespace: string, name: string, spec: object): { file: string; obj: KubeObject } => ({
        file: `${namespace}/networkpolicy-${name}.yaml`,
        obj: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec },
      });
      e.objects.push(np('optibid', 'frontend-allow-all-egress', { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } }, policyTypes: ['Egress'], egress: [{}] }));
      e.objects.push(np('optibid-data', 'postgres-permissive', { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: {} }] }] }));
    });
    const f = trafficCheck.run(env).findings.filter((x) => x.rule === 'forbidden-flow' && x.message.startsWith('optibid/frontend (Deployment/optibid/frontend) → optibid-data/postgres'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ object: 'NetworkPolicy/optibid-data/postgres-permissive', field: 'spec.ingress[0]' });
    expect(f[0].message).toContain('optibid-data/postgres (StatefulSet/optibid-data/postgres) must not be allowed but is, on any');
    expect(f[0].message).toContain('NetworkPolicy/optibid/frontend-allow-all-egress');
    expect(f[0].message).toContain('NetworkPolicy/optibid-data/postgres-permissive');
    expect(f[0].message).toContain('the browser-facing tier never touches the database');
    // The same opening also lets the frontend reach the Internet and monitoring: each is its own finding.
    const all = trafficCheck.run(env).findings.filter((x) => x.rule === 'forbidden-flow');
    expect(all.some((x) => x.message.startsWith('optibid/frontend (Deployment/optibid/frontend) → outside (any address)'))).toBe(true);
  });

  it('forbidden-flow when alertmanager may reach the outside on another port', () => {
    const env = broken((e) => {
      const np = find(e, 'NetworkPolicy', 'alertmanager-egress', 'monitoring');
      np.spec.egress[0].ports.push({ port: 25, protocol: 'TCP' });
    });
    const f = trafficCheck.run(env).findings.filter((x) => x.rule === 'forbidden-flow');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ object: 'NetworkPolicy/monitoring/alertmanager-egress', field: 'spec.egress[0]' });
    expect(f[0].message).toContain('outside (any address) must not be allowed but is, on 25/TCP');
  });

  it('required-flow when kube-dns egress is dropped from a namespace', () => {
    const env = broken((e) => {
      e.objects = e.objects.filter((o) => !(o.obj.kind === 'NetworkPolicy' && o.obj.metadata.name === 'allow-dns' && o.obj.metadata.namespace === 'optibid'));
    });
    const f = trafficCheck.run(env).findings.filter((x) => x.rule === 'required-flow' && x.message.includes('kube-system/kube-dns'));
    expect(f.map((x) => x.message.split(' ')[0]).sort()).toEqual(['optibid/backend', 'optibid/frontend']);
    expect(f[0].message).toContain('53/TCP, 53/UDP');
  });
});
