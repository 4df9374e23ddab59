/**
 * The allowed-flow graph of one environment: nodes (workloads, the components and address blocks policies name) and
 * edges `from → to` merged per pair, labelled with the allowed ports and the rules that allow them.
 *
 * Which pairs become edges:
 * - workload → workload / component: every pair the semantics allow (model.flow), self-pairs included (replicas
 *   talking to each other: replication, gossip, cluster bus).
 * - component (CoreDNS, ingress controller, unrendered pods) → workload: only when an ingress rule of the workload
 *   admits it (a component's own egress is unknown; an unisolated workload would otherwise be "reachable by all").
 * - workload → outside: one node per ipBlock as written in an egress rule (`cidr except …`), plus `anywhere` for egress
 *   rules without peers or workloads that are not egress-isolated; ports as the rule writes them.
 * - outside → workload: the same, from ingress rules (and `anywhere` for workloads not isolated for ingress).
 * - hostNetwork workloads are targets only (reached through ipBlocks covering the node range); their own traffic is
 *   not subject to NetworkPolicy and is listed separately.
 */
import { admittingRules, cmp, flow, formatRuleRef, outsideEndpoint, rulePorts, selects, type Endpoint, type TrafficModel } from './model';
import { PortSet } from './ports';

export interface Edge {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly ports: PortSet;
  /** `NetworkPolicy/<ns>/<name> spec.<direction>[i]` of the admitting rules, plus notes for open sides. */
  readonly evidence: readonly string[];
}

export interface TrafficGraph {
  readonly nodes: readonly Endpoint[];
  readonly edges: readonly Edge[];
  /** hostNetwork workloads: their outgoing traffic is not governed by NetworkPolicy. */
  readonly unrestricted: readonly Endpoint[];
}

class EdgeSet {
  private readonly map = new Map<string, { from: Endpoint; to: Endpoint; ports: PortSet; evidence: Set<string> }>();
  add(from: Endpoint, to: Endpoint, ports: PortSet, evidence: readonly string[]): void {
    if (ports.isEmpty()) return;
    const key = `${from.id}\u0000${to.id}`;
    const cur = this.map.get(key);
    if (cur) {
      cur.ports = cur.ports.union(ports);
      evidence.forEach((e) => cur.evidence.add(e));
    } else this.map.set(key, { from, to, ports, evidence: new Set(evidence) });
  }
  edges(): Edge[] {
    return [...this.map.values()]
      .map((e) => ({ from: e.from, to: e.to, ports: e.ports, evidence: [...e.evidence].sort() }))
      .sort((a, b) => cmp(a.from.id, b.from.id) || cmp(a.to.id, b.to.id));
  }
}

export function buildTrafficGraph(model: TrafficModel): TrafficGraph {
  const edges = new EdgeSet();
  const sources = [...model.workloads.filter((w) => w.policed), ...model.system.filter((s) => s.identity.kind === 'pod'), ...model.externals];
  const targets = [...model.workloads, ...model.system, ...model.externals];

  for (const from of sources) {
    for (const to of targets) {
      if (from.kind !== 'workload' && to.kind !== 'workload') continue;
      const v = flow(model, from, to);
      if (v.ports.isEmpty()) continue;
      if (from.kind !== 'workload' && !v.ingress.isolated) continue;
      const evidence = admittingRules(v).map(formatRuleRef);
      if (v.egress.enforced && !v.egress.isolated) evidence.push(`(${from.id} not egress-isolated)`);
      if (v.ingress.enforced && !v.ingress.isolated) evidence.push(`(${to.id} not ingress-isolated)`);
      edges.add(from, to, v.ports, evidence);
    }
  }

  // Outside address blocks, one node per ipBlock as written.
  const outside = new Map<string, Endpoint>();
  const outsideNode = (block: { cidr: string; except?: readonly string[] } | 'anywhere'): Endpoint => {
    const ep = outsideEndpoint(model, block);
    if (!outside.has(ep.id)) outside.set(ep.id, ep);
    return outside.get(ep.id)!;
  };
  for (const w of model.workloads.filter((x) => x.policed)) {
    const egressPolicies = model.policies.filter((p) => p.types.egress && selects(p, w));
    if (egressPolicies.length === 0) edges.add(w, outsideNode('anywhere'), PortSet.all(), [`(${w.id} not egress-isolated)`]);
    for (const policy of egressPolicies) {
      for (const rule of policy.egress) {
        const ports = rulePorts(rule, []);
        const ev = [`${policy.id} spec.egress[${rule.index}]`];
        if (rule.peers.length === 0) edges.add(w, outsideNode('anywhere'), ports, ev);
        for (const peer of rule.peers) if (peer.ipBlock) edges.add(w, outsideNode(peer.ipBlock), ports, ev);
      }
    }
    const ingressPolicies = model.policies.filter((p) => p.types.ingress && selects(p, w));
    if (ingressPolicies.length === 0) edges.add(outsideNode('anywhere'), w, w.listens ?? PortSet.all(), [`(${w.id} not ingress-isolated)`]);
    for (const policy of ingressPolicies) {
      for (const rule of policy.ingress) {
        const ports = rulePorts(rule, w);
        const ev = [`${policy.id} spec.ingress[${rule.index}]`];
        if (rule.peers.length === 0) edges.add(outsideNode('anywhere'), w, ports, ev);
        for (const peer of rule.peers) if (peer.ipBlock) edges.add(outsideNode(peer.ipBlock), w, ports, ev);
      }
    }
  }

  const all = edges.edges();
  const used = new Set(all.flatMap((e) => [e.from.id, e.to.id]));
  const nodes = [...model.workloads, ...[...model.system, ...model.externals, ...outside.values()].filter((n) => used.has(n.id))].sort((a, b) => cmp(a.id, b.id));
  return { nodes, edges: all, unrestricted: model.workloads.filter((w) => !w.policed) };
}
