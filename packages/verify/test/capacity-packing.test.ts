import type { NodeGroup } from '../src/checks/capacity/node-groups';
import { buildNodes, maximumCounts, minimumCounts, pack, packBest, type PodInstance } from '../src/checks/capacity/packing';
import type { PodGroup } from '../src/checks/capacity/workloads';
import { podResources } from '../src/resources';

const group = (id: string, instanceType: string, min: number, max: number, zones = ['z-a', 'z-b', 'z-c'], extra: Partial<NodeGroup> = {}): NodeGroup => ({
  stack: 's',
  logicalId: id,
  name: id,
  label: id,
  instanceType,
  instanceTypeField: 'InstanceTypes[0]',
  instanceTypes: [instanceType],
  min,
  max,
  desired: min,
  zones,
  labels: {},
  taints: [],
  rootVolume: { sizeGiB: 20, type: 'gp3', source: 'test' },
  capacityType: 'ON_DEMAND',
  ...extra,
});

const pods = (name: string, cpu: string, memory: string, extra: Partial<PodGroup> = {}): PodGroup => ({
  key: `Deployment/ns/${name}`,
  name,
  kind: 'Deployment',
  namespace: 'ns',
  system: false,
  labels: { app: name },
  res: podResources({ containers: [{ name, resources: { requests: { cpu, memory } } }] }),
  min: 1,
  max: 1,
  surge: 0,
  surgeNote: '',
  minField: { object: name, field: 'spec.replicas' },
  maxField: { object: name, field: 'spec.replicas' },
  podSpecPath: 'spec.template.spec',
  nodeSelector: {},
  tolerations: [],
  spreads: [],
  terminating: false,
  ...extra,
});
const times = (g: PodGroup, n: number): PodInstance[] => Array.from({ length: n }, () => ({ group: g, surge: false }));

describe('node sets', () => {
  test('minimum and maximum counts: groups grow in turn until the cluster cap', () => {
    const gs = [group('general', 'm5.xlarge', 3, 6), group('large', 'm5.2xlarge', 3, 6)];
    expect([...minimumCounts(gs).values()]).toEqual([3, 3]);
    expect([...maximumCounts(gs, 10).values()]).toEqual([5, 5]);
    expect([...maximumCounts(gs, 11).values()]).toEqual([6, 5]);
    expect([...maximumCounts(gs, undefined).values()]).toEqual([6, 6]);
    expect([...maximumCounts(gs, 4).values()]).toEqual([3, 3]); // minima stay even above the cap
  });
  test('nodes spread over the group zones round-robin, with EKS allocatable', () => {
    const nodes = buildNodes([group('g', 'm5.large', 4, 4)], new Map([['g', 4]]));
    expect(nodes.map((n) => n.zone)).toEqual(['z-a', 'z-b', 'z-c', 'z-a']);
    expect(nodes[0]).toMatchObject({ cpu: 1930, mem: (8192 - 674) * 2 ** 20, pods: 29 });
    expect(nodes[0].labels['topology.kubernetes.io/zone']).toBe('z-a');
  });
});

