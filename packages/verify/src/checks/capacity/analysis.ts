/**
 * The capacity proof of one environment: three scenarios packed onto the node groups, PodDisruptionBudgets against a
 * zone loss, ResourceQuotas against the peak. Pure function of the render (see ../capacity.ts for the rules).
 */
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { cpuMillis, formatCores, formatGiB, formatMi, formatMillis, memoryBytes } from '../../resources';
import { instanceFigures } from '../../data/instance-types';
import { nodeAllocatable } from '../../data/eks-reservations';
import { helmCharts, resourceId } from '../../cfn';
import { clusterAutoscalerCap, nodeGroups, type ClusterCap, type NodeGroup } from './node-groups';
import { buildNodes, largestRoom, maximumCounts, minimumCounts, packBest, selects, type NodeCounts, type NodeSpec, type PackResult, type PodInstance } from './packing';
import { matchesSelector } from './selectors';
import { collectWorkloads, resolveIntOrPercent, type FieldRef, type PodGroup, type WorkloadInventory } from './workloads';
import { PLATFORM_ANNOTATIONS } from '@optibid/constructs-lib';

export const CHECK = 'capacity';

export type ScenarioId = 'a' | 'b' | 'c';

export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  readonly nodes: readonly NodeSpec[];
  readonly pods: readonly PodInstance[];
  readonly result?: PackResult;
  /** Why the scenario was not evaluated. */
  readonly skipped?: string;
  readonly lostZone?: string;
}

export interface PdbCheck {
  readonly pdb: string;
  readonly field: string;
  readonly pods: number;
  readonly lost: number;
  readonly allowed: number;
  readonly how: string;
  readonly ok: boolean;
}

export interface QuotaCheck {
  readonly quota: string;
  readonly namespace: string;
  readonly key: string;
  readonly hard: string;
  readonly need: string;
  readonly ok: boolean;
  readonly message?: string;
}

export interface CapacityAnalysis {
  readonly env: string;
  readonly groups: readonly NodeGroup[];
  readonly cap: ClusterCap;
  /** The cap actually applied: --max-nodes-total, else the sum of the group maxima. */
  readonly effectiveCap: number;
  readonly inventory: WorkloadInventory;
  readonly daemons: readonly PodGroup[];
  readonly minCounts: NodeCounts;
  readonly maxCounts: NodeCounts;
  readonly scenarios: readonly Scenario[];
  readonly pdbs: readonly PdbCheck[];
  readonly quotas: readonly QuotaCheck[];
  readonly findings: readonly Finding[];
  readonly notes: readonly string[];
}

function finding(env: string, rule: string, object: string, field: string | undefined, message: string): Finding {
  return { check: CHECK, rule, env, object, field, message };
}

/** Pods of a scenario: minimum replicas, or maximum + surge. */
function scenarioPods(groups: readonly PodGroup[], level: 'min' | 'max'): PodInstance[] {
  const out: PodInstance[] = [];
  for (const g of groups) {
    if (g.kind === 'DaemonSet') continue;
    const n = level === 'min' ? g.min : g.max;
    for (let i = 0; i < n; i++) out.push({ group: g, surge: false });
    if (level === 'max') for (let i = 0; i < g.surge; i++) out.push({ group: g, surge: true });
  }
  return out;
}

/** Allocatable per zone of a node set. */
function zoneCapacity(nodes: readonly NodeSpec[]): Map<string, { cpu: number; mem: number; nodes: number }> {
  const z = new Map<string, { cpu: number; mem: number; nodes: number }>();
  for (const n of nodes) {
    const c = z.get(n.zone) ?? { cpu: 0, mem: 0, nodes: 0 };
    z.set(n.zone, { cpu: c.cpu + n.cpu, mem: c.mem + n.mem, nodes: c.nodes + 1 });
  }
  return z;
}

/** The zone holding the most allocatable capacity (CPU, then memory, then name). */
export function largestZone(nodes: readonly NodeSpec[]): string | undefined {
  const z = [...zoneCapacity(nodes).entries()].sort(([a, x], [b, y]) => y.cpu - x.cpu || y.mem - x.mem || (a < b ? -1 : 1));
  return z[0]?.[0];
}

/** Unplaced pods by owner, biggest count first. */
function unplacedByGroup(r: PackResult): { group: PodGroup; n: number }[] {
  const m = new Map<string, { group: PodGroup; n: number }>();
  for (const p of r.unplaced) {
    const e = m.get(p.group.key) ?? { group: p.group, n: 0 };
    e.n++;
    m.set(p.group.key, e);
  }
  return [...m.values()].sort((a, b) => b.n - a.n || b.group.res.cpuMillis - a.group.res.cpuMillis || (a.group.key < b.group.key ? -1 : 1));
}

