import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { formatCpu, formatMemory } from '../util/quantity';
import type { NamespaceRequirement } from '../sizing/namespace-footprint';
import { AppLabels, recommendedLabels } from './labels';

export interface PlatformNamespaceProps {
  readonly name: string;
  /** Labels of the namespace's objects (name/component describe the namespace). */
  readonly labels: Omit<AppLabels, 'name' | 'instance'>;
  /**
   * Pod Security Standards level enforced, audited and warned on.
   * @default 'restricted'
   */
  readonly podSecurity?: 'restricted' | 'baseline' | 'privileged';
  /** Required when podSecurity is not 'restricted': why this namespace needs the exception. */
  readonly exceptionReason?: string;
  /**
   * What the namespace runs at peak (HPA max + surge): sizes the ResourceQuota and LimitRange. No quota is rendered
   * for a namespace that runs nothing yet.
   * @default no quota
   */
  readonly requirement?: NamespaceRequirement;
  /**
   * An explicit quota that replaces the computed one; the config schema has already checked it covers the
   * requirement.
   * @default the computed quota
   */
  readonly quotaOverride?: { readonly requestsCpu: string; readonly requestsMemory: string; readonly limitsMemory: string };
  /**
   * Default container resources the LimitRange applies to a container that sets none (the smallest workload's).
   * @default none
   */
  readonly containerDefaults?: { readonly requestCpu: string; readonly requestMemory: string; readonly limitMemory: string };
  /** Extra namespace labels (e.g. istio-injection). @default none */
  readonly extraLabels?: Record<string, string>;
}

/** Headroom on top of the computed peak: room for one more pod of the average size (a `kubectl debug`, a Job). */
export const QUOTA_HEADROOM_PODS = 1;

/**
 * The namespace baseline: Namespace with Pod Security Standards labels, ResourceQuota and LimitRange sized from what
 * the namespace runs, a default-deny NetworkPolicy for ingress and egress, and DNS egress to kube-system.
 */
export class PlatformNamespace extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: PlatformNamespaceProps) {
    super(scope, id);
    const level = props.podSecurity ?? 'restricted';
    if (level !== 'restricted' && !props.exceptionReason) throw new Error(`Namespace '${props.name}': podSecurity '${level}' needs an exceptionReason`);
    this.name = props.name;
    const labels = recommendedLabels({ ...props.labels, name: props.name, instance: props.name });
    const meta = (name: string) => ({ name, namespace: props.name, labels });

    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: props.name,
        labels: {
          ...labels,
          ...props.extraLabels,
          'pod-security.kubernetes.io/enforce': level,
          'pod-security.kubernetes.io/audit': level,
          'pod-security.kubernetes.io/warn': level,
        },
        ...(props.exceptionReason ? { annotations: { 'optibid.io/pod-security-exception': props.exceptionReason } } : {}),
      },
    });

    const req = props.requirement;
    if (req && req.pods > 0) {
      const perPod = (total: number) => total / req.pods;
      const pods = req.pods + QUOTA_HEADROOM_PODS;
      new k8s.KubeResourceQuota(this, 'Quota', {
        metadata: meta('compute'),
        spec: {
          hard: {
            pods: k8s.Quantity.fromNumber(pods),
            'requests.cpu': k8s.Quantity.fromString(props.quotaOverride?.requestsCpu ?? formatCpu(req.requestsCpuMillis + perPod(req.requestsCpuMillis) * QUOTA_HEADROOM_PODS)),
            'requests.memory': k8s.Quantity.fromString(props.quotaOverride?.requestsMemory ?? formatMemory(req.requestsMemoryBytes + perPod(req.requestsMemoryBytes) * QUOTA_HEADROOM_PODS)),
            'limits.memory': k8s.Quantity.fromString(props.quotaOverride?.limitsMemory ?? formatMemory(req.limitsMemoryBytes + perPod(req.limitsMemoryBytes) * QUOTA_HEADROOM_PODS)),
          },
        },
      });
    }
    if (props.containerDefaults) {
      const d = props.containerDefaults;
      new k8s.KubeLimitRange(this, 'Limits', {
        metadata: meta('container-defaults'),
        spec: {
          limits: [
            {
              type: 'Container',
              defaultRequest: { cpu: k8s.Quantity.fromString(d.requestCpu), memory: k8s.Quantity.fromString(d.requestMemory) },
              default: { memory: k8s.Quantity.fromString(d.limitMemory) },
            },
          ],
        },
      });
    }

    new k8s.KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: meta('default-deny'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    new k8s.KubeNetworkPolicy(this, 'AllowDns', {
      metadata: meta('allow-dns'),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [
              { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
              { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
            ],
          },
        ],
      },
    });
  }
}
