/**
 * Pinned versions of everything CDK installs into the cluster: EKS managed add-ons (per control-plane minor) and
 * Helm charts. Changing a version here is the whole upgrade: the diff shows up in the rendered templates.
 * Sources and dates are in docs/versions.md.
 */

/** A Helm chart CDK installs through the kubectl provider (helm upgrade --install). */
export interface HelmChartVersion {
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
  /** The application version the chart ships (informational; images are pinned by the chart version). */
  readonly appVersion: string;
}

export const HELM_CHARTS = {
  awsLoadBalancerController: { repository: 'https://aws.github.io/eks-charts', chart: 'aws-load-balancer-controller', version: '3.6.0', appVersion: 'v3.6.0' },
  // F5 NGINX Ingress Controller (nginx/kubernetes-ingress), not the retired community ingress-nginx.
  nginxIngress: { repository: 'https://helm.nginx.com/stable', chart: 'nginx-ingress', version: '2.7.1', appVersion: '5.6.1' },
  certManager: { repository: 'https://charts.jetstack.io', chart: 'cert-manager', version: 'v1.21.2', appVersion: 'v1.21.2' },
  externalSecrets: { repository: 'https://charts.external-secrets.io', chart: 'external-secrets', version: '2.10.0', appVersion: 'v2.10.0' },
  clusterAutoscaler: { repository: 'https://kubernetes.github.io/autoscaler', chart: 'cluster-autoscaler', version: '9.59.0', appVersion: '1.35.0' },
  externalDns: { repository: 'https://kubernetes-sigs.github.io/external-dns/', chart: 'external-dns', version: '1.21.1', appVersion: 'v0.21.0' },
  metricsServer: { repository: 'https://kubernetes-sigs.github.io/metrics-server/', chart: 'metrics-server', version: '3.14.0', appVersion: '0.9.0' },
} as const satisfies Record<string, HelmChartVersion>;

export type HelmChartKey = keyof typeof HELM_CHARTS;

/** EKS managed add-ons the cluster runs, by name. */
export const MANAGED_ADDONS = ['vpc-cni', 'coredns', 'kube-proxy', 'aws-ebs-csi-driver', 'eks-pod-identity-agent'] as const;
export type ManagedAddonName = (typeof MANAGED_ADDONS)[number];

/**
 * Managed add-on versions per control-plane minor (`aws eks describe-addon-versions --kubernetes-version X`).
 * kube-proxy must match the control-plane minor; the others are compatible across several.
 */
export const MANAGED_ADDON_VERSIONS: Readonly<Record<string, Readonly<Record<ManagedAddonName, string>>>> = {
  '1.28': {
    'vpc-cni': 'v1.19.2-eksbuild.1',
    coredns: 'v1.10.1-eksbuild.18',
    'kube-proxy': 'v1.28.15-eksbuild.4',
    'aws-ebs-csi-driver': 'v1.38.1-eksbuild.2',
    'eks-pod-identity-agent': 'v1.3.4-eksbuild.1',
  },
  '1.35': {
    'vpc-cni': 'v1.22.4-eksbuild.3',
    coredns: 'v1.14.3-eksbuild.3',
    'kube-proxy': 'v1.35.3-eksbuild.13',
    'aws-ebs-csi-driver': 'v1.66.0-eksbuild.1',
    'eks-pod-identity-agent': 'v1.3.10-eksbuild.3',
  },
  '1.36': {
    'vpc-cni': 'v1.22.3-eksbuild.1',
    coredns: 'v1.14.3-eksbuild.3',
    'kube-proxy': 'v1.36.0-eksbuild.14',
    'aws-ebs-csi-driver': 'v1.63.1-eksbuild.1',
    'eks-pod-identity-agent': 'v1.3.10-eksbuild.3',
  },
};