function shortfall(r: PackResult): string {
  const parts = [];
  if (r.requested.cpu > r.allocatable.cpu) parts.push(`CPU ${formatCores(r.requested.cpu)} of ${formatCores(r.allocatable.cpu)} cores`);
  if (r.requested.mem > r.allocatable.mem) parts.push(`memory ${formatGiB(r.requested.mem)} of ${formatGiB(r.allocatable.mem)} GiB`);
  if (r.requested.pods > r.allocatable.pods) parts.push(`pod slots ${r.requested.pods} of ${r.allocatable.pods}`);
  return parts.length ? `requests exceed allocatable in total (${parts.join(', ')})` : `requests ${formatCores(r.requested.cpu)}/${formatCores(r.allocatable.cpu)} cores, ${formatGiB(r.requested.mem)}/${formatGiB(r.allocatable.mem)} GiB, ${r.requested.pods}/${r.allocatable.pods} pods fit in total but not per node (fragmentation or spread constraints)`;
}

function groupsText(groups: readonly NodeGroup[], counts: NodeCounts): string {
  return groups.map((g) => `${counts.get(g.logicalId) ?? 0} × ${g.instanceType ?? '?'} (${g.label})`).join(' + ');
}

/** The request field of the container that makes a pod big (for the "bigger than any node" finding). */
function biggestContainerField(g: PodGroup, dim: 'cpu' | 'memory'): string {
  if (g.system) return g.podSpecPath;
  const all = [...g.res.containers.map((c, i) => ({ c, path: `containers[${i}]` })), ...g.res.initContainers.map((c, i) => ({ c, path: `initContainers[${i}]` }))];
  const best = all.sort((a, b) => (dim === 'cpu' ? b.c.cpuMillis - a.c.cpuMillis : b.c.memoryBytes - a.c.memoryBytes))[0];
  return best ? `${g.podSpecPath}.${best.path}.resources.requests.${dim}` : g.podSpecPath;
}

/** Quota scopes (spec.scopes and spec.scopeSelector) a pod group falls under. */
function inQuotaScope(q: KubeObject, g: PodGroup): boolean {
  const scope = (name: string, op = 'Exists', values: string[] = []): boolean => {
    switch (name) {
      case 'Terminating':
        return g.terminating;
      case 'NotTerminating':
        return !g.terminating;
      case 'BestEffort':
        return g.res.bestEffort;
      case 'NotBestEffort':
        return !g.res.bestEffort;
      case 'PriorityClass': {
        const pc = g.priorityClassName;
        if (op === 'Exists') return pc !== undefined;
        if (op === 'DoesNotExist') return pc === undefined;
        if (op === 'In') return pc !== undefined && values.includes(pc);
        if (op === 'NotIn') return pc === undefined || !values.includes(pc);
        return false;
      }
      default:
        return true;
    }
  };
  const scopes: string[] = q.spec?.scopes ?? [];
  const exprs: any[] = q.spec?.scopeSelector?.matchExpressions ?? [];
  return scopes.every((s) => scope(s)) && exprs.every((e) => scope(e.scopeName, e.operator, e.values ?? []));
}

const QUOTA_KEYS: Record<string, { dim: 'pods' | 'cpu' | 'mem' | 'limCpu' | 'limMem'; unit: 'count' | 'cpu' | 'mem' }> = {
  pods: { dim: 'pods', unit: 'count' },
  'requests.cpu': { dim: 'cpu', unit: 'cpu' },
  cpu: { dim: 'cpu', unit: 'cpu' },
  'requests.memory': { dim: 'mem', unit: 'mem' },
  memory: { dim: 'mem', unit: 'mem' },
  'limits.cpu': { dim: 'limCpu', unit: 'cpu' },
  'limits.memory': { dim: 'limMem', unit: 'mem' },
};

