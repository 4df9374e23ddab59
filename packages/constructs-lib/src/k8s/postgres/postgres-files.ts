import type { EnvironmentConfig } from '../../config/schema';
import { maxConnections } from '../../sizing/postgres-parameters';
import type { PlatformNames } from '../../naming/naming';
import {
  DATABASE_ROLES,
  type DatabaseGrant,
  managedRoles,
  passwordEnv,
  PLATFORM_SERVICE_TABLE,
  type DatabaseRoleSpec,
  passwordVariable,
  patroniRole,
  platformCreatedRoles,
  pooledRoles,
  poolerRole,
  roleAdminRole,
  secretSuffix,
  type ServiceTable,
} from '../../naming/services';
import { postgresMemoryParameters } from '../../sizing/postgres-parameters';
import { memoryBytes } from '../../util/quantity';

/**
 * The PostgreSQL tier's configuration files, as pure functions of the config. They are rendered into ConfigMaps
 * and read back from dist/ by the real-server tests, so what is tested is what is deployed.
 */

/** Paths inside the timescaledb-ha image (uid 1000, PGDATA on the volume). */
export const PG_PATHS = {
  home: '/home/postgres',
  volume: '/home/postgres/pgdata',
  data: '/home/postgres/pgdata/data',
  spool: '/home/postgres/pgdata/pgbackrest-spool',
  socket: '/var/run/postgresql',
  /** PostgreSQL's dynamic shared memory (a memory-backed emptyDir, postgresShmSizeLimit). */
  shm: '/dev/shm',
  patroniConfig: '/etc/patroni/patroni.yml',
  initDir: '/etc/postgres-init',
  pgbackrestConfig: '/etc/pgbackrest/pgbackrest.conf',
  serverTls: '/etc/postgres-tls',
  pgbackrestTls: '/etc/pgbackrest-tls',
} as const;

type RoleKey<S> = S extends `postgres/${infer K}` ? K : never;
/**
 * The platform's database roles by secret suffix (PG_ROLES.app = optibid_app), from the services table
 * (naming/services.ts); passwords come from ExternalSecrets, never from these files.
 */
export const PG_ROLES = Object.fromEntries(DATABASE_ROLES.map((r) => [secretSuffix(r.secret), r.role])) as {
  readonly [R in (typeof DATABASE_ROLES)[number] as RoleKey<R['secret']>]: R['role'];
};

/**
 * A NOLOGIN role whose members pg_hba admits like the pooled roles (`+<group>`) and whose members' SCRAM secrets
 * pgbouncer.get_auth returns (getAuthBody): the init SQL and the role-reconcile Job make every role that logs in through
 * PgBouncer a member (without its privileges), so a role added to the table after the cluster's bootstrap is admitted
 * and served without a pg_hba or function change (pg_hba lives in Patroni's bootstrap DCS configuration, which an
 * existing cluster never re-reads; only a superuser may replace the function). PostgreSQL REL_17_STABLE
 * src/backend/libpq/hba.c is_member: `+role` matches any member, through is_member_of_role_nosuper, whatever the
 * grant's INHERIT and SET options.
 */
export const POOLED_LOGIN_GROUP = 'optibid_pooled';

/** The pgBackRest stanza (one per cluster). */
export const PGBACKREST_STANZA = 'optibid';
/** Port of the pgBackRest TLS server sidecar (the backup CronJobs reach the data directory through it). */
export const PGBACKREST_TLS_PORT = 8432;
/** Patroni REST API port. */
export const PATRONI_PORT = 8008;
export const POSTGRES_EXPORTER_PORT = 9187;
export const PGBOUNCER_EXPORTER_PORT = 9127;

export interface PostgresFileInput {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
}

/** Cluster scope: the Patroni cluster name, also the `cluster-name` label and the headless service prefix. */
export const PATRONI_SCOPE = 'postgres';

/** PostgreSQL parameters (Patroni writes them to postgresql.conf / the DCS). */
export function postgresParameters({ config, names }: PostgresFileInput): Record<string, string | number> {
  const db = config.database;
  const mem = postgresMemoryParameters(db);
  return {
    max_connections: mem.max_connections,
    superuser_reserved_connections: db.reservedConnections.superuser,
    shared_buffers: mem.shared_buffers,
    effective_cache_size: mem.effective_cache_size,
    maintenance_work_mem: mem.maintenance_work_mem,
    work_mem: mem.work_mem,
    // Extensions: TimescaleDB and pg_cron must be preloaded; pg_stat_statements feeds the dashboards.
    shared_preload_libraries: 'timescaledb,pg_cron,pg_stat_statements',
    'cron.database_name': names.database.name,
    'timescaledb.telemetry_level': 'off',
    // WAL and replication.
    wal_level: 'replica',
    wal_log_hints: 'on',
    max_wal_senders: 10,
    max_replication_slots: 10,
    wal_keep_size: '1GB',
    max_wal_size: '4GB',
    min_wal_size: '1GB',
    hot_standby: 'on',
    wal_compression: 'on',
    // Continuous archiving: the RPO bound is archive_timeout (a partial segment is shipped at least this often).
    archive_mode: 'on',
    archive_command: `pgbackrest --stanza=${PGBACKREST_STANZA} archive-push %p`,
    archive_timeout: db.backups.archiveTimeoutSeconds,
    // Security.
    password_encryption: 'scram-sha-256',
    ssl: 'on',
    ssl_cert_file: `${PG_PATHS.serverTls}/tls.crt`,
    ssl_key_file: `${PG_PATHS.serverTls}/tls.key`,
    ssl_min_protocol_version: 'TLSv1.2',
    // Observability.
    log_min_duration_statement: 1000,
    log_checkpoints: 'on',
    log_lock_waits: 'on',
    log_temp_files: 0,
    track_io_timing: 'on',
    unix_socket_directories: PG_PATHS.socket,
  };
}

/**
 * pg_hba, from the services table: TLS + scram-sha-256 from the VPC for the pooler's users, replicas, backups,
 * monitoring and the role administrator (the role-reconcile Job, to `postgres` and the application database) only; the
 * superuser over the local socket only (`local all all peer`: Patroni and psql in the pod), never over the network;
 * everything else rejected.
 */
