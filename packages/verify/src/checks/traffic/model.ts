/**
 * The traffic model of one rendered environment: the endpoints (workloads, system components the policies name,
 * outside address blocks), the NetworkPolicies, and the Kubernetes NetworkPolicy semantics that decide whether
 * A → B on a port is allowed:
 *
 * - A pod is isolated for ingress (egress) when at least one policy selecting it has `Ingress` (`Egress`) in its
 *   policyTypes (omitted policyTypes = Ingress, plus Egress when the policy has `egress` rules).
 * - A → B:port is allowed when (B is not ingress-isolated, or an ingress rule of a policy selecting B admits A on that
 *   port) AND (A is not egress-isolated, or an egress rule of a policy selecting A admits B on that port).
 * - Rule peers: `podSelector` alone = pods of the policy's namespace; `namespaceSelector` (+ `podSelector`, ANDed) =
 *   pods of the selected namespaces; `ipBlock` (cidr minus except) = addresses outside the pod network. No peers
 *   (`from`/`to` absent or empty) = everyone, pods and addresses. No `ports` = every port of every protocol; a port
 *   entry without `port` = every port of its protocol; `endPort` = a range; a named port resolves against the
 *   DESTINATION pod's container ports (both directions) and names nothing on an address.
 * - hostNetwork pods are outside NetworkPolicy: policies neither isolate them nor select them as peers; they carry the
 *   node's address, so an ipBlock covering the node range (the VPC CIDR) reaches them.
 * - Components outside the render (CoreDNS, the ingress controller, the API server) run unknown policies: they are
 *   treated as not isolated, and as accepting only the ports they listen on.
 *
 * Pure: built from the rendered objects and templates only.
 */
import { objectId, type KubeObject, type RenderedEnvironment } from '../../types';
import {
  formatLabelSelector,
  isEmptySelector,
  matchesLabelSelector,
  namespaceLabels,
  pinnedNamespaceNames,
  type LabelSelector,
  type Labels,
} from '@optibid/rendered';
import { addressSet, containsAll, formatIpBlock, ipBlockAddresses, type AddressSet } from './cidr';
import { PortSet, PROTOCOLS, type Protocol } from './ports';
import { API_SERVER, KNOWN_ADDRESSES, SYSTEM_PODS, type SystemPodComponent } from './system';
import { podTemplateRef as podTemplateOf, WORKLOAD_KINDS } from '@optibid/rendered';


export interface ContainerPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: Protocol;
}

/** How peers recognise an endpoint: as a pod (selectors) or as addresses (ipBlock). */
export type Identity =
  | { readonly kind: 'pod'; readonly namespace: string; readonly labels: Labels; readonly namespaceLabels: Labels }
  | { readonly kind: 'addresses'; readonly addresses: AddressSet };

export interface Workload {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  /** `<Kind>/<namespace>/<name>` of the workload object. */
  readonly objectId: string;
  readonly hostNetwork: boolean;
  readonly labels: Labels;
  readonly annotations: Labels;
}

export type EndpointKind = 'workload' | 'system' | 'external' | 'outside';

export interface Endpoint {
  /** Node id: `<namespace>/<workload>` for workloads, `<namespace>/<selector>` for components, the block for outside. */
  readonly id: string;
  /** Box title. */
  readonly label: string;
  /** Box subtitle: workload kind, component name, address description. */
  readonly detail: string;
  /** Column: the namespace, `control-plane`, or `outside`. */
  readonly group: string;
  readonly kind: EndpointKind;
  readonly identity: Identity;
  /** Container / listening ports (named ports resolve against these). */
  readonly ports: readonly ContainerPort[];
  /** Whether the render's NetworkPolicies apply to it (rendered, not hostNetwork). */
  readonly policed: boolean;
  /** What reaches it when no policy isolates it; undefined = any port. */
  readonly listens?: PortSet;
  readonly workload?: Workload;
  /** Component key for system endpoints (`kube-dns`, `ingress-controller`, `apiserver`). */
  readonly systemKey?: string;
}

