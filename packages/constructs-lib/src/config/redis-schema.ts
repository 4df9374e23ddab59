import { cronSchedule } from './database-schema';
import { z } from 'zod';
import { memoryBytes } from '../util/quantity';
import { resourcesSchema } from './app-schema';

/** Redis in cluster mode: shards, replicas, memory rule, persistence volume, backup schedule. */
export const redisSchema = z
  .object({
    /** Primaries (shards); Redis Cluster needs at least 3. */
    primaries: z.number().int().min(3).max(16),
    /** Replicas per primary: 1 in staging/production (failover), 0 allowed in dev. */
    replicasPerPrimary: z.number().int().min(0).max(2),
    resources: resourcesSchema,
    /** PVC per pod (AOF + RDB + nodes.conf). */
    volumeSizeGiB: z.number().int().min(1),
    /**
     * maxmemory as a percentage of the container memory limit. The rest is headroom for replication buffers, the
     * AOF rewrite's copy-on-write pages and fragmentation.
     * @default 60
     */
    maxmemoryPercent: z.number().int().min(10).max(90).default(60),
    /** Daily RDB snapshot upload to the backup bucket. @default '30 3 * * *' */
    backupSchedule: cronSchedule.default('30 3 * * *'),
  })
  .strict();
export type RedisConfig = z.output<typeof redisSchema>;

/** Smallest headroom the memory rule accepts: a quarter of the limit, and never less than 256 MiB. */
export const REDIS_MIN_HEADROOM_FRACTION = 0.25;
export const REDIS_MIN_HEADROOM_BYTES = 256 * 1024 ** 2;

/** maxmemory in bytes, from the container limit by the one rule. */
export function redisMaxmemoryBytes(r: Pick<RedisConfig, 'resources' | 'maxmemoryPercent'>): number {
  return Math.floor((memoryBytes(r.resources.limits.memory) * r.maxmemoryPercent) / 100 / 1024 ** 2) * 1024 ** 2;
}

type Issue = (path: (string | number)[], message: string) => void;

export function checkRedisRules(r: RedisConfig, tier: string, zones: number, issue: Issue): void {
  const limit = memoryBytes(r.resources.limits.memory);
  const headroom = limit - redisMaxmemoryBytes(r);
  if (headroom < limit * REDIS_MIN_HEADROOM_FRACTION || headroom < REDIS_MIN_HEADROOM_BYTES) {
    issue(['redis', 'maxmemoryPercent'], `maxmemory at ${r.maxmemoryPercent} % of ${r.resources.limits.memory} leaves ${Math.floor(headroom / 1024 ** 2)} MiB: too little headroom for replication buffers and the AOF rewrite (need at least 25 % and 256 MiB)`);
  }
  if (tier !== 'dev' && r.replicasPerPrimary < 1) issue(['redis', 'replicasPerPrimary'], `tier '${tier}' needs a replica per primary for failover`);
  if (r.replicasPerPrimary > 0 && zones < 2) issue(['redis', 'replicasPerPrimary'], 'replicas need a second availability zone to be apart from their primary');
}