export function pgHbaRules({ config, names }: PostgresFileInput): string[] {
  const net = config.network.vpcCidr;
  const db = names.database.name;
  const table = names.serviceTable;
  const databases = (r: DatabaseRoleSpec) => (r.databases ?? ['app']).map((d) => (d === 'app' ? db : d)).join(',');
  const line = (database: string, users: string, address: string) => `hostssl ${database} ${users} ${address} scram-sha-256`;
  const lines = ['local all all peer'];
  // Patroni's roles first (replication, rewind), then the others in table order.
  for (const r of [...table.databaseRoles.filter((x) => x.patroni), ...table.databaseRoles.filter((x) => !x.patroni)]) {
    if (r.login === 'direct') {
      lines.push(line(databases(r), r.role, net));
      // A sidecar of the PostgreSQL pods (the exporter) connects over the pod's loopback.
      if (r.loopback) lines.push(line(databases(r), r.role, '127.0.0.1/32'));
    } else if (r.login === 'pooler' && r === poolerRole(table)) {
      // PgBouncer logs in as the client's role: the auth_user and every pooled role, on one line.
      lines.push(line(db, [r.role, ...pooledRoles(table).map((x) => x.role)].join(','), net));
      lines.push(line(db, `+${POOLED_LOGIN_GROUP}`, net));
    }
  }
  return [...lines, 'host all all 0.0.0.0/0 reject', 'host all all ::/0 reject'];
}

/** restore_command fetching WAL from the stanza (`%f`/`%p` as PostgreSQL expands them; `"%p"` quoted as pgBackRest writes it). */
export function pgbackrestRestoreCommand(): string {
  return `pgbackrest --stanza=${PGBACKREST_STANZA} archive-get %f "%p"`;
}

/** Patroni configuration (Kubernetes DCS through ConfigMaps; pod-specific values come from PATRONI_* env vars). */
export function patroniConfig(input: PostgresFileInput): Record<string, unknown> {
  const { config, names } = input;
  const db = config.database;
  const sync = db.synchronousMode ?? db.members > 1;
  return {
    scope: PATRONI_SCOPE,
    restapi: { listen: `0.0.0.0:${PATRONI_PORT}` },
    kubernetes: {
      namespace: names.namespaces.data,
      labels: { 'app.kubernetes.io/name': names.services.postgres.name, 'app.kubernetes.io/instance': `${names.services.postgres.name}-${config.name}` },
      scope_label: 'cluster-name',
      role_label: 'role',
      // Patroni 4 calls the leader `primary`; set explicitly so Services never depend on the version's default.
      leader_label_value: 'primary',
      follower_label_value: 'replica',
      // ConfigMaps, not Endpoints (decision recorded in docs/runbooks/postgres.md, "Patroni's DCS: ConfigMaps"). Patroni
      // calls Endpoints mode "recommended" (patroni v4.0.x docs/kubernetes.rst: lock and leader address change in one
      // write), but then it writes the read-write Service's Endpoints itself, so that Service must lose its selector;
      // Kubernetes deprecated the v1 Endpoints API in 1.33 (KEP-4974: every read/write answers with a warning, kube-proxy
      // only reads EndpointSlices, a selectorless Service is routed through the EndpointSlice mirroring controller). With
      // ConfigMaps the Services select the `role` label Patroni keeps on the pods, the Role needs no `endpoints` rights
      // (patroni/dcs/kubernetes.py touches Endpoints only with use_endpoints, or bypass_api_service, unset here), and a
      // lost lock demotes the old primary (read-only) before its label changes, so the label lag cannot take writes.
      use_endpoints: false,
    },
    bootstrap: {
      dcs: {
        ttl: 30,
        loop_wait: 10,
        retry_timeout: 10,
        maximum_lag_on_failover: 1048576,
        synchronous_mode: sync,
        synchronous_mode_strict: false,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: postgresParameters(input),
          pg_hba: pgHbaRules(input),
        },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums', { 'auth-local': 'peer' }, { 'auth-host': 'scram-sha-256' }],
      post_bootstrap: `${PG_PATHS.initDir}/post-bootstrap.sh`,
    },
    postgresql: {
      listen: `0.0.0.0:${names.services.postgres.port}`,
      data_dir: PG_PATHS.data,
      // Patroni's own superuser/rewind connections go over the socket: pg_hba admits the superuser only there.
      use_unix_socket: true,
      use_unix_socket_repl: false,
      pgpass: '/tmp/pgpass',
      authentication: {
        superuser: { username: PG_ROLES.superuser },
        replication: { username: PG_ROLES.replication },
        rewind: { username: PG_ROLES.rewind },
      },
      parameters: { unix_socket_directories: PG_PATHS.socket },
      // WAL from the repository for every replica (built by pgBackRest or basebackup, or rejoining after a failover):
      // Patroni removes the restore_command pgBackRest's restore writes into postgresql.auto.conf and sets one only from
      // here (patroni v4.0.x patroni/postgresql/config.py: _sanitize_auto_conf drops every recovery parameter from
      // postgresql.auto.conf, build_recovery_params takes them from `recovery_conf`). The form pgBackRest itself writes
      // (pgbackrest release/2.55.1 src/command/restore/restore.c, restoreRecoveryOption; user guide "restore_command");
      // the config file comes from PGBACKREST_CONFIG in the container's environment.
      recovery_conf: { restore_command: pgbackrestRestoreCommand() },
      create_replica_methods: ['pgbackrest', 'basebackup'],
      pgbackrest: { command: `pgbackrest --stanza=${PGBACKREST_STANZA} --delta restore`, keep_data: true, no_params: true },
      basebackup: [{ checkpoint: 'fast' }],
    },
    watchdog: { mode: 'off' },
  };
}

/**
 * The init SQL's TimescaleDB line, exactly as rendered (one line): a test server without TimescaleDB substitutes this
 * line and says so; production never skips it.
 */
export const INIT_SQL_TIMESCALEDB = 'CREATE EXTENSION IF NOT EXISTS timescaledb;';

