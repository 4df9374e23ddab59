/**
 * Node sets and first-fit-decreasing bin packing of pods onto them, per node (not just sums), the way the scheduler
 * filters nodes: resources (CPU, memory, pod slots), nodeSelector, required node affinity, taints/tolerations and
 * topology spread constraints with whenUnsatisfiable: DoNotSchedule (skew = pods in the node's domain + 1 − the
 * fewest pods in any eligible domain, at most maxSkew; eligible domains are those of nodes that pass the pod's
 * nodeSelector/affinity and carry the topology key — nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore, the defaults).
 *
 * DaemonSet pods go first, one on every node they tolerate. The rest are sorted by their largest share of a node
 * (max of CPU and memory over the largest node's allocatable), biggest first, and each goes to the first node that
 * admits it (first-fit decreasing). `packBest` retries a scenario that does not fit with the kube-scheduler's default
 * scoring (least allocated node first), since topology spread can strand first-fit. Greedy either way, so it can
 * report "does not fit" where a cleverer placement would succeed — never the reverse: a fit is a real placement.
 */
import { instanceFigures } from '../../data/instance-types';
import { nodeAllocatable } from '../../data/eks-reservations';
import { MiB } from '../../resources';
import type { NodeGroup, Taint } from './node-groups';
import { matchesNodeAffinity, matchesSelector, toleratesTaints } from './selectors';
import type { PodGroup } from './workloads';

export interface NodeSpec {
  readonly name: string;
  readonly group: NodeGroup;
  readonly zone: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  /** Allocatable CPU (m), memory (bytes), pods. */
  readonly cpu: number;
  readonly mem: number;
  readonly pods: number;
}

/** Node counts per group (by logical id). */
export type NodeCounts = ReadonlyMap<string, number>;

/** Every group at its minimum. */
export function minimumCounts(groups: readonly NodeGroup[]): NodeCounts {
  return new Map(groups.map((g) => [g.logicalId, g.min]));
}

/**
 * Every group grown towards its maximum, one node per group in turn (as balance-similar-node-groups would), until
 * the groups are at their maxima or the cluster cap is reached. The minima always stay (the autoscaler never goes
 * below them, even when they exceed the cap).
 */
export function maximumCounts(groups: readonly NodeGroup[], cap: number | undefined): NodeCounts {
  const counts = new Map(groups.map((g) => [g.logicalId, g.min]));
  let total = groups.reduce((a, g) => a + g.min, 0);
  const limit = cap ?? Infinity;
  let grew = true;
  while (grew && total < limit) {
    grew = false;
    for (const g of groups) {
      if (total >= limit) break;
      const n = counts.get(g.logicalId)!;
      if (n < g.max) {
        counts.set(g.logicalId, n + 1);
        total++;
        grew = true;
      }
    }
  }
  return counts;
}

/** The nodes of each group, spread over the group's zones round-robin (the ASG's AZ balancing). */
export function buildNodes(groups: readonly NodeGroup[], counts: NodeCounts): NodeSpec[] {
  const out: NodeSpec[] = [];
  for (const g of groups) {
    const fig = g.instanceType ? instanceFigures(g.instanceType) : undefined;
    if (!fig) continue;
    const alloc = nodeAllocatable(fig.vcpu, fig.memoryMiB, fig.maxPods);
    const n = counts.get(g.logicalId) ?? 0;
    for (let i = 0; i < n; i++) {
      const zone = g.zones[i % g.zones.length] ?? 'unknown';
      const name = `${g.label}-${i + 1}`;
      out.push({
        name,
        group: g,
        zone,
        labels: {
          ...g.labels,
          'topology.kubernetes.io/zone': zone,
          'kubernetes.io/hostname': name,
          'node.kubernetes.io/instance-type': fig.name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'eks.amazonaws.com/nodegroup': g.name,
        },
        taints: g.taints,
        cpu: alloc.cpuMillis,
        mem: alloc.memoryMiB * MiB,
        pods: alloc.pods,
      });
    }
  }
  return out;
}

