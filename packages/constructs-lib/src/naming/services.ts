/**
 * The services table: the platform's database roles, its Redis ACL users and its backend-like application services,
 * with what each may do and who connects with it. Pure data (the data layer: no construct library). Everything that
 * names a role, a password, a grant or a client is generated from it, so adding a service is one entry here (plus
 * its image and size in the environment config):
 *
 * - PostgreSQL (k8s/postgres/postgres-files.ts): the init SQL's roles and grants, the pg_hba lines, the psql
 *   variables of post-bootstrap.sh, the credentials ExternalSecret, PgBouncer's auth_query role list, and the
 *   role-reconcile Job's SQL (k8s/postgres/role-reconcile.ts), which brings an existing database to the table;
 * - Redis (k8s/redis/redis-files.ts): the ACL users and the redis-auth ExternalSecret;
 * - Secrets Manager (naming.ts PLATFORM_SECRETS, created by the data stack);
 * - the application services (k8s-manifests app chart): configuration (the backend contract below), secrets,
 *   workloads and network policies; the PgBouncer and Redis network policies admit the services' pods;
 * - docker compose (compose/): the variables, the init hook, the Redis users and the services;
 * - verify's traffic expectations (packages/verify/src/checks/traffic/expectations.ts).
 */

/** What a database role may do besides logging in. */
export type DatabaseGrant =
  /** Member of a predefined role (`GRANT pg_monitor TO ...`). */
  | { readonly memberOf: string }
  /** EXECUTE on a function, as GRANT names it (`pg_catalog.pg_ls_dir(text, boolean, boolean)`). */
  | { readonly execute: string }
  /** Owns a schema of the application database, created for it; its search_path starts there. */
  | { readonly ownsSchema: string }
  /** Reads a schema of the application database: USAGE, and SELECT on every table the owner creates there. */
  | { readonly readsSchema: string }
  /** Every transaction read-only (`default_transaction_read_only`). */
  | { readonly readOnly: true }
  /** PgBouncer's auth_query: USAGE on schema pgbouncer, EXECUTE on pgbouncer.get_auth. */
  | { readonly authQuery: true }
  /** The backup bookkeeping: record runs (backup jobs) or read them (the exporter). */
  | { readonly backupRuns: 'record' | 'read' }
  /**
   * The role administrator the role-reconcile Job logs in with: CREATEROLE (not a superuser), ADMIN on every role the
   * platform creates, and the grant options of what the reconcile grants (k8s/postgres/postgres-files.ts roleAdminSql).
   */
  | { readonly administersRoles: true };

/** Databases a pg_hba line names: `app` is the application database (`names.database.name`). */
export type HbaDatabase = 'app' | 'postgres' | 'all' | 'replication';

export interface DatabaseRoleSpec {
  readonly role: string;
  /** Its password in Secrets Manager: `<project>/<env>/<secret>`, JSON {"username", "password"}. */
  readonly secret: `postgres/${string}`;
  readonly description: string;
  /**
   * The roles Patroni logs in with, by their patroni.yml `authentication` entry. Patroni creates the superuser and the
   * replication role at bootstrap itself; the others (rewind included) are created by the init SQL and reconciled by
   * the role-reconcile Job. Patroni's roles come last in the init SQL, as Patroni creates its own after the user's.
   */
  readonly patroni?: 'superuser' | 'replication' | 'rewind';
  /**
   * How it logs in over the network (pg_hba: hostssl + scram-sha-256 from the VPC; everything else is rejected):
   * - `pooler`: through PgBouncer, which looks it up with auth_query and logs in as it on the pooler's pg_hba line;
   * - `direct`: to `databases` itself;
   * - `socket`: never over the network (the local socket only: Patroni, the superuser's psql in the pod).
   */
  readonly login: 'pooler' | 'direct' | 'socket';
  /** Databases of its pg_hba line (`direct` roles). @default ['app'] */
  readonly databases?: readonly HbaDatabase[];
  /** Also from the pod's loopback: a sidecar of the PostgreSQL pods logs in with it. */
  readonly loopback?: boolean;
  /** CONNECT on the application database (which is REVOKEd from PUBLIC). */
  readonly connect?: boolean;
  readonly grants: readonly DatabaseGrant[];
  /** Workloads (app.kubernetes.io/name) that log in with it, besides the application services that name it. */
  readonly clients?: readonly string[];
  /** docker compose gives it a password from .env (a role nothing runs with locally gets none and cannot log in). */
  readonly compose?: { readonly required: boolean; readonly description: string };
}