export interface PolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}

export interface PolicyPortEntry {
  readonly port?: number | string;
  readonly endPort?: number;
  readonly protocol?: string;
}

export interface PolicyRule {
  readonly index: number;
  /** Empty = everyone. */
  readonly peers: readonly PolicyPeer[];
  /** Empty = every port. */
  readonly ports: readonly PolicyPortEntry[];
}

export interface Policy {
  /** `NetworkPolicy/<namespace>/<name>`. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  readonly types: { readonly ingress: boolean; readonly egress: boolean };
  readonly ingress: readonly PolicyRule[];
  readonly egress: readonly PolicyRule[];
}

export type Direction = 'ingress' | 'egress';

/** One rule that admitted (part of) a flow. */
export interface RuleRef {
  readonly policy: Policy;
  readonly direction: Direction;
  readonly index: number;
  readonly ports: PortSet;
}

export function formatRuleRef(r: RuleRef): string {
  return `${r.policy.id} spec.${r.direction}[${r.index}]`;
}

/** One side (the destination's ingress or the source's egress) of a flow. */
export interface SideVerdict {
  /** The endpoint's policies apply (false: outside the render, or hostNetwork). */
  readonly enforced: boolean;
  readonly isolated: boolean;
  /** Policies selecting the endpoint with this policy type. */
  readonly policies: readonly Policy[];
  /** Ports this side admits for the pair. */
  readonly allowed: PortSet;
  /** Rules admitting the pair (with the ports each admits). */
  readonly rules: readonly RuleRef[];
}

export interface FlowVerdict {
  readonly from: Endpoint;
  readonly to: Endpoint;
  /** Allowed ports: ingress side ∩ egress side. */
  readonly ports: PortSet;
  readonly ingress: SideVerdict;
  readonly egress: SideVerdict;
}

export interface TrafficModel {
  readonly env: string;
  /** Rendered namespaces (Namespace objects and namespaces holding objects) with their labels. */
  readonly namespaces: ReadonlyMap<string, Labels>;
  readonly workloads: readonly Endpoint[];
  /** CoreDNS, the ingress controller, the API server (always present; in the graph only when a flow touches them). */
  readonly system: readonly Endpoint[];
  /** Pods in unrendered namespaces that policies name and no system component matches. */
  readonly externals: readonly Endpoint[];
  readonly policies: readonly Policy[];
  /** The VPC CIDR (node and API-server ENI addresses), from the network template. */
  readonly vpcCidr?: string;
  /** Warnings about the policies (peers selecting nothing, policies selecting nothing). */
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Building the model


function protocolOf(p: unknown): Protocol {
  const s = String(p ?? 'TCP').toUpperCase();
  return (PROTOCOLS as readonly string[]).includes(s) ? (s as Protocol) : 'TCP';
}

function containerPorts(spec: any): ContainerPort[] {
  const out: ContainerPort[] = [];
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const p of c?.ports ?? []) {
      if (typeof p?.containerPort === 'number') out.push({ name: p.name, port: p.containerPort, protocol: protocolOf(p.protocol) });
    }
  }
  return out;
}

function portsOf(list: readonly ContainerPort[]): PortSet {
  return PortSet.union(list.map((p) => PortSet.range(p.protocol, p.port)));
}

function parsePolicy(obj: KubeObject): Policy {
  const spec = obj.spec ?? {};
  const rules = (list: any[] | undefined, peerKey: 'from' | 'to'): PolicyRule[] =>
    (list ?? []).map((r, index) => ({ index, peers: (r?.[peerKey] ?? []) as PolicyPeer[], ports: (r?.ports ?? []) as PolicyPortEntry[] }));
  const declared: string[] | undefined = spec.policyTypes;
  const types = declared ? { ingress: declared.includes('Ingress'), egress: declared.includes('Egress') } : { ingress: true, egress: Array.isArray(spec.egress) };
  const namespace = obj.metadata.namespace ?? 'default';
  return {
    id: `NetworkPolicy/${namespace}/${obj.metadata.name}`,
    namespace,
    name: obj.metadata.name,
    podSelector: spec.podSelector ?? {},
    types,
    ingress: rules(spec.ingress, 'from'),
    egress: rules(spec.egress, 'to'),
  };
}