export function analyseCapacity(env: RenderedEnvironment): CapacityAnalysis {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const allGroups = nodeGroups(env);
  for (const g of allGroups) {
    if (!g.instanceType) findings.push(finding(env.name, 'instance-type-known', resourceId(g), 'InstanceTypes', `node group ${g.name} names no instance type: its capacity cannot be computed`));
    else if (!instanceFigures(g.instanceType)) findings.push(finding(env.name, 'instance-type-known', resourceId(g), g.instanceTypeField, `instance type ${g.instanceType} of node group ${g.name} is not in the instance table (packages/verify/src/data/instance-types.ts): its vCPU, memory and max pods are unknown, so the group is left out of every scenario`));
    if (g.instanceTypes.length > 1) notes.push(`${g.name} lists ${g.instanceTypes.length} instance types; capacity uses the first (${g.instanceType})`);
    if (g.zones.includes('unknown')) notes.push(`${g.name}: the zones of its subnets are not in the render; treated as one zone "unknown"`);
  }
  const groups = allGroups.filter((g) => g.instanceType && instanceFigures(g.instanceType));
  const cap = clusterAutoscalerCap(env);
  const sumMax = groups.reduce((a, g) => a + g.max, 0);
  const effectiveCap = cap.cap === undefined ? sumMax : Math.min(cap.cap, sumMax);
  const inventory = collectWorkloads(env);
  notes.push(...inventory.notes);
  const daemons = inventory.groups.filter((g) => g.kind === 'DaemonSet');
  const minCounts = minimumCounts(groups);
  const maxCounts = maximumCounts(groups, cap.cap);
  const minNodes = buildNodes(groups, minCounts);
  const maxNodes = buildNodes(groups, maxCounts);

  const podsMin = scenarioPods(inventory.groups, 'min');
  const podsMax = scenarioPods(inventory.groups, 'max');
  const scenarios: Scenario[] = [];
  if (groups.length === 0) {
    const why = allGroups.length === 0 ? 'no EKS node group in the render' : 'no node group with a known instance type';
    scenarios.push({ id: 'a', title: '(a) minimum replicas, minimum nodes', nodes: [], pods: podsMin, skipped: why }, { id: 'b', title: '(b) HPA maximum + surge, maximum nodes', nodes: [], pods: podsMax, skipped: why }, { id: 'c', title: '(c) minimum replicas, largest zone lost', nodes: [], pods: podsMin, skipped: why });
  } else {
    const a = packBest(minNodes, daemons, podsMin, inventory.groups);
    scenarios.push({ id: 'a', title: '(a) minimum replicas, minimum nodes', nodes: minNodes, pods: podsMin, result: a });
    const b = packBest(maxNodes, daemons, podsMax, inventory.groups, true);
    scenarios.push({ id: 'b', title: `(b) HPA maximum + surge, maximum nodes${cap.cap !== undefined ? ` (cap ${cap.cap})` : ''}`, nodes: maxNodes, pods: podsMax, result: b });
    const zones = [...new Set(minNodes.map((n) => n.zone))];
    // Zone loss is a design goal only where the minimum capacity covers every zone the node groups span (a node per
    // zone per group, as staging and production require); a smaller footprint (dev) is not zone-redundant by design.
    const spanned = new Set(maxNodes.map((n) => n.zone)).size;
    if (zones.length < 2 || zones.includes('unknown') || zones.length < spanned) {
      const why = zones.includes('unknown')
        ? 'the zones of the node groups are not known'
        : `the minimum capacity (${minNodes.length} node${minNodes.length === 1 ? '' : 's'}) covers ${zones.length} of the ${spanned} zones the node groups span: not zone-redundant by design`;
      scenarios.push({ id: 'c', title: '(c) minimum replicas, largest zone lost', nodes: [], pods: podsMin, skipped: why });
    } else {
      const lost = largestZone(minNodes)!;
      const rest = minNodes.filter((n) => n.zone !== lost);
      const c = packBest(rest, daemons, podsMin, inventory.groups);
      scenarios.push({ id: 'c', title: `(c) minimum replicas, ${lost} lost`, nodes: rest, pods: podsMin, result: c, lostZone: lost });
    }
  }

  // pods bigger than any node: reported once (min-fits), not again by (b)/(c)
  const oversized = new Set<string>();
  if (groups.length) {
    const oneOfEach = buildNodes(groups, new Map(groups.map((g) => [g.logicalId, 1])));
    for (const g of inventory.groups) {
      if (g.kind === 'DaemonSet' || (g.min === 0 && g.max === 0)) continue;
      const room = largestRoom(oneOfEach, daemons, g);
      const cpuBig = g.res.cpuMillis > room.cpu;
      const memBig = g.res.memoryBytes > room.mem;
      if (!cpuBig && !memBig && room.node) continue;
      oversized.add(g.key);
      const where = room.node ? `the roomiest node it may use (${room.node.group.instanceType}, ${formatMillis(room.cpu)} CPU / ${formatMi(room.mem)} free after DaemonSets)` : 'no node (its nodeSelector, affinity or tolerations match no node group)';
      const what = room.node ? [cpuBig ? `CPU ${formatMillis(g.res.cpuMillis)}` : '', memBig ? `memory ${formatMi(g.res.memoryBytes)}` : ''].filter(Boolean).join(' and ') : 'its pod';
      findings.push(finding(env.name, 'min-fits', g.key, room.node ? biggestContainerField(g, cpuBig ? 'cpu' : 'memory') : `${g.podSpecPath}`, `one pod requests ${what}, more than ${where}: it can never be scheduled, at any scale`));
    }
  }

  for (const s of scenarios) {
    if (!s.result) continue;
    const un = unplacedByGroup(s.result).filter((u) => !oversized.has(u.group.key));
    if (un.length === 0) continue;
    const total = un.reduce((a, u) => a + u.n, 0);
    const list = un.map((u) => `${u.group.name} ${u.n}`).join(', ');
    const first = groups[0];
    if (s.id === 'a') {
      findings.push(finding(env.name, 'min-fits', resourceId(first), 'ScalingConfig.MinSize', `at minimum replicas ${total} pod(s) do not fit on the minimum nodes (${groupsText(groups, minCounts)}): unplaced ${list}; ${shortfall(s.result)}. Raise the node groups' MinSize (or lower the minimum replicas/requests)`));
    } else if (s.id === 'b') {
      // name the HPA whose maximum overflows, else what caps the nodes (the autoscaler cap, else the group maxima)
      const hpaOwner = un.find((u) => u.group.hpa);
      const capBinds = cap.cap !== undefined && cap.cap < sumMax;
      const ca = helmCharts(env).find((c) => c.chart === 'cluster-autoscaler');
      const where: FieldRef = hpaOwner ? hpaOwner.group.maxField : capBinds && ca ? { object: resourceId(ca), field: 'Values.extraArgs.max-nodes-total' } : { object: resourceId(first), field: 'ScalingConfig.MaxSize' };
      findings.push(finding(env.name, 'max-scale-fits', where.object, where.field, `at the HPA maximum plus rolling-update surge ${total} pod(s) do not fit on the most nodes the groups may scale to (${groupsText(groups, maxCounts)}; ${cap.cap !== undefined ? `cluster cap --max-nodes-total=${cap.cap}` : 'no cluster cap'}): unplaced ${list}; ${shortfall(s.result)}`));
    } else {
      findings.push(finding(env.name, 'zone-loss', resourceId(first), 'ScalingConfig.MinSize', `with zone ${s.lostZone} lost, ${total} pod(s) at minimum replicas do not fit on the ${s.nodes.length} remaining node(s) (topology spread DoNotSchedule honoured over the remaining zones): unplaced ${list}; ${shortfall(s.result)}`));
    }
  }

  // PodDisruptionBudgets against the loss of one zone (at minimum replicas)
  const pdbs: PdbCheck[] = [];
  const sc = scenarios.find((s) => s.id === 'c');
  if (sc && !sc.skipped) {
    for (const { obj } of env.objects) {
      if (obj.kind !== 'PodDisruptionBudget') continue;
      const ns = obj.metadata.namespace ?? 'default';
      // An absent PDB selector selects no pod (metav1.LabelSelectorAsSelector(nil) is labels.Nothing()).
      const matched = inventory.groups.filter((g) => g.kind !== 'DaemonSet' && g.namespace === ns && g.min > 0 && matchesSelector(obj.spec?.selector, g.labels));
      const n = matched.reduce((a, g) => a + g.min, 0);
      if (n === 0) continue;
      let lost = 0;
      const hows: string[] = [];
      for (const g of matched) {
        const zones = new Set(minNodes.filter((node) => selects(node, g)).map((node) => node.zone)).size;
        const zs = g.spreads.find((c) => c.topologyKey === 'topology.kubernetes.io/zone' && matchesSelector(c.selector, g.labels));
        if (zs && zones > 0) {
          const most = Math.min(g.min, Math.floor((g.min + (zones - 1) * zs.maxSkew) / zones));
          lost += most;
          hows.push(`${g.name}: ${g.min} pod(s) spread over ${zones} zone(s) with maxSkew ${zs.maxSkew} → at most ${most} in one zone`);
        } else {
          lost += g.min;
          hows.push(`${g.name}: ${g.min} pod(s) without a DoNotSchedule zone spread → all may sit in one zone`);
        }
      }
      const id = objectId(obj);
      let allowed: number;
      let field: string;
      if (obj.spec?.maxUnavailable !== undefined) {
        allowed = resolveIntOrPercent(obj.spec.maxUnavailable, n, true);
        field = 'spec.maxUnavailable';
      } else if (obj.spec?.minAvailable !== undefined) {
        allowed = Math.max(0, n - resolveIntOrPercent(obj.spec.minAvailable, n, true));
        field = 'spec.minAvailable';
      } else continue;
      // A PDB guards voluntary evictions; a sharded workload may tolerate a larger involuntary zone loss by design
      // (e.g. Redis: every shard keeps its copies in different zones). The object says so itself, with a reason.
      const tolerance = obj.metadata.annotations?.[PLATFORM_ANNOTATIONS.zoneLossTolerance];
      if (tolerance !== undefined && /^\d+$/.test(tolerance)) {
        allowed = Math.max(allowed, Number(tolerance));
        field = `metadata.annotations["${PLATFORM_ANNOTATIONS.zoneLossTolerance}"]`;
      }
      const ok = lost <= allowed;
      pdbs.push({ pdb: id, field, pods: n, lost, allowed, how: hows.join('; '), ok });
      if (!ok) findings.push(finding(env.name, 'zone-loss', id, field, `losing one zone takes up to ${lost} of the ${n} pod(s) this PDB selects (${hows.join('; ')}), more than the ${allowed} it allows to be unavailable (${field})`));
    }
  }

  // ResourceQuotas against scenario (b)
  const quotas: QuotaCheck[] = [];
  const sb = scenarios.find((s) => s.id === 'b');
  for (const { obj } of env.objects) {
    if (obj.kind !== 'ResourceQuota') continue;
    const ns = obj.metadata.namespace ?? 'default';
    const id = objectId(obj);
    const members: { g: PodGroup; n: number }[] = [];
    for (const g of inventory.groups) {
      if (g.namespace !== ns || !inQuotaScope(obj, g)) continue;
      const n = g.kind === 'DaemonSet' ? (sb?.nodes ?? maxNodes).filter((node) => selects(node, g)).length * (g.daemonSurge ? 2 : 1) : g.max + g.surge;
      if (n > 0) members.push({ g, n });
    }
    for (const [key, hardRaw] of Object.entries<any>(obj.spec?.hard ?? {})) {
      const k = QUOTA_KEYS[key];
      if (!k) continue;
      const hard = k.unit === 'count' ? Number(hardRaw) : k.unit === 'cpu' ? cpuMillis(hardRaw) : memoryBytes(hardRaw);
      let need = 0;
      const unlimited: string[] = [];
      const parts: string[] = [];
      for (const { g, n } of members) {
        const per = k.dim === 'pods' ? 1 : k.dim === 'cpu' ? g.res.cpuMillis : k.dim === 'mem' ? g.res.memoryBytes : k.dim === 'limCpu' ? g.res.limitsCpuMillis : g.res.limitsMemoryBytes;
        if (per === undefined) {
          unlimited.push(g.name);
          continue;
        }
        need += n * per;
        parts.push(`${g.name} ${n} × ${k.unit === 'count' ? '1' : k.unit === 'cpu' ? formatMillis(per) : formatMi(per)}`);
      }
      const show = (v: number) => (k.unit === 'count' ? String(v) : k.unit === 'cpu' ? formatMillis(v) : formatMi(v));
      const ok = need <= hard && unlimited.length === 0;
      const message = unlimited.length
        ? `pods of ${unlimited.join(', ')} set no ${key.replace('limits.', '')} limit and the namespace LimitRange gives none: this quota on ${key} rejects them`
        : ok
          ? undefined
          : `at the HPA maximum plus rolling-update surge namespace ${ns} needs ${key} ${show(need)} (${parts.join(', ')}) but the quota allows ${String(hardRaw)}: pods beyond it are refused at admission`;
      quotas.push({ quota: id, namespace: ns, key, hard: String(hardRaw), need: show(need), ok, message });
      if (!ok) findings.push(finding(env.name, 'quota', id, `spec.hard.${key}`, message!));
    }
  }

  return { env: env.name, groups, cap, effectiveCap, inventory, daemons, minCounts, maxCounts, scenarios, pdbs, quotas, findings, notes };
}

/** Allocatable of one node of a group (for the report). */
export function groupAllocatable(g: NodeGroup) {
  const fig = instanceFigures(g.instanceType ?? '');
  return fig ? { fig, alloc: nodeAllocatable(fig.vcpu, fig.memoryMiB, fig.maxPods) } : undefined;
}


