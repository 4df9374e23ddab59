/** The capacity table (printed) and capacity.md (table, node groups, pods, PDBs, quotas, assumptions). */
import { resourceId } from '../../cfn';
import { formatCores, formatGiB, formatMi, formatMillis } from '../../resources';
import { EVICTION_HARD_MEMORY_MIB } from '../../data/eks-reservations';
import { groupAllocatable, type CapacityAnalysis, type Scenario } from './analysis';
import { markdownTable, pct, textTable, type Align } from './format';

const HEADERS = ['Scenario', 'Nodes', 'CPU requested / allocatable (cores)', 'Memory requested / allocatable (GiB)', 'Pods / slots', 'Fits'];
const ALIGN: Align[] = ['l', 'r', 'r', 'r', 'r', 'l'];

function scenarioRow(s: Scenario): string[] {
  if (!s.result) return [s.title, '–', '–', '–', '–', 'not evaluated (see below)'];
  const r = s.result;
  const how = r.strategy === 'first-fit' ? '' : ' (least-allocated placement)';
  const fits = r.unplaced.length === 0 ? `yes${how}` : `NO (${r.unplaced.length} pod(s) unplaced)`;
  return [
    s.title,
    String(s.nodes.length),
    `${formatCores(r.requested.cpu)} / ${formatCores(r.allocatable.cpu)} (${pct(r.requested.cpu, r.allocatable.cpu)})`,
    `${formatGiB(r.requested.mem)} / ${formatGiB(r.allocatable.mem)} (${pct(r.requested.mem, r.allocatable.mem)})`,
    `${r.requested.pods} / ${r.allocatable.pods} (${pct(r.requested.pods, r.allocatable.pods)})`,
    fits,
  ];
}

function groupsLine(a: CapacityAnalysis): string {
  const gs = a.groups.map((g) => `${g.label} ${g.instanceType} ${g.min}–${g.max} over ${g.zones.join(', ')}`).join('; ');
  const cap = a.cap.cap !== undefined ? `cluster cap ${a.cap.cap} nodes (--max-nodes-total)` : `no --max-nodes-total: cap = sum of group maxima (${a.effectiveCap})`;
  return `node groups: ${gs || 'none'}; ${cap}`;
}

function allocLine(a: CapacityAnalysis): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const g of a.groups) {
    const x = groupAllocatable(g);
    if (!x || seen.has(x.fig.name)) continue;
    seen.add(x.fig.name);
    parts.push(`${x.fig.name} ${formatCores(x.alloc.cpuMillis)} cores / ${(x.alloc.memoryMiB / 1024).toFixed(1)} GiB / ${x.alloc.pods} pods`);
  }
  return `allocatable per node: ${parts.join('; ')}`;
}

function daemonLine(a: CapacityAnalysis): string {
  const cpu = a.daemons.reduce((s, d) => s + d.res.cpuMillis, 0);
  const mem = a.daemons.reduce((s, d) => s + d.res.memoryBytes, 0);
  return `DaemonSet pods on every node: ${a.daemons.length} (${a.daemons.map((d) => d.name).join(', ')}) = ${formatMillis(cpu)} CPU / ${formatMi(mem)}`;
}

function cronLine(a: CapacityAnalysis): string {
  const c = a.inventory.cron;
  const set = [...c.runs.entries()].map(([id, n]) => `${id.split('/').pop()}${n > 1 ? ` ×${n}` : ''}`);
  const jobs = a.inventory.groups.filter((g) => g.kind === 'Job' && g.min > 0).map((g) => g.name);
  return `Jobs counted in every scenario: CronJobs ${set.join(', ') || 'none'}${set.length ? ' (all at once, each at its most concurrent)' : ''}${jobs.length ? `; Jobs ${jobs.join(', ')}` : ''}`;
}

/** The printed summary: one table per environment plus the lines that explain it. */
export function capacitySummary(a: CapacityAnalysis): string {
  return [
    `Capacity — ${a.env}: ${groupsLine(a)}`,
    textTable(HEADERS, a.scenarios.map(scenarioRow), ALIGN),
    ...a.scenarios.filter((s) => s.skipped).map((s) => `  ${s.title.slice(0, 3)} not evaluated: ${s.skipped}`),
    `  ${allocLine(a)}`,
    `  ${daemonLine(a)}`,
    `  ${cronLine(a)}`,
    ...(a.pdbs.length ? [`  zone loss vs PDBs: ${a.pdbs.map((p) => `${p.pdb.split('/').slice(1).join('/')} loses ${p.lost}/${p.pods} (allows ${p.allowed})${p.ok ? '' : ' ✗'}`).join('; ')}`] : []),
    `  quotas at (b): ${a.quotas.length === 0 ? 'none' : a.quotas.filter((q) => !q.ok).length === 0 ? `${a.quotas.length} limits hold` : `${a.quotas.filter((q) => !q.ok).length} of ${a.quotas.length} limits exceeded`}`,
  ].join('\n');
}

