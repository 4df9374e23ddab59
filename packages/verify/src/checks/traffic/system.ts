/**
 * Components the NetworkPolicies talk to that the Kubernetes render does not hold: what they are, where they run, what
 * they listen on. Static data, committed; the ingress controller's namespace is read from the cluster template (the
 * Helm chart CDK installs) when the render has it, so a namespace change there is seen by the policies' check.
 */
import type { Labels } from '@optibid/rendered';
import type { Protocol } from './ports';

export interface SystemPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: Protocol;
}

/** A component running as pods in a namespace the render does not hold. */
export interface SystemPodComponent {
  readonly key: 'kube-dns' | 'ingress-controller';
  readonly label: string;
  readonly namespace: string;
  /** Labels of its pods (what a podSelector naming it matches). */
  readonly podLabels: Labels;
  /** What it listens on; connections to other ports go nowhere. */
  readonly ports: readonly SystemPort[];
  /** Helm chart (Custom::AWSCDK-EKS-HelmChart `Chart`) whose `Namespace`/`Release` override the defaults. */
  readonly helmChart?: string;
}

export const SYSTEM_PODS: readonly SystemPodComponent[] = [
  {
    key: 'kube-dns',
    label: 'CoreDNS (kube-dns)',
    namespace: 'kube-system',
    // The EKS coredns add-on labels its pods k8s-app=kube-dns (the upstream kube-dns convention).
    podLabels: { 'k8s-app': 'kube-dns', 'eks.amazonaws.com/component': 'coredns' },
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'metrics', port: 9153, protocol: 'TCP' },
    ],
  },
  {
    key: 'ingress-controller',
    label: 'NGINX ingress controller',
    namespace: 'nginx-ingress',
    // F5 NGINX Ingress Controller chart: selector labels app.kubernetes.io/name=<chart name>, instance=<release>.
    podLabels: { 'app.kubernetes.io/name': 'nginx-ingress', 'app.kubernetes.io/instance': 'nginx-ingress' },
    ports: [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'https', port: 443, protocol: 'TCP' },
    ],
    helmChart: 'nginx-ingress',
  },
];

/**
 * The EKS API server: reached on 443/TCP through the cluster's private endpoint ENIs, which sit in the cluster's
 * subnets (inside the VPC CIDR). An egress peer reaches it when it admits every address of the VPC CIDR (an ipBlock
 * covering it with no except inside it) or names no peer at all. (The public endpoint is narrowed by
 * PublicAccessCidrs and is not a pod's path.)
 */
export const API_SERVER = { key: 'apiserver', label: 'Kubernetes API server (EKS)', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] as const satisfies readonly SystemPort[] };

/** Well-known addresses, for readable outside nodes. */
export const KNOWN_ADDRESSES: Readonly<Record<string, string>> = {
  '169.254.170.23/32': 'EKS Pod Identity Agent',
  '169.254.169.254/32': 'EC2 instance metadata (IMDS)',
  '0.0.0.0/0': 'Internet',
};
