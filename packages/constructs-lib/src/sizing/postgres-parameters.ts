import type { DatabaseConfig } from '../config/database-schema';
import { maxConnections } from '../config/database-schema';
import { memoryBytes } from '../util/quantity';

/**
 * PostgreSQL memory parameters from the container's memory limit, by one rule (the usual dedicated-server
 * guidance, scaled to the container):
 * - shared_buffers        = 25 % of memory
 * - effective_cache_size  = 75 % of memory (what the planner may assume the OS caches)
 * - maintenance_work_mem  = memory / 16, at most 2 GiB
 * - work_mem              = (memory - shared_buffers) / (max_connections x 3), at least 4 MiB
 *   (a query may use a few work_mem-sized sorts at once; this keeps the worst case within memory)
 * Values are whole MiB (kB values would churn the diff for no gain).
 */
export interface PostgresMemoryParameters {
  readonly shared_buffers: string;
  readonly effective_cache_size: string;
  readonly maintenance_work_mem: string;
  readonly work_mem: string;
  readonly max_connections: number;
}

const MiB = 1024 ** 2;
const mib = (bytes: number) => `${Math.max(1, Math.floor(bytes / MiB))}MB`;

export function postgresMemoryParameters(db: Pick<DatabaseConfig, 'resources' | 'poolingCap' | 'reservedConnections'>): PostgresMemoryParameters {
  const memory = memoryBytes(db.resources.limits.memory);
  const conns = maxConnections(db);
  const shared = memory * 0.25;
  return {
    shared_buffers: mib(shared),
    effective_cache_size: mib(memory * 0.75),
    maintenance_work_mem: mib(Math.min(memory / 16, 2048 * MiB)),
    work_mem: mib(Math.max((memory - shared) / (conns * 3), 4 * MiB)),
    max_connections: conns,
  };
}