export const ASSUMPTIONS: readonly string[] = [
  'Node allocatable = instance capacity − EKS kube-reserved (CPU: 6 % of the first core, 1 % of the second, 0.5 % of cores 3–4, 0.25 % above 4; memory: 255 MiB + 11 MiB × max pods) − eviction threshold 100 MiB (AL2023 nodeadm / EKS AMI formula, src/data/eks-reservations.ts). Capacity is the nominal instance size: the kernel reports 3–5 % less memory, so read memory headroom under 5 % as none.',
  'Max pods per node: the VPC CNI table (ENIs × (IPs per ENI − 1) + 2, no prefix delegation), capped at 110 below 30 vCPU (src/data/instance-types.ts). Every pod, host-network DaemonSets included, takes a slot.',
  'Minimum nodes = every node group at MinSize. Maximum nodes = groups grown one node at a time in turn towards MaxSize until --max-nodes-total (cluster-autoscaler chart values) is reached; without it, the sum of the maxima. Each group spreads its nodes over its subnets\' zones round-robin.',
  'Replicas: HPA minReplicas / maxReplicas for HPA targets, else spec.replicas (1 when unset). Rolling-update surge at maximum scale: Deployment maxSurge (default 25 %, rounded up) for every Deployment at once; StatefulSets and Jobs surge 0. System Deployments (add-ons, charts) surge 25 %.',
  'Requests per pod: max(sum of containers + sidecar init containers, largest init container + sidecars before it) + overhead; containers without requests get them from their limits, else from the namespace LimitRange defaults.',
  'Jobs: every Job is counted as running. CronJobs: every CronJob is counted as running at the same time as the others (an upper bound, no calendar), with its most concurrent runs: 1 for concurrencyPolicy Forbid/Replace; for Allow, activeDeadlineSeconds over the shortest gap between its fire times, rounded up (once when unbounded: no activeDeadlineSeconds or a schedule not read); suspended CronJobs count as running (they can be started by hand).',
  'System pods not in dist/k8s: EKS add-ons (aws-node, kube-proxy, ebs-csi-node, eks-pod-identity-agent DaemonSets; CoreDNS, EBS CSI controller Deployments) and the Helm charts (aws-load-balancer-controller, cert-manager with cainjector and webhook, external-secrets with webhook and cert-controller, cluster-autoscaler, metrics-server, nginx-ingress, external-dns), with replicas and requests from the chart values in the template when set, else the documented defaults listed under "System pods".',
  'Packing, per node: DaemonSet pods first on every node they tolerate, then first-fit decreasing (largest share of a node first) honouring nodeSelector, required node affinity, taints and topology spread constraints with whenUnsatisfiable: DoNotSchedule; when pods are left over, the scenario is packed again placing each pod on the least-allocated node (the kube-scheduler default score) and the better placement is kept. Preferred rules and ScheduleAnyway spreads are ignored. Greedy: a "does not fit" may have a cleverer placement, a "fits" is a real placement.',
  'Zone loss (c): the nodes of the zone with the most allocatable capacity disappear; the remaining nodes at minimum must hold every pod at minimum replicas (no autoscaler scale-up counted). A PDB is broken when the pods one zone can hold (with a DoNotSchedule zone spread of maxSkew s over z zones: floor((n + (z−1)·s) / z); without one: all n) exceed what its minAvailable / maxUnavailable allows. Not evaluated when the minimum nodes sit in one zone. PDBs created by charts (cert-manager, metrics-server, nginx-ingress) are not checked: their pods have no zone spread.',
  'Quotas: a namespace ResourceQuota (pods, requests.cpu/memory, limits.cpu/memory) must admit scenario (b) in that namespace: HPA maximum + surge of every workload, the CronJob set and Jobs, and its DaemonSet pods on the maximum nodes.',
];

