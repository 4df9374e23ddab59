/**
 * Which API server serves which apiVersion/kind, for the `api-versions` check.
 *
 * Built-in APIs: the Kubernetes minor that first served the group/version for the kind with the API on by default
 * (beta or GA), the minor that deprecated it, and the minor that stopped serving it. Sources: the Kubernetes
 * Deprecated API Migration Guide (kubernetes.io/docs/reference/using-api/deprecation-guide/) and the release notes of
 * each minor. Beta APIs introduced after 1.24 are off by default and are deliberately not listed (their GA version
 * is): an off-by-default beta is not "served" on EKS.
 *
 * Custom resources: the versions served by the CRD providers the cluster template installs (Helm charts, read from
 * the render), by provider release.
 *
 * A kind missing from both tables is an `unknown-api` finding: add it here knowingly, with its source.
 */

/** The API floor of the design: manifests are written against cdk8s-plus-28, so every API must be served by 1.28. */
export const API_FLOOR = '1.28';
export const API_FLOOR_REASON = 'manifests are generated with cdk8s-plus-28 (Kubernetes 1.28 API floor)';

export interface BuiltinApi {
  /** `v1` for the core group, else `<group>/<version>`. */
  readonly groupVersion: string;
  readonly kinds: readonly string[];
  /** First Kubernetes minor serving it by default. */
  readonly introduced: string;
  readonly deprecated?: string;
  /** First Kubernetes minor NOT serving it. */
  readonly removed?: string;
  /** What to use instead (deprecated or removed). */
  readonly replacement?: string;
}

const CORE_V1_KINDS = [
  'Binding',
  'ConfigMap',
  'Event',
  'LimitRange',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Pod',
  'PodTemplate',
  'ReplicationController',
  'ResourceQuota',
  'Secret',
  'Service',
  'ServiceAccount',
];

