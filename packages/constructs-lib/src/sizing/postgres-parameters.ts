import type { DatabaseConfig } from '../config/database-schema';
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

/** shared_buffers' share of the memory limit. */
const SHARED_BUFFERS_SHARE = 0.25;
/**
 * work_mem-sized operations one connection may run at once. PostgreSQL bounds each sort or hash table of a query by
 * work_mem, and "a complex query might perform several sort or hash operations at the same time" (docs,
 * runtime-config-resource.html#GUC-WORK-MEM; hash tables get hash_mem_multiplier x work_mem).
 */
export const SORTS_PER_CONNECTION = 3;
/** work_mem is never set below PostgreSQL's own default, 4MB (same page). */
export const WORK_MEM_FLOOR_BYTES = 4 * MiB;

/** The connections reserved beside the application's pooling cap (superuser, replication, Patroni, exporters, backups). */
export function reservedConnectionCount(r: DatabaseConfig['reservedConnections']): number {
  return r.superuser + r.replication + r.patroni + r.exporters + r.backups;
}

/** max_connections: the pooling cap plus the reserved connections. */
export function maxConnections(db: Pick<DatabaseConfig, 'poolingCap' | 'reservedConnections'>): number {
  return db.poolingCap + reservedConnectionCount(db.reservedConnections);
}

/**
 * The application connections the memory limit holds: every connection (application and reserved) may use
 * SORTS_PER_CONNECTION x work_mem of what shared_buffers leaves, and work_mem is at least WORK_MEM_FLOOR_BYTES.
 * Beyond this many, postgresMemoryParameters' work_mem sits at the floor and the worst case exceeds the limit (the
 * OOM killer ends it).
 */
export function databaseConnectionBudget(db: Pick<DatabaseConfig, 'reservedConnections'>, limitBytes: number): number {
  return Math.floor((limitBytes * (1 - SHARED_BUFFERS_SHARE)) / (SORTS_PER_CONNECTION * WORK_MEM_FLOOR_BYTES)) - reservedConnectionCount(db.reservedConnections);
}

export function postgresMemoryParameters(db: Pick<DatabaseConfig, 'resources' | 'poolingCap' | 'reservedConnections'>): PostgresMemoryParameters {
  const memory = memoryBytes(db.resources.limits.memory);
  const conns = maxConnections(db);
  const shared = memory * SHARED_BUFFERS_SHARE;
  return {
    shared_buffers: mib(shared),
    effective_cache_size: mib(memory * 0.75),
    maintenance_work_mem: mib(Math.min(memory / 16, 2048 * MiB)),
    work_mem: mib(Math.max((memory - shared) / (conns * SORTS_PER_CONNECTION), WORK_MEM_FLOOR_BYTES)),
    max_connections: conns,
  };
}