/**
 * Keys of the postgres-credentials Secret (ExternalSecret), each a role's password: Patroni's (PATRONI_<entry>_PASSWORD,
 * read by Patroni), then every role the init SQL creates (<SUFFIX>_PASSWORD, for post-bootstrap.sh and the
 * role-reconcile Job), Patroni's rewind role first: Patroni removes PATRONI_* from its environment
 * (patroni/config.py _popenv), so the post_bootstrap script it runs never sees PATRONI_REWIND_PASSWORD.
 */
export function credentialKeys(table: ServiceTable): { key: string; from: string }[] {
  const created = platformCreatedRoles(table);
  return [
    ...table.databaseRoles.filter((r) => r.patroni).map((r) => ({ key: `PATRONI_${r.patroni!.toUpperCase()}_PASSWORD`, from: r.secret })),
    ...[...created.filter((r) => r.patroni), ...created.filter((r) => !r.patroni)].map((r) => ({ key: passwordEnv(r), from: r.secret })),
  ];
}

/**
 * The body of pgbouncer.get_auth (init SQL; the role-reconcile Job only checks it): the SCRAM secret of a role that
 * logs in through the pooler, i.e. a direct member of the pooled group (the init SQL and the Job make every pooled role
 * of the table one), so a pooled role added later needs no new function (only a superuser may define a SECURITY DEFINER
 * function that reads pg_authid, and the Job is not one). Never the pooler's own role (its password is in PgBouncer's
 * auth_file), and never a role with an attribute a platform role does not have (superuser, replication, BYPASSRLS,
 * CREATEROLE, CREATEDB), whoever made it a member of the group. For the platform's table this returns exactly what the
 * list of the pooled roles returned before (optibid_app, optibid_analyst).
 */
export function getAuthBody(table: ServiceTable): string {
  return ` SELECT a.rolname, a.rolpassword FROM pg_authid a
   WHERE a.rolname = p_usename AND a.rolcanlogin AND a.rolname <> '${poolerRole(table).role}'
     AND NOT (a.rolsuper OR a.rolreplication OR a.rolbypassrls OR a.rolcreaterole OR a.rolcreatedb)
     AND EXISTS (SELECT FROM pg_auth_members m JOIN pg_authid g ON g.oid = m.roleid WHERE m.member = a.oid AND g.rolname = '${POOLED_LOGIN_GROUP}') `;
}

/** The role attributes every platform role gets (init SQL and role reconcile). */
export const PLATFORM_ROLE_ATTRIBUTES = 'NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION';

/** The role administrator's attributes: CREATEROLE and nothing else a superuser would have to give it. */
export const ROLE_ADMIN_ATTRIBUTES = 'NOSUPERUSER NOCREATEDB CREATEROLE NOREPLICATION NOBYPASSRLS';

/**
 * The superuser-only parameters the role-reconcile Job sets in its sessions, so that no statement carrying a password
 * reaches the server log (log_statement and log_min_duration_statement are PGC_SUSET: a non-superuser needs
 * `GRANT SET ON PARAMETER`, PostgreSQL 15+; REL_17_STABLE doc/src/sgml/ref/grant.sgml, "SET ... ON PARAMETER").
 */
export const ROLE_ADMIN_PARAMETERS = ['log_statement', 'log_min_duration_statement'] as const;

/** The predefined roles the table's roles are members of (the role administrator holds ADMIN on each). */
export function memberOfRoles(table: ServiceTable): string[] {
  const all = managedRoles(table).flatMap((r) => r.grants.flatMap((g) => ('memberOf' in g ? [g.memberOf] : [])));
  return all.filter((x, i) => all.indexOf(x) === i);
}

/**
 * What the init SQL gives the role administrator (run as the superuser at bootstrap; docs/runbooks/postgres.md has the
 * same statements for a cluster bootstrapped before it existed). PostgreSQL 16+ rules (REL_17_STABLE
 * doc/src/sgml/ref/create_role.sgml, alter_role.sgml, grant.sgml; src/backend/commands/user.c): CREATEROLE alone lets it
 * create roles, and alter, grant, set the password of or drop only the roles it holds ADMIN OPTION on; a role it
 * creates it gets ADMIN on automatically, plus what createrole_self_grant says; it can never give or clear SUPERUSER,
 * REPLICATION, BYPASSRLS or CREATEDB, which it does not have.
 * - ADMIN, without INHERIT, on every role the platform creates and on the pooled group: it alters them, sets their
 *   passwords and grants the group, without using their privileges. SET as well on the schema owners: CREATE SCHEMA ...
 *   AUTHORIZATION needs it (src/backend/commands/schemacmds.c, check_can_set_role: "must be able to SET ROLE"), and
 *   roles.sql runs what needs the owner's privileges as the owner (SET ROLE): ALTER DEFAULT PRIVILEGES FOR ROLE
 *   (src/backend/catalog/aclchk.c ExecAlterDefaultPrivilegesStmt: has_privs_of_role, which SET alone does not give:
 *   "permission denied to change default privileges", seen on PostgreSQL 17.12) and the grants on the owner's schema
 *   and tables. ADMIN is no boundary below those roles' privileges (it may grant a role back to itself with SET, or
 *   reset its password: user.c CreateRole's comment on createrole_self_grant), so the role administrator reaches at
 *   most what the platform's roles may do: with rewinder's, files under the data directory only
 *   (src/backend/utils/adt/genfile.c convert_and_check_filename, without pg_read_server_files), never a superuser
 *   login or attribute.
 * - createrole_self_grant = 'set': a role it creates later is granted back to it with SET, as the owners above.
 * - ADMIN, without INHERIT or SET, on the predefined roles the table grants (pg_monitor...): it grants them, holds none.
 * - SET on the two logging parameters (ROLE_ADMIN_PARAMETERS).
 * - CONNECT (with the grant option) and CREATE on the application database (CREATE SCHEMA needs CREATE for the user
 *   running it: src/backend/commands/schemacmds.c CreateSchemaCommand); the grant options of what roles.sql grants on
 *   the platform's schemas pgbouncer and monitoring (it holds those privileges too: get_auth's secrets are those of
 *   roles it administers anyway). Not the pg_catalog file functions of the rewind role: granting them is a
 *   superuser's call, and the Job fails saying so (role-reconcile-files.ts).
 */
