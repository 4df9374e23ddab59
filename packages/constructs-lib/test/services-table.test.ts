import { Testing } from 'cdk8s';
import { loadEnvironment } from '../src/environments';
import { platformNames, PLATFORM_SECRETS } from '../src/naming/naming';
import {
  APP_SERVICES,
  type DatabaseRoleSpec,
  PLATFORM_SERVICE_TABLE,
  passwordEnv,
  pgbouncerClients,
  platformCreatedRoles,
  ROLE_RECONCILE_JOB,
  serviceSecretKeys,
  serviceTableProblems,
  type ServiceTable,
} from '../src/naming/services';
import * as fs from 'fs';
import * as path from 'path';
import { credentialKeys, getAuthBody, initSql, pgHbaRules, postBootstrapScript, roleAdminSql } from '../src/k8s/postgres/postgres-files';
import { PostgresRoleReconcile, ROLE_RECONCILE_RESOURCES } from '../src/k8s/postgres/role-reconcile';
import { roleReconcileScript, roleReconcileSql } from '../src/k8s/postgres/role-reconcile-files';
import { aclTemplate } from '../src/k8s/redis/redis-files';
import { DATA_CONTAINER_RESOURCES } from '../src/k8s/postgres/resources';
import { cpuMillis, memoryBytes } from '../src/util/quantity';

/**
 * The services table (naming/services.ts) is the one place a database role, a Redis user or an application service is
 * declared: its rules hold, and what is generated from it follows a new row without any other edit.
 */
const config = loadEnvironment('production');

const FORECAST_ROLE: DatabaseRoleSpec = { role: 'optibid_forecast', secret: 'postgres/forecast', description: 'forecast', login: 'pooler', connect: true, grants: [{ ownsSchema: 'forecast' }] };
const withForecast: ServiceTable = {
  databaseRoles: [...PLATFORM_SERVICE_TABLE.databaseRoles, FORECAST_ROLE],
  redisUsers: [...PLATFORM_SERVICE_TABLE.redisUsers, { user: 'optibid_forecast', secret: 'redis/forecast', description: 'forecast', acl: '~forecast:* &* +@all -@admin -@dangerous' }],
  appServices: [...PLATFORM_SERVICE_TABLE.appServices, { name: 'forecast', component: 'api', port: 8001, metricsPort: 9001, database: 'optibid_forecast', redis: 'optibid_forecast', callers: ['backend'], secrets: [] }],
};

test('the platform table is consistent, and the secrets of its roles and users are platform secrets, in its order', () => {
  expect(serviceTableProblems(PLATFORM_SERVICE_TABLE, Object.keys(PLATFORM_SECRETS))).toEqual([]);
  const tableSecrets = [...PLATFORM_SERVICE_TABLE.databaseRoles.map((r) => r.secret), ...PLATFORM_SERVICE_TABLE.redisUsers.map((u) => u.secret)];
  expect(Object.keys(PLATFORM_SECRETS).slice(0, tableSecrets.length)).toEqual(tableSecrets);
  expect(PLATFORM_SECRETS['postgres/app']).toEqual({ kind: 'password', username: 'optibid_app', description: 'PostgreSQL application role' });
  expect(platformNames(config).database.appRole).toBe('optibid_app');
});

test('the table rules catch duplicates, dangling references and a service whose role bypasses the pooler', () => {
  const broken: ServiceTable = {
    ...withForecast,
    databaseRoles: [...withForecast.databaseRoles, { ...FORECAST_ROLE, login: 'direct' }, { role: 'optibid_admin2', secret: 'postgres/admin2', description: 'a second role administrator', login: 'pooler', grants: [{ administersRoles: true }] }],
    appServices: [...withForecast.appServices, { ...APP_SERVICES[0], name: 'Bad_Name', database: 'nobody', callers: ['ghost'] }],
  };
  expect(serviceTableProblems(broken, Object.keys(PLATFORM_SECRETS))).toEqual(
    expect.arrayContaining([
      "database role 'optibid_forecast' appears twice",
      "secret 'postgres/forecast' appears twice",
      "application service 'Bad_Name' is not a DNS label",
      "Bad_Name: no database role 'nobody'",
      "Bad_Name: unknown caller 'ghost'",
      "exactly one role needs the administersRoles grant (the role-reconcile Job's role)",
      'optibid_admin2: the role administrator logs in directly to postgres and the application database, and has no other grant',
    ]),
  );
});

