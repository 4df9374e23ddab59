import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { type DatabaseRoleSpec, loadEnvironment, PLATFORM_SERVICE_TABLE, passwordEnv, ROLE_RECONCILE_JOB, type ServiceTable } from '@optibid/constructs-lib';
import { renderEnvironmentManifests } from '@optibid/k8s-manifests';
import { asPostgres, dataNamespace, ENV, PgServer, renderedObjectByLabel, runRenderedInit, scratchDir, startRenderedPostgres, Substitutions, TEST_PASSWORDS, writeAsPostgres } from './support';

/**
 * Real-server test: the role-reconcile Job brings an EXISTING database to the services table. A PostgreSQL 17
 * server is bootstrapped with the rendered init (dist/: the current table, as Patroni's post_bootstrap runs it once);
 * then the Job's files are rendered in memory for a table with one role more (a "pricing" service: its own role,
 * schema, read access to the app schema, through PgBouncer) and the Job's command runs twice against that database,
 * with the Job's environment. The new role must log in with its password over TLS through the rendered pg_hba (no
 * pg_hba change: it is admitted as a member of the pooled group) and have its grants; the second run must change
 * nothing (the catalogs compared before and after) and fail on nothing. The Job logs in as the role administrator
 * (CREATEROLE, not a superuser): the rendered pg_hba refuses the superuser over TCP, whatever its password, and what
 * only a superuser may change fails the Job, naming the role.
 */
const subs = new Substitutions();
let pg: PgServer;
const config = loadEnvironment(ENV);
const SUPERUSER_PASSWORD = 'superuser-test-pw';
const ROLE_ADMIN = 'optibid_role_admin';

const PRICING: DatabaseRoleSpec = {
  role: 'optibid_pricing',
  secret: 'postgres/pricing',
  description: 'PostgreSQL role of the pricing service',
  login: 'pooler',
  connect: true,
  grants: [{ ownsSchema: 'pricing' }, { readsSchema: 'app' }],
};
const PRICING_PASSWORD = 'pricing-test-pw';
const withPricing: ServiceTable = { ...PLATFORM_SERVICE_TABLE, databaseRoles: [...PLATFORM_SERVICE_TABLE.databaseRoles, PRICING] };

/** The rendered Job and its ConfigMap for a table (in memory; the platform's table is what dist/ holds). */
function renderedJob(table: ServiceTable) {
  const files = renderEnvironmentManifests(config, table);
  const ns = dataNamespace();
  const jobs = [...files.entries()].filter(([f]) => f.startsWith(`${ns}/job-${ROLE_RECONCILE_JOB}-`)).map(([, t]) => parse(t));
  if (jobs.length !== 1) throw new Error(`${jobs.length} role-reconcile Jobs rendered`);
  const configMap = parse(files.get(`${ns}/configmap-${ROLE_RECONCILE_JOB}.yaml`)!);
  return { job: jobs[0], data: configMap.data as Record<string, string> };
}

/**
 * Runs the Job's container command as the Job runs it: its command, its environment (the secretKeyRefs resolved to the
 * test passwords), its ConfigMap's files; only where the server is differs (recorded).
 */