export function roleAdminSql(table: ServiceTable, db: string): { cluster: string[]; database: string[]; objects: string[] } {
  const admin = roleAdminRole(table).role;
  const managed = managedRoles(table);
  const owners = managed.filter((r) => r.grants.some((g) => 'ownsSchema' in g)).map((r) => r.role);
  const others = [...managed.filter((r) => !owners.includes(r.role)).map((r) => r.role), POOLED_LOGIN_GROUP];
  const predefined = memberOfRoles(table);
  return {
    cluster: [
      `CREATE ROLE ${admin} LOGIN PASSWORD :'${passwordVariable(roleAdminRole(table))}' ${ROLE_ADMIN_ATTRIBUTES};`,
      `ALTER ROLE ${admin} SET createrole_self_grant = 'set';`,
      ...(owners.length ? [`GRANT ${owners.join(', ')} TO ${admin} WITH ADMIN TRUE, INHERIT FALSE, SET TRUE;`] : []),
      `GRANT ${others.join(', ')} TO ${admin} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;`,
      ...(predefined.length ? [`GRANT ${predefined.join(', ')} TO ${admin} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;`] : []),
      `GRANT SET ON PARAMETER ${ROLE_ADMIN_PARAMETERS.join(', ')} TO ${admin};`,
    ],
    database: [`GRANT CONNECT ON DATABASE ${db} TO ${admin} WITH GRANT OPTION;`, `GRANT CREATE ON DATABASE ${db} TO ${admin};`],
    objects: [
      `GRANT USAGE ON SCHEMA pgbouncer, monitoring TO ${admin} WITH GRANT OPTION;`,
      `GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text), monitoring.record_backup(text) TO ${admin} WITH GRANT OPTION;`,
      `GRANT SELECT ON monitoring.backup_runs TO ${admin} WITH GRANT OPTION;`,
    ],
  };
}

/** A grant's statements that need no database (role memberships, pg_catalog functions). */
export function clusterGrantStatements(r: DatabaseRoleSpec): string[] {
  return r.grants.flatMap((g: DatabaseGrant) => ('memberOf' in g ? [`GRANT ${g.memberOf} TO ${r.role};`] : 'execute' in g ? [`GRANT EXECUTE ON FUNCTION ${g.execute} TO ${r.role};`] : []));
}

/** The roles the pooled group has as members: every role that logs in through PgBouncer but the pooler's own. */
export function pooledMembers(table: ServiceTable): string[] {
  return pooledRoles(table).map((r) => r.role);
}

/** Roles of the table with a grant of one kind, in init order. */
function withGrant<K extends string>(table: ServiceTable, key: K, pick: (g: DatabaseGrant) => boolean = () => true): DatabaseRoleSpec[] {
  return managedRoles(table).filter((r) => r.grants.some((g) => key in g && pick(g)));
}

/** The owner of a schema of the table (the role with `ownsSchema`). */
export function schemaOwner(table: ServiceTable, schema: string): DatabaseRoleSpec {
  const owner = platformCreatedRoles(table).find((r) => r.grants.some((g) => 'ownsSchema' in g && g.ownsSchema === schema));
  if (!owner) throw new Error(`services table: no role owns schema '${schema}'`);
  return owner;
}

/** `analyst` for optibid_analyst: how the init SQL's comments name a role. */
function shortName(role: string): string {
  return role.replace(/^optibid_/, '');
}

/**
 * Init SQL (run once by Patroni's post_bootstrap on the new primary, as the superuser), from the services table.
 * Passwords arrive as psql variables from the environment (ExternalSecrets), so this file holds no secret. The
 * role-reconcile Job (role-reconcile-files.ts) brings an existing database to the same state.
 */
