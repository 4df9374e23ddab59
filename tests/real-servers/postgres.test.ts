import { parse } from 'yaml';
import { dataNamespace, PgServer, renderedConfigMap, renderedPatroni, runRenderedInit, startRenderedPostgres, Substitutions, TEST_PASSWORDS, TIMESCALEDB_AVAILABLE } from './support';

/** Real-server test 1: PostgreSQL 17 with the rendered parameters, the rendered init SQL, least privilege. */
const subs = new Substitutions();
let pg: PgServer;

beforeAll(async () => {
  pg = await startRenderedPostgres(subs);
  runRenderedInit(pg, subs);
});
afterAll(() => {
  pg?.stop();
  subs.report('postgres');
});

test('the server runs with the rendered memory, connection and WAL parameters', () => {
  const rendered = renderedPatroni().bootstrap.dcs.postgresql.parameters;
  expect(pg.psql('SHOW max_connections')).toBe(String(rendered.max_connections));
  // pg_settings reports shared_buffers in 8 kB pages and work_mem in kB.
  expect(Number(pg.psql("SELECT setting FROM pg_settings WHERE name = 'shared_buffers'")) * 8 / 1024).toBe(parseInt(rendered.shared_buffers, 10));
  expect(Number(pg.psql("SELECT setting FROM pg_settings WHERE name = 'work_mem'")) / 1024).toBe(parseInt(rendered.work_mem, 10));
  expect(pg.psql("SELECT setting FROM pg_settings WHERE name = 'archive_timeout'")).toBe(String(rendered.archive_timeout));
  expect(pg.psql('SHOW password_encryption')).toBe('scram-sha-256');
  expect(pg.psql('SHOW ssl')).toBe('on');
  expect(pg.psql('SHOW wal_level')).toBe('replica');
  expect(pg.psql('SHOW shared_preload_libraries')).toContain('pg_cron');
});

test('init SQL created the database, PostGIS and pg_cron (TimescaleDB only where packaged)', () => {
  const ext = pg.psql('SELECT string_agg(extname, \',\' ORDER BY extname) FROM pg_extension', 'optibid').split(',');
  expect(ext).toEqual(expect.arrayContaining(['pg_cron', 'postgis', 'pg_stat_statements']));
  if (TIMESCALEDB_AVAILABLE) expect(ext).toContain('timescaledb');
  else console.log('TimescaleDB: SKIPPED (not packaged in Debian); the init SQL skipped CREATE EXTENSION timescaledb');
  expect(pg.psql("SELECT postgis_version() IS NOT NULL", 'optibid')).toBe('t');
});

test('the application role cannot create roles or read other schemas; the analyst cannot write', () => {
  // Real logins over TCP + TLS + scram-sha-256, through the rendered pg_hba.
  const asApp = (sql: string) => pg.psqlAs('optibid_app', TEST_PASSWORDS.APP_PASSWORD, sql);
  const asAnalyst = (sql: string) => pg.psqlAs('optibid_analyst', TEST_PASSWORDS.ANALYST_PASSWORD, sql);
  expect(() => asApp('CREATE ROLE intruder')).toThrow(/permission denied/);
  expect(() => asApp('SELECT * FROM monitoring.backup_runs')).toThrow(/permission denied/);
  expect(() => asApp('SELECT * FROM pgbouncer.get_auth(\'optibid_app\')')).toThrow(/permission denied/);
  asApp('CREATE TABLE app.bids (id int PRIMARY KEY, price numeric)');
  asApp('INSERT INTO app.bids VALUES (1, 42.5)');
  expect(asAnalyst('SELECT price FROM app.bids')).toBe('42.5');
  expect(() => asAnalyst('INSERT INTO app.bids VALUES (2, 1)')).toThrow(/read-only transaction|permission denied/);
  // The superuser may not log in over the network at all (pg_hba: socket only), to any database.
  for (const db of ['optibid', 'postgres', 'template1']) expect(() => pg.psqlAs('postgres', 'anything', 'SELECT 1', db)).toThrow(/pg_hba.conf rejects connection/);
});

test('the pooler auth_query function returns SCRAM secrets for application roles only', () => {
  const asPooler = (sql: string) => pg.psqlAs('pgbouncer', TEST_PASSWORDS.POOLER_PASSWORD, sql);
  expect(asPooler("SELECT usename, left(passwd, 14) FROM pgbouncer.get_auth('optibid_app')")).toBe('optibid_app|SCRAM-SHA-256$');
  expect(asPooler("SELECT usename, left(passwd, 14) FROM pgbouncer.get_auth('optibid_analyst')")).toBe('optibid_analyst|SCRAM-SHA-256$');
  // Never the superuser, the pooler itself, the role administrator or a role that does not log in through the pooler.
  for (const role of ['postgres', 'pgbouncer', 'optibid_role_admin', 'monitoring', 'backup', 'rewinder']) expect({ role, n: asPooler(`SELECT count(*) FROM pgbouncer.get_auth('${role}')`) }).toEqual({ role, n: '0' });
  expect(() => asPooler('SELECT rolpassword FROM pg_authid')).toThrow(/permission denied/);
});

test('every rendered postgres_exporter custom query runs as the monitoring role and returns its declared metric columns', () => {
  const queries = parse(renderedConfigMap(dataNamespace(), 'postgres-exporter-queries')['queries.yaml']) as Record<string, { query: string; metrics: Record<string, unknown>[] }>;
  expect(Object.keys(queries)).toEqual(expect.arrayContaining(['pg_archiver', 'pg_replication_streaming', 'pg_backup']));
  // A backup run recorded the way the backup CronJobs record it, so pg_backup returns a row.
  pg.psqlAs('backup', TEST_PASSWORDS.BACKUP_PASSWORD, "SELECT monitoring.record_backup('full')", 'optibid');
  const asMonitoring = (sql: string) => pg.psqlAs('monitoring', TEST_PASSWORDS.MONITORING_PASSWORD, sql, 'optibid');
  for (const [name, q] of Object.entries(queries)) {
    const declared = q.metrics.map((m) => Object.keys(m)[0]).sort();
    const row = asMonitoring(`SELECT to_json(q) FROM (${q.query}) q LIMIT 1`);
    expect({ name, returned: Object.keys(JSON.parse(row)).sort() }).toEqual({ name, returned: declared });
  }
  // A single server streams to nobody: the primary-side replica count is 0 (what PostgresReplicaNotStreaming reads).
  expect(asMonitoring(`SELECT replicas FROM (${queries.pg_replication_streaming.query}) q`)).toBe('0');
});