export interface RedisUserSpec {
  readonly user: string;
  readonly secret: `redis/${string}`;
  readonly description: string;
  /** The ACL rule after `user <name> on ><password>` (keys, channels, commands). */
  readonly acl: string;
  /** docker compose creates it, with a password from .env. */
  readonly compose?: { readonly required: boolean; readonly description: string };
}

/** An environment variable of a service read from a platform secret (an ExternalSecret in the cluster). */
export interface SecretEnvSpec {
  readonly key: string;
  /** A PLATFORM_SECRETS key (checked by the naming test). */
  readonly from: string;
  readonly property: string;
  /** The docker compose variable that stands in for it (in .env). */
  readonly compose: { readonly variable: string; readonly required: boolean; readonly description: string };
}

/**
 * A backend-like application service (the app namespace): an HTTP API with a metrics port, the backend contract's
 * configuration, a database role reached through PgBouncer and optionally a Redis user, traces to the collector.
 * Its image and size come from the environment config (`app.backend`, or `app.services.<name>`).
 */
export interface AppServiceSpec {
  /** Workload and Service name (app.kubernetes.io/name). */
  readonly name: string;
  /** app.kubernetes.io/component. */
  readonly component: string;
  readonly port: number;
  readonly metricsPort: number;
  /** Its database role (a `databaseRoles` row whose login is `pooler`). */
  readonly database?: string;
  /** Its Redis ACL user (a `redisUsers` row). */
  readonly redis?: string;
  /** Services of the app namespace (or `frontend`) that call it on its port. */
  readonly callers: readonly string[];
  /** Secrets besides the database and Redis passwords, in ExternalSecret order; `contract` marks where those go. */
  readonly secrets: readonly (SecretEnvSpec | 'contract')[];
  /**
   * The public API: routed from the API host by the ingress controller, callable from
   * `app.extraBackendClientNamespaces`, reads the auth policy, reaches the Internet on 443/587 (Stripe, SSO, SMTP).
   */
  readonly publicApi?: boolean;
}

export interface ServiceTable {
  /** In Secrets Manager order (the data stack creates the secrets in this order). */
  readonly databaseRoles: readonly DatabaseRoleSpec[];
  readonly redisUsers: readonly RedisUserSpec[];
  readonly appServices: readonly AppServiceSpec[];
}

/**
 * The role-reconcile Job (k8s/postgres/role-reconcile.ts): its name prefix (`<prefix>-<hash>`) and the
 * app.kubernetes.io/name of its pods. The push deploy applies it once the data tier rolled out and waits for it to
 * complete before the application tier (packages/delivery/src/deploy/apply-order.ts, gate Jobs).
 */
export const ROLE_RECONCILE_JOB = 'postgres-roles';

const REWIND_FUNCTIONS = ['pg_catalog.pg_ls_dir(text, boolean, boolean)', 'pg_catalog.pg_stat_file(text, boolean)', 'pg_catalog.pg_read_binary_file(text)', 'pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)'];