export function initSql({ names }: PostgresFileInput): string {
  const db = names.database.name;
  const table = names.serviceTable;
  const superuser = patroniRole(table, 'superuser').role;
  const roles = managedRoles(table);
  const admin = roleAdminSql(table, db);
  const grantsOf = (r: DatabaseRoleSpec) => r.grants;
  const owners = roles.flatMap((r) => grantsOf(r).flatMap((g) => ('ownsSchema' in g ? [{ role: r.role, schema: g.ownsSchema }] : [])));
  const readers = roles.filter((r) => grantsOf(r).some((g) => 'readsSchema' in g));
  const pooler = withGrant(table, 'authQuery').map((r) => r.role).join(', ');
  const recorders = withGrant(table, 'backupRuns', (g) => 'backupRuns' in g && g.backupRuns === 'record').map((r) => r.role);
  const backupReaders = withGrant(table, 'backupRuns', (g) => 'backupRuns' in g && g.backupRuns === 'read').map((r) => r.role);
  const backupUsers = [...recorders, ...backupReaders];
  const lines = (xs: readonly string[]) => xs.map((x) => `${x}\n`).join('');

  const readerSql = readers
    .map((r) => {
      const schemas = grantsOf(r).flatMap((g) => ('readsSchema' in g ? [g.readsSchema] : []));
      const readOnly = grantsOf(r).some((g) => 'readOnly' in g);
      return lines([
        `-- ${readOnly ? 'Read-only ' : ''}${shortName(r.role)}: reads the ${schemas.join(', ')} schema${readOnly ? ', writes nothing' : ''}.`,
        ...schemas.flatMap((s) => [`GRANT USAGE ON SCHEMA ${s} TO ${r.role};`, `ALTER DEFAULT PRIVILEGES FOR ROLE ${schemaOwner(table, s).role} IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${r.role};`]),
        ...(readOnly ? [`ALTER ROLE ${r.role} SET default_transaction_read_only = on;`] : []),
      ]);
    })
    .join('');

  return `-- OptiBid database bootstrap (rendered; run once by Patroni post_bootstrap).
-- Passwords are psql variables (-v app_password=...) set from Kubernetes Secrets created by ExternalSecrets.
\\set ON_ERROR_STOP on

${lines(roles.map((r) => `CREATE ROLE ${r.role} LOGIN PASSWORD :'${passwordVariable(r)}' ${PLATFORM_ROLE_ATTRIBUTES};`))}${lines(roles.flatMap(clusterGrantStatements))}
-- The pooled roles' group: pg_hba admits its members through PgBouncer (+${POOLED_LOGIN_GROUP}) and pgbouncer.get_auth
-- serves their SCRAM secrets; membership only, none of its privileges (it has none).
CREATE ROLE ${POOLED_LOGIN_GROUP} NOLOGIN ${PLATFORM_ROLE_ATTRIBUTES};
${lines(pooledMembers(table).length ? [`GRANT ${POOLED_LOGIN_GROUP} TO ${pooledMembers(table).join(', ')} WITH INHERIT FALSE, SET FALSE;`] : [])}
-- The role administrator: the role-reconcile Job logs in with it (the superuser logs in over the local socket only).
-- CREATEROLE, ADMIN on the roles above, nothing else a superuser has (postgres-files.ts roleAdminSql).
${lines(admin.cluster)}
CREATE DATABASE ${db} OWNER ${superuser} ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE ${db} FROM PUBLIC;
GRANT CONNECT ON DATABASE ${db} TO ${roles.filter((r) => r.connect).map((r) => r.role).join(', ')};
${lines(admin.database)}
\\connect ${db}
-- Extensions, all required: a server without one fails the bootstrap (ON_ERROR_STOP) instead of running without it.
${INIT_SQL_TIMESCALEDB}
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

-- Application schema: owned by the app role; nobody else creates objects in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
${lines(owners.flatMap((o) => [`CREATE SCHEMA ${o.schema} AUTHORIZATION ${o.role};`, `ALTER ROLE ${o.role} SET search_path = ${o.schema}, public;`]))}${readerSql}
-- PgBouncer auth_query: the pooler looks up SCRAM secrets through this function only, never pg_authid itself.
CREATE SCHEMA pgbouncer AUTHORIZATION ${superuser};
REVOKE ALL ON SCHEMA pgbouncer FROM PUBLIC;
GRANT USAGE ON SCHEMA pgbouncer TO ${pooler};
CREATE FUNCTION pgbouncer.get_auth(p_usename text) RETURNS TABLE (usename name, passwd text)
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS
$$${getAuthBody(table)}$$;
REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO ${pooler};

-- Backup bookkeeping: the backup jobs record success; the exporter turns it into the "last backup" metric.
CREATE SCHEMA monitoring AUTHORIZATION ${superuser};
CREATE TABLE monitoring.backup_runs (backup_type text NOT NULL, finished_at timestamptz NOT NULL DEFAULT now());
CREATE FUNCTION monitoring.record_backup(p_type text) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS
$$ INSERT INTO monitoring.backup_runs (backup_type) VALUES (p_type) $$;
REVOKE ALL ON FUNCTION monitoring.record_backup(text) FROM PUBLIC;
${lines([
  ...(backupUsers.length ? [`GRANT USAGE ON SCHEMA monitoring TO ${backupUsers.join(', ')};`] : []),
  ...(recorders.length ? [`GRANT EXECUTE ON FUNCTION monitoring.record_backup(text) TO ${recorders.join(', ')};`] : []),
  ...(backupReaders.length ? [`GRANT SELECT ON monitoring.backup_runs TO ${backupReaders.join(', ')};`] : []),
])}
-- The role administrator grants these to a role added later (the grant options of what roles.sql grants).
${lines(admin.objects)}`;
}

/**
 * Patroni post_bootstrap: creates the pgBackRest stanza, then runs the init SQL with passwords from the environment
 * (one psql variable per role the init SQL creates, from the services table).
 */
export function postBootstrapScript(table: ServiceTable = PLATFORM_SERVICE_TABLE): string {
  const vars = platformCreatedRoles(table).map((r) => `-v ${passwordVariable(r)}="$${passwordEnv(r)}"`);
  const varLines = Array.from({ length: Math.ceil(vars.length / 3) }, (_, i) => `  ${vars.slice(i * 3, i * 3 + 3).join(' ')} \\`).join('\n');
  return `#!/bin/sh
# Called by Patroni once, on the new primary (PostgreSQL is running), with a superuser connection URL as $1.
# A non-zero exit fails the bootstrap (Patroni moves the data directory aside and exits; the pod restarts).
set -eu

# 1. The pgBackRest stanza. archive_command (archive-push) fails until it exists, so creating it here rather than in
# the first backup job keeps WAL archived from the first minute. It runs on this host: the repository (S3) is local to
# it (no repo1-host) and pg1 is this running primary (pgbackrest release/2.55.1 src/command/stanza/create.c, pgValidate
# in src/command/stanza/common.c). Idempotent: an existing stanza of this cluster is kept ("already exists and is
# valid"); another cluster's stanza (system-id mismatch) is an error, as it must be. Retried: S3 and IAM may not answer
# in the pod's first seconds.
attempt=1
until pgbackrest --stanza=${PGBACKREST_STANZA} stanza-create; do
  if [ "$attempt" -ge 5 ]; then
    echo "post-bootstrap: pgbackrest stanza-create failed $attempt times" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 10
done

# 2. Roles, database, extensions, grants.
psql "$1" -v ON_ERROR_STOP=1 \\
${varLines}
  -f ${PG_PATHS.initDir}/init.sql
`;
}

/** Seconds between two looks at a mounted certificate Secret (cert-manager renews 15 days before expiry). */
export const TLS_WATCH_SECONDS = 30;

/**
 * Shell functions shared by the two start scripts: watch the mounted Secret's tls.crt, tls.key and ca.crt and call
 * `reload_tls` once they changed, while the process `$main` lives. kubelet replaces the files of a Secret volume at
 * once (the `..data` symlink), but one look reads three files and may straddle that swap: a change counts only when two
 * consecutive looks agree.
 */
function tlsWatchShell(): string {
  return `case "$TLS_WATCH_SECONDS" in
  '' | *[!0-9.]*)
    echo "TLS_WATCH_SECONDS must be a number of seconds, not '$TLS_WATCH_SECONDS'" >&2
    exit 2
    ;;
esac

tls_sum() {
  cat "$TLS_DIR/tls.crt" "$TLS_DIR/tls.key" "$TLS_DIR/ca.crt" 2>/dev/null | sha256sum | cut -d ' ' -f 1
}

watch_tls() {
  loaded=$(tls_sum)
  seen=$loaded
  while sleep "$TLS_WATCH_SECONDS" && kill -0 "$main" 2>/dev/null; do
    now=$(tls_sum)
    if [ "$now" != "$loaded" ] && [ "$now" = "$seen" ] && reload_tls; then
      loaded=$now
    fi
    seen=$now
  done
}
`;
}

