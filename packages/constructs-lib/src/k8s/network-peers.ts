import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

/**
 * Who may talk to whom, in the terms the naming module uses: a namespace, optionally narrowed to the pods of one
 * service (pods carry `app.kubernetes.io/name: <service>`), on named TCP ports.
 */
export interface PeerRule {
  readonly namespace: string;
  /** The service whose pods are the peer; all pods of the namespace when omitted. */
  readonly service?: string;
  readonly ports: readonly number[];
}

/** An address range outside the cluster (e.g. the internet on 443), with ranges carved out. */
export interface CidrRule {
  readonly cidr: string;
  readonly except?: readonly string[];
  readonly ports: readonly number[];
}

export function peer(rule: PeerRule, sameNamespace: string): k8s.NetworkPolicyPeer {
  const podSelector = rule.service ? { matchLabels: { 'app.kubernetes.io/name': rule.service } } : undefined;
  if (rule.namespace === sameNamespace && podSelector) return { podSelector };
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': rule.namespace } },
    ...(podSelector ? { podSelector } : {}),
  };
}

export function tcpPorts(ports: readonly number[]): k8s.NetworkPolicyPort[] {
  return ports.map((p) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(p) }));
}

/**
 * The NetworkPolicy idioms of the platform, one place: who a workload admits (ingressFrom, metricsFrom) and where it
 * may go (egressTo, apiServerEgress, podIdentityAgentEgress), and the policy objects themselves (networkPolicy:
 * `<name>-ingress` / `<name>-egress`, one direction each, so a reviewer reads who may call a workload and whom it calls).
 */

/** Pods of a workload (`app.kubernetes.io/name`), in the policy's namespace. */
export function podsNamed(name: string): k8s.NetworkPolicyPeer {
  return { podSelector: { matchLabels: { 'app.kubernetes.io/name': name } } };
}

/** Every pod of a namespace. */
export function namespaceNamed(namespace: string): k8s.NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } };
}

/** Pods of a workload in another namespace. */
export function podsIn(namespace: string, name: string): k8s.NetworkPolicyPeer {
  return { ...namespaceNamed(namespace), ...podsNamed(name) };
}

type Ports = readonly number[] | readonly k8s.NetworkPolicyPort[];
const portsOf = (ports: Ports): k8s.NetworkPolicyPort[] => (ports.length > 0 && typeof ports[0] === 'number' ? tcpPorts(ports as readonly number[]) : [...(ports as readonly k8s.NetworkPolicyPort[])]);

/** An ingress rule: these peers, on these ports (numbers: TCP). */
export function ingressFrom(peers: readonly k8s.NetworkPolicyPeer[], ports: Ports): k8s.NetworkPolicyIngressRule {
  return { from: [...peers], ports: portsOf(ports) };
}

/** An egress rule: to these peers (none: any destination), on these ports (numbers: TCP). */
export function egressTo(peers: readonly k8s.NetworkPolicyPeer[], ports: Ports): k8s.NetworkPolicyEgressRule {
  return peers.length > 0 ? { to: [...peers], ports: portsOf(ports) } : { ports: portsOf(ports) };
}

/** Scraping: the monitoring namespace on the metrics port. */
export function metricsFrom(monitoringNamespace: string, port: number): k8s.NetworkPolicyIngressRule {
  return ingressFrom([namespaceNamed(monitoringNamespace)], [port]);
}

/**
 * HTTPS to any destination: the Kubernetes API server (control-plane ENIs in the VPC, outside the pod network, so no
 * selector can name it), and with it S3's gateway endpoint and STS where a workload needs them.
 */
export function apiServerEgress(): k8s.NetworkPolicyEgressRule {
  return egressTo([], [443]);
}

/** The EKS Pod Identity agent (link-local, on every node): pods with a Pod Identity association need it. */
export function podIdentityAgentEgress(): k8s.NetworkPolicyEgressRule {
  return egressTo([{ ipBlock: { cidr: '169.254.170.23/32' } }], [80]);
}

/** The one-direction policy `<name>-<direction>` of the pods `selector` selects. */
export function networkPolicy(
  scope: Construct,
  id: string,
  props: { readonly metadata: k8s.ObjectMeta; readonly selector: Readonly<Record<string, string>> } & ({ readonly ingress: readonly k8s.NetworkPolicyIngressRule[] } | { readonly egress: readonly k8s.NetworkPolicyEgressRule[] }),
): k8s.KubeNetworkPolicy {
  const podSelector = { matchLabels: { ...props.selector } };
  const spec: k8s.NetworkPolicySpec = 'ingress' in props ? { podSelector, policyTypes: ['Ingress'], ingress: [...props.ingress] } : { podSelector, policyTypes: ['Egress'], egress: [...props.egress] };
  return new k8s.KubeNetworkPolicy(scope, id, { metadata: props.metadata, spec });
}
