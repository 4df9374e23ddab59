/** Fixed container sizes of the monitoring components (Prometheus is sized by the config); the quota rule reads them. */
export const MONITORING_CONTAINER_RESOURCES = {
  alertmanager: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  grafana: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
  jaeger: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
  kubeStateMetrics: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  nodeExporter: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } },
  fluentBit: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
} as const;
