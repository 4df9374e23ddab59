import { BURN_RATES, errorRatioRecord, LATENCY_P95_RECORD, THRESHOLDS } from '../rules';
import { Dashboard, dashboard, DashboardContext, promNumber, row, sel, stat, timeseries } from './builder';
import { allocatablePerNode, backendRequestRate, JOBS, ksmSel, pgbouncerSel, platformNamespaces, postgresSel, redisSel, requestsPerNode } from './queries';
import { redisClusterStatePanel, requestShareGauges, SHARE_THRESHOLDS } from './panels';

const HOUR = 3600;

/** One screen for the on-call: backend SLIs, the data stores' health, the cluster's capacity and firing alerts. */
export function platformOverviewDashboard(ctx: DashboardContext): Dashboard {
  const budget = 1 - ctx.availabilitySlo;
  const backendRecorded = (record: string) => `${record}${sel({ job: JOBS.backend, namespace: ctx.namespaces.app })}`;
  const clusterShare = (resource: 'cpu' | 'memory') => `sum(${requestsPerNode(resource)}) / sum(${allocatablePerNode(resource)})`;
  const dataTargets = sel({ job: `=~${JOBS.postgres}|${JOBS.pgbouncer}|${JOBS.redis}`, namespace: ctx.namespaces.data });
  return dashboard({
    uid: 'platform-overview',
    title: 'OptiBid / Platform overview',
    description: 'Backend SLIs, PostgreSQL, PgBouncer, Redis and cluster capacity at a glance; each row has a detailed dashboard (links above).',
    rows: [
      row('Backend', [
        stat({ title: 'Requests / s', unit: 'reqps', decimals: 1, queries: [{ expr: backendRequestRate(ctx), legend: 'requests / s' }] }),
        stat({
          title: '5xx ratio (1h)',
          unit: 'percentunit',
          decimals: 3,
          thresholds: [
            { value: budget, color: 'orange' },
            { value: BURN_RATES.fast.factor * budget, color: 'red' },
          ],
          queries: [{ expr: `max(${backendRecorded(errorRatioRecord('1h'))})`, legend: '5xx ratio 1h' }],
        }),
        stat({
          title: 'Error budget burn (6h)',
          description: `5xx ratio over 6 hours / the ${promNumber(budget * 100)} % error budget.`,
          unit: 'none',
          decimals: 2,
          thresholds: [
            { value: BURN_RATES.slow.factor, color: 'orange' },
            { value: BURN_RATES.medium.factor, color: 'red' },
          ],
          queries: [{ expr: `max(${backendRecorded(errorRatioRecord('6h'))}) / ${promNumber(budget)}`, legend: 'burn 6h' }],
        }),
        stat({
          title: 'p95 latency (5m)',
          unit: 's',
          decimals: 3,
          thresholds: [{ value: ctx.latencySliSeconds, color: 'red' }],
          queries: [{ expr: `max(${backendRecorded(LATENCY_P95_RECORD)})`, legend: 'p95' }],
        }),
        stat({
          title: 'Critical alerts firing',
          unit: 'none',
          thresholds: [{ value: 1, color: 'red' }],
          queries: [{ expr: 'count(ALERTS{alertstate="firing",severity="critical"}) or vector(0)', legend: 'critical' }],
        }),
        stat({
          title: 'Scrape targets down',
          unit: 'none',
          thresholds: [{ value: 1, color: 'red' }],
          queries: [{ expr: 'count(up == 0) or vector(0)', legend: 'down' }],
        }),
      ]),
      row('Data stores', [
        stat({
          title: 'PostgreSQL primaries',
          description: 'Exactly one expected (pg_replication_is_replica == 0).',
          unit: 'none',
          baseColor: 'red',
          thresholds: [
            { value: 1, color: 'green' },
            { value: 2, color: 'red' },
          ],
          queries: [{ expr: `count(pg_replication_is_replica${postgresSel(ctx)} == 0) or vector(0)`, legend: 'primaries' }],
        }),
        stat({
          title: 'PostgreSQL max replication lag',
          unit: 's',
          thresholds: [{ value: THRESHOLDS.replicationLagSeconds, color: 'red' }],
          queries: [{ expr: `max(pg_replication_lag_seconds${postgresSel(ctx)})`, legend: 'lag' }],
        }),
        stat({
          title: 'Last backup age',
          unit: 's',
          thresholds: [
            { value: 24 * HOUR, color: 'orange' },
            { value: THRESHOLDS.backupAgeHours * HOUR, color: 'red' },
          ],
          queries: [{ expr: `time() - max(pg_backup_last_success_timestamp_seconds${postgresSel(ctx)})`, legend: 'age' }],
        }),
        stat({
          title: 'PgBouncer clients waiting',
          unit: 'none',
          thresholds: [{ value: 1, color: 'orange' }],
          queries: [{ expr: `sum(pgbouncer_pools_client_waiting_connections${pgbouncerSel(ctx)})`, legend: 'waiting' }],
        }),
        redisClusterStatePanel('Redis cluster state', redisSel(ctx)),
        stat({
          title: 'Redis max memory usage',
          unit: 'percentunit',
          decimals: 1,
          thresholds: SHARE_THRESHOLDS,
          queries: [{ expr: `max(redis_memory_used_bytes${redisSel(ctx)} / (redis_memory_max_bytes${redisSel(ctx)} > 0))`, legend: 'memory' }],
        }),
      ]),
      row('Cluster', [
        stat({
          title: 'Nodes not ready',
          unit: 'none',
          thresholds: [{ value: 1, color: 'red' }],
          queries: [{ expr: `count(kube_node_status_condition${ksmSel({ condition: 'Ready', status: 'true' })} == 0) or vector(0)`, legend: 'not ready' }],
        }),
        stat({
          title: 'Nodes ready',
          unit: 'none',
          baseColor: 'blue',
          queries: [{ expr: `sum(kube_node_status_condition${ksmSel({ condition: 'Ready', status: 'true' })})`, legend: 'ready' }],
        }),
        ...requestShareGauges(clusterShare, (resource) => resource, { w: 4, h: 4 }),
        stat({
          title: 'Container restarts (1h)',
          unit: 'none',
          thresholds: [{ value: 1, color: 'orange' }],
          queries: [{ expr: `sum(increase(kube_pod_container_status_restarts_total${ksmSel({ namespace: platformNamespaces(ctx) })}[1h])) or vector(0)`, legend: 'restarts' }],
        }),
        stat({
          title: 'Data store exporters up',
          description: 'Share of the PostgreSQL, PgBouncer and Redis exporter targets that answer their scrape.',
          unit: 'percentunit',
          baseColor: 'red',
          thresholds: [{ value: 1, color: 'green' }],
          queries: [{ expr: `sum(up${dataTargets}) / count(up${dataTargets})`, legend: 'up' }],
        }),
      ]),
      row('Trends', [
        timeseries({ title: 'Backend request rate by status class', unit: 'reqps', stack: true, queries: [{ expr: backendRequestRate(ctx, ['status']), legend: '{{status}}' }] }),
        timeseries({
          title: 'Backend p95 latency vs SLI',
          unit: 's',
          thresholds: [{ value: ctx.latencySliSeconds, color: 'red' }],
          queries: [{ expr: `max(${backendRecorded(LATENCY_P95_RECORD)})`, legend: 'p95' }],
        }),
      ]),
    ],
  });
}
