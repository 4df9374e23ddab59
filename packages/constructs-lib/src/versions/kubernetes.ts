/**
 * EKS control-plane versions the platform can create, each paired with the kubectl/helm Lambda layer the
 * CDK kubectl provider must use for it (a layer's kubectl must be within one minor of the server).
 * A version missing here is rejected by the config schema. Pure data: the layer constructs themselves are in
 * aws/cluster/kubectl-layer.ts (KUBECTL_LAYERS, by package name).
 */
export interface KubernetesVersionSpec {
  /** npm package (pinned in constructs-lib/package.json) that provides the layer. */
  readonly kubectlLayerPackage: string;
  /** EKS support calendar (ISO dates): standard support ends, then extended support (6x control-plane price) ends. */
  readonly standardSupportEnds: string;
  readonly extendedSupportEnds: string;
  /** Cluster-autoscaler minor must match the control plane minor. */
  readonly clusterAutoscalerImageTag: string;
  /** kubectl release CI installs for this control plane (dl.k8s.io, checked against its published sha256). */
  readonly kubectlClientVersion: string;
}

export const KUBERNETES_VERSIONS: Readonly<Record<string, KubernetesVersionSpec>> = {
  // Kept selectable (design card) although EKS stopped creating 1.28 clusters when extended support ended.
  '1.28': {
    kubectlLayerPackage: '@aws-cdk/lambda-layer-kubectl-v28',
    standardSupportEnds: '2024-11-26',
    extendedSupportEnds: '2025-11-26',
    clusterAutoscalerImageTag: 'v1.28.7',
    kubectlClientVersion: 'v1.28.15',
  },
  '1.35': {
    kubectlLayerPackage: '@aws-cdk/lambda-layer-kubectl-v35',
    standardSupportEnds: '2027-03-27',
    extendedSupportEnds: '2028-03-27',
    clusterAutoscalerImageTag: 'v1.35.0',
    kubectlClientVersion: 'v1.35.0',
  },
  '1.36': {
    kubectlLayerPackage: '@aws-cdk/lambda-layer-kubectl-v36',
    standardSupportEnds: '2027-08-02',
    extendedSupportEnds: '2028-08-02',
    clusterAutoscalerImageTag: 'v1.36.0',
    kubectlClientVersion: 'v1.36.0',
  },
};

/** The version every environment uses unless it says otherwise: in EKS standard support on the table's date. */
export const DEFAULT_KUBERNETES_VERSION = '1.35';

/** The date the support calendar above was last checked; tests assert the default is in standard support on it. */
export const SUPPORT_CALENDAR_CHECKED = '2026-11-25';

/** The minor of a `1.<minor>` Kubernetes version (`1.35` → 35), undefined for anything else. */
export function kubernetesMinor(version: string): number | undefined {
  const m = /^1\.(\d+)$/.exec(version);
  return m ? Number(m[1]) : undefined;
}