/** One pod to place. */
export interface PodInstance {
  readonly group: PodGroup;
  /** Surge pod of a rolling update (scenario b). */
  readonly surge: boolean;
}

export interface NodeState {
  readonly spec: NodeSpec;
  cpu: number;
  mem: number;
  pods: number;
  readonly byGroup: Map<string, number>;
}

export interface PackResult {
  readonly strategy: Strategy;
  readonly nodes: readonly NodeState[];
  readonly unplaced: readonly PodInstance[];
  /** Sums over every pod (placed or not, DaemonSet pods included). */
  readonly requested: { readonly cpu: number; readonly mem: number; readonly pods: number };
  readonly allocatable: { readonly cpu: number; readonly mem: number; readonly pods: number };
}

/** Whether a pod of the group may run on the node at all (selector, affinity, taints), ignoring resources. */
export function admits(node: NodeSpec, g: PodGroup): boolean {
  return selects(node, g) && toleratesTaints(g.tolerations, node.taints);
}

/** nodeSelector and required node affinity only (the nodes whose domains count for topology spread). */
export function selects(node: NodeSpec, g: PodGroup): boolean {
  for (const [k, v] of Object.entries(g.nodeSelector)) if (node.labels[k] !== v) return false;
  return matchesNodeAffinity(g.affinityTerms, node.labels, node.name);
}

/** Whether the node's free resources hold one more pod of the group. */
function fitsResources(n: NodeState, g: PodGroup): boolean {
  return n.cpu >= g.res.cpuMillis && n.mem >= g.res.memoryBytes && n.pods >= 1;
}

function place(n: NodeState, g: PodGroup): void {
  n.cpu -= g.res.cpuMillis;
  n.mem -= g.res.memoryBytes;
  n.pods -= 1;
  n.byGroup.set(g.key, (n.byGroup.get(g.key) ?? 0) + 1);
}

/** The DaemonSets that run on a node. */
export function daemonsOn(node: NodeSpec, daemons: readonly PodGroup[]): PodGroup[] {
  return daemons.filter((d) => admits(node, d));
}

/**
 * Packs the pods onto the nodes. `allGroups` is every pod group of the scenario (for spread constraints that count
 * other owners' pods).
 */
export type Strategy = 'first-fit' | 'least-allocated';

