/**
 * What the cluster runs besides the rendered YAML: namespaces every cluster has, and the pods, namespaces and
 * service accounts of the Helm charts and EKS add-ons the CloudFormation templates install. The rendered YAML may
 * point at them (a NetworkPolicy admitting the NGINX controller, egress to CoreDNS, a Pod Identity association for
 * the EBS CSI controller); the checks accept such references only when the templates install the component and
 * the referenced labels/names are the ones that component uses, as listed here with the reason for each.
 */
import type { RenderedEnvironment } from '../../types';
import { eksAddons, helmCharts, kubernetesManifests, resourceId, type HelmChart } from '../../cfn';
import type { Labels } from './kube';

/** Namespaces that exist in every Kubernetes cluster (the API server creates them). */
export const BUILT_IN_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Priority classes every cluster has (the API server creates them). */
export const BUILT_IN_PRIORITY_CLASSES: readonly string[] = ['system-node-critical', 'system-cluster-critical'];

/** Pods a component runs, by the labels its pods carry. */
export interface ExternalPods {
  readonly namespace: string;
  readonly labels: Labels;
  /** `chart <release> (<stack>/<logicalId>)` or `add-on <name> (...)`. */
  readonly source: string;
}

function chartName(c: HelmChart, fallback: string): string {
  return typeof c.values?.nameOverride === 'string' && c.values.nameOverride ? c.values.nameOverride : fallback;
}

/**
 * The pod labels of the charts we know, from each chart's `selectorLabels` helper (the labels every pod of the
 * chart carries, whatever the values, unless the values override them):
 * - `nginx-ingress` (NGINX Inc., helm.nginx.com): `app.kubernetes.io/name` = nameOverride or `nginx-ingress`,
 *   `app.kubernetes.io/instance` = release; `controller.selectorLabels` replaces both.
 * - `ingress-nginx` (kubernetes.github.io/ingress-nginx): name `ingress-nginx`, instance = release, component `controller`.
 * - `aws-load-balancer-controller`, `external-secrets`, `metrics-server`, `external-dns`: name = chart name, instance = release.
 * - `cert-manager`: controller name `cert-manager`, component `controller` (plus `cainjector` and `webhook`).
 * - `cluster-autoscaler`: name `<cloudProvider>-cluster-autoscaler`, instance = release.
 */
const CHART_PODS: Record<string, (c: HelmChart) => Labels[]> = {
  'nginx-ingress': (c) => [c.values?.controller?.selectorLabels ?? { 'app.kubernetes.io/name': chartName(c, 'nginx-ingress'), 'app.kubernetes.io/instance': c.release }],
  'ingress-nginx': (c) => [{ 'app.kubernetes.io/name': chartName(c, 'ingress-nginx'), 'app.kubernetes.io/instance': c.release, 'app.kubernetes.io/component': 'controller' }],
  'aws-load-balancer-controller': (c) => [{ 'app.kubernetes.io/name': chartName(c, 'aws-load-balancer-controller'), 'app.kubernetes.io/instance': c.release }],
  'external-secrets': (c) => [
    { 'app.kubernetes.io/name': chartName(c, 'external-secrets'), 'app.kubernetes.io/instance': c.release },
    { 'app.kubernetes.io/name': `${chartName(c, 'external-secrets')}-webhook`, 'app.kubernetes.io/instance': c.release },
    { 'app.kubernetes.io/name': `${chartName(c, 'external-secrets')}-cert-controller`, 'app.kubernetes.io/instance': c.release },
  ],
  'metrics-server': (c) => [{ 'app.kubernetes.io/name': chartName(c, 'metrics-server'), 'app.kubernetes.io/instance': c.release }],
  'external-dns': (c) => [{ 'app.kubernetes.io/name': chartName(c, 'external-dns'), 'app.kubernetes.io/instance': c.release }],
  'cert-manager': (c) => [
    { 'app.kubernetes.io/name': 'cert-manager', 'app.kubernetes.io/instance': c.release, 'app.kubernetes.io/component': 'controller' },
    { 'app.kubernetes.io/name': 'cainjector', 'app.kubernetes.io/instance': c.release, 'app.kubernetes.io/component': 'cainjector' },
    { 'app.kubernetes.io/name': 'webhook', 'app.kubernetes.io/instance': c.release, 'app.kubernetes.io/component': 'webhook' },
  ],
  'cluster-autoscaler': (c) => [{ 'app.kubernetes.io/name': chartName(c, `${c.values?.cloudProvider ?? 'aws'}-cluster-autoscaler`), 'app.kubernetes.io/instance': c.release }],
};

/**
 * The pods and service accounts of the EKS add-ons we know (all in `kube-system`), as EKS ships them:
 * - `coredns`: pods `k8s-app=kube-dns` and `eks.amazonaws.com/component=coredns` (the label the DNS NetworkPolicies
 *   admit), service account `coredns`;
 * - `vpc-cni`: the `aws-node` DaemonSet (`k8s-app=aws-node`), service account `aws-node`;
 * - `kube-proxy`: `k8s-app=kube-proxy`, service account `kube-proxy`;
 * - `aws-ebs-csi-driver`: controller `app=ebs-csi-controller` under `ebs-csi-controller-sa` (the one that calls the
 *   EC2 and KMS APIs), node `app=ebs-csi-node` under `ebs-csi-node-sa`;
 * - `aws-efs-csi-driver`: `efs-csi-controller-sa`, `efs-csi-node-sa`.
 */
