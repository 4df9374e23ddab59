import { z } from 'zod';
import { hostname, resourcesSchema } from './app-schema';

/** Observability: Prometheus, Alertmanager routing, log shipping, tracing. */
export const monitoringSchema = z
  .object({
    /** Service-level objectives of the backend (seed: 99.9 % availability, p95 under 200 ms, page above 2 s). */
    slo: z
      .object({
        availability: z.number().gt(0.9).lt(1),
        latencySeconds: z.number().positive(),
        latencyPageSeconds: z.number().positive(),
      })
      .strict()
      .default({ availability: 0.999, latencySeconds: 0.2, latencyPageSeconds: 2 }),
    prometheus: z
      .object({
        /** 2 in production: two identical scrapers, told apart by the `replica` external label. */
        replicas: z.number().int().min(1).max(3),
        retentionDays: z.number().int().min(1),
        /** Size-based retention (TSDB stops at this size even before retentionDays). */
        retentionSizeGiB: z.number().int().min(1),
        volumeSizeGiB: z.number().int().min(1),
        resources: resourcesSchema,
      })
      .strict(),
    alertmanager: z
      .object({
        /** Clustered replicas (gossip de-duplicates notifications). */
        replicas: z.number().int().min(1).max(5),
        /** Who gets e-mail for every page and ticket. */
        emailTo: z.string().email(),
        emailFrom: z.string().email(),
        smtpHost: hostname,
        smtpPort: z.number().int().min(1).max(65535).default(587),
        slackChannel: z.string().regex(/^#[a-z0-9_-]+$/, { message: 'must be a Slack channel such as #optibid-alerts' }),
      })
      .strict(),
    logging: z
      .object({
        /** Elasticsearch/OpenSearch endpoint receiving container logs (TLS). */
        host: hostname,
        port: z.number().int().min(1).max(65535).default(443),
        index: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { message: 'must be a lowercase index name' }),
        /** Disk buffer per node: logs survive a log-store outage up to this size. */
        bufferSizeGiB: z.number().int().min(1),
      })
      .strict(),
    tracing: z
      .object({
        /** Days Jaeger keeps traces (Badger on a persistent volume). */
        retentionDays: z.number().int().min(1),
        volumeSizeGiB: z.number().int().min(1),
      })
      .strict(),
  })
  .strict();
export type MonitoringConfig = z.output<typeof monitoringSchema>;

type Issue = (path: (string | number)[], message: string) => void;

export function checkMonitoringRules(m: MonitoringConfig, tier: string, issue: Issue): void {
  if (m.slo.latencyPageSeconds <= m.slo.latencySeconds) issue(['monitoring', 'slo', 'latencyPageSeconds'], `must be above latencySeconds (${m.slo.latencySeconds})`);
  if (m.prometheus.retentionSizeGiB >= m.prometheus.volumeSizeGiB) issue(['monitoring', 'prometheus', 'retentionSizeGiB'], `must be below volumeSizeGiB (${m.prometheus.volumeSizeGiB}): the TSDB needs room for compaction and the WAL`);
  if (tier === 'production' && m.prometheus.replicas < 2) issue(['monitoring', 'prometheus', 'replicas'], 'production runs 2 Prometheus replicas for HA');
  if (tier === 'production' && m.alertmanager.replicas < 3) issue(['monitoring', 'alertmanager', 'replicas'], 'production runs 3 clustered Alertmanagers');
}
