import { alertRule, num, pct } from './common';
import { THRESHOLDS } from './thresholds';
import type { RuleContext, RuleGroup } from './types';

/** The application database as PgBouncer names it (`[databases]` entry = the project's database). */
export const PGBOUNCER_APP_DATABASE = 'optibid';

const PG = 'job="postgres"';
const HOUR = 3600;

/** PostgreSQL (postgres_exporter, custom queries pg_archiver and pg_backup) and PgBouncer (pgbouncer_exporter). */
export function postgresRules(ctx: RuleContext): RuleGroup[] {
  const p = (spec: Parameters<typeof alertRule>[2]) => alertRule(ctx, 'postgres', spec);
  const pool = `{job="pgbouncer",name="${PGBOUNCER_APP_DATABASE}"}`;
  const backup = `pg_backup_last_success_timestamp_seconds{${PG}}`;
  return [
    {
      name: 'postgres',
      rules: [
        p({
          alert: 'PgBouncerPoolSaturation',
          // `> 0`: max_connections 0 means "unlimited" in PgBouncer (the ratio would be +Inf).
          expr: `pgbouncer_databases_current_connections${pool} / (pgbouncer_databases_max_connections${pool} > 0) > ${num(THRESHOLDS.poolUsage)}`,
          for: '10m',
          severity: 'warning',
          summary: `PgBouncer uses more than ${pct(THRESHOLDS.poolUsage)} of its server connections.`,
          description: `PgBouncer pod {{ $labels.pod }} holds {{ $value | humanizePercentage }} of its max_db_connections to database {{ $labels.name }}; clients will queue once it is full.`,
        }),
        p({
          alert: 'PostgresReplicationLag',
          expr: `pg_replication_lag_seconds{${PG}} > ${num(THRESHOLDS.replicationLagSeconds)}`,
          for: '5m',
          severity: 'warning',
          summary: `PostgreSQL replica more than ${num(THRESHOLDS.replicationLagSeconds)} s behind the primary.`,
          description: 'Replica {{ $labels.pod }} is {{ $value | humanizeDuration }} behind the primary.',
        }),
        ...((ctx.postgresMembers ?? 1) > 1
          ? [
              p({
                alert: 'PostgresReplicaNotStreaming',
                // pg_replication_lag_seconds says 0 on a replica that stopped receiving WAL: count on the primary instead.
                expr: `max(pg_replication_streaming_replicas{${PG}}) < ${(ctx.postgresMembers ?? 1) - 1}`,
                for: '5m',
                severity: 'warning',
                summary: 'A PostgreSQL replica is not streaming from the primary.',
                description: `The primary has {{ $value }} streaming replica(s) of ${(ctx.postgresMembers ?? 1) - 1} for 5 minutes: a failover would have no up-to-date candidate (and synchronous replication has fallen back to asynchronous).`,
              }),
            ]
          : []),
        p({
          alert: 'PostgresPrimaryMissing',
          // `or vector(0)`: also fires when no postgres_exporter series exist at all.
          expr: `(count(pg_replication_is_replica{${PG}} == 0) or vector(0)) < 1`,
          for: '1m',
          severity: 'critical',
          summary: 'No PostgreSQL primary.',
          description: 'No postgres_exporter reports a primary (pg_replication_is_replica == 0) for 1 minute: writes are failing.',
        }),
        p({
          alert: 'PostgresWalArchivingFailing',
          expr: `increase(pg_archiver_failed_count{${PG}}[15m]) > 0`,
          for: '5m',
          severity: 'critical',
          summary: 'PostgreSQL WAL archiving is failing.',
          description: 'archive_command failed {{ $value | humanize }} times in 15 minutes on {{ $labels.pod }}: point-in-time recovery is at risk and pg_wal is growing.',
        }),
        p({
          alert: 'PostgresBackupTooOld',
          expr: `time() - max(${backup}) > ${THRESHOLDS.backupAgeHours} * ${HOUR}`,
          severity: 'critical',
          summary: `Last successful PostgreSQL backup older than ${THRESHOLDS.backupAgeHours} h.`,
          description: `The last successful backup finished {{ $value | humanizeDuration }} ago (limit ${THRESHOLDS.backupAgeHours} h).`,
        }),
        p({
          alert: 'PostgresBackupMetricMissing',
          expr: `absent(${backup})`,
          for: '1h',
          severity: 'warning',
          summary: 'No PostgreSQL backup timestamp metric for 1 hour.',
          description: 'pg_backup_last_success_timestamp_seconds is missing: the exporter is down, its pg_backup query fails, or no backup has ever succeeded. Backup age is not being watched.',
        }),
      ],
    },
  ];
}