test('the superuser logs in over the local socket only; the role-reconcile Job logs in as the role administrator, CREATEROLE and nothing more', () => {
  const input = { config, names: platformNames(config) };
  const superuser = PLATFORM_SERVICE_TABLE.databaseRoles.find((r) => r.patroni === 'superuser')!.role;
  const network = pgHbaRules(input).filter((l) => l.startsWith('host') && !l.endsWith(' reject'));
  expect(network.filter((l) => l.split(' ')[2].split(',').includes(superuser))).toEqual([]);
  expect(network).toContain('hostssl postgres,optibid optibid_role_admin 10.30.0.0/16 scram-sha-256');
  // The one role of the init SQL with CREATEROLE, and no role there is created with SUPERUSER, REPLICATION, BYPASSRLS or CREATEDB.
  const creates = initSql(input).split('\n').filter((l) => l.startsWith('CREATE ROLE'));
  expect(creates.filter((l) => / CREATEROLE/.test(l))).toEqual(["CREATE ROLE optibid_role_admin LOGIN PASSWORD :'role_admin_password' NOSUPERUSER NOCREATEDB CREATEROLE NOREPLICATION NOBYPASSRLS;"]);
  for (const l of creates) expect(l).not.toMatch(/ (SUPERUSER|REPLICATION|BYPASSRLS|CREATEDB)\b/);
  const script = roleReconcileScript(input);
  expect(script).toContain('-U optibid_role_admin');
  expect(script).not.toMatch(new RegExp(`-U ${superuser}\\b`));
  // roles.sql never replaces the auth_query function (a superuser's): it only checks it.
  expect(roleReconcileSql(input)).not.toMatch(/CREATE (OR REPLACE )?FUNCTION/);
});

test('a row more reaches every generated place: secrets, credentials, pg_hba, init SQL, post-bootstrap, ACLs, pooler peers', () => {
  const names = platformNames(config, withForecast);
  const input = { config, names };
  expect(names.secrets['postgres/forecast' as keyof typeof names.secrets].name).toBe('optibid/production/postgres/forecast');
  expect(credentialKeys(withForecast)).toContainEqual({ key: 'FORECAST_PASSWORD', from: 'postgres/forecast' });
  const pooled = withForecast.databaseRoles.filter((r) => r.login === 'pooler' && r.role !== 'pgbouncer').map((r) => r.role);
  expect(pooled).toContain('optibid_forecast');
  expect(pgHbaRules(input)).toContain(`hostssl optibid pgbouncer,${pooled.join(',')} 10.30.0.0/16 scram-sha-256`);
  expect(initSql(input)).toContain("CREATE ROLE optibid_forecast LOGIN PASSWORD :'forecast_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;");
  expect(initSql(input)).toContain('CREATE SCHEMA forecast AUTHORIZATION optibid_forecast;');
  // A member of the pooled group; the role administrator holds ADMIN on it, and SET (it owns a schema).
  expect(initSql(input)).toContain(`GRANT optibid_pooled TO ${pooled.filter((r) => r !== 'pgbouncer').join(', ')} WITH INHERIT FALSE, SET FALSE;`);
  expect(initSql(input)).toContain('GRANT optibid_app, optibid_forecast TO optibid_role_admin WITH ADMIN TRUE, INHERIT FALSE, SET TRUE;');
  // PgBouncer's auth_query function serves the group's members: the same function for a table with a pooled role more.
  expect(getAuthBody(withForecast)).toBe(getAuthBody(PLATFORM_SERVICE_TABLE));
  expect(initSql(input)).toContain(getAuthBody(PLATFORM_SERVICE_TABLE));
  expect(postBootstrapScript(withForecast)).toContain('-v forecast_password="$FORECAST_PASSWORD"');
  expect(aclTemplate(withForecast)).toContain('user optibid_forecast on >{{ .forecast }} ~forecast:* &* +@all -@admin -@dangerous');
  expect(pgbouncerClients(withForecast).map((s) => s.name)).toEqual([...pgbouncerClients(PLATFORM_SERVICE_TABLE).map((s) => s.name), 'forecast']);
  expect(serviceSecretKeys(withForecast, withForecast.appServices[withForecast.appServices.length - 1])).toEqual([
    { key: 'DATABASE_PASSWORD', from: 'postgres/forecast', property: 'password' },
    { key: 'REDIS_USERNAME', from: 'redis/forecast', property: 'username' },
    { key: 'REDIS_PASSWORD', from: 'redis/forecast', property: 'password' },
  ]);
  // The reconcile SQL creates it and the script sets and checks its password.
  expect(roleReconcileSql(input)).toContain("CREATE ROLE optibid_forecast LOGIN PASSWORD :'forecast_password'");
  expect(roleReconcileScript(input)).toContain(`check optibid_forecast optibid "$${passwordEnv(FORECAST_ROLE)}" forecast_password`);
});

