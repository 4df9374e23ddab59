import type { EnvironmentConfig } from '../../config/schema';
import type { PlatformNames } from '../../naming/naming';
import { KUBE_STATE_METRICS_PORT_NAME } from './kube-state-metrics';

/** Where the rule files are mounted in the Prometheus pods. */
export const PROMETHEUS_RULES_DIR = '/etc/prometheus/rules';
export const ALERTMANAGER_HEADLESS = 'alertmanager-headless';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** prometheus.io/path and prometheus.io/port annotations of a pod or Service become the scrape path and port. */
const annotatedPathAndPort = (on: 'pod' | 'service') => [
  { source_labels: [`__meta_kubernetes_${on}_annotation_prometheus_io_path`], action: 'replace', target_label: '__metrics_path__', regex: '(.+)' },
  {
    source_labels: ['__address__', `__meta_kubernetes_${on}_annotation_prometheus_io_port`],
    action: 'replace',
    regex: '([^:]+)(?::\\d+)?;(\\d+)',
    replacement: '$1:$2',
    target_label: '__address__',
  },
];

/**
 * prometheus.yml: Kubernetes service discovery (pods and Services' endpoint slices with annotation opt-in, nodes for
 * kubelet and cAdvisor), the Alertmanagers by their stable DNS names, and the rule files. `${POD_NAME}` in the
 * external labels is expanded per replica (Prometheus 3 always expands them), so the replicas' series stay apart.
 */
export function prometheusConfig({ config, names }: { config: EnvironmentConfig; names: PlatformNames }): Record<string, unknown> {
  const am = names.services.alertmanager;
  const ns = names.namespaces.monitoring;
  const kubeletTls = { ca_file: `${SA_DIR}/ca.crt` };
  const nodeJob = (job: string, path: string) => ({
    job_name: job,
    scheme: 'https',
    metrics_path: path,
    authorization: { credentials_file: `${SA_DIR}/token` },
    tls_config: kubeletTls,
    kubernetes_sd_configs: [{ role: 'node' }],
    relabel_configs: [
      { action: 'labelmap', regex: '__meta_kubernetes_node_label_(optibid_io_node_group|topology_kubernetes_io_zone)' },
      { source_labels: ['__meta_kubernetes_node_name'], target_label: 'node' },
      // kubelet and cAdvisor series share job="kubelet"; metrics_path tells them apart.
      { target_label: 'job', replacement: 'kubelet' },
      { target_label: 'metrics_path', replacement: path },
    ],
  });
  return {
    global: {
      scrape_interval: '30s',
      scrape_timeout: '10s',
      evaluation_interval: '30s',
      external_labels: { cluster: names.clusterName, environment: config.name, replica: '${POD_NAME}' },
    },
    rule_files: [`${PROMETHEUS_RULES_DIR}/*.yaml`],
    alerting: {
      // Both Prometheus replicas send to every Alertmanager; the Alertmanager cluster de-duplicates.
      alert_relabel_configs: [{ action: 'labeldrop', regex: 'replica' }],
      alertmanagers: [
        { static_configs: [{ targets: Array.from({ length: config.monitoring.alertmanager.replicas }, (_, i) => `${am.name}-${i}.${ALERTMANAGER_HEADLESS}.${ns}.svc:${am.port}`) }] },
      ],
    },
    scrape_configs: [
      {
        job_name: 'kubernetes-pods',
        kubernetes_sd_configs: [{ role: 'pod' }],
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
          { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], action: 'drop', regex: names.services.kubeStateMetrics.name },
          { source_labels: ['__meta_kubernetes_pod_phase'], action: 'drop', regex: 'Pending|Succeeded|Failed' },
          ...annotatedPathAndPort('pod'),
          { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], target_label: 'job' },
          { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
          { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
          { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
          { source_labels: ['__meta_kubernetes_pod_label_role'], target_label: 'role' },
        ],
      },
      // Services annotated prometheus.io/scrape (e.g. controllers installed by Helm that annotate their Service, not
      // their pods). Pods that opt in themselves are dropped here: the kubernetes-pods job already scrapes them.
      {
        job_name: 'kubernetes-service-endpoints',
        kubernetes_sd_configs: [{ role: 'endpointslice' }],
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_service_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'drop', regex: 'true' },
          ...annotatedPathAndPort('service'),
          { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job' },
          { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
          { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
          { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
        ],
      },
      // kube-state-metrics reports other objects' namespace/pod: keep its labels instead of the scrape target's.
      {
        job_name: 'kube-state-metrics',
        honor_labels: true,
        kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [names.namespaces.monitoring] } }],
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], action: 'keep', regex: names.services.kubeStateMetrics.name },
          { source_labels: ['__meta_kubernetes_pod_container_port_name'], action: 'keep', regex: KUBE_STATE_METRICS_PORT_NAME },
          { target_label: 'job', replacement: names.services.kubeStateMetrics.name },
        ],
      },
      nodeJob('kubelet', '/metrics'),
      nodeJob('cadvisor', '/metrics/cadvisor'),
    ],
  };
}
