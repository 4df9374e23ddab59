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
          description: 'Redis node {{ $labels.pod }} reports cluster_state:fail: some hash slots are not served.',
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
