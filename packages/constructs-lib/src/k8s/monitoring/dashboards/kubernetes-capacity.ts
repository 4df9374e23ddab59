import { THRESHOLDS } from '../rules';
import { Dashboard, dashboard, DashboardContext, gauge, row, stat, timeseries } from './builder';
import { allocatablePerNode, kubeletSel, ksmSel, NODE_GROUP_LABEL, nodeExporterSel, perNodeGroup, platformNamespaces, rate, requestsPerNode } from './queries';
import { requestShareGauges, SHARE_THRESHOLDS } from './panels';

/**
 * Cluster capacity from kube-state-metrics, the kubelet (cAdvisor, volume stats) and node-exporter: requests against
 * allocatable per node group, container memory against limits, HPAs against their maximum, restarts, volume usage
 * and node readiness.
 */
export function kubernetesCapacityDashboard(ctx: DashboardContext): Dashboard {
  const ns = platformNamespaces(ctx);
  const group = `{{${NODE_GROUP_LABEL}}}`;
  const share = (resource: 'cpu' | 'memory') => `${perNodeGroup(requestsPerNode(resource))} / ${perNodeGroup(allocatablePerNode(resource))}`;
  const container = 'namespace, pod, container';
  // `container!~"|POD"`: drop the pod-level cgroup (no container label) and the pause container.
  const workingSet = `max by (${container}) (container_memory_working_set_bytes${kubeletSel({ namespace: ns, container: '!~|POD' })})`;
  const memoryLimit = `max by (${container}) (kube_pod_container_resource_limits${ksmSel({ namespace: ns, resource: 'memory' })})`;
  const cpuUsage = `sum by (${container}) (${rate(`container_cpu_usage_seconds_total${kubeletSel({ namespace: ns, container: '!~|POD' })}`)})`;
  const cpuRequest = `max by (${container}) (kube_pod_container_resource_requests${ksmSel({ namespace: ns, resource: 'cpu' })})`;
  const hpa = (metric: string) => `${metric}${ksmSel()}`;
  const ready = `kube_node_status_condition${ksmSel({ condition: 'Ready', status: 'true' })}`;
  const volumeUsage = `kubelet_volume_stats_used_bytes${kubeletSel()} / kubelet_volume_stats_capacity_bytes${kubeletSel()}`;
  return dashboard({
    uid: 'kubernetes-capacity',
    title: 'OptiBid / Kubernetes capacity',
    description: `Requests vs allocatable per node group (${NODE_GROUP_LABEL}), containers of namespaces ${[ctx.namespaces.app, ctx.namespaces.data, ctx.namespaces.monitoring].join(', ')} against their limits, HPAs, restarts, volumes, nodes.`,
    rows: [
      row('Nodes', [
        stat({
          title: 'Nodes ready',
          unit: 'none',
          baseColor: 'blue',
          queries: [{ expr: `sum(${ready})`, legend: 'ready' }],
        }),
        stat({
          title: 'Nodes not ready',
          unit: 'none',
          thresholds: [{ value: 1, color: 'red' }],
          queries: [{ expr: `count(${ready} == 0) or vector(0)`, legend: 'not ready' }],
        }),
        timeseries({
          title: 'Ready nodes per node group',
          unit: 'none',
          w: 8,
          h: 6,
          stack: true,
          queries: [{ expr: perNodeGroup(`max by (node) (${ready})`), legend: group }],
        }),
        timeseries({
          title: 'Node CPU busy (node-exporter)',
          unit: 'percentunit',
          w: 8,
          h: 6,
          max: 1,
          queries: [{ expr: `1 - avg by (node) (${rate(`node_cpu_seconds_total${nodeExporterSel({ mode: 'idle' })}`)})`, legend: '{{node}}' }],
        }),
      ]),
      row('Requests vs allocatable per node group', [
        ...requestShareGauges(share, () => group),
        timeseries({
          title: 'Requested / allocatable per node group',
          description: 'Requests of Pending and Running pods; the cluster autoscaler adds nodes when pods do not fit.',
          unit: 'percentunit',
          w: 12,
          h: 6,
          thresholds: SHARE_THRESHOLDS,
          queries: [
            { expr: share('cpu'), legend: `${group} cpu` },
            { expr: share('memory'), legend: `${group} memory` },
          ],
        }),
        timeseries({
          title: 'CPU cores: requested vs allocatable',
          unit: 'none',
          decimals: 1,
          queries: [
            { expr: perNodeGroup(requestsPerNode('cpu')), legend: `${group} requested` },
            { expr: perNodeGroup(allocatablePerNode('cpu')), legend: `${group} allocatable` },
          ],
        }),
        timeseries({
          title: 'Memory: requested vs allocatable',
          unit: 'bytes',
          queries: [
            { expr: perNodeGroup(requestsPerNode('memory')), legend: `${group} requested` },
            { expr: perNodeGroup(allocatablePerNode('memory')), legend: `${group} allocatable` },
          ],
        }),
      ]),
      row('Containers', [
        timeseries({
          title: 'Memory working set / limit (top 10 containers)',
          description: `cAdvisor working set against the kube-state-metrics limit; the alert fires above ${THRESHOLDS.memory * 100} % for 15 minutes (OOM kill at 100 %).`,
          unit: 'percentunit',
          thresholds: [{ value: THRESHOLDS.memory, color: 'red' }],
          queries: [{ expr: `topk(10, ${workingSet} / on (${container}) ${memoryLimit})`, legend: '{{namespace}}/{{pod}}/{{container}}' }],
        }),
        timeseries({
          title: 'CPU usage / request (top 10 containers)',
          unit: 'percentunit',
          queries: [{ expr: `topk(10, ${cpuUsage} / on (${container}) ${cpuRequest})`, legend: '{{namespace}}/{{pod}}/{{container}}' }],
        }),
        stat({
          title: 'Container restarts (1h)',
          unit: 'none',
          thresholds: [{ value: 1, color: 'orange' }],
          queries: [{ expr: `sum(increase(kube_pod_container_status_restarts_total${ksmSel({ namespace: ns })}[1h])) or vector(0)`, legend: 'restarts' }],
        }),
        timeseries({
          title: 'Restarts per pod (1h window)',
          unit: 'none',
          w: 20,
          h: 6,
          queries: [{ expr: `sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total${ksmSel({ namespace: ns })}[1h])) > 0`, legend: '{{namespace}}/{{pod}}' }],
        }),
      ]),
      row('Autoscaling', [
        timeseries({
          title: 'HPA current vs max replicas',
          unit: 'none',
          queries: [
            { expr: hpa('kube_horizontalpodautoscaler_status_current_replicas'), legend: '{{namespace}}/{{horizontalpodautoscaler}} current' },
            { expr: hpa('kube_horizontalpodautoscaler_spec_max_replicas'), legend: '{{namespace}}/{{horizontalpodautoscaler}} max' },
          ],
        }),
        timeseries({
          title: 'HPA current / max replicas',
          description: 'At 100 % the autoscaler cannot add replicas (KubeHpaMaxedOut after 15 minutes).',
          unit: 'percentunit',
          max: 1,
          thresholds: [{ value: 1, color: 'red' }],
          queries: [
            {
              expr: `${hpa('kube_horizontalpodautoscaler_status_current_replicas')} / ${hpa('kube_horizontalpodautoscaler_spec_max_replicas')}`,
              legend: '{{namespace}}/{{horizontalpodautoscaler}}',
            },
          ],
        }),
      ]),
      row('Persistent volumes', [
        gauge({
          title: 'Fullest volume',
          unit: 'percentunit',
          min: 0,
          max: 1,
          thresholds: [
            { value: 0.8, color: 'orange' },
            { value: THRESHOLDS.volume, color: 'red' },
          ],
          queries: [{ expr: `max(${volumeUsage})`, legend: 'fullest' }],
        }),
        timeseries({
          title: 'Volume used / capacity',
          description: `kubelet volume stats; the alert pages above ${THRESHOLDS.volume * 100} %.`,
          unit: 'percentunit',
          w: 18,
          h: 6,
          max: 1,
          thresholds: [{ value: THRESHOLDS.volume, color: 'red' }],
          queries: [{ expr: `max by (namespace, persistentvolumeclaim) (${volumeUsage})`, legend: '{{namespace}}/{{persistentvolumeclaim}}' }],
        }),
        timeseries({
          title: 'Volume used and capacity (bytes)',
          unit: 'bytes',
          w: 24,
          queries: [
            { expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes${kubeletSel()})`, legend: '{{namespace}}/{{persistentvolumeclaim}} used' },
            { expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes${kubeletSel()})`, legend: '{{namespace}}/{{persistentvolumeclaim}} capacity' },
          ],
        }),
      ]),
    ],
  });
}