function findVpcCidr(env: RenderedEnvironment): string | undefined {
  for (const name of Object.keys(env.templates).sort()) {
    for (const id of Object.keys(env.templates[name].Resources ?? {}).sort()) {
      const r = env.templates[name].Resources[id];
      if (r.Type === 'AWS::EC2::VPC' && typeof r.Properties?.CidrBlock === 'string') return r.Properties.CidrBlock;
    }
  }
  return undefined;
}

/** The namespace and release a Helm chart is installed with, read from the cluster template. */
function helmChartPlacement(env: RenderedEnvironment, chart: string): { namespace?: string; release?: string } {
  for (const name of Object.keys(env.templates).sort()) {
    for (const id of Object.keys(env.templates[name].Resources ?? {}).sort()) {
      const r = env.templates[name].Resources[id];
      if (r.Type === 'Custom::AWSCDK-EKS-HelmChart' && r.Properties?.Chart === chart) {
        return { namespace: typeof r.Properties.Namespace === 'string' ? r.Properties.Namespace : undefined, release: typeof r.Properties.Release === 'string' ? r.Properties.Release : undefined };
      }
    }
  }
  return {};
}

function systemPodEndpoint(c: SystemPodComponent, env: RenderedEnvironment): Endpoint {
  const placed = c.helmChart ? helmChartPlacement(env, c.helmChart) : {};
  const namespace = placed.namespace ?? c.namespace;
  const labels = placed.release ? { ...c.podLabels, 'app.kubernetes.io/instance': placed.release } : c.podLabels;
  return {
    id: `${namespace}/${c.key}`,
    label: c.key,
    detail: c.label,
    group: namespace,
    kind: 'system',
    identity: { kind: 'pod', namespace, labels, namespaceLabels: namespaceLabels(namespace) },
    ports: c.ports,
    policed: false,
    listens: portsOf(c.ports),
    systemKey: c.key,
  };
}