export const KUBERNETES_APIS: readonly BuiltinApi[] = [
  // core
  { groupVersion: 'v1', kinds: CORE_V1_KINDS, introduced: '1.0' },
  { groupVersion: 'v1', kinds: ['Endpoints'], introduced: '1.0', deprecated: '1.33', replacement: 'discovery.k8s.io/v1 EndpointSlice' },
  { groupVersion: 'v1', kinds: ['ComponentStatus'], introduced: '1.0', deprecated: '1.19', replacement: 'the API server /livez and /readyz endpoints' },
  // apps
  { groupVersion: 'apps/v1', kinds: ['ControllerRevision', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'], introduced: '1.9' },
  { groupVersion: 'apps/v1beta1', kinds: ['ControllerRevision', 'Deployment', 'StatefulSet'], introduced: '1.5', deprecated: '1.9', removed: '1.16', replacement: 'apps/v1' },
  { groupVersion: 'apps/v1beta2', kinds: ['ControllerRevision', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'], introduced: '1.8', deprecated: '1.9', removed: '1.16', replacement: 'apps/v1' },
  // extensions
  { groupVersion: 'extensions/v1beta1', kinds: ['DaemonSet', 'Deployment', 'ReplicaSet'], introduced: '1.2', deprecated: '1.9', removed: '1.16', replacement: 'apps/v1' },
  { groupVersion: 'extensions/v1beta1', kinds: ['NetworkPolicy'], introduced: '1.3', deprecated: '1.9', removed: '1.16', replacement: 'networking.k8s.io/v1 NetworkPolicy' },
  { groupVersion: 'extensions/v1beta1', kinds: ['PodSecurityPolicy'], introduced: '1.3', deprecated: '1.11', removed: '1.16', replacement: 'Pod Security Admission (pod-security.kubernetes.io/* namespace labels)' },
  { groupVersion: 'extensions/v1beta1', kinds: ['Ingress'], introduced: '1.1', deprecated: '1.14', removed: '1.22', replacement: 'networking.k8s.io/v1 Ingress' },
  // networking
  { groupVersion: 'networking.k8s.io/v1', kinds: ['NetworkPolicy'], introduced: '1.7' },
  { groupVersion: 'networking.k8s.io/v1', kinds: ['Ingress', 'IngressClass'], introduced: '1.19' },
  { groupVersion: 'networking.k8s.io/v1', kinds: ['IPAddress', 'ServiceCIDR'], introduced: '1.33' },
  { groupVersion: 'networking.k8s.io/v1beta1', kinds: ['Ingress'], introduced: '1.14', deprecated: '1.19', removed: '1.22', replacement: 'networking.k8s.io/v1 Ingress' },
  { groupVersion: 'networking.k8s.io/v1beta1', kinds: ['IngressClass'], introduced: '1.18', deprecated: '1.19', removed: '1.22', replacement: 'networking.k8s.io/v1 IngressClass' },
  // policy
  { groupVersion: 'policy/v1', kinds: ['PodDisruptionBudget'], introduced: '1.21' },
  { groupVersion: 'policy/v1beta1', kinds: ['PodDisruptionBudget'], introduced: '1.5', deprecated: '1.21', removed: '1.25', replacement: 'policy/v1 PodDisruptionBudget' },
  { groupVersion: 'policy/v1beta1', kinds: ['PodSecurityPolicy'], introduced: '1.10', deprecated: '1.21', removed: '1.25', replacement: 'Pod Security Admission (pod-security.kubernetes.io/* namespace labels); PodSecurityPolicy has no successor API' },
  // batch
  { groupVersion: 'batch/v1', kinds: ['Job'], introduced: '1.2' },
  { groupVersion: 'batch/v1', kinds: ['CronJob'], introduced: '1.21' },
  { groupVersion: 'batch/v1beta1', kinds: ['CronJob'], introduced: '1.8', deprecated: '1.21', removed: '1.25', replacement: 'batch/v1 CronJob' },
  // autoscaling
  { groupVersion: 'autoscaling/v1', kinds: ['HorizontalPodAutoscaler'], introduced: '1.2' },
  { groupVersion: 'autoscaling/v2', kinds: ['HorizontalPodAutoscaler'], introduced: '1.23' },
  { groupVersion: 'autoscaling/v2beta1', kinds: ['HorizontalPodAutoscaler'], introduced: '1.8', deprecated: '1.22', removed: '1.25', replacement: 'autoscaling/v2 HorizontalPodAutoscaler' },
  { groupVersion: 'autoscaling/v2beta2', kinds: ['HorizontalPodAutoscaler'], introduced: '1.12', deprecated: '1.23', removed: '1.26', replacement: 'autoscaling/v2 HorizontalPodAutoscaler' },
  // rbac
  { groupVersion: 'rbac.authorization.k8s.io/v1', kinds: ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], introduced: '1.8' },
  { groupVersion: 'rbac.authorization.k8s.io/v1beta1', kinds: ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], introduced: '1.6', deprecated: '1.17', removed: '1.22', replacement: 'rbac.authorization.k8s.io/v1' },
  // scheduling
  { groupVersion: 'scheduling.k8s.io/v1', kinds: ['PriorityClass'], introduced: '1.14' },
  { groupVersion: 'scheduling.k8s.io/v1beta1', kinds: ['PriorityClass'], introduced: '1.11', deprecated: '1.14', removed: '1.22', replacement: 'scheduling.k8s.io/v1 PriorityClass' },
  // storage
  { groupVersion: 'storage.k8s.io/v1', kinds: ['StorageClass'], introduced: '1.6' },
  { groupVersion: 'storage.k8s.io/v1', kinds: ['VolumeAttachment'], introduced: '1.13' },
  { groupVersion: 'storage.k8s.io/v1', kinds: ['CSINode'], introduced: '1.17' },
  { groupVersion: 'storage.k8s.io/v1', kinds: ['CSIDriver'], introduced: '1.18' },
  { groupVersion: 'storage.k8s.io/v1', kinds: ['CSIStorageCapacity'], introduced: '1.24' },
  { groupVersion: 'storage.k8s.io/v1', kinds: ['VolumeAttributesClass'], introduced: '1.34' },
  { groupVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], introduced: '1.10', deprecated: '1.19', removed: '1.22', replacement: 'storage.k8s.io/v1' },
  { groupVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIStorageCapacity'], introduced: '1.21', deprecated: '1.24', removed: '1.27', replacement: 'storage.k8s.io/v1 CSIStorageCapacity' },
  // discovery, events, node, coordination
  { groupVersion: 'discovery.k8s.io/v1', kinds: ['EndpointSlice'], introduced: '1.21' },
  { groupVersion: 'discovery.k8s.io/v1beta1', kinds: ['EndpointSlice'], introduced: '1.17', deprecated: '1.21', removed: '1.25', replacement: 'discovery.k8s.io/v1 EndpointSlice' },
  { groupVersion: 'events.k8s.io/v1', kinds: ['Event'], introduced: '1.19' },
  { groupVersion: 'events.k8s.io/v1beta1', kinds: ['Event'], introduced: '1.8', deprecated: '1.19', removed: '1.25', replacement: 'events.k8s.io/v1 Event' },
  { groupVersion: 'node.k8s.io/v1', kinds: ['RuntimeClass'], introduced: '1.20' },
  { groupVersion: 'node.k8s.io/v1beta1', kinds: ['RuntimeClass'], introduced: '1.14', deprecated: '1.20', removed: '1.25', replacement: 'node.k8s.io/v1 RuntimeClass' },
  { groupVersion: 'coordination.k8s.io/v1', kinds: ['Lease'], introduced: '1.14' },
  { groupVersion: 'coordination.k8s.io/v1beta1', kinds: ['Lease'], introduced: '1.12', deprecated: '1.14', removed: '1.22', replacement: 'coordination.k8s.io/v1 Lease' },
  // admission, extension APIs, certificates
  { groupVersion: 'admissionregistration.k8s.io/v1', kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], introduced: '1.16' },
  { groupVersion: 'admissionregistration.k8s.io/v1', kinds: ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'], introduced: '1.30' },
  { groupVersion: 'admissionregistration.k8s.io/v1beta1', kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], introduced: '1.9', deprecated: '1.16', removed: '1.22', replacement: 'admissionregistration.k8s.io/v1' },
  { groupVersion: 'apiextensions.k8s.io/v1', kinds: ['CustomResourceDefinition'], introduced: '1.16' },
  { groupVersion: 'apiextensions.k8s.io/v1beta1', kinds: ['CustomResourceDefinition'], introduced: '1.7', deprecated: '1.16', removed: '1.22', replacement: 'apiextensions.k8s.io/v1 CustomResourceDefinition' },
  { groupVersion: 'apiregistration.k8s.io/v1', kinds: ['APIService'], introduced: '1.10' },
  { groupVersion: 'apiregistration.k8s.io/v1beta1', kinds: ['APIService'], introduced: '1.7', deprecated: '1.10', removed: '1.22', replacement: 'apiregistration.k8s.io/v1 APIService' },
  { groupVersion: 'certificates.k8s.io/v1', kinds: ['CertificateSigningRequest'], introduced: '1.19' },
  { groupVersion: 'certificates.k8s.io/v1beta1', kinds: ['CertificateSigningRequest'], introduced: '1.4', deprecated: '1.19', removed: '1.22', replacement: 'certificates.k8s.io/v1 CertificateSigningRequest' },
  // API priority and fairness
  { groupVersion: 'flowcontrol.apiserver.k8s.io/v1', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], introduced: '1.29' },
  { groupVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], introduced: '1.20', deprecated: '1.23', removed: '1.26', replacement: 'flowcontrol.apiserver.k8s.io/v1' },
  { groupVersion: 'flowcontrol.apiserver.k8s.io/v1beta2', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], introduced: '1.23', deprecated: '1.26', removed: '1.29', replacement: 'flowcontrol.apiserver.k8s.io/v1' },
  { groupVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], introduced: '1.26', deprecated: '1.29', removed: '1.32', replacement: 'flowcontrol.apiserver.k8s.io/v1' },
  // dynamic resource allocation
  { groupVersion: 'resource.k8s.io/v1', kinds: ['DeviceClass', 'ResourceClaim', 'ResourceClaimTemplate', 'ResourceSlice'], introduced: '1.34' },
];