export function pack(nodes: readonly NodeSpec[], daemons: readonly PodGroup[], pods: readonly PodInstance[], allGroups: readonly PodGroup[], daemonSurge = false, strategy: Strategy = 'first-fit'): PackResult {
  const state: NodeState[] = nodes.map((spec) => ({ spec, cpu: spec.cpu, mem: spec.mem, pods: spec.pods, byGroup: new Map() }));
  const unplaced: PodInstance[] = [];
  const requested = { cpu: 0, mem: 0, pods: 0 };
  const count = (g: PodGroup) => {
    requested.cpu += g.res.cpuMillis;
    requested.mem += g.res.memoryBytes;
    requested.pods += 1;
  };
  for (const n of state) {
    for (const d of daemonsOn(n.spec, daemons)) {
      const copies = daemonSurge && d.daemonSurge ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        count(d);
        if (fitsResources(n, d)) place(n, d);
        else unplaced.push({ group: d, surge: i > 0 });
      }
    }
  }
  const maxCpu = Math.max(1, ...nodes.map((n) => n.cpu));
  const maxMem = Math.max(1, ...nodes.map((n) => n.mem));
  const size = (g: PodGroup) => Math.max(g.res.cpuMillis / maxCpu, g.res.memoryBytes / maxMem);
  const order = [...pods].sort((a, b) => size(b.group) - size(a.group) || b.group.spreads.length - a.group.spreads.length || (a.group.key < b.group.key ? -1 : a.group.key > b.group.key ? 1 : 0));
  const byKey = new Map(allGroups.map((g) => [g.key, g]));
  for (const p of order) {
    const g = p.group;
    count(g);
    const eligible = state.filter((n) => selects(n.spec, g));
    const candidates = eligible.filter((n) => toleratesTaints(g.tolerations, n.spec.taints));
    // per spread constraint: pods per domain among matching owners, the eligible domains, the smallest count
    const checks = g.spreads.map((c) => {
      const matched = [...byKey.values()].filter((o) => o.namespace === g.namespace && matchesSelector(c.selector, o.labels)).map((o) => o.key);
      const perDomain = new Map<string, number>();
      for (const n of eligible) {
        const d = n.spec.labels[c.topologyKey];
        if (d === undefined) continue;
        const here = matched.reduce((a, k) => a + (n.byGroup.get(k) ?? 0), 0);
        perDomain.set(d, (perDomain.get(d) ?? 0) + here);
      }
      // pods of matching owners on nodes this pod may not use do not change the eligible domains' counts
      const domains = [...perDomain.values()];
      const minCount = domains.length === 0 || (c.minDomains !== undefined && domains.length < c.minDomains) ? 0 : Math.min(...domains);
      const selfMatch = matchesSelector(c.selector, g.labels) ? 1 : 0;
      return { c, perDomain, minCount, selfMatch };
    });
    const feasible = candidates.filter(
      (n) =>
        fitsResources(n, g) &&
        checks.every(({ c, perDomain, minCount, selfMatch }) => {
          const d = n.spec.labels[c.topologyKey];
          if (d === undefined) return false;
          return (perDomain.get(d) ?? 0) + selfMatch - minCount <= c.maxSkew;
        }),
    );
    // first fit, or the kube-scheduler's default score (the node left with the largest free share)
    const free = (n: NodeState) => n.cpu / Math.max(1, n.spec.cpu) + n.mem / Math.max(1, n.spec.mem);
    const target = strategy === 'first-fit' ? feasible[0] : feasible.reduce<NodeState | undefined>((best, n) => (!best || free(n) > free(best) ? n : best), undefined);
    if (target) place(target, g);
    else unplaced.push(p);
  }
  const allocatable = { cpu: 0, mem: 0, pods: 0 };
  for (const n of nodes) {
    allocatable.cpu += n.cpu;
    allocatable.mem += n.mem;
    allocatable.pods += n.pods;
  }
  return { strategy, nodes: state, unplaced, requested, allocatable };
}

/** The largest CPU / memory a pod of the group could get: the emptiest admitting node minus its DaemonSets. */
export function largestRoom(nodes: readonly NodeSpec[], daemons: readonly PodGroup[], g: PodGroup): { cpu: number; mem: number; node?: NodeSpec } {
  let best: { cpu: number; mem: number; node?: NodeSpec } = { cpu: 0, mem: 0 };
  for (const n of nodes) {
    if (!admits(n, g)) continue;
    const ds = daemonsOn(n, daemons);
    const cpu = n.cpu - ds.reduce((a, d) => a + d.res.cpuMillis, 0);
    const mem = n.mem - ds.reduce((a, d) => a + d.res.memoryBytes, 0);
    if (cpu + mem / MiB > best.cpu + best.mem / MiB || !best.node) best = { cpu, mem, node: n };
  }
  return best;
}

/** First-fit decreasing; when pods are left over, least-allocated decreasing; the placement leaving fewer pods out. */
export function packBest(nodes: readonly NodeSpec[], daemons: readonly PodGroup[], pods: readonly PodInstance[], allGroups: readonly PodGroup[], daemonSurge = false): PackResult {
  const ff = pack(nodes, daemons, pods, allGroups, daemonSurge, 'first-fit');
  if (ff.unplaced.length === 0) return ff;
  const la = pack(nodes, daemons, pods, allGroups, daemonSurge, 'least-allocated');
  return la.unplaced.length < ff.unplaced.length ? la : ff;
}
