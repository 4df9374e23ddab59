import { k8s } from 'cdk8s-plus-28';

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
