import { THRESHOLDS } from '../rules';
import { Dashboard, dashboard, DashboardContext, row, stat, timeseries } from './builder';
import { postgresSel, rate } from './queries';

const HOUR = 3600;

/**
 * PostgreSQL (Patroni cluster) from postgres_exporter: availability and roles, connections by state, transactions,
 * streaming-replication lag, WAL archiving (custom query pg_archiver) and the last successful backup (pg_backup).
 */
export function postgresqlDashboard(ctx: DashboardContext): Dashboard {
  const pg = (extra: Record<string, string> = {}) => postgresSel(ctx, extra);
  const userDbs = { datname: '!~template.*' };
  const backupAge = { value: 24 * HOUR, color: 'orange' };
  const backupLimit = { value: THRESHOLDS.backupAgeHours * HOUR, color: 'red' };
  return dashboard({
    uid: 'postgresql',
    title: 'OptiBid / PostgreSQL',
    description: `PostgreSQL in namespace ${ctx.namespaces.data} (postgres_exporter, job="postgres").`,
    rows: [
      row('Availability', [
        stat({
          title: 'Instances up',
          description: 'pg_up: the exporter can reach its PostgreSQL.',
          unit: 'none',
          baseColor: 'red',
          thresholds: [{ value: 1, color: 'green' }],
          queries: [{ expr: `sum(pg_up${pg()})`, legend: 'up' }],
        }),
        stat({
          title: 'Primaries',
          description: 'Exactly one expected.',
          unit: 'none',
          baseColor: 'red',
          thresholds: [
            { value: 1, color: 'green' },
            { value: 2, color: 'red' },
          ],
          queries: [{ expr: `count(pg_replication_is_replica${pg()} == 0) or vector(0)`, legend: 'primaries' }],
        }),
        stat({
          title: 'Replicas',
          unit: 'none',
          baseColor: 'orange',
          thresholds: [{ value: 1, color: 'green' }],
          queries: [{ expr: `count(pg_replication_is_replica${pg()} == 1) or vector(0)`, legend: 'replicas' }],
        }),
        stat({
          title: 'Max replication lag',
          unit: 's',
          thresholds: [{ value: THRESHOLDS.replicationLagSeconds, color: 'red' }],
          queries: [{ expr: `max(pg_replication_lag_seconds${pg()})`, legend: 'lag' }],
        }),
        stat({
          title: 'Last successful backup (age)',
          description: `time() - pg_backup_last_success_timestamp_seconds; the alert fires after ${THRESHOLDS.backupAgeHours} h.`,
          unit: 's',
          thresholds: [backupAge, backupLimit],
          queries: [{ expr: `time() - max(pg_backup_last_success_timestamp_seconds${pg()})`, legend: 'age' }],
        }),
        stat({
          title: 'Last successful backup',
          unit: 'dateTimeAsIso',
          baseColor: 'text',
          queries: [{ expr: `max(pg_backup_last_success_timestamp_seconds${pg()}) * 1000`, legend: 'finished at' }],
        }),
        timeseries({
          title: 'Role by pod (1 = replica, 0 = primary)',
          unit: 'none',
          w: 24,
          h: 6,
          queries: [{ expr: `max by (pod) (pg_replication_is_replica${pg()})`, legend: '{{pod}}' }],
        }),
      ]),
      row('Connections and transactions', [
        timeseries({
          title: 'Connections by state',
          unit: 'none',
          stack: true,
          queries: [{ expr: `sum by (state) (pg_stat_activity_count${pg()})`, legend: '{{state}}' }],
        }),
        timeseries({
          title: 'Connections by pod vs max_connections',
          unit: 'none',
          queries: [
            { expr: `sum by (pod) (pg_stat_activity_count${pg()})`, legend: '{{pod}}' },
            { expr: `max by (pod) (pg_settings_max_connections${pg()})`, legend: '{{pod}} max_connections' },
          ],
        }),
        timeseries({
          title: 'Transactions / s',
          unit: 'ops',
          queries: [
            { expr: `sum by (pod) (${rate(`pg_stat_database_xact_commit${pg(userDbs)}`)})`, legend: '{{pod}} commits' },
            { expr: `sum by (pod) (${rate(`pg_stat_database_xact_rollback${pg(userDbs)}`)})`, legend: '{{pod}} rollbacks' },
          ],
        }),
        timeseries({
          title: 'Commits / s by database',
          unit: 'ops',
          queries: [{ expr: `sum by (datname) (${rate(`pg_stat_database_xact_commit${pg(userDbs)}`)})`, legend: '{{datname}}' }],
        }),
      ]),
      row('Replication', [
        timeseries({
          title: 'Replication lag by pod',
          description: `pg_replication_lag_seconds (0 on the primary); the alert fires above ${THRESHOLDS.replicationLagSeconds} s for 5 minutes.`,
          unit: 's',
          w: 24,
          thresholds: [{ value: THRESHOLDS.replicationLagSeconds, color: 'red' }],
          queries: [{ expr: `max by (pod) (pg_replication_lag_seconds${pg()})`, legend: '{{pod}}' }],
        }),
      ]),
      row('WAL archiving and backups', [
        timeseries({
          title: 'WAL segments archived / failed',
          description: 'pg_stat_archiver counters (custom query pg_archiver): any failure puts point-in-time recovery at risk.',
          unit: 'none',
          queries: [
            { expr: `sum by (pod) (increase(pg_archiver_archived_count${pg()}[1h]))`, legend: '{{pod}} archived / h' },
            { expr: `sum by (pod) (increase(pg_archiver_failed_count${pg()}[1h]))`, legend: '{{pod}} failed / h' },
          ],
        }),
        timeseries({
          title: 'Backup age by type',
          unit: 's',
          thresholds: [backupAge, backupLimit],
          queries: [{ expr: `time() - max by (backup_type) (pg_backup_last_success_timestamp_seconds${pg()})`, legend: '{{backup_type}}' }],
        }),
      ]),
    ],
  });
}