export const DATABASE_ROLES = [
  { role: 'postgres', secret: 'postgres/superuser', description: 'PostgreSQL superuser', patroni: 'superuser', login: 'socket', grants: [] },
  { role: 'replicator', secret: 'postgres/replication', description: 'PostgreSQL streaming replication (Patroni)', patroni: 'replication', login: 'direct', databases: ['replication'], grants: [] },
  {
    role: 'optibid_app',
    secret: 'postgres/app',
    description: 'PostgreSQL application role',
    login: 'pooler',
    connect: true,
    grants: [{ ownsSchema: 'app' }],
    compose: { required: true, description: 'PostgreSQL application role (optibid_app); the backend logs in with it through PgBouncer.' },
  },
  {
    role: 'optibid_analyst',
    secret: 'postgres/analyst',
    description: 'PostgreSQL read-only analyst role',
    login: 'pooler',
    connect: true,
    grants: [{ readsSchema: 'app' }, { readOnly: true }],
    compose: { required: false, description: 'Read-only analyst role (optibid_analyst). Empty: the role exists but cannot log in.' },
  },
  {
    role: 'pgbouncer',
    secret: 'postgres/pooler',
    description: 'PgBouncer auth_query role',
    login: 'pooler',
    connect: true,
    grants: [{ authQuery: true }],
    clients: ['pgbouncer'],
    compose: { required: true, description: 'PgBouncer auth_user (pgbouncer), used for its auth_query lookups.' },
  },
  {
    role: 'monitoring',
    secret: 'postgres/monitoring',
    description: 'PostgreSQL exporter role',
    login: 'direct',
    databases: ['postgres', 'app'],
    loopback: true,
    connect: true,
    grants: [{ memberOf: 'pg_monitor' }, { backupRuns: 'read' }],
    clients: ['postgres'],
  },
  { role: 'rewinder', secret: 'postgres/rewind', description: 'PostgreSQL pg_rewind role (Patroni)', patroni: 'rewind', login: 'direct', databases: ['all'], grants: REWIND_FUNCTIONS.map((execute) => ({ execute })), clients: ['postgres'] },
  {
    role: 'backup',
    secret: 'postgres/backup',
    description: 'PostgreSQL backup bookkeeping role',
    login: 'direct',
    connect: true,
    grants: [{ memberOf: 'pg_checkpoint' }, { backupRuns: 'record' }],
    clients: ['postgres-backup'],
  },
  {
    // Not the superuser: the superuser logs in over the local socket only. No compose password (nothing runs the Job locally).
    role: 'optibid_role_admin',
    secret: 'postgres/role-admin',
    description: 'PostgreSQL role administrator (the role-reconcile Job): CREATEROLE, not a superuser',
    login: 'direct',
    databases: ['postgres', 'app'],
    grants: [{ administersRoles: true }],
    clients: [ROLE_RECONCILE_JOB],
  },
] as const satisfies readonly DatabaseRoleSpec[];

export const REDIS_ACL_USERS = [
  { user: 'default', secret: 'redis/default', description: 'Redis requirepass / masterauth', acl: '~* &* +@all', compose: { required: true, description: 'Redis default (admin) ACL user; also used by the healthcheck and the slot assignment.' } },
  {
    user: 'optibid_app',
    secret: 'redis/app',
    description: 'Redis ACL user of the backend',
    // No admin or dangerous commands (CONFIG, FLUSHALL, DEBUG, KEYS, SHUTDOWN...); the cluster topology commands a cluster client needs.
    acl: '~* &* +@all -@admin -@dangerous +cluster|slots +cluster|shards +cluster|nodes +cluster|info +cluster|myid +info +readonly +readwrite',
    compose: { required: true, description: 'Redis ACL user of the backend (optibid_app).' },
  },
  {
    user: 'exporter',
    secret: 'redis/exporter',
    description: 'Redis ACL user of redis_exporter',
    acl: '~* &* -@all +@connection +info +ping +cluster|info +cluster|nodes +config|get +latency|latest +slowlog|get +slowlog|len +client|list +memory|stats +dbsize +scan +type',
  },
  { user: 'replication', secret: 'redis/replication', description: 'Redis ACL user replicas authenticate with (masteruser)', acl: '-@all +psync +sync +replconf +ping' },
] as const satisfies readonly RedisUserSpec[];

export const APP_SERVICES = [
  {
    name: 'backend',
    component: 'api',
    port: 8000,
    metricsPort: 9000,
    database: 'optibid_app',
    redis: 'optibid_app',
    callers: ['frontend'],
    publicApi: true,
    secrets: [
      { key: 'SECRET_KEY', from: 'app/secret-key', property: 'value', compose: { variable: 'APP_SECRET_KEY', required: true, description: 'Backend SECRET_KEY (any long random string locally).' } },
      { key: 'JWT_SECRET_KEY', from: 'app/jwt-secret-key', property: 'value', compose: { variable: 'APP_JWT_SECRET_KEY', required: true, description: 'Backend JWT_SECRET_KEY (any long random string locally).' } },
      'contract',
      { key: 'STRIPE_SECRET_KEY', from: 'stripe', property: 'secret_key', compose: { variable: 'STRIPE_SECRET_KEY', required: false, description: 'Stripe API secret key: a test-mode key (sk_test_...) or empty.' } },
      { key: 'STRIPE_WEBHOOK_SECRET', from: 'stripe', property: 'webhook_secret', compose: { variable: 'STRIPE_WEBHOOK_SECRET', required: false, description: 'Stripe webhook signing secret (whsec_...) or empty.' } },
      { key: 'SENTRY_DSN', from: 'sentry', property: 'dsn', compose: { variable: 'SENTRY_DSN', required: false, description: 'Sentry DSN of the backend; empty disables error reporting.' } },
    ],
  },
] as const satisfies readonly AppServiceSpec[];

