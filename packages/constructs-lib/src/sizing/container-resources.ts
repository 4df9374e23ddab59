import type { ResourcesConfig } from '../config/app-schema';

/**
 * Fixed container sizes of the platform's helper containers (the main containers, e.g. the database, Redis and
 * Prometheus, are sized by the config). Data, not constructs: the k8s constructs render them and the namespace quota
 * rule (namespace-footprint.ts) reads them, so a change here moves the quota with it.
 */

/** The data tier's PostgreSQL helpers. */
export const DATA_CONTAINER_RESOURCES = {
  pgbackrestSidecar: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '1Gi' } },
  postgresExporter: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } },
  pgbouncer: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  pgbouncerExporter: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
  backupJob: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } },
} as const satisfies Record<string, ResourcesConfig>;

/** The Redis helpers (the exporter sidecar and the bootstrap/backup jobs). */
export const REDIS_CONTAINER_RESOURCES = {
  exporter: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
  job: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
} as const;

/** The monitoring components (Prometheus is sized by the config). */
export const MONITORING_CONTAINER_RESOURCES = {
  alertmanager: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  grafana: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
  jaeger: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
  kubeStateMetrics: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  nodeExporter: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } },
  fluentBit: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
} as const;
