import { alertRule, num, pct } from './common';
import { THRESHOLDS } from './thresholds';
import type { RuleContext, RuleGroup } from './types';

const KSM = 'job="kube-state-metrics"';
const CONTAINER = 'namespace, pod, container';

/** Cluster health from kube-state-metrics and the kubelet (cAdvisor and volume stats share job="kubelet"). */
export function kubernetesRules(ctx: RuleContext): RuleGroup[] {
  const k = (spec: Parameters<typeof alertRule>[2]) => alertRule(ctx, 'kubernetes', spec);
  return [
    {
      name: 'kubernetes',
      rules: [
        k({
          alert: 'KubeContainerMemoryNearLimit',
          // max by: a restarted container briefly has two cAdvisor series; one-to-one matching needs one per side.
          expr:
            `max by (${CONTAINER}) (container_memory_working_set_bytes{job="kubelet",container!="",container!="POD"}) ` +
            `/ on (${CONTAINER}) max by (${CONTAINER}) (kube_pod_container_resource_limits{${KSM},resource="memory"}) > ${num(THRESHOLDS.memory)}`,
          for: '15m',
          severity: 'warning',
          summary: `Container memory above ${pct(THRESHOLDS.memory)} of its limit for 15 minutes.`,
          description: `Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit; it will be OOM-killed at 100 %.`,
        }),
        k({
          alert: 'KubePersistentVolumeUsageHigh',
          expr: `kubelet_volume_stats_used_bytes{job="kubelet"} / kubelet_volume_stats_capacity_bytes{job="kubelet"} > ${num(THRESHOLDS.volume)}`,
          for: '5m',
          severity: 'critical',
          summary: `Persistent volume more than ${pct(THRESHOLDS.volume)} full.`,
          description: `Volume claim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full.`,
        }),
        k({
          alert: 'KubePodCrashLooping',
          expr: `max_over_time(kube_pod_container_status_waiting_reason{${KSM},reason="CrashLoopBackOff"}[5m]) >= 1`,
          for: '10m',
          severity: 'warning',
          summary: 'Pod container is crash-looping.',
          description: `Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has been in CrashLoopBackOff for 10 minutes.`,
        }),
        k({
          alert: 'KubeDeploymentReplicasMismatch',
          expr: `kube_deployment_spec_replicas{${KSM}} != kube_deployment_status_replicas_available{${KSM}}`,
          for: '15m',
          severity: 'warning',
          summary: 'Deployment has not had its desired number of available replicas for 15 minutes.',
          description: `Deployment {{ $labels.namespace }}/{{ $labels.deployment }} wants {{ $value }} replicas but not all of them have been available for 15 minutes.`,
        }),
        k({
          alert: 'KubeStatefulSetReplicasMismatch',
          expr: `kube_statefulset_replicas{${KSM}} != kube_statefulset_status_replicas_ready{${KSM}}`,
          for: '15m',
          severity: 'warning',
          summary: 'StatefulSet has not had its desired number of ready replicas for 15 minutes.',
          description: `StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} wants {{ $value }} replicas but not all of them have been ready for 15 minutes.`,
        }),
        k({
          alert: 'KubeHpaMaxedOut',
          // An HPA pinned (min = max) is always "at max": not a capacity signal.
          expr:
            `kube_horizontalpodautoscaler_status_current_replicas{${KSM}} >= kube_horizontalpodautoscaler_spec_max_replicas{${KSM}} ` +
            `and kube_horizontalpodautoscaler_spec_max_replicas{${KSM}} > kube_horizontalpodautoscaler_spec_min_replicas{${KSM}}`,
          for: '15m',
          severity: 'warning',
          summary: 'HorizontalPodAutoscaler has been at its maximum replicas for 15 minutes.',
          description: `HPA {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} has run {{ $value }} replicas, its maximum, for 15 minutes: the workload may need more capacity.`,
        }),
        k({
          alert: 'KubeNodeNotReady',
          expr: `kube_node_status_condition{${KSM},condition="Ready",status="true"} == 0`,
          for: '5m',
          severity: 'critical',
          summary: 'Kubernetes node not ready for 5 minutes.',
          description: 'Node {{ $labels.node }} has not been Ready for 5 minutes.',
        }),
      ],
    },
  ];
}