/** The platform's table. Tests and tools may build another (a row more) and render from it (platformNames(cfg, table)). */
export const PLATFORM_SERVICE_TABLE: ServiceTable = { databaseRoles: DATABASE_ROLES, redisUsers: REDIS_ACL_USERS, appServices: APP_SERVICES };

/** `postgres/app` -> `app`: the suffix names the password everywhere (APP_PASSWORD, :'app_password', PG_ROLES.app). */
export function secretSuffix(secret: string): string {
  return secret.slice(secret.indexOf('/') + 1);
}

/** Key of the role's password in the postgres-credentials Secret and post-bootstrap.sh's environment: `APP_PASSWORD`. */
export function passwordEnv(role: { readonly secret: string }): string {
  return `${secretSuffix(role.secret).toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`;
}

/** The psql variable the init and reconcile SQL read the password from: `app_password`. */
export function passwordVariable(role: { readonly secret: string }): string {
  return passwordEnv(role).toLowerCase();
}

/** The docker compose variable of a role's password: `POSTGRES_APP_PASSWORD`. */
export function composePasswordVariable(role: { readonly secret: string }): string {
  return `POSTGRES_${passwordEnv(role)}`;
}

/** The docker compose variable of a Redis user's password: `REDIS_APP_PASSWORD`. */
export function composeRedisVariable(user: { readonly secret: string }): string {
  return `REDIS_${secretSuffix(user.secret).toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`;
}

/** The roles the platform creates and reconciles (init SQL, role-reconcile Job): all but Patroni's superuser and replication role. */
export function platformCreatedRoles(table: ServiceTable): DatabaseRoleSpec[] {
  const created = table.databaseRoles.filter((r) => r.patroni !== 'superuser' && r.patroni !== 'replication');
  // Patroni's own (rewind) last, as Patroni creates its roles after the user's bootstrap script.
  return [...created.filter((r) => !r.patroni), ...created.filter((r) => r.patroni)];
}

export function databaseRole(table: ServiceTable, role: string): DatabaseRoleSpec {
  const r = table.databaseRoles.find((x) => x.role === role);
  if (!r) throw new Error(`services table: no database role '${role}'`);
  return r;
}

export function patroniRole(table: ServiceTable, entry: NonNullable<DatabaseRoleSpec['patroni']>): DatabaseRoleSpec {
  const r = table.databaseRoles.find((x) => x.patroni === entry);
  if (!r) throw new Error(`services table: no Patroni ${entry} role`);
  return r;
}

export function redisUser(table: ServiceTable, user: string): RedisUserSpec {
  const u = table.redisUsers.find((x) => x.user === user);
  if (!u) throw new Error(`services table: no Redis user '${user}'`);
  return u;
}

export function appService(table: ServiceTable, name: string): AppServiceSpec {
  const s = table.appServices.find((x) => x.name === name);
  if (!s) throw new Error(`services table: no application service '${name}'`);
  return s;
}

/** The roles that log in through PgBouncer (auth_query returns their SCRAM secrets), the pooler's own role excluded. */
export function pooledRoles(table: ServiceTable): DatabaseRoleSpec[] {
  return table.databaseRoles.filter((r) => r.login === 'pooler' && !r.grants.some((g) => 'authQuery' in g));
}

/** The role administrator (the `administersRoles` row): the role-reconcile Job logs in with it. */
export function roleAdminRole(table: ServiceTable): DatabaseRoleSpec {
  const r = table.databaseRoles.find((x) => x.grants.some((g) => 'administersRoles' in g));
  if (!r) throw new Error('services table: no role with the administersRoles grant (the role-reconcile Job\'s role)');
  return r;
}