describe('first-fit decreasing per node', () => {
  const two = buildNodes([group('g', 'm5.large', 2, 2)], new Map([['g', 2]])); // 2 × 1930m

  test('per-node fit, not just sums: three 1200m pods do not fit two 1930m nodes', () => {
    const big = pods('big', '1200m', '100Mi');
    const r = pack(two, [], times(big, 3), [big]);
    expect(r.requested.cpu).toBe(3600);
    expect(r.allocatable.cpu).toBe(3860);
    expect(r.unplaced).toHaveLength(1);
  });
  test('biggest first: one 1500m pod and four 400m pods fit where arrival order would not', () => {
    const big = pods('big', '1500m', '1Gi');
    const small = pods('small', '400m', '1Gi');
    const r = pack(two, [], [...times(small, 4), ...times(big, 1)], [big, small]);
    expect(r.unplaced).toHaveLength(0);
  });
  test('pod slots run out before CPU does', () => {
    const tiny = pods('tiny', '1m', '1Mi');
    expect(pack(two, [], times(tiny, 59), [tiny]).unplaced).toHaveLength(1);
  });
  test('DaemonSet pods take their share of every node first', () => {
    const ds = pods('agent', '1000m', '100Mi', { kind: 'DaemonSet' });
    const app = pods('app', '1000m', '100Mi');
    const r = pack(two, [ds], times(app, 2), [ds, app]);
    expect(r.requested.pods).toBe(4);
    expect(r.unplaced.map((p) => p.group.name)).toEqual(['app', 'app']);
  });
  test('taints keep pods without a toleration off a node group', () => {
    const tainted = buildNodes([group('gpu', 'm5.large', 1, 1, ['z-a'], { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })], new Map([['gpu', 1]]));
    const plain = pods('plain', '10m', '10Mi');
    const tolerant = pods('tolerant', '10m', '10Mi', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
    const r = pack(tainted, [], [...times(plain, 1), ...times(tolerant, 1)], [plain, tolerant]);
    expect(r.unplaced.map((p) => p.group.name)).toEqual(['plain']);
  });
  test('nodeSelector is honoured', () => {
    const nodes = buildNodes([group('a', 'm5.large', 1, 1, ['z-a'], { labels: { pool: 'a' } }), group('b', 'm5.large', 1, 1, ['z-b'], { labels: { pool: 'b' } })], new Map([['a', 1], ['b', 1]]));
    const p = pods('p', '1500m', '10Mi', { nodeSelector: { pool: 'b' } });
    const r = pack(nodes, [], times(p, 2), [p]);
    expect(r.unplaced).toHaveLength(1);
    expect(r.nodes[1].byGroup.get(p.key)).toBe(1);
  });
});

describe('topology spread (DoNotSchedule)', () => {
  const zones3 = buildNodes([group('g', 'm5.xlarge', 3, 3)], new Map([['g', 3]]));
  const spread = (maxSkew = 1) => [{ topologyKey: 'topology.kubernetes.io/zone', maxSkew, selector: { matchLabels: { app: 'web' } }, index: 0 }];

  test('pods spread over zones within maxSkew', () => {
    const web = pods('web', '100m', '10Mi', { labels: { app: 'web' }, spreads: spread() });
    const r = pack(zones3, [], times(web, 7), [web]);
    expect(r.unplaced).toHaveLength(0);
    expect(r.nodes.map((n) => n.byGroup.get(web.key))).toEqual([3, 2, 2]);
  });
  test('a full zone strands pods the spread sends there', () => {
    const web = pods('web', '1000m', '10Mi', { labels: { app: 'web' }, spreads: spread() });
    const filler = pods('filler', '3000m', '10Mi', { nodeSelector: { 'topology.kubernetes.io/zone': 'z-a' } });
    // z-a has no room after the filler and stays at 0 web pods, so z-b and z-c may hold 0 + maxSkew = 1 each
    const r = packBest(zones3, [], [...times(filler, 1), ...times(web, 6)], [filler, web]);
    expect(r.requested.cpu).toBeLessThan(r.allocatable.cpu);
    expect(r.unplaced.map((p) => p.group.name)).toEqual(['web', 'web', 'web', 'web']);
  });
  test('hostname spread with maxSkew 1 puts replicas on different nodes', () => {
    const db = pods('db', '100m', '10Mi', { labels: { app: 'db' }, spreads: [{ topologyKey: 'kubernetes.io/hostname', maxSkew: 1, selector: { matchLabels: { app: 'db' } }, index: 0 }] });
    const r = pack(zones3, [], times(db, 3), [db]);
    expect(r.nodes.map((n) => n.byGroup.get(db.key))).toEqual([1, 1, 1]);
  });
  test('least-allocated retry rescues what first-fit strands', () => {
    const nodes = buildNodes([group('g', 'm5.large', 3, 3)], new Map([['g', 3]]));
    const bulk = pods('bulk', '900m', '10Mi');
    const web = pods('web', '900m', '10Mi', { labels: { app: 'web' }, spreads: spread() });
    const all = [...times(bulk, 3), ...times(web, 3)];
    const ff = pack(nodes, [], all, [bulk, web], false, 'first-fit');
    const best = packBest(nodes, [], all, [bulk, web]);
    expect(best.unplaced.length).toBeLessThanOrEqual(ff.unplaced.length);
    expect(best.unplaced).toHaveLength(0);
  });
});