/** Builds the model of one environment. */
export function buildTrafficModel(env: RenderedEnvironment): TrafficModel {
  const namespaces = new Map<string, Labels>();
  for (const { obj } of env.objects) if (obj.kind === 'Namespace') namespaces.set(obj.metadata.name, namespaceLabels(obj.metadata.name, obj.metadata.labels));
  for (const { obj } of env.objects) if (obj.metadata.namespace && !namespaces.has(obj.metadata.namespace)) namespaces.set(obj.metadata.namespace, namespaceLabels(obj.metadata.namespace));

  const vpcCidr = findVpcCidr(env);
  const nodeAddresses = vpcCidr ? addressSet([vpcCidr]) : [];

  const workloads: Endpoint[] = [];
  for (const { obj } of env.objects) {
    if (!(WORKLOAD_KINDS as readonly string[]).includes(obj.kind)) continue;
    const t = podTemplateOf(obj)?.template;
    if (!t) continue;
    const namespace = obj.metadata.namespace ?? 'default';
    const hostNetwork = t.spec?.hostNetwork === true;
    const labels = t.metadata?.labels ?? {};
    const ports = containerPorts(t.spec);
    workloads.push({
      id: `${namespace}/${obj.metadata.name}`,
      label: obj.metadata.name,
      detail: hostNetwork ? `${obj.kind}, hostNetwork` : obj.kind,
      group: namespace,
      kind: 'workload',
      identity: hostNetwork ? { kind: 'addresses', addresses: nodeAddresses } : { kind: 'pod', namespace, labels, namespaceLabels: namespaces.get(namespace) ?? namespaceLabels(namespace) },
      ports,
      policed: !hostNetwork,
      listens: ports.length ? portsOf(ports) : undefined,
      workload: { kind: obj.kind, name: obj.metadata.name, namespace, objectId: objectId(obj), hostNetwork, labels, annotations: t.metadata?.annotations ?? {} },
    });
  }
  workloads.sort((a, b) => cmp(a.id, b.id));

  const policies = env.objects
    .filter(({ obj }) => obj.kind === 'NetworkPolicy')
    .map(({ obj }) => parsePolicy(obj))
    .sort((a, b) => cmp(a.id, b.id));

  const system: Endpoint[] = [
    ...SYSTEM_PODS.map((c) => systemPodEndpoint(c, env)),
    {
      id: 'control-plane/apiserver',
      label: 'kube-apiserver',
      detail: API_SERVER.label,
      group: 'control-plane',
      kind: 'system',
      identity: { kind: 'addresses', addresses: nodeAddresses },
      ports: API_SERVER.ports,
      policed: false,
      listens: portsOf(API_SERVER.ports),
      systemKey: API_SERVER.key,
    },
  ];

  // System pods are shown under the selector the policies name them by (e.g. `k8s-app=kube-dns`).
  const namedBy = new Map<string, Set<string>>();
  for (const policy of policies) {
    for (const rule of [...policy.ingress, ...policy.egress]) {
      for (const peer of rule.peers) {
        if (peer.ipBlock || !peer.namespaceSelector || isEmptySelector(peer.namespaceSelector)) continue;
        for (const s of system) {
          if (s.identity.kind === 'pod' && peerMatches(peer, policy.namespace, s)) namedBy.set(s.id, (namedBy.get(s.id) ?? new Set()).add(formatLabelSelector(peer.podSelector ?? {})));
        }
      }
    }
  }
  system.forEach((s, i) => {
    const selectors = [...(namedBy.get(s.id) ?? [])].sort();
    if (selectors.length) system[i] = { ...s, label: selectors.map((x) => (x === '*' ? 'any pod' : x)).join(' | ') };
  });

  // Peers naming pods in namespaces the render does not hold, which no system component answers to.
  const externals = new Map<string, { ep: Endpoint; listens: PortSet }>();
  const warnings: string[] = [];
  for (const policy of policies) {
    const selected = workloads.filter((w) => selects(policy, w));
    if (selected.length === 0) warnings.push(`${policy.id} selects no workload (podSelector ${formatLabelSelector(policy.podSelector)})`);
    for (const direction of ['ingress', 'egress'] as const) {
      for (const rule of policy[direction]) {
        rule.peers.forEach((peer, pi) => {
          if (peer.ipBlock) return;
          const where = `${policy.id} spec.${direction}[${rule.index}].${direction === 'ingress' ? 'from' : 'to'}[${pi}]`;
          const nsSel = peer.namespaceSelector;
          const renderedNs = nsSel ? [...namespaces].filter(([, l]) => matchesLabelSelector(nsSel, l)).map(([n]) => n) : [policy.namespace];
          const matchesSomething = [...workloads, ...system].some((ep) => peerMatches(peer, policy.namespace, ep));
          if (matchesSomething) return;
          const pinned = pinnedNamespaceNames(nsSel);
          if (nsSel && !isEmptySelector(nsSel) && renderedNs.length === 0) {
            // A namespace the render does not hold: an external node named after the selector.
            const ns = pinned?.[0] ?? `ns(${formatLabelSelector(nsSel)})`;
            const podLabels: Record<string, string> = { ...(peer.podSelector?.matchLabels ?? {}) };
            for (const req of peer.podSelector?.matchExpressions ?? []) if (req.operator === 'In' && req.values?.length === 1) podLabels[req.key] = req.values[0];
            const id = `${ns}/${formatLabelSelector(peer.podSelector ?? {})}`;
            const rulePortsHere = PortSet.union(rule.ports.filter((p) => typeof p.port !== 'string').map((p) => entryPorts(p, [])));
            const prev = externals.get(id);
            const listens = (prev?.listens ?? PortSet.empty()).union(rule.ports.length ? rulePortsHere : PortSet.all());
            externals.set(id, {
              listens,
              ep: {
                id,
                label: formatLabelSelector(peer.podSelector ?? {}),
                detail: `pods in ${ns} (not rendered)`,
                group: ns,
                kind: 'external',
                identity: { kind: 'pod', namespace: ns, labels: podLabels, namespaceLabels: { ...(nsSel.matchLabels ?? {}), ...namespaceLabels(ns) } },
                ports: [],
                policed: false,
              },
            });
          } else if (!nsSel || (pinned !== undefined && pinned.every((n) => namespaces.has(n)))) {
            // Confined to rendered namespaces, yet matching no rendered pod: a selector that names nothing.
            warnings.push(`${where} selects no pod (namespaces ${renderedNs.join(', ')}; podSelector ${formatLabelSelector(peer.podSelector ?? {})})`);
          }
        });
      }
    }
  }
  const externalEps = [...externals.values()].map(({ ep, listens }) => ({ ...ep, listens })).sort((a, b) => cmp(a.id, b.id));
  return { env: env.name, namespaces, workloads, system, externals: externalEps, policies, vpcCidr, warnings: [...new Set(warnings)].sort() };
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Semantics

/** Whether the policy applies to the endpoint (selects it). */
export function selects(policy: Policy, ep: Endpoint): boolean {
  return ep.policed && ep.identity.kind === 'pod' && ep.identity.namespace === policy.namespace && matchesLabelSelector(policy.podSelector, ep.identity.labels);
}

/** Whether one peer of a rule of a policy in `policyNamespace` names the endpoint. */
export function peerMatches(peer: PolicyPeer, policyNamespace: string, ep: Endpoint): boolean {
  if (peer.ipBlock) return ep.identity.kind === 'addresses' && containsAll(ipBlockAddresses(peer.ipBlock), ep.identity.addresses);
  if (ep.identity.kind !== 'pod') return false;
  if (!peer.podSelector && !peer.namespaceSelector) return false; // an empty peer object is invalid
  const nsOk = peer.namespaceSelector ? matchesLabelSelector(peer.namespaceSelector, ep.identity.namespaceLabels) : ep.identity.namespace === policyNamespace;
  return nsOk && (peer.podSelector ? matchesLabelSelector(peer.podSelector, ep.identity.labels) : true);
}

/** Whether a rule admits the endpoint as peer (no peers = everyone). */
export function ruleMatches(rule: PolicyRule, policyNamespace: string, ep: Endpoint): boolean {
  return rule.peers.length === 0 || rule.peers.some((p) => peerMatches(p, policyNamespace, ep));
}

function entryPorts(entry: PolicyPortEntry, dstPorts: readonly ContainerPort[]): PortSet {
  const protocol = protocolOf(entry.protocol);
  if (entry.port === undefined || entry.port === null) return PortSet.allOf(protocol);
  if (typeof entry.port === 'number' || /^\d+$/.test(entry.port)) {
    const p = Number(entry.port);
    return PortSet.range(protocol, p, entry.endPort ?? p);
  }
  // Named port: the destination's container port of that name and protocol.
  return PortSet.union(dstPorts.filter((c) => c.name === entry.port && c.protocol === protocol).map((c) => PortSet.range(protocol, c.port)));
}

/** The ports a rule admits towards `dst` (named ports resolved against dst's container ports). */
export function rulePorts(rule: PolicyRule, dst: Endpoint | readonly ContainerPort[]): PortSet {
  if (rule.ports.length === 0) return PortSet.all();
  const dstPorts = Array.isArray(dst) ? (dst as readonly ContainerPort[]) : (dst as Endpoint).ports;
  return PortSet.union(rule.ports.map((e) => entryPorts(e, dstPorts)));
}

/** The destination's side: what its ingress admits from `from`. */
export function ingressSide(model: TrafficModel, from: Endpoint, to: Endpoint): SideVerdict {
  if (!to.policed) return { enforced: false, isolated: false, policies: [], allowed: to.listens ?? PortSet.all(), rules: [] };
  const policies = model.policies.filter((p) => p.types.ingress && selects(p, to));
  if (policies.length === 0) return { enforced: true, isolated: false, policies, allowed: to.listens ?? PortSet.all(), rules: [] };
  const rules: RuleRef[] = [];
  for (const policy of policies) {
    for (const rule of policy.ingress) {
      if (!ruleMatches(rule, policy.namespace, from)) continue;
      const ports = rulePorts(rule, to);
      if (!ports.isEmpty()) rules.push({ policy, direction: 'ingress', index: rule.index, ports });
    }
  }
  return { enforced: true, isolated: true, policies, allowed: PortSet.union(rules.map((r) => r.ports)), rules };
}

/** The source's side: what its egress admits towards `to`. */
export function egressSide(model: TrafficModel, from: Endpoint, to: Endpoint): SideVerdict {
  if (!from.policed) return { enforced: false, isolated: false, policies: [], allowed: PortSet.all(), rules: [] };
  const policies = model.policies.filter((p) => p.types.egress && selects(p, from));
  if (policies.length === 0) return { enforced: true, isolated: false, policies, allowed: PortSet.all(), rules: [] };
  const rules: RuleRef[] = [];
  for (const policy of policies) {
    for (const rule of policy.egress) {
      if (!ruleMatches(rule, policy.namespace, to)) continue;
      const ports = rulePorts(rule, to);
      if (!ports.isEmpty()) rules.push({ policy, direction: 'egress', index: rule.index, ports });
    }
  }
  return { enforced: true, isolated: true, policies, allowed: PortSet.union(rules.map((r) => r.ports)), rules };
}

/** Whether (and on which ports) `from` may open connections to `to`. */
export function flow(model: TrafficModel, from: Endpoint, to: Endpoint): FlowVerdict {
  const ingress = ingressSide(model, from, to);
  const egress = egressSide(model, from, to);
  return { from, to, ports: ingress.allowed.intersect(egress.allowed), ingress, egress };
}

/** The rules that admit some of the allowed ports (the evidence for a flow). */
export function admittingRules(v: FlowVerdict): RuleRef[] {
  return [...v.egress.rules, ...v.ingress.rules].filter((r) => !r.ports.intersect(v.ports).isEmpty());
}

/**
 * A plain-words account of both sides of a flow for the ports of interest (`focus`, default: the allowed ports):
 * which rules admit them, or which policies admit nothing, or why a side is open.
 */
export function describeSides(v: FlowVerdict, focus: PortSet = v.ports): string {
  const side = (s: SideVerdict, who: Endpoint, peer: Endpoint, dir: Direction): string => {
    if (!s.enforced) return `${dir}: ${who.id} is not subject to the rendered policies${who.workload?.hostNetwork ? ' (hostNetwork)' : ''}`;
    if (!s.isolated) return `${dir}: ${who.id} is not isolated (no policy with policyTypes ${dir === 'ingress' ? 'Ingress' : 'Egress'} selects it)`;
    const rules = s.rules.filter((r) => !r.ports.intersect(focus).isEmpty());
    const gap = focus.subtract(s.allowed);
    if (rules.length === 0) return `${dir}: no rule of ${s.policies.map((p) => p.id).join(', ')} admits ${peer.id} on ${focus.format()}`;
    return `${dir}: admitted by ${rules.map(formatRuleRef).join(', ')}${gap.isEmpty() ? '' : ` (not on ${gap.format()})`}`;
  };
  return `${side(v.egress, v.from, v.to, 'egress')}; ${side(v.ingress, v.to, v.from, 'ingress')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Outside addresses

/** An outside node: one ipBlock as written (`cidr except …`), or `anywhere` for rules with no peers. */
export function outsideEndpoint(model: TrafficModel, block: { cidr: string; except?: readonly string[] } | 'anywhere'): Endpoint {
  if (block === 'anywhere') {
    return { id: 'outside/anywhere', label: 'anywhere', detail: 'any address (rule without peers)', group: 'outside', kind: 'outside', identity: { kind: 'addresses', addresses: addressSet(['0.0.0.0/0']) }, ports: [], policed: false };
  }
  const name = formatIpBlock(block);
  const known = block.except?.length ? undefined : KNOWN_ADDRESSES[block.cidr];
  const detail = known ?? (model.vpcCidr && block.cidr === model.vpcCidr && !block.except?.length ? 'VPC (nodes, kubelet)' : block.cidr === '0.0.0.0/0' ? 'Internet (VPC excluded)' : 'address block');
  return { id: `outside/${name}`, label: name, detail, group: 'outside', kind: 'outside', identity: { kind: 'addresses', addresses: ipBlockAddresses(block) }, ports: [], policed: false };
}

/**
 * What `from` may send to outside addresses: to one address (`probe`, e.g. `198.51.100.25`), or to any outside
 * address at all (`probe` undefined: the union over every ipBlock / peerless egress rule).
 */
export function egressToOutside(model: TrafficModel, from: Endpoint, probe?: string): { ports: PortSet; rules: RuleRef[]; isolated: boolean } {
  if (!from.policed) return { ports: PortSet.all(), rules: [], isolated: false };
  const policies = model.policies.filter((p) => p.types.egress && selects(p, from));
  if (policies.length === 0) return { ports: PortSet.all(), rules: [], isolated: false };
  const target = probe ? addressSet([probe]) : undefined;
  const rules: RuleRef[] = [];
  for (const policy of policies) {
    for (const rule of policy.egress) {
      const hit = rule.peers.length === 0 || rule.peers.some((p) => p.ipBlock && (target ? containsAll(ipBlockAddresses(p.ipBlock), target) : ipBlockAddresses(p.ipBlock).length > 0));
      if (!hit) continue;
      const ports = rulePorts(rule, []);
      if (!ports.isEmpty()) rules.push({ policy, direction: 'egress', index: rule.index, ports });
    }
  }
  return { ports: PortSet.union(rules.map((r) => r.ports)), rules, isolated: true };
}

/** What outside addresses (`probe`, or any) may send to `to` (its ingress side; outside has no egress policy here). */
export function ingressFromOutside(model: TrafficModel, to: Endpoint, probe?: string): { ports: PortSet; rules: RuleRef[]; isolated: boolean } {
  if (!to.policed) return { ports: to.listens ?? PortSet.all(), rules: [], isolated: false };
  const policies = model.policies.filter((p) => p.types.ingress && selects(p, to));
  if (policies.length === 0) return { ports: to.listens ?? PortSet.all(), rules: [], isolated: false };
  const source = probe ? addressSet([probe]) : undefined;
  const rules: RuleRef[] = [];
  for (const policy of policies) {
    for (const rule of policy.ingress) {
      const hit = rule.peers.length === 0 || rule.peers.some((p) => p.ipBlock && (source ? containsAll(ipBlockAddresses(p.ipBlock), source) : ipBlockAddresses(p.ipBlock).length > 0));
      if (!hit) continue;
      const ports = rulePorts(rule, to);
      if (!ports.isEmpty()) rules.push({ policy, direction: 'ingress', index: rule.index, ports });
    }
  }
  return { ports: PortSet.union(rules.map((r) => r.ports)), rules, isolated: true };
}