function runJob(table: ServiceTable, passwords: Record<string, string>): { code: number; output: string } {
  const { job, data } = renderedJob(table);
  const container = job.spec.template.spec.containers[0];
  const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'files').mountPath as string;
  const dir = scratchDir('roles');
  for (const [name, text] of Object.entries(data)) writeAsPostgres(path.join(dir, name), text, 0o755);
  subs.add(`the Job's ConfigMap files from ${dir} instead of ${mount}`);
  const env: Record<string, string> = {};
  for (const e of container.env as { name: string; value?: string; valueFrom?: { secretKeyRef: { key: string } } }[]) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) {
      const key = e.valueFrom.secretKeyRef.key;
      const value = passwords[key];
      if (value === undefined) throw new Error(`no test password for ${key}`);
      env[e.name] = value;
    }
  }
  env.PGHOST = '127.0.0.1';
  env.PGPORT = String(pg.port);
  subs.add(`PGHOST/PGPORT 127.0.0.1:${pg.port} instead of the read-write Service`);
  env.PGSSLMODE = 'require';
  delete env.PGSSLROOTCERT;
  subs.add('PGSSLMODE require instead of verify-full against the namespace CA (the test server has a self-signed certificate)');
  env.ROLES_SQL = path.join(dir, 'roles.sql');
  const command = (container.command as string[]).map((a) => a.replace(mount, dir));
  try {
    const output = asPostgres(command[0], command.slice(1), { env, timeoutMs: 120_000 });
    return { code: 0, output };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Everything a reconcile could change: roles, memberships, settings, ACLs, ownership, the auth_query function. */
function catalogState(): string {
  const shared = pg.psql(`SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
    SELECT format('role %s super=%s login=%s createdb=%s createrole=%s repl=%s bypassrls=%s pw=%s', rolname, rolsuper, rolcanlogin, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolpassword) FROM pg_authid
    UNION ALL SELECT format('member %s of %s inherit=%s set=%s admin=%s', member::regrole, roleid::regrole, inherit_option, set_option, admin_option) FROM pg_auth_members
    UNION ALL SELECT format('setting db=%s role=%s %s', setdatabase, setrole::regrole, setconfig) FROM pg_db_role_setting
    UNION ALL SELECT format('database %s owner=%s acl=%s', datname, datdba::regrole, datacl) FROM pg_database) s(x)`);
  const local = pg.psql(
    `SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
    SELECT format('schema %s owner=%s acl=%s', nspname, nspowner::regrole, nspacl) FROM pg_namespace
    UNION ALL SELECT format('function %s acl=%s src=%s', oid::regprocedure, proacl, md5(prosrc)) FROM pg_proc WHERE proacl IS NOT NULL OR pronamespace IN ('pgbouncer'::regnamespace, 'monitoring'::regnamespace)
    UNION ALL SELECT format('relation %s acl=%s', oid::regclass, relacl) FROM pg_class WHERE relacl IS NOT NULL
    UNION ALL SELECT format('default acl role=%s schema=%s type=%s %s', defaclrole::regrole, defaclnamespace::regnamespace, defaclobjtype, defaclacl) FROM pg_default_acl) s(x)`,
    'optibid',
  );
  return `${shared}\n${local}`;
}

const changes = (output: string) => output.split('\n').filter((l) => /^reconcile: (?!roles\.sql|\d+ roles log in)/.test(l));

beforeAll(async () => {
  pg = await startRenderedPostgres(subs);
  runRenderedInit(pg, subs);
  // Patroni sets the superuser's password at bootstrap (authentication.superuser, PATRONI_SUPERUSER_PASSWORD).
  pg.psql(`ALTER ROLE postgres PASSWORD '${SUPERUSER_PASSWORD}'`);
  subs.add("the superuser's password set by ALTER ROLE, as Patroni's bootstrap sets it");
});
afterAll(() => {
  pg?.stop();
  subs.report('role-reconcile');
});

test('the rendered Job is the one in dist/ for the current table (same command, environment and hash)', () => {
  const inDist = renderedObjectByLabel(dataNamespace(), 'Job', ROLE_RECONCILE_JOB);
  const { job } = renderedJob(PLATFORM_SERVICE_TABLE);
  expect(job).toEqual(inDist);
  // A table with a role more is another Job (its pod template is immutable) with the new role's password.
  const { job: extended } = renderedJob(withPricing);
  expect(extended.metadata.name).not.toBe(job.metadata.name);
  expect(extended.spec.template.spec.containers[0].env).toContainEqual({ name: passwordEnv(PRICING), valueFrom: { secretKeyRef: { name: 'postgres-credentials', key: passwordEnv(PRICING) } } });
});

test('the Job has no superuser password, and the superuser cannot log in over TCP at all, even with its password', () => {
  const { job } = renderedJob(PLATFORM_SERVICE_TABLE);
  const env = job.spec.template.spec.containers[0].env as { name: string; valueFrom?: { secretKeyRef: { key: string } } }[];
  expect(env.filter((e) => e.valueFrom && e.valueFrom.secretKeyRef.key.startsWith('PATRONI_'))).toEqual([]);
  for (const db of ['postgres', 'optibid', 'template1']) {
    expect(() => pg.psqlAs('postgres', SUPERUSER_PASSWORD, 'SELECT 1', db)).toThrow(/pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "postgres"/);
  }
  // The Job's role: CREATEROLE, and none of what only a superuser has or may give.
  expect(pg.psql(`SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = '${ROLE_ADMIN}'`)).toBe('f|t|f|f|f|t');
  expect(pg.psqlAs(ROLE_ADMIN, TEST_PASSWORDS.ROLE_ADMIN_PASSWORD, 'SELECT current_user, usesuper FROM pg_user WHERE usename = current_user', 'postgres')).toBe(`${ROLE_ADMIN}|f`);
});

test('on a database the current init SQL bootstrapped, the current table changes nothing', () => {
  const run = runJob(PLATFORM_SERVICE_TABLE, TEST_PASSWORDS);
  expect(run).toEqual({ code: 0, output: expect.stringContaining('reconcile: 6 roles log in with their passwords (0 password(s) set)') });
  expect(changes(run.output)).toEqual([]);
  expect(run.output).toContain('reconcile: roles.sql: nothing to change');
});

describe('a role added to the table after the bootstrap', () => {
  const passwords = { ...TEST_PASSWORDS, [passwordEnv(PRICING)]: PRICING_PASSWORD };
  const asPricing = (sql: string) => pg.psqlAs(PRICING.role, PRICING_PASSWORD, sql);
  let first: { code: number; output: string };

  beforeAll(() => {
    // The application's data before the new service exists: the new role must read it too.
    pg.psqlAs('optibid_app', TEST_PASSWORDS.APP_PASSWORD, 'CREATE TABLE app.bids (id int PRIMARY KEY, price numeric); INSERT INTO app.bids VALUES (1, 42.5)');
    first = runJob(withPricing, passwords);
  });

  test('the first run creates it, with its schema, grants and settings, and succeeds', () => {
    expect(first.code).toBe(0);
    expect(changes(first.output)).toEqual([
      'reconcile: create role optibid_pricing',
      'reconcile: optibid_pricing: member of optibid_pooled',
      'reconcile: optibid_pricing: CONNECT on database optibid',
      'reconcile: create schema pricing owned by optibid_pricing',
      'reconcile: optibid_pricing: SET search_path = pricing, public',
      'reconcile: optibid_pricing: USAGE on schema app',
      'reconcile: optibid_pricing: SELECT on the tables optibid_app creates in app',
      'reconcile: optibid_pricing: SELECT on the existing tables of app',
    ]);
    // Created by the role administrator: ADMIN on it (PostgreSQL grants it to the creator) and SET (createrole_self_grant).
    expect(pg.psql(`SELECT bool_or(admin_option), bool_or(set_option), bool_or(inherit_option) FROM pg_auth_members WHERE roleid = '${PRICING.role}'::regrole AND member = '${ROLE_ADMIN}'::regrole`)).toBe('t|t|f');
    expect(first.output).toContain('reconcile: 7 roles log in with their passwords (0 password(s) set)');
  });

  test('it logs in with its password over TLS through the rendered pg_hba, and has exactly its grants', () => {
    expect(asPricing('SELECT current_user')).toBe(PRICING.role);
    expect(asPricing('SHOW search_path')).toBe('pricing, public');
    asPricing('CREATE TABLE quotes (id int PRIMARY KEY, price numeric)');
    expect(asPricing("SELECT to_regclass('pricing.quotes') IS NOT NULL")).toBe('t');
    expect(asPricing('SELECT price FROM app.bids')).toBe('42.5');
    // Default privileges: a table the application creates later is readable too.
    pg.psqlAs('optibid_app', TEST_PASSWORDS.APP_PASSWORD, 'CREATE TABLE app.offers (id int); INSERT INTO app.offers VALUES (7)');
    expect(asPricing('SELECT id FROM app.offers')).toBe('7');
    expect(() => asPricing('INSERT INTO app.bids VALUES (2, 1)')).toThrow(/permission denied/);
    expect(() => asPricing('CREATE TABLE app.intruder (id int)')).toThrow(/permission denied/);
    expect(() => asPricing('CREATE ROLE intruder')).toThrow(/permission denied/);
    expect(() => asPricing('SELECT * FROM monitoring.backup_runs')).toThrow(/permission denied/);
    // Only a member of the pooled group: it gets none of the group's privileges.
    expect(pg.psql(`SELECT inherit_option, set_option FROM pg_auth_members WHERE member = '${PRICING.role}'::regrole AND roleid = 'optibid_pooled'::regrole`)).toBe('f|f');
    // PgBouncer's auth_query now serves it, the function unchanged (a member of the pooled group); still never a
    // superuser, the pooler itself, the role administrator or a role that does not log in through the pooler.
    const asPooler = (sql: string) => pg.psqlAs('pgbouncer', TEST_PASSWORDS.POOLER_PASSWORD, sql);
    expect(asPooler(`SELECT usename, left(passwd, 14) FROM pgbouncer.get_auth('${PRICING.role}')`)).toBe(`${PRICING.role}|SCRAM-SHA-256$`);
    for (const other of ['postgres', 'pgbouncer', ROLE_ADMIN, 'monitoring', 'rewinder', 'replicator']) expect({ other, n: asPooler(`SELECT count(*) FROM pgbouncer.get_auth('${other}')`) }).toEqual({ other, n: '0' });
  });

  test('a second run changes nothing and fails on nothing', () => {
    const before = catalogState();
    const second = runJob(withPricing, passwords);
    expect(second.code).toBe(0);
    expect(changes(second.output)).toEqual([]);
    expect(second.output).toContain('reconcile: roles.sql: nothing to change');
    expect(second.output).toContain('reconcile: 7 roles log in with their passwords (0 password(s) set)');
    expect(catalogState()).toBe(before);
  });

  test("a rotated Secret: the run sets that role's password, and only that one", () => {
    const rotated = { ...passwords, [passwordEnv(PRICING)]: 'pricing-rotated-pw' };
    const run = runJob(withPricing, rotated);
    expect(run.code).toBe(0);
    expect(changes(run.output)).toEqual([expect.stringMatching(/^reconcile: set the password of optibid_pricing \(login failed: .*password authentication failed/)]);
    expect(run.output).toContain('(1 password(s) set)');
    expect(pg.psqlAs(PRICING.role, 'pricing-rotated-pw', 'SELECT 1')).toBe('1');
    expect(() => asPricing('SELECT 1')).toThrow(/password authentication failed/);
  });
});

describe('what only a superuser may do fails the Job, naming the role', () => {
  const asSuperuser = (sql: string, db?: string) => pg.psql(sql, db);

  test('an attribute the role administrator does not have (REPLICATION)', () => {
    asSuperuser('ALTER ROLE optibid_analyst REPLICATION');
    try {
      const run = runJob(PLATFORM_SERVICE_TABLE, TEST_PASSWORDS);
      expect(run.code).not.toBe(0);
      expect(run.output).toMatch(/ERROR: {2}reconcile: only a superuser may clear SUPERUSER, REPLICATION, BYPASSRLS or CREATEDB \(optibid_role_admin may not\), and these roles of the table have them: optibid_analyst \(REPLICATION\): ALTER ROLE optibid_analyst NOSUPERUSER NOREPLICATION NOBYPASSRLS NOCREATEDB;/);
      expect(run.output).not.toContain('roles log in with their passwords');
    } finally {
      asSuperuser('ALTER ROLE optibid_analyst NOREPLICATION');
    }
  });

  test('a role the role administrator holds no ADMIN option on', () => {
    asSuperuser(`REVOKE ADMIN OPTION FOR monitoring FROM ${ROLE_ADMIN}`);
    try {
      const run = runJob(PLATFORM_SERVICE_TABLE, TEST_PASSWORDS);
      expect(run.code).not.toBe(0);
      expect(run.output).toMatch(/ERROR: {2}reconcile: optibid_role_admin holds no ADMIN option on these roles of the table, so it may not alter them or set their passwords: monitoring /);
    } finally {
      asSuperuser(`GRANT monitoring TO ${ROLE_ADMIN} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE`);
    }
  });

  test('an auth_query function that is not the rendered one (only a superuser may replace it)', () => {
    // The rendered function kept aside (with its grants), an older body in its place.
    asSuperuser('ALTER FUNCTION pgbouncer.get_auth(text) RENAME TO get_auth_rendered', 'optibid');
    asSuperuser("CREATE FUNCTION pgbouncer.get_auth(p_usename text) RETURNS TABLE (usename name, passwd text) LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$ SELECT rolname, rolpassword FROM pg_authid WHERE rolname = p_usename AND rolname IN ('optibid_app') $$", 'optibid');
    try {
      const run = runJob(PLATFORM_SERVICE_TABLE, TEST_PASSWORDS);
      expect(run.code).not.toBe(0);
      expect(run.output).toMatch(/ERROR: {2}reconcile: pgbouncer\.get_auth is not the rendered function/);
    } finally {
      asSuperuser('DROP FUNCTION pgbouncer.get_auth(text)', 'optibid');
      asSuperuser('ALTER FUNCTION pgbouncer.get_auth_rendered(text) RENAME TO get_auth', 'optibid');
    }
    expect(runJob(PLATFORM_SERVICE_TABLE, TEST_PASSWORDS).code).toBe(0);
  });

  test('a grant the role administrator holds no grant option for (a pg_catalog file function)', () => {
    const files: DatabaseRoleSpec = { role: 'optibid_files', secret: 'postgres/files', description: 'test', login: 'direct', databases: ['postgres'], grants: [{ execute: 'pg_catalog.pg_ls_dir(text, boolean, boolean)' }] };
    const run = runJob({ ...PLATFORM_SERVICE_TABLE, databaseRoles: [...PLATFORM_SERVICE_TABLE.databaseRoles, files] }, { ...TEST_PASSWORDS, FILES_PASSWORD: 'files-pw' });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('reconcile: optibid_files: EXECUTE on pg_catalog.pg_ls_dir(text, boolean, boolean)');
    expect(run.output).toMatch(/ERROR: {2}(permission denied for function pg_ls_dir|reconcile: optibid_files: EXECUTE on pg_catalog\.pg_ls_dir\(text, boolean, boolean\): still to do after the step \(optibid_role_admin may not do it)/);
    expect(pg.psql("SELECT has_function_privilege('optibid_files', 'pg_catalog.pg_ls_dir(text, boolean, boolean)', 'EXECUTE')")).toBe('f');
  });
});

test('the Job fails, naming the role, when a role cannot log in whatever its password (no pg_hba line)', () => {
  // A role that logs in directly, to a database no pg_hba line admits it to.
  const stranded: DatabaseRoleSpec = { role: 'optibid_stranded', secret: 'postgres/stranded', description: 'test', login: 'direct', databases: ['postgres'], grants: [] };
  const run = runJob({ ...PLATFORM_SERVICE_TABLE, databaseRoles: [...PLATFORM_SERVICE_TABLE.databaseRoles, stranded] }, { ...TEST_PASSWORDS, STRANDED_PASSWORD: 'stranded-pw' });
  expect(run.code).not.toBe(0);
  expect(run.output).toMatch(/reconcile: optibid_stranded cannot log in to postgres with the password of its Secret: .*pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "optibid_stranded"/);
  expect(fs.existsSync(pg.log)).toBe(true);
});
