import { ConfigValidationError, validateEnvironmentConfig } from '../src/config/validate';
import { maxConnections } from '../src/config/database-schema';
import { production, dev } from '../src/environments';
import { postgresMemoryParameters } from '../src/sizing/postgres-parameters';

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
  test('pooling invariant: replicas x server connections per replica may not exceed the cap', () => {
    expect(violations(prod((c) => (c.database.pooler = { replicas: 3, serverConnectionsPerReplica: 100 })))).toContainEqual({
      field: 'database.pooler.serverConnectionsPerReplica',
      message: 'pooling invariant broken: 3 replicas x 100 server connections = 300, above the pooling cap of 200',
    });
    expect(violations(prod((c) => (c.database.pooler = { replicas: 4, serverConnectionsPerReplica: 50 })))).toEqual([]);
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
    expect(violations(prod((c) => (c.database.backups = { fullSchedule: 'weekly' })))).toContainEqual({ field: 'database.backups.fullSchedule', message: 'must be a five-field cron expression' });
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
