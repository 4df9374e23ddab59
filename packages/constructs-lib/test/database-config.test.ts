import { ConfigValidationError, validateEnvironmentConfig } from '../src/config/validate';
import { poolerRollout } from '../src/config/database-schema';
import { production, dev } from '../src/environments';
import { databaseConnectionBudget, maxConnections, postgresMemoryParameters } from '../src/sizing/postgres-parameters';
import { memoryBytes } from '../src/util/quantity';

const prod = (change: (c: any) => void) => {
  const c = structuredClone(production) as any;
  change(c);
  return c;
};
function violations(input: unknown): { field: string; message: string }[] {
  try {
    validateEnvironmentConfig(input);
  } catch (e) {
    if (e instanceof ConfigValidationError) return [...e.violations];
    throw e;
  }
  return [];
}

describe('PostgreSQL tier config', () => {
  const RULE = '(replicas + maxSurge) x serverConnectionsPerReplica must be <= poolingCap';

  test('pooling invariant: replicas x server connections per replica may not exceed the cap', () => {
    expect(violations(prod((c) => (c.database.pooler = { replicas: 3, serverConnectionsPerReplica: 100 })))).toContainEqual({
      field: 'database.pooler.serverConnectionsPerReplica',
      message: `pooling invariant broken: the rollout peak (replicas 3 + maxSurge 0) x serverConnectionsPerReplica 100 = 300 server connections, above the pooling cap (poolingCap) of 200: ${RULE}`,
    });
    expect(violations(prod((c) => (c.database.pooler = { replicas: 4, serverConnectionsPerReplica: 50 })))).toEqual([]);
  });

  test('pooling invariant counts the rollout peak: 2 replicas x 100 with maxSurge 1 is 300 > 200 (issue 13, defect 7)', () => {
    const v = violations(prod((c) => (c.database.pooler = { replicas: 2, serverConnectionsPerReplica: 100, maxSurge: 1 })));
    expect(v).toEqual([
      {
        field: 'database.pooler.maxSurge',
        message: `pooling invariant broken: the rollout peak (replicas 2 + maxSurge 1) x serverConnectionsPerReplica 100 = 300 server connections, above the pooling cap (poolingCap) of 200: ${RULE}`,
      },
    ]);
    // The same surge fits once per-pod connections leave room for it: 3 x 66 = 198.
    expect(violations(prod((c) => (c.database.pooler = { replicas: 2, serverConnectionsPerReplica: 66, maxSurge: 1 })))).toEqual([]);
    // The default: no surge, one pod replaced at a time (maxUnavailable 1), the peak is the replica count.
    const db = validateEnvironmentConfig(production).database;
    expect(db.pooler.maxSurge).toBe(0);
    expect(poolerRollout(db.pooler)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(poolerRollout({ maxSurge: 1 })).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  test('max_connections is the cap plus every reserved connection', () => {
    const db = validateEnvironmentConfig(production).database;
    expect(maxConnections(db)).toBe(200 + 5 + 5 + 3 + 3 + 4);
  });

  test('archive_timeout above 60 s breaks the RPO bound', () => {
    expect(violations(prod((c) => (c.database.backups = { archiveTimeoutSeconds: 300 })))).toContainEqual({ field: 'database.backups.archiveTimeoutSeconds', message: expect.stringMatching(/at most 60 s/) });
  });

  test('staging and production need a replica and two poolers; dev may run one of each', () => {
    const v = violations(prod((c) => ((c.database.members = 1), (c.database.synchronousMode = false), (c.database.pooler.replicas = 1))));
    expect(v.map((x) => x.field)).toEqual(expect.arrayContaining(['database.members', 'database.pooler.replicas']));
    expect(validateEnvironmentConfig(dev).database.members).toBe(1);
  });

  test('synchronous mode needs two members', () => {
    const d = structuredClone(dev) as any;
    d.database.synchronousMode = true;
    expect(violations(d)).toContainEqual({ field: 'database.synchronousMode', message: 'synchronous mode needs at least 2 members' });
  });

  test('a malformed backup schedule names the field', () => {
    expect(violations(prod((c) => (c.database.backups = { fullSchedule: 'weekly' })))).toContainEqual({ field: 'database.backups.fullSchedule', message: "must be a CronJob schedule: 'weekly' has 1 field(s): a CronJob schedule has five (minute hour day-of-month month day-of-week)" });
  });
});

describe('PostgreSQL memory parameters (one rule from the memory limit)', () => {
  test.each([
    ['8Gi', '2048MB', '6144MB', '512MB', '9MB'],
    ['1Gi', '256MB', '768MB', '64MB', '4MB'],
    ['64Gi', '16384MB', '49152MB', '2048MB', '74MB'],
  ])('%s -> shared_buffers %s, effective_cache_size %s, maintenance_work_mem %s, work_mem %s', (mem, sb, ecs, mwm, wm) => {
    const db = { ...validateEnvironmentConfig(production).database, resources: { requests: { cpu: '1', memory: mem }, limits: { memory: mem } } };
    expect(postgresMemoryParameters(db)).toMatchObject({ shared_buffers: sb, effective_cache_size: ecs, maintenance_work_mem: mwm, work_mem: wm, max_connections: 220 });
  });
});

describe('the connection budget is the largest pooling cap whose worst case fits the memory limit', () => {
  // Worst case as the rendered parameters allow it: shared_buffers plus 3 work_mem-sized operations per connection.
  const worstCase = (db: Parameters<typeof postgresMemoryParameters>[0]) => {
    const p = postgresMemoryParameters(db);
    const mb = (v: string) => Number(v.replace(/MB$/, '')) * 1024 ** 2;
    return mb(p.shared_buffers) + p.max_connections * 3 * mb(p.work_mem);
  };
  test.each(['1Gi', '2Gi', '8Gi', '16Gi', '64Gi'])('%s', (mem) => {
    const base = { ...validateEnvironmentConfig(production).database, resources: { requests: { cpu: '1', memory: mem }, limits: { memory: mem } } };
    const limit = memoryBytes(mem);
    const budget = databaseConnectionBudget(base, limit);
    expect(worstCase({ ...base, poolingCap: budget })).toBeLessThanOrEqual(limit);
    expect(worstCase({ ...base, poolingCap: budget + 1 })).toBeGreaterThan(limit);
  });
});