/**
 * The postgres container's command (ConfigMap postgres-init, key start.sh): what the image's entrypoint would have done
 * that this pod needs, then Patroni.
 * - PGDATA back to 0700. With a pod fsGroup, kubelet's recursive ownership pass (every mount without
 *   fsGroupChangePolicy OnRootMismatch, or whenever the volume root does not match) adds g+rwx and setgid to every
 *   directory (kubernetes/kubernetes pkg/volume/volume_linux.go: SetVolumeOwnership, rwMask|execMask|ModeSetgid; the EBS
 *   CSI driver declares fsGroupPolicy File). PostgreSQL refuses a data directory with group write or any other access
 *   (postgres/postgres REL_17_STABLE src/backend/utils/init/miscinit.c checkDataDir: "has invalid permissions").
 *   The image's entrypoint does the same (timescale/timescaledb-docker-ha timescaledb_entrypoint.sh: install -m 0700 -d
 *   "$PGDATA"); this command replaces it.
 * - The certificate watcher: PostgreSQL re-reads ssl_cert_file/ssl_key_file only on SIGHUP (REL_17_STABLE
 *   src/backend/postmaster/postmaster.c process_pm_reload_request: secure_initialize(false); a failed load keeps the
 *   old context and logs "SSL configuration was not reloaded"), so a rotated certificate is picked up by `pg_ctl reload`.
 * Environment (defaults are the pod's values; tests point them at scratch files): PGDATA, PG_PATRONI_CONFIG, TLS_DIR,
 * TLS_WATCH_SECONDS.
 */
export function postgresStartScript(): string {
  return `#!/bin/sh
# PostgreSQL container command (rendered: ConfigMap postgres-init, key start.sh). Runs Patroni as the pod's main process.
set -eu
PGDATA="\${PGDATA:-${PG_PATHS.data}}"
PG_PATRONI_CONFIG="\${PG_PATRONI_CONFIG:-${PG_PATHS.patroniConfig}}"
TLS_DIR="\${TLS_DIR:-${PG_PATHS.serverTls}}"
TLS_WATCH_SECONDS="\${TLS_WATCH_SECONDS:-${TLS_WATCH_SECONDS}}"
export PGDATA

# kubelet's fsGroup pass may have left the data directory g+rwx,setgid (2770): PostgreSQL refuses anything but 0700/0750.
# 00700, not 0700: GNU chmod keeps a directory's setgid bit unless the numeric mode has the extra leading 0.
if [ -d "$PGDATA" ]; then
  chmod 00700 "$PGDATA"
fi

${tlsWatchShell()}
reload_tls() {
  # pg_ctl status exits non-zero while no server runs: Patroni starts it later, and it reads the new files then.
  if ! pg_ctl status -D "$PGDATA" >/dev/null 2>&1; then
    echo "start.sh: certificate files in $TLS_DIR changed; PostgreSQL is not running (it reads them when it starts)" >&2
    return 0
  fi
  if pg_ctl reload -D "$PGDATA" >/dev/null; then
    echo "start.sh: certificate files in $TLS_DIR changed; PostgreSQL reloaded (SIGHUP)" >&2
    return 0
  fi
  echo "start.sh: certificate files in $TLS_DIR changed; pg_ctl reload failed, retrying" >&2
  return 1
}

# The watcher runs beside Patroni; this shell's PID becomes Patroni's with exec.
main=$$
watch_tls &
exec patroni "$PG_PATRONI_CONFIG"
`;
}

/**
 * The pgbackrest container's command (ConfigMap postgres-pgbackrest, key pgbackrest-server.sh): the pgBackRest TLS
 * server, and a watcher that sends it SIGHUP when its certificate Secret changes. `pgbackrest server` loads the TLS
 * key, certificate and CA when it starts and again only on SIGHUP (pgbackrest release/2.55.1 src/command/server/server.c:
 * cmdServerSigHup sets the flag, accept() returns on EINTR (src/common/io/socket/server.c), then cfgLoad and
 * cmdServerInit, which creates the TLS server from the files again). Debian 13's pgBackRest 2.55.1 was seen to end
 * on the signal instead ("server command end: terminated on signal [SIGHUP]", tests/real-servers/postgres-lifecycle):
 * the container then exits and the kubelet restarts it (restartPolicy Always), which loads the new files too.
 * Environment (defaults are the pod's values): PGBACKREST_CONFIG (read by pgBackRest), TLS_DIR, TLS_WATCH_SECONDS.
 */
export function pgbackrestServerScript(): string {
  return `#!/bin/sh
# pgBackRest TLS server (rendered: ConfigMap postgres-pgbackrest, key pgbackrest-server.sh).
set -eu
TLS_DIR="\${TLS_DIR:-${PG_PATHS.pgbackrestTls}}"
TLS_WATCH_SECONDS="\${TLS_WATCH_SECONDS:-${TLS_WATCH_SECONDS}}"

${tlsWatchShell()}
reload_tls() {
  if kill -HUP "$main" 2>/dev/null; then
    echo "pgbackrest-server.sh: certificate files in $TLS_DIR changed; SIGHUP sent (a server that ends on it is restarted by the kubelet with the new files)" >&2
    return 0
  fi
  echo "pgbackrest-server.sh: certificate files in $TLS_DIR changed; SIGHUP failed, retrying" >&2
  return 1
}

# This shell's PID becomes the server's with exec: the watcher signals it, SIGTERM from kubelet reaches it directly.
main=$$
watch_tls &
exec pgbackrest server
`;
}