/** The roles the role administrator manages (init SQL grants it ADMIN on them; the reconcile Job brings them to the table). */
export function managedRoles(table: ServiceTable): DatabaseRoleSpec[] {
  return platformCreatedRoles(table).filter((r) => !r.grants.some((g) => 'administersRoles' in g));
}

/** The pooler's own role (auth_user). */
export function poolerRole(table: ServiceTable): DatabaseRoleSpec {
  const r = table.databaseRoles.find((x) => x.grants.some((g) => 'authQuery' in g));
  if (!r) throw new Error('services table: no role with the authQuery grant (PgBouncer auth_user)');
  return r;
}

/** The application services that reach PgBouncer (their role logs in through it) / that use Redis. */
export function pgbouncerClients(table: ServiceTable): AppServiceSpec[] {
  return table.appServices.filter((s) => s.database !== undefined);
}
export function redisClients(table: ServiceTable): AppServiceSpec[] {
  return table.appServices.filter((s) => s.redis !== undefined);
}

/** Services a caller (an app service or `frontend`) calls. */
export function calledBy(table: ServiceTable, caller: string): AppServiceSpec[] {
  return table.appServices.filter((s) => (s.callers as readonly string[]).includes(caller));
}

/**
 * Structural rules of a table (the naming test runs them on the platform's; render code relies on them): unique
 * names, every reference resolves, exactly one pooler role, application services log in through the pooler.
 */
export function serviceTableProblems(table: ServiceTable, secretKeys: readonly string[]): string[] {
  const problems: string[] = [];
  const dup = (what: string, xs: readonly string[]) => xs.filter((x, i) => xs.indexOf(x) !== i).forEach((x) => problems.push(`${what} '${x}' appears twice`));
  dup('database role', table.databaseRoles.map((r) => r.role));
  dup('secret', [...table.databaseRoles.map((r) => r.secret), ...table.redisUsers.map((u) => u.secret)]);
  dup('Redis user', table.redisUsers.map((u) => u.user));
  dup('application service', table.appServices.map((s) => s.name));
  if (table.databaseRoles.filter((r) => r.grants.some((g) => 'authQuery' in g)).length !== 1) problems.push('exactly one role needs the authQuery grant (the PgBouncer auth_user)');
  const admins = table.databaseRoles.filter((r) => r.grants.some((g) => 'administersRoles' in g));
  if (admins.length !== 1) problems.push('exactly one role needs the administersRoles grant (the role-reconcile Job\'s role)');
  for (const a of admins) {
    // It connects to postgres (the cluster's grants), then to the application database (roles.sql).
    const dbs: readonly HbaDatabase[] = a.databases ?? ['app'];
    if (a.patroni || a.login !== 'direct' || !dbs.includes('postgres') || !dbs.includes('app') || a.grants.length !== 1) problems.push(`${a.role}: the role administrator logs in directly to postgres and the application database, and has no other grant`);
  }
  for (const r of table.databaseRoles) if (!/^[a-z_][a-z0-9_]{0,62}$/.test(r.role)) problems.push(`database role '${r.role}' is not a lower-case SQL identifier`);
  for (const s of table.appServices) {
    if (!/^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/.test(s.name)) problems.push(`application service '${s.name}' is not a DNS label`);
    if (s.database !== undefined) {
      const r = table.databaseRoles.find((x) => x.role === s.database);
      if (!r) problems.push(`${s.name}: no database role '${s.database}'`);
      else if (r.login !== 'pooler') problems.push(`${s.name}: its role '${s.database}' must log in through the pooler (login: 'pooler')`);
    }
    if (s.redis !== undefined && !table.redisUsers.some((u) => u.user === s.redis)) problems.push(`${s.name}: no Redis user '${s.redis}'`);
    for (const c of s.callers) if (c !== 'frontend' && !table.appServices.some((x) => x.name === c)) problems.push(`${s.name}: unknown caller '${c}'`);
    for (const e of s.secrets) if (e !== 'contract' && !secretKeys.includes(e.from)) problems.push(`${s.name}: secret ${e.key} reads '${e.from}', not a platform secret`);
  }
  return problems;
}

