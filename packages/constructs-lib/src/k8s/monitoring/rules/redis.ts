import { alertRule } from './common';
import type { RuleContext, RuleGroup } from './types';

/** Redis Cluster (redis_exporter). */
export function redisRules(ctx: RuleContext): RuleGroup[] {
  const r = (spec: Parameters<typeof alertRule>[2]) => alertRule(ctx, 'redis', spec);
  return [
    {
      name: 'redis',
      rules: [
        r({
          alert: 'RedisClusterNotOk',
          expr: 'redis_cluster_state{job="redis"} == 0',
          for: '2m',
          severity: 'critical',
          summary: 'Redis Cluster state is not ok.',
          description: 'Redis node {{ $labels.pod }} reports cluster_state:fail: it cannot reach a majority of the primaries and refuses queries.',
        }),
        // cluster-require-full-coverage is off, so a shard that lost its primary and replica leaves cluster_state:ok
        // on the other nodes: only the failed slot count shows that keys in those slots cannot be served.
        r({
          alert: 'RedisClusterSlotsFailed',
          expr: 'max by (namespace) (redis_cluster_slots_fail{job="redis"}) > 0',
          for: '1m',
          severity: 'critical',
          summary: 'Redis hash slots are not served.',
          description: '{{ $value }} of 16384 hash slots are in FAIL state: reads and writes of keys in them fail (CLUSTERDOWN) while the rest of the cluster still serves.',
        }),
        r({
          alert: 'RedisReplicaMissing',
          expr: 'redis_connected_slaves{job="redis"} < 1 and on (instance) redis_instance_info{job="redis",role="master"}',
          for: '10m',
          severity: 'warning',
          summary: 'Redis master without a replica.',
          description: 'Redis master {{ $labels.pod }} has had no connected replica for 10 minutes: its shard has no failover.',
        }),
      ],
    },
  ];
}