/** apiVersion/kinds that are files for client tools, never sent to the API server. */
export const CLIENT_SIDE_APIS: readonly { readonly groupVersion: string; readonly kinds: readonly string[]; readonly tool: string }[] = [
  { groupVersion: 'kustomize.config.k8s.io/v1beta1', kinds: ['Kustomization'], tool: 'kustomize' },
  { groupVersion: 'kustomize.config.k8s.io/v1alpha1', kinds: ['Component'], tool: 'kustomize' },
];

// ---------------------------------------------------------------------------------------------------------------
// Custom resources

export interface CrdProvider {
  readonly key: string;
  readonly project: string;
  /** Helm charts (Custom::AWSCDK-EKS-HelmChart `Chart`) that install its CRDs; their `Version` is the provider version. */
  readonly charts: readonly string[];
}

export const CRD_PROVIDERS: readonly CrdProvider[] = [
  // Chart version = application version for both (jetstack/cert-manager vX.Y.Z, external-secrets X.Y.Z).
  { key: 'cert-manager', project: 'cert-manager', charts: ['cert-manager'] },
  { key: 'external-secrets', project: 'External Secrets Operator', charts: ['external-secrets'] },
  { key: 'istio', project: 'Istio', charts: ['base', 'istiod'] },
];

export interface CustomApi {
  readonly groupVersion: string;
  readonly kinds: readonly string[];
  readonly provider: string;
  /** First provider release serving it. */
  readonly servedFrom: string;
  readonly deprecatedFrom?: string;
  /** First provider release NOT serving it. */
  readonly unservedFrom?: string;
  readonly replacement?: string;
  /** Where the versions come from. */
  readonly source: string;
}