/**
 * The backend contract: what every backend-like service reads from its environment and where the platform probes
 * it. The app chart (ConfigMap `<service>-config` + ExternalSecret `<service>-secrets`) and docker compose (the
 * service's `environment`) both render it from here, with cluster DNS names or compose service names as hosts.
 */
export const BACKEND_CONTRACT = {
  probes: { liveness: '/healthz', readiness: '/readyz' },
  /** Values from secrets: the database and Redis passwords, the Redis user (its name is in the secret). */
  secretEnv: { databasePassword: 'DATABASE_PASSWORD', redisUsername: 'REDIS_USERNAME', redisPassword: 'REDIS_PASSWORD' },
} as const;

export interface ContractEndpoints {
  readonly environment: string;
  readonly database: { readonly host: string; readonly port: number; readonly name: string; readonly sslmode: string };
  readonly redis: { readonly host: string; readonly port: number };
  readonly otlpEndpoint: string;
}

/**
 * A service's plain configuration, in the contract's order (`extra`, the service's own settings, before
 * METRICS_PORT). With `secretValue`, the secret-valued keys are included where the contract puts them (compose
 * interpolates them from .env); without it they are left to the ExternalSecret (contractSecretKeys).
 */
export function contractEnvironment(
  table: ServiceTable,
  service: AppServiceSpec,
  at: ContractEndpoints,
  opts: { readonly extra?: Readonly<Record<string, string>>; readonly secretValue?: (ref: { readonly key: string; readonly secret: string; readonly property: string }) => string } = {},
): Record<string, string> {
  const s = BACKEND_CONTRACT.secretEnv;
  const secret = (key: string, ref: { secret: string; property: string }) => (opts.secretValue ? { [key]: opts.secretValue({ key, ...ref }) } : {});
  const role = service.database === undefined ? undefined : databaseRole(table, service.database);
  const redis = service.redis === undefined ? undefined : redisUser(table, service.redis);
  return {
    ENVIRONMENT: at.environment,
    ...(role
      ? {
          DATABASE_HOST: at.database.host,
          DATABASE_PORT: String(at.database.port),
          DATABASE_NAME: at.database.name,
          DATABASE_USER: role.role,
          DATABASE_SSLMODE: at.database.sslmode,
          ...secret(s.databasePassword, { secret: role.secret, property: 'password' }),
        }
      : {}),
    ...(redis
      ? {
          REDIS_HOST: at.redis.host,
          REDIS_PORT: String(at.redis.port),
          REDIS_CLUSTER_MODE: 'true',
          // Compose has no secret to read the user's name from: it is the table's.
          ...(opts.secretValue ? { [s.redisUsername]: redis.user } : {}),
          ...secret(s.redisPassword, { secret: redis.secret, property: 'password' }),
        }
      : {}),
    OTEL_EXPORTER_OTLP_ENDPOINT: at.otlpEndpoint,
    OTEL_SERVICE_NAME: service.name,
    ...opts.extra,
    METRICS_PORT: String(service.metricsPort),
  };
}

/** The contract's secret-valued keys of a service, as ExternalSecret entries (key, platform secret, property). */
export function contractSecretKeys(table: ServiceTable, service: AppServiceSpec): { key: string; from: string; property: string }[] {
  const s = BACKEND_CONTRACT.secretEnv;
  const role = service.database === undefined ? undefined : databaseRole(table, service.database);
  const redis = service.redis === undefined ? undefined : redisUser(table, service.redis);
  return [
    ...(role ? [{ key: s.databasePassword, from: role.secret, property: 'password' }] : []),
    ...(redis ? [{ key: s.redisUsername, from: redis.secret, property: 'username' }, { key: s.redisPassword, from: redis.secret, property: 'password' }] : []),
  ];
}

/** Every ExternalSecret entry of a service, in order: its own secrets with the contract's at the `contract` mark. */
export function serviceSecretKeys(table: ServiceTable, service: AppServiceSpec): { key: string; from: string; property: string }[] {
  const marks = service.secrets.includes('contract') ? service.secrets : [...service.secrets, 'contract' as const];
  return marks.flatMap((e) => (e === 'contract' ? contractSecretKeys(table, service) : [{ key: e.key, from: e.from, property: e.property }]));
}