test("the runbook's one-time step for an existing cluster runs the init SQL's statements for the role administrator and the rendered auth_query function", () => {
  const flat = (t: string) => t.replace(/\s+/g, ' ');
  const runbook = flat(fs.readFileSync(path.resolve(__dirname, '../../../docs/runbooks/postgres.md'), 'utf8'));
  const { cluster, database, objects } = roleAdminSql(PLATFORM_SERVICE_TABLE, platformNames(config).database.name);
  const inRunbook = (statement: string) => expect({ statement, inRunbook: runbook.includes(flat(statement)) }).toEqual({ statement, inRunbook: true });
  // The CREATE ROLE with its password is split there (created without it, its password set from the Secret after).
  const attributes = /^CREATE ROLE optibid_role_admin LOGIN PASSWORD :'role_admin_password' (.*);$/.exec(cluster[0]);
  expect(attributes).not.toBeNull();
  inRunbook(`CREATE ROLE optibid_role_admin LOGIN ${attributes![1]};`);
  inRunbook(`ALTER ROLE optibid_role_admin LOGIN ${attributes![1]} PASSWORD :'role_admin_password';`);
  for (const statement of [...cluster.slice(1), ...database, ...objects]) inRunbook(statement);
  inRunbook(`$$${getAuthBody(PLATFORM_SERVICE_TABLE)}$$;`);
});

describe('the role-reconcile Job', () => {
  const render = (table: ServiceTable) => {
    const names = platformNames(config, table);
    const chart = Testing.chart();
    const job = new PostgresRoleReconcile(chart, 'Roles', { config, names, postgresName: 'postgres' });
    return { name: job.jobName, objects: Testing.synth(chart) };
  };
  const current = render(PLATFORM_SERVICE_TABLE);
  const find = (kind: string) => current.objects.find((o) => o.kind === kind)!;

  test('is named with a short hash of its pod template and files: a changed table is another Job', () => {
    expect(current.name).toMatch(new RegExp(`^${ROLE_RECONCILE_JOB}-[0-9a-f]{8}$`));
    expect(render(PLATFORM_SERVICE_TABLE).name).toBe(current.name);
    expect(render(withForecast).name).not.toBe(current.name);
  });

  test('runs restricted, without a service-account token, with a TTL, the pinned PostgreSQL image and the secrets it needs', () => {
    const spec = find('Job').spec;
    expect(spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    const pod = spec.template.spec;
    expect(pod).toMatchObject({ automountServiceAccountToken: false, restartPolicy: 'Never', securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } });
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.image).toMatch(/^timescale\/timescaledb-ha:/);
    // One per role the platform creates (init order: Patroni's rewind role last), the role administrator's included; never
    // the superuser's, nor any other Patroni password.
    const keys = c.env.filter((e: any) => e.valueFrom).map((e: any) => e.valueFrom.secretKeyRef.key);
    expect(keys).toEqual(platformCreatedRoles(PLATFORM_SERVICE_TABLE).map(passwordEnv));
    expect(keys).toContain('ROLE_ADMIN_PASSWORD');
    expect(keys.filter((k: string) => k.startsWith('PATRONI_'))).toEqual([]);
    expect(c.env).toContainEqual({ name: 'PGSSLMODE', value: 'verify-full' });
  });

  test('its egress policy admits PostgreSQL on 5432 only', () => {
    const np = find('NetworkPolicy');
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': ROLE_RECONCILE_JOB, 'app.kubernetes.io/instance': `${ROLE_RECONCILE_JOB}-production` } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
    });
  });

  test("fits in the pooler's rollout-surge pod, which the quota counts and which is free when the deploy runs it", () => {
    const pooler = [DATA_CONTAINER_RESOURCES.pgbouncer, DATA_CONTAINER_RESOURCES.pgbouncerExporter];
    const sum = (f: (r: (typeof pooler)[number]) => number) => pooler.reduce((a, r) => a + f(r), 0);
    expect(cpuMillis(ROLE_RECONCILE_RESOURCES.requests.cpu)).toBeLessThanOrEqual(sum((r) => cpuMillis(r.requests.cpu)));
    expect(memoryBytes(ROLE_RECONCILE_RESOURCES.requests.memory)).toBeLessThanOrEqual(sum((r) => memoryBytes(r.requests.memory)));
    expect(memoryBytes(ROLE_RECONCILE_RESOURCES.limits.memory)).toBeLessThanOrEqual(sum((r) => memoryBytes(r.limits.memory)));
  });
});