export const ADDONS: Record<string, { readonly pods: readonly Labels[]; readonly serviceAccounts: readonly string[] }> = {
  coredns: { pods: [{ 'k8s-app': 'kube-dns', 'eks.amazonaws.com/component': 'coredns' }], serviceAccounts: ['coredns'] },
  'vpc-cni': { pods: [{ 'k8s-app': 'aws-node', 'app.kubernetes.io/name': 'aws-node' }], serviceAccounts: ['aws-node'] },
  'kube-proxy': { pods: [{ 'k8s-app': 'kube-proxy' }], serviceAccounts: ['kube-proxy'] },
  'aws-ebs-csi-driver': {
    pods: [
      { app: 'ebs-csi-controller', 'app.kubernetes.io/name': 'aws-ebs-csi-driver' },
      { app: 'ebs-csi-node', 'app.kubernetes.io/name': 'aws-ebs-csi-driver' },
    ],
    serviceAccounts: ['ebs-csi-controller-sa', 'ebs-csi-node-sa'],
  },
  'aws-efs-csi-driver': { pods: [], serviceAccounts: ['efs-csi-controller-sa', 'efs-csi-node-sa'] },
};

/** Namespaces that exist without a rendered Namespace object: built in, or created by a chart/manifest of the templates. */
export function externalNamespaces(env: RenderedEnvironment): Map<string, { labels: Labels; source: string }> {
  const out = new Map<string, { labels: Labels; source: string }>();
  for (const n of BUILT_IN_NAMESPACES) out.set(n, { labels: { 'kubernetes.io/metadata.name': n }, source: 'built into every cluster' });
  for (const c of helmCharts(env)) {
    if (!out.has(c.namespace)) out.set(c.namespace, { labels: { 'kubernetes.io/metadata.name': c.namespace }, source: `namespace of chart ${c.release} (${resourceId(c)})` });
  }
  for (const m of kubernetesManifests(env)) {
    for (const o of m.objects) {
      if (o.kind === 'Namespace') out.set(o.metadata.name, { labels: { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name }, source: `manifest ${resourceId(m)}` });
    }
  }
  return out;
}

/** Pods the charts and add-ons of the templates run (only those listed in the tables above). */
export function externalPods(env: RenderedEnvironment): ExternalPods[] {
  const out: ExternalPods[] = [];
  for (const c of helmCharts(env)) {
    for (const labels of CHART_PODS[c.chart]?.(c) ?? []) out.push({ namespace: c.namespace, labels, source: `chart ${c.release} (${resourceId(c)})` });
  }
  for (const a of eksAddons(env)) {
    for (const labels of ADDONS[a.name]?.pods ?? []) out.push({ namespace: 'kube-system', labels, source: `add-on ${a.name} (${resourceId(a)})` });
  }
  return out;
}

/** A service account that a chart or an add-on of the templates creates (or runs its pods under). */
export interface ExternalServiceAccount {
  readonly namespace: string;
  readonly name: string;
  readonly source: string;
  /** The chart, when it comes from one. */
  readonly chart?: HelmChart;
}

/**
 * Service accounts of charts (every `serviceAccount.name` in the values, at any depth: `serviceAccount`,
 * `rbac.serviceAccount`, `controller.serviceAccount`, `webhook.serviceAccount`... in the chart's namespace) and of
 * the add-ons in {@link ADDONS}. Charts whose values do not name their service account are not listed (their default
 * name is the chart's business).
 */
export function externalServiceAccounts(env: RenderedEnvironment): ExternalServiceAccount[] {
  const out: ExternalServiceAccount[] = [];
  for (const c of helmCharts(env)) {
    const walk = (v: any) => {
      if (!v || typeof v !== 'object') return;
      for (const [k, x] of Object.entries<any>(v)) {
        if (k === 'serviceAccount' && x && typeof x === 'object' && typeof x.name === 'string') out.push({ namespace: c.namespace, name: x.name, source: `chart ${c.release} (${resourceId(c)})`, chart: c });
        walk(x);
      }
    };
    walk(c.values);
  }
  for (const a of eksAddons(env)) {
    for (const name of ADDONS[a.name]?.serviceAccounts ?? []) out.push({ namespace: 'kube-system', name, source: `add-on ${a.name} (${resourceId(a)})` });
  }
  return out;
}

/**
 * The service account a chart's main workload runs under, as its values name it (`serviceAccount.name`,
 * `rbac.serviceAccount.name` for cluster-autoscaler, `controller.serviceAccount.name` for NGINX); undefined when the
 * values do not say.
 */
export function chartServiceAccount(c: HelmChart): string | undefined {
  const v = c.values ?? {};
  for (const sa of [v.serviceAccount, v.rbac?.serviceAccount, v.controller?.serviceAccount]) if (sa && typeof sa.name === 'string') return sa.name;
  return undefined;
}
