import { PGBOUNCER_APP_DATABASE, THRESHOLDS } from '../rules';
import { Dashboard, dashboard, DashboardContext, gauge, row, stat, timeseries } from './builder';
import { pgbouncerSel } from './queries';

/**
 * PgBouncer from the pgbouncer_exporter sidecar: client connections (active, waiting), server connections and the
 * use of max_db_connections for the application database (the PgBouncerPoolSaturation alert's ratio).
 */
export function pgbouncerDashboard(ctx: DashboardContext): Dashboard {
  const pools = (extra: Record<string, string> = {}) => pgbouncerSel(ctx, extra);
  const appDb = pgbouncerSel(ctx, { name: PGBOUNCER_APP_DATABASE });
  // `> 0`: max_connections 0 means unlimited (the ratio would be +Inf).
  const usage = `pgbouncer_databases_current_connections${appDb} / (pgbouncer_databases_max_connections${appDb} > 0)`;
  const usageThresholds = [
    { value: THRESHOLDS.poolUsage, color: 'orange' },
    { value: 0.95, color: 'red' },
  ];
  // The exporter's own admin console database is not a pool of the application.
  const notAdmin = { database: '!=pgbouncer' };
  return dashboard({
    uid: 'pgbouncer',
    title: 'OptiBid / PgBouncer',
    description: `PgBouncer pools in namespace ${ctx.namespaces.data} (pgbouncer_exporter, job="pgbouncer"); application database "${PGBOUNCER_APP_DATABASE}".`,
    rows: [
      row('Overview', [
        stat({
          title: 'PgBouncer pods up',
          unit: 'none',
          baseColor: 'red',
          thresholds: [{ value: 1, color: 'green' }],
          queries: [{ expr: `sum(pgbouncer_up${pools()})`, legend: 'up' }],
        }),
        stat({
          title: 'Active clients',
          unit: 'none',
          baseColor: 'blue',
          queries: [{ expr: `sum(pgbouncer_pools_client_active_connections${pools(notAdmin)})`, legend: 'active' }],
        }),
        stat({
          title: 'Waiting clients',
          description: 'Clients queued for a server connection: the pool is exhausted.',
          unit: 'none',
          thresholds: [{ value: 1, color: 'orange' }],
          queries: [{ expr: `sum(pgbouncer_pools_client_waiting_connections${pools(notAdmin)})`, legend: 'waiting' }],
        }),
        stat({
          title: 'Active server connections',
          unit: 'none',
          baseColor: 'blue',
          queries: [{ expr: `sum(pgbouncer_pools_server_active_connections${pools(notAdmin)})`, legend: 'server active' }],
        }),
        gauge({
          title: `Server connections / max_db_connections (${PGBOUNCER_APP_DATABASE})`,
          description: `Worst PgBouncer pod; the alert fires above ${THRESHOLDS.poolUsage * 100} % for 10 minutes.`,
          unit: 'percentunit',
          min: 0,
          max: 1,
          w: 8,
          h: 4,
          thresholds: usageThresholds,
          queries: [{ expr: `max(${usage})`, legend: 'usage' }],
        }),
      ]),
      row('Clients', [
        timeseries({
          title: 'Client connections: active and waiting',
          unit: 'none',
          queries: [
            { expr: `sum by (database) (pgbouncer_pools_client_active_connections${pools(notAdmin)})`, legend: '{{database}} active' },
            { expr: `sum by (database) (pgbouncer_pools_client_waiting_connections${pools(notAdmin)})`, legend: '{{database}} waiting' },
          ],
        }),
        timeseries({
          title: 'Longest client wait',
          unit: 's',
          queries: [{ expr: `max by (database) (pgbouncer_pools_client_maxwait_seconds${pools(notAdmin)})`, legend: '{{database}}' }],
        }),
      ]),
      row('Servers', [
        timeseries({
          title: 'Server connections: active and idle',
          unit: 'none',
          queries: [
            { expr: `sum by (database) (pgbouncer_pools_server_active_connections${pools(notAdmin)})`, legend: '{{database}} active' },
            { expr: `sum by (database) (pgbouncer_pools_server_idle_connections${pools(notAdmin)})`, legend: '{{database}} idle' },
          ],
        }),
        timeseries({
          title: `Server connections vs max_db_connections by pod (${PGBOUNCER_APP_DATABASE})`,
          unit: 'percentunit',
          thresholds: usageThresholds,
          queries: [{ expr: `max by (pod) (${usage})`, legend: '{{pod}}' }],
        }),
        timeseries({
          title: 'Current and maximum server connections by pod',
          unit: 'none',
          w: 24,
          queries: [
            { expr: `max by (pod) (pgbouncer_databases_current_connections${appDb})`, legend: '{{pod}} current' },
            { expr: `max by (pod) (pgbouncer_databases_max_connections${appDb})`, legend: '{{pod}} max' },
          ],
        }),
      ]),
    ],
  });
}
