import type { ResourcesConfig } from '../../config/app-schema';

/**
 * Fixed container sizes of the data tier's helpers (the database container itself is sized by the config). The
 * namespace quota rule reads these, so a change here moves the quota with it.
 */
export const DATA_CONTAINER_RESOURCES = {
  pgbackrestSidecar: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '1Gi' } },
  postgresExporter: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } },
  pgbouncer: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  pgbouncerExporter: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
  backupJob: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } },
} as const satisfies Record<string, ResourcesConfig>;