/**
 * The point-in-time restore job's script (ConfigMap postgres-backup-config, key pitr-restore.sh). It restores AND
 * finishes the recovery: Patroni would not keep the target. A data directory that Patroni starts without a leader in
 * its DCS is started as a standby (patroni v4.0.x patroni/ha.py recover(): "we will restart in standby mode"), with
 * recovery_target* set to '' and recovery_target_timeline 'latest' (patroni/postgresql/config.py build_recovery_params)
 * and the recovery settings pgBackRest wrote into postgresql.auto.conf removed (_sanitize_auto_conf): it would replay the
 * whole archive past the target. So plain PostgreSQL replays to the target here and promotes
 * (recovery_target_action=promote; PostgreSQL removes recovery.signal at the end of recovery), then shuts down cleanly:
 * Patroni later starts an ordinary, promoted data directory on the new timeline.
 * Recovery runs with only a local socket (no TCP listener), without TLS (the job mounts no server certificate), with
 * pg_cron's launcher off and shared_buffers sized to the job's memory limit; the rest is the restored postgresql.conf
 * (archive_mode on: the new timeline's history file is pushed to the repository, with PGBACKREST_CONFIG's restore.conf).
 * Environment: PITR_TARGET (required), PGDATA, PITR_RUN_DIR (socket and server log; default /tmp), PGBACKREST_CONFIG.
 */
export function pitrRestoreScript(input: PostgresFileInput, opts: { readonly sharedBuffers: string; readonly restoreClaim: string }): string {
  const port = input.names.services.postgres.port;
  return `#!/bin/sh
# Point-in-time restore into the claim ${opts.restoreClaim} (rendered: ConfigMap postgres-backup-config, key pitr-restore.sh).
set -eu
: "\${PITR_TARGET:?set PITR_TARGET, e.g. 2026-11-25 10:15:00+00}"
PGDATA="\${PGDATA:-${PG_PATHS.data}}"
PITR_RUN_DIR="\${PITR_RUN_DIR:-/tmp}"
log="$PITR_RUN_DIR/pitr-postgres.log"

# 1. Restore the backup before the target and write the recovery settings (recovery.signal, postgresql.auto.conf).
mkdir -p "$PGDATA"
chmod 00700 "$PGDATA"
pgbackrest --stanza=${PGBACKREST_STANZA} --delta --type=time "--target=$PITR_TARGET" --target-action=promote restore

# 2. Replay to the target and promote, with plain PostgreSQL.
stop_server() {
  if pg_ctl status -D "$PGDATA" >/dev/null 2>&1; then
    pg_ctl -D "$PGDATA" -m fast -w -t 600 stop >/dev/null || true
  fi
}
trap stop_server EXIT
if ! pg_ctl -D "$PGDATA" -l "$log" -w -t 14400 start \\
  -o "-c listen_addresses='' -p ${port} -k $PITR_RUN_DIR -c ssl=off -c shared_buffers=${opts.sharedBuffers} -c cron.launch_active_jobs=off"; then
  echo "PostgreSQL did not start on the restored data directory; its log:" >&2
  cat "$log" >&2
  exit 1
fi
while :; do
  if ! pg_ctl status -D "$PGDATA" >/dev/null 2>&1; then
    echo "PostgreSQL stopped before reaching the target (is $PITR_TARGET within the archive?); its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  if [ "$(psql -h "$PITR_RUN_DIR" -p ${port} -d postgres -X -A -t -c 'SELECT pg_is_in_recovery()' 2>/dev/null || true)" = f ]; then
    break
  fi
  sleep 5
done
last=$(psql -h "$PITR_RUN_DIR" -p ${port} -d postgres -X -A -t -v ON_ERROR_STOP=1 -c 'SELECT pg_last_xact_replay_timestamp()')

# 3. A clean shutdown: the claim now holds a promoted cluster, ready for Patroni.
pg_ctl -D "$PGDATA" -m fast -w -t 600 stop
trap - EXIT
if [ -e "$PGDATA/recovery.signal" ] || [ -e "$PGDATA/standby.signal" ]; then
  echo "recovery did not finish: a signal file is still in $PGDATA" >&2
  exit 1
fi
echo "restored to $PITR_TARGET into claim ${opts.restoreClaim} (promoted; last replayed commit $last)"
`;
}

/**
 * /dev/shm of the PostgreSQL container, a memory-backed emptyDir: the container runtime's default is 64 MiB, where
 * PostgreSQL's dynamic shared memory lives (dynamic_shared_memory_type posix, initdb's choice on Linux: parallel query
 * tuple queues and parallel hash tables, up to work_mem x hash_mem_multiplier per participant; a full /dev/shm fails the
 * query with "could not resize shared memory segment ... No space left on device"). shared_buffers is not in it (the
 * main segment is anonymous shared memory). Pages in a memory emptyDir are charged to the memory cgroup of the container
 * that writes them, so this is a cap inside the postgres container's limit, never memory on top of it: 25 % of the
 * limit, the same budget as shared_buffers, leaving half the limit to backends.
 */
export function postgresShmSizeLimit(db: Pick<EnvironmentConfig['database'], 'resources'>): string {
  return `${Math.floor((memoryBytes(db.resources.limits.memory) * 0.25) / 2 ** 20)}Mi`;
}

