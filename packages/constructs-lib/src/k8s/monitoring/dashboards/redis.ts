import { Dashboard, dashboard, DashboardContext, gauge, row, stat, timeseries } from './builder';
import { rate, redisSel } from './queries';
import { redisClusterStatePanel, SHARE_THRESHOLDS } from './panels';

/** Redis Cluster from redis_exporter: cluster state, memory against maxmemory, evictions, clients, replicas, load. */
export function redisDashboard(ctx: DashboardContext): Dashboard {
  const r = (extra: Record<string, string> = {}) => redisSel(ctx, extra);
  // `> 0`: maxmemory 0 means unlimited (the ratio would be +Inf).
  const memoryUsage = `redis_memory_used_bytes${r()} / (redis_memory_max_bytes${r()} > 0)`;
  const hits = `sum(${rate(`redis_keyspace_hits_total${r()}`)})`;
  const misses = `sum(${rate(`redis_keyspace_misses_total${r()}`)})`;
  const masters = `redis_instance_info${r({ role: 'master' })}`;
  return dashboard({
    uid: 'redis',
    title: 'OptiBid / Redis',
    description: `Redis Cluster in namespace ${ctx.namespaces.data} (redis_exporter, job="redis").`,
    rows: [
      row('Cluster', [
        redisClusterStatePanel('Cluster state', r()),
        stat({
          title: 'Nodes up',
          unit: 'none',
          baseColor: 'red',
          thresholds: [{ value: 1, color: 'green' }],
          queries: [{ expr: `sum(redis_up${r()})`, legend: 'up' }],
        }),
        stat({ title: 'Masters', unit: 'none', baseColor: 'blue', queries: [{ expr: `count(${masters}) or vector(0)`, legend: 'masters' }] }),
        stat({
          title: 'Masters without a replica',
          unit: 'none',
          thresholds: [{ value: 1, color: 'red' }],
          queries: [{ expr: `count(redis_connected_slaves${r()} < 1 and on (instance) ${masters}) or vector(0)`, legend: 'masters without replica' }],
        }),
        gauge({
          title: 'Memory used / maxmemory (worst node)',
          unit: 'percentunit',
          min: 0,
          max: 1,
          w: 8,
          h: 4,
          thresholds: SHARE_THRESHOLDS,
          queries: [{ expr: `max(${memoryUsage})`, legend: 'memory' }],
        }),
      ]),
      row('Memory', [
        timeseries({
          title: 'Memory used vs maxmemory',
          unit: 'bytes',
          queries: [
            { expr: `max by (pod) (redis_memory_used_bytes${r()})`, legend: '{{pod}} used' },
            { expr: `max by (pod) (redis_memory_max_bytes${r()})`, legend: '{{pod}} maxmemory' },
          ],
        }),
        timeseries({
          title: 'Memory used / maxmemory by pod',
          unit: 'percentunit',
          thresholds: SHARE_THRESHOLDS,
          queries: [{ expr: `max by (pod) (${memoryUsage})`, legend: '{{pod}}' }],
        }),
        timeseries({
          title: 'Evicted keys / s',
          description: 'Keys evicted to stay under maxmemory.',
          unit: 'ops',
          queries: [{ expr: `sum by (pod) (${rate(`redis_evicted_keys_total${r()}`)})`, legend: '{{pod}}' }],
        }),
        timeseries({
          title: 'Keyspace hit ratio',
          unit: 'percentunit',
          queries: [{ expr: `${hits} / (${hits} + ${misses} > 0)`, legend: 'hit ratio' }],
        }),
      ]),
      row('Clients and replication', [
        timeseries({
          title: 'Connected clients',
          unit: 'none',
          queries: [{ expr: `max by (pod) (redis_connected_clients${r()})`, legend: '{{pod}}' }],
        }),
        timeseries({
          title: 'Connected replicas per master',
          unit: 'none',
          queries: [{ expr: `max by (pod) (redis_connected_slaves${r()} and on (instance) ${masters})`, legend: '{{pod}}' }],
        }),
        timeseries({
          title: 'Commands processed / s',
          unit: 'ops',
          w: 24,
          queries: [{ expr: `sum by (pod) (${rate(`redis_commands_processed_total${r()}`)})`, legend: '{{pod}}' }],
        }),
      ]),
    ],
  });
}