const CERT_MANAGER_KINDS = ['Certificate', 'CertificateRequest', 'ClusterIssuer', 'Issuer'];
const CERT_MANAGER_SOURCE = 'cert-manager docs: v1 API introduced in v0.16, v1alpha2/v1alpha3/v1beta1 no longer served from v1.6 (removed in v1.7)';
const ESO_KINDS = ['ClusterExternalSecret', 'ClusterSecretStore', 'ExternalSecret', 'SecretStore'];
const ESO_SOURCE =
  'external-secrets: v1 promoted in 0.16.0 (issue external-secrets/external-secrets#4633 "Promote to V1"; the 0.17.0 notes say 0.16.2 already serves v1); ' +
  'v0.17.0 release notes "BREAKING CHANGE: v0.17.0 stops serving v1beta1 apis" (PR #4758 "unserve v1beta1 and mark it as deprecated"); ' +
  'maintainers on #4758 (2026-05): v1beta1 stays in the CRDs unserved, to be deleted later. v1alpha1 removed in 0.16.0 (#4633)';

export const CUSTOM_APIS: readonly CustomApi[] = [
  { groupVersion: 'cert-manager.io/v1', kinds: CERT_MANAGER_KINDS, provider: 'cert-manager', servedFrom: '0.16.0', source: CERT_MANAGER_SOURCE },
  { groupVersion: 'acme.cert-manager.io/v1', kinds: ['Challenge', 'Order'], provider: 'cert-manager', servedFrom: '0.16.0', source: CERT_MANAGER_SOURCE },
  ...['v1alpha2', 'v1alpha3', 'v1beta1'].map((v) => ({
    groupVersion: `cert-manager.io/${v}`,
    kinds: CERT_MANAGER_KINDS,
    provider: 'cert-manager',
    servedFrom: v === 'v1alpha2' ? '0.11.0' : v === 'v1alpha3' ? '0.14.0' : '0.15.0',
    deprecatedFrom: '1.4.0',
    unservedFrom: '1.6.0',
    replacement: 'cert-manager.io/v1',
    source: CERT_MANAGER_SOURCE,
  })),
  { groupVersion: 'external-secrets.io/v1', kinds: ESO_KINDS, provider: 'external-secrets', servedFrom: '0.16.0', source: ESO_SOURCE },
  { groupVersion: 'external-secrets.io/v1beta1', kinds: ESO_KINDS, provider: 'external-secrets', servedFrom: '0.5.0', deprecatedFrom: '0.16.0', unservedFrom: '0.17.0', replacement: 'external-secrets.io/v1', source: ESO_SOURCE },
  { groupVersion: 'external-secrets.io/v1alpha1', kinds: ['ClusterSecretStore', 'ExternalSecret', 'SecretStore'], provider: 'external-secrets', servedFrom: '0.1.0', deprecatedFrom: '0.5.0', unservedFrom: '0.16.0', replacement: 'external-secrets.io/v1', source: ESO_SOURCE },
  { groupVersion: 'security.istio.io/v1', kinds: ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication'], provider: 'istio', servedFrom: '1.22.0', source: 'Istio 1.22 release notes: networking and security APIs promoted to v1' },
];

/** Kubernetes minor `a.b` or release `vX.Y.Z` compared numerically (missing parts = 0). */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.replace(/^v/, '').split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length, 3); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