/** pgBackRest configuration shared by the database pods (archive-push, replica creation) and the backup jobs. */
export function pgbackrestConf({ config, names }: PostgresFileInput, role: 'database' | 'backup-job' | 'restore'): string {
  const db = config.database;
  const lines = [
    '[global]',
    'repo1-type=s3',
    `repo1-s3-bucket=${names.backup.bucketName}`,
    `repo1-s3-region=${config.region}`,
    `repo1-s3-endpoint=s3.${config.region}.amazonaws.com`,
    'repo1-s3-uri-style=host',
    // IRSA, no static keys anywhere (pgbackrest/pgbackrest release/2.55.1 src/storage/s3/helper.c and storage.c):
    // web-id reads the role from AWS_ROLE_ARN and the token from AWS_WEB_IDENTITY_TOKEN_FILE (an error if either is
    // unset; repo1-s3-role is not allowed with web-id), re-reads the token at every renewal (5 min before expiry), and
    // calls STS AssumeRoleWithWebIdentity at https://sts.amazonaws.com:443 (the global endpoint, fixed: the storage
    // host/port options do not apply to it; repo1-storage-ca-file/ca-path do, and its TLS peer check is always on).
    'repo1-s3-key-type=web-id',
    // SSE-KMS with the backup key of the data stack (naming module alias).
    `repo1-s3-kms-key-id=${names.kms.backups}`,
    `repo1-path=/${names.backup.postgresPrefix}`,
    `repo1-retention-full=${db.backups.retentionFull}`,
    'repo1-retention-full-type=count',
    'repo1-bundle=y',
    'compress-type=zst',
    'process-max=2',
    'start-fast=y',
    'delta=y',
    'log-level-console=info',
    'log-level-file=off',
  ];
  if (role === 'database') {
    lines.push(
      'archive-async=y',
      `spool-path=${PG_PATHS.spool}`,
      'archive-push-queue-max=8GiB',
      // The TLS server the backup jobs connect to (no pods/exec needed to reach the data directory).
      'tls-server-address=*',
      `tls-server-port=${PGBACKREST_TLS_PORT}`,
      `tls-server-ca-file=${PG_PATHS.pgbackrestTls}/ca.crt`,
      `tls-server-cert-file=${PG_PATHS.pgbackrestTls}/tls.crt`,
      `tls-server-key-file=${PG_PATHS.pgbackrestTls}/tls.key`,
      `tls-server-auth=pgbackrest-client=${PGBACKREST_STANZA}`,
      '',
      `[${PGBACKREST_STANZA}]`,
      `pg1-path=${PG_PATHS.data}`,
      `pg1-port=${names.services.postgres.port}`,
      `pg1-socket-path=${PG_PATHS.socket}`,
    );
  } else if (role === 'restore') {
    // Point-in-time recovery into a fresh volume laid out like a member's, so a new cluster can start from it.
    lines.push('', `[${PGBACKREST_STANZA}]`, `pg1-path=${PG_PATHS.data}`);
  } else {
    lines.push('', `[${PGBACKREST_STANZA}]`);
    // Every member is listed; pgBackRest backs up from whichever is the primary right now.
    for (let i = 0; i < db.members; i++) {
      const n = i + 1;
      lines.push(
        `pg${n}-host=${PATRONI_SCOPE}-${i}.${PATRONI_SCOPE}-headless.${names.namespaces.data}.svc.cluster.local`,
        `pg${n}-host-type=tls`,
        `pg${n}-host-port=${PGBACKREST_TLS_PORT}`,
        `pg${n}-host-ca-file=${PG_PATHS.pgbackrestTls}/ca.crt`,
        `pg${n}-host-cert-file=${PG_PATHS.pgbackrestTls}/tls.crt`,
        `pg${n}-host-key-file=${PG_PATHS.pgbackrestTls}/tls.key`,
        `pg${n}-path=${PG_PATHS.data}`,
        `pg${n}-port=${names.services.postgres.port}`,
        `pg${n}-socket-path=${PG_PATHS.socket}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

/** PgBouncer: transaction pooling, auth_query, at most `serverConnectionsPerReplica` server connections. */
export function pgbouncerIni({ config, names }: PostgresFileInput): string {
  const db = config.database;
  const p = db.pooler;
  const pg = names.services.postgres;
  return [
    '[databases]',
    `${names.database.name} = host=${pg.name}.${names.namespaces.data}.svc.cluster.local port=${pg.port} dbname=${names.database.name}`,
    '',
    '[pgbouncer]',
    'listen_addr = 0.0.0.0',
    `listen_port = ${names.services.pgbouncer.port}`,
    'unix_socket_dir =',
    'pool_mode = transaction',
    'auth_type = scram-sha-256',
    'auth_file = /etc/pgbouncer/auth/userlist.txt',
    `auth_user = ${PG_ROLES.pooler}`,
    'auth_query = SELECT usename, passwd FROM pgbouncer.get_auth($1)',
    `max_client_conn = ${p.maxClientConnections}`,
    // The pooling invariant: this instance never opens more than its share of the cap.
    `max_db_connections = ${p.serverConnectionsPerReplica}`,
    `default_pool_size = ${p.serverConnectionsPerReplica}`,
    'reserve_pool_size = 0',
    'min_pool_size = 0',
    'server_idle_timeout = 300',
    'server_lifetime = 3600',
    'query_wait_timeout = 60',
    'ignore_startup_parameters = extra_float_digits,search_path',
    'server_tls_sslmode = require',
    'client_tls_sslmode = allow',
    'client_tls_cert_file = /etc/pgbouncer/tls/tls.crt',
    'client_tls_key_file = /etc/pgbouncer/tls/tls.key',
    `stats_users = ${PG_ROLES.monitoring}`,
    'log_connections = 0',
    'log_disconnections = 0',
    'log_pooler_errors = 1',
    '',
  ].join('\n');
}

/** Custom postgres_exporter queries: WAL archiving health and the last successful backup, for the alerts. */
export function exporterQueries(): string {
  return `pg_archiver:
  query: "SELECT archived_count, failed_count, COALESCE(EXTRACT(EPOCH FROM last_archived_time), 0) AS last_archived_time, COALESCE(EXTRACT(EPOCH FROM last_failed_time), 0) AS last_failed_time FROM pg_stat_archiver"
  metrics:
    - archived_count: { usage: COUNTER, description: "WAL segments archived" }
    - failed_count: { usage: COUNTER, description: "WAL archive attempts that failed" }
    - last_archived_time: { usage: GAUGE, description: "Unix time of the last archived segment" }
    - last_failed_time: { usage: GAUGE, description: "Unix time of the last failed archive attempt" }
pg_replication_streaming:
  query: "SELECT count(*) FILTER (WHERE state = 'streaming') AS replicas FROM pg_stat_replication"
  master: true
  metrics:
    - replicas: { usage: GAUGE, description: "Replicas streaming WAL from this primary" }
pg_backup:
  query: "SELECT backup_type, EXTRACT(EPOCH FROM max(finished_at)) AS last_success_timestamp_seconds FROM monitoring.backup_runs GROUP BY backup_type"
  master: true
  metrics:
    - backup_type: { usage: LABEL, description: "full or diff" }
    - last_success_timestamp_seconds: { usage: GAUGE, description: "Unix time of the last successful backup" }
`;
}

export { maxConnections };