/** capacity.md */
export function capacityMarkdown(a: CapacityAnalysis): string {
  const out: string[] = [];
  out.push(`# Capacity — ${a.env}`, '');
  out.push(`Generated by \`npm run verify\` from dist/ (the rendered CloudFormation templates and Kubernetes manifests).`, '');
  out.push(markdownTable(HEADERS, a.scenarios.map(scenarioRow), ALIGN), '');
  out.push(`- ${groupsLine(a)} (${a.cap.source})`, `- ${allocLine(a)}`, `- ${daemonLine(a)}`, `- ${cronLine(a)}`, '');

  const findings = a.findings;
  out.push('## Findings', '');
  out.push(findings.length ? findings.map((f) => `- **${f.rule}** \`${f.object}\`${f.field ? ` \`${f.field}\`` : ''}: ${f.message}`).join('\n') : 'None.', '');

  out.push('## Node groups', '');
  out.push(
    markdownTable(
      ['Group', 'Instance type', 'Min', 'Max', 'At (b)', 'Zones', 'Allocatable per node (CPU / memory / pods)', 'Reserved (kube-reserved CPU / memory + eviction)'],
      a.groups.map((g) => {
        const x = groupAllocatable(g)!;
        return [
          `${g.label} (${resourceId(g)})`,
          g.instanceType ?? '?',
          String(g.min),
          String(g.max),
          String(a.maxCounts.get(g.logicalId) ?? 0),
          g.zones.join(', '),
          `${formatMillis(x.alloc.cpuMillis)} / ${Math.floor(x.alloc.memoryMiB)}Mi / ${x.alloc.pods}`,
          `${formatMillis(x.alloc.reservedCpuMillis)} / ${x.alloc.reservedMemoryMiB - EVICTION_HARD_MEMORY_MIB}Mi + ${EVICTION_HARD_MEMORY_MIB}Mi`,
        ];
      }),
    ),
    '',
  );

  for (const s of a.scenarios) {
    if (!s.result) continue;
    out.push(`### Nodes in ${s.title}`, '');
    out.push(
      markdownTable(
        ['Node', 'Zone', 'CPU used / allocatable', 'Memory used / allocatable', 'Pods'],
        s.result.nodes.map((n) => [n.spec.name, n.spec.zone, `${formatMillis(n.spec.cpu - n.cpu)} / ${formatMillis(n.spec.cpu)}`, `${formatMi(n.spec.mem - n.mem)} / ${formatMi(n.spec.mem)}`, `${n.spec.pods - n.pods} / ${n.spec.pods}`]),
        ['l', 'l', 'r', 'r', 'r'],
      ),
      '',
    );
    if (s.result.unplaced.length) out.push(`Unplaced: ${[...new Set(s.result.unplaced.map((p) => p.group.name))].map((n) => `${n} ×${s.result!.unplaced.filter((p) => p.group.name === n).length}`).join(', ')}`, '');
  }

  out.push('## Pods', '');
  out.push(
    markdownTable(
      ['Owner', 'Kind', 'Requests per pod (CPU / memory)', 'Min', 'Max', 'Surge at max', 'Spread (DoNotSchedule)'],
      a.inventory.groups
        .filter((g) => !g.system)
        .map((g) => [
          g.key,
          g.kind,
          `${formatMillis(g.res.cpuMillis)} / ${formatMi(g.res.memoryBytes)}`,
          g.kind === 'DaemonSet' ? 'per node' : String(g.min),
          g.kind === 'DaemonSet' ? 'per node' : String(g.max),
          g.kind === 'DaemonSet' ? '–' : `${g.surge} (${g.surgeNote})`,
          g.spreads.map((c) => `${c.topologyKey} ≤${c.maxSkew}`).join(', ') || '–',
        ]),
      ['l', 'l', 'r', 'r', 'r', 'l', 'l'],
    ),
    '',
  );
  out.push('### System pods (add-ons and charts installed by CDK)', '');
  out.push(
    markdownTable(
      ['Component', 'Kind', 'Namespace', 'Requests per pod (CPU / memory)', 'Replicas (min / max)', 'Set by', 'Figures from'],
      a.inventory.groups
        .filter((g) => g.system)
        .map((g) => [g.name, g.kind, g.namespace, `${formatMillis(g.res.cpuMillis)} / ${formatMi(g.res.memoryBytes)}`, g.kind === 'DaemonSet' ? 'per node' : `${g.min} / ${g.max}`, `${g.minField.object} ${g.minField.field}`, g.source ?? '']),
    ),
    '',
  );

  out.push('### CronJobs and Jobs', '');
  out.push(a.inventory.cron.reasons.map((r) => `- ${r}`).join('\n') || '- none', '');

  out.push('## Zone loss and PodDisruptionBudgets', '');
  const sc = a.scenarios.find((s) => s.id === 'c');
  if (sc?.skipped) out.push(`Not evaluated: ${sc.skipped}.`, '');
  else
    out.push(
      markdownTable(
        ['PDB', 'Field', 'Pods (min)', 'Lost with one zone', 'Allowed', 'OK', 'How'],
        a.pdbs.map((p) => [p.pdb, p.field, String(p.pods), String(p.lost), String(p.allowed), p.ok ? 'yes' : 'NO', p.how]),
      ),
      '',
    );

  out.push('## ResourceQuotas at scenario (b)', '');
  out.push(markdownTable(['ResourceQuota', 'Key', 'Needed at (b)', 'Hard', 'OK'], a.quotas.map((q) => [q.quota, q.key, q.need, q.hard, q.ok ? 'yes' : 'NO'])), '');

  out.push('## Assumptions', '');
  out.push([...ASSUMPTIONS, ...a.notes].map((x) => `- ${x}`).join('\n'), '');
  return out.join('\n');
}
