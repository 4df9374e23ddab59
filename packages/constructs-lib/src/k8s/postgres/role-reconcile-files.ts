import type { DatabaseRoleSpec, ServiceTable } from '../../naming/services';
import { passwordEnv, passwordVariable, patroniRole, platformCreatedRoles, poolerRole } from '../../naming/services';
import { getAuthBody, PLATFORM_ROLE_ATTRIBUTES, POOLED_LOGIN_GROUP, schemaOwner } from './postgres-files';
import type { PostgresFileInput } from './postgres-files';

/**
 * The role-reconcile Job's files (ConfigMap postgres-roles), pure functions of the services table. Patroni runs the
 * init SQL once, at bootstrap (post_bootstrap), so a role added to the table later never reaches an existing
 * database; this does, on every deploy. Rendered into dist/ and run by tests/real-servers/role-reconcile.test.ts.
 */

/** Where the Job mounts them. */
export const ROLE_RECONCILE_PATHS = { dir: '/etc/postgres-roles', sql: 'roles.sql', script: 'reconcile.sh', tls: '/etc/postgres-roles-tls' } as const;

/** The environment variable holding the superuser's password in the Job (the others are the roles' <SUFFIX>_PASSWORD). */
export const RECONCILE_SUPERUSER_PASSWORD_ENV = 'SUPERUSER_PASSWORD';

/** No statement of the session in the server log: a slow CREATE ROLE ... PASSWORD would be logged with its password. */
const QUIET_LOG = ['-- No statement of this session in the server log (a slow ALTER ROLE ... PASSWORD would show its password).', 'SET log_min_duration_statement = -1;', "SET log_statement = 'none';"];

/** A SQL string literal. */
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * One reconcile step: psql runs `statements` only when `condition` (a boolean SQL expression) holds, and says so.
 * psql's \gset/\if (psql 10+): the condition is read from the catalogs at the moment the step runs.
 */
function step(what: string, condition: string, statements: readonly string[]): string {
  return [`SELECT ${condition} AS needed \\gset`, '\\if :needed', `\\echo 'reconcile: ${what}'`, ...statements, '\\set changed true', '\\endif'].join('\n');
}

function settingStep(role: string, setting: string, value: string): string {
  return step(
    `${role}: SET ${setting} = ${value}`,
    `NOT EXISTS (SELECT FROM pg_db_role_setting s WHERE s.setrole = ${lit(role)}::regrole AND s.setdatabase = 0 AND ${lit(`${setting}=${value}`)} = ANY (s.setconfig))`,
    [`ALTER ROLE ${role} SET ${setting} = ${value};`],
  );
}

function usageStep(role: string, schema: string): string {
  return step(`${role}: USAGE on schema ${schema}`, `NOT has_schema_privilege(${lit(role)}, ${lit(schema)}, 'USAGE')`, [`GRANT USAGE ON SCHEMA ${schema} TO ${role};`]);
}

function roleSteps(table: ServiceTable, r: DatabaseRoleSpec): string[] {
  const role = r.role;
  const out: string[] = [];
  for (const g of r.grants) {
    if ('ownsSchema' in g) {
      const s = g.ownsSchema;
      out.push(step(`create schema ${s} owned by ${role}`, `NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = ${lit(s)})`, [`CREATE SCHEMA ${s} AUTHORIZATION ${role};`]));
      out.push(step(`schema ${s}: owner ${role}`, `EXISTS (SELECT FROM pg_namespace WHERE nspname = ${lit(s)} AND nspowner <> ${lit(role)}::regrole)`, [`ALTER SCHEMA ${s} OWNER TO ${role};`]));
      out.push(settingStep(role, 'search_path', `${s}, public`));
    } else if ('readsSchema' in g) {
      const s = g.readsSchema;
      const owner = schemaOwner(table, s).role;
      out.push(usageStep(role, s));
      out.push(
        step(
          `${role}: SELECT on the tables ${owner} creates in ${s}`,
          `NOT EXISTS (SELECT FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a WHERE d.defaclrole = ${lit(owner)}::regrole AND n.nspname = ${lit(s)} AND d.defaclobjtype = 'r' AND a.grantee = ${lit(role)}::regrole AND a.privilege_type = 'SELECT')`,
          [`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${role};`],
        ),
      );
      // Tables that exist already (a reader added after the owner created them).
      out.push(
        step(
          `${role}: SELECT on the existing tables of ${s}`,
          `EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${lit(s)} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT has_table_privilege(${lit(role)}, c.oid, 'SELECT'))`,
          [`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${role};`],
        ),
      );
    } else if ('readOnly' in g) {
      out.push(settingStep(role, 'default_transaction_read_only', 'on'));
    } else if ('authQuery' in g) {
      out.push(usageStep(role, 'pgbouncer'));
      out.push(step(`${role}: EXECUTE on pgbouncer.get_auth`, `NOT has_function_privilege(${lit(role)}, 'pgbouncer.get_auth(text)', 'EXECUTE')`, [`GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO ${role};`]));
    } else if ('backupRuns' in g) {
      out.push(usageStep(role, 'monitoring'));
      if (g.backupRuns === 'record') out.push(step(`${role}: EXECUTE on monitoring.record_backup`, `NOT has_function_privilege(${lit(role)}, 'monitoring.record_backup(text)', 'EXECUTE')`, [`GRANT EXECUTE ON FUNCTION monitoring.record_backup(text) TO ${role};`]));
      else out.push(step(`${role}: SELECT on monitoring.backup_runs`, `NOT has_table_privilege(${lit(role)}, 'monitoring.backup_runs', 'SELECT')`, [`GRANT SELECT ON monitoring.backup_runs TO ${role};`]));
    }
  }
  return out;
}

/**
 * roles.sql: run as the superuser, connected to the `postgres` database (where the init SQL grants the cluster's
 * functions: a function's ACL is per database), then to the application database. Creates the missing roles (with the
 * password from their Secret) and gives every role of the table the attributes, memberships, grants and settings the
 * init SQL gives it on a new cluster; PgBouncer's auth_query function is redefined when the pooled roles changed.
 * Every step runs only when the catalogs say it is needed and prints what it does: a second run prints nothing to
 * change. Nothing is ever dropped or revoked (a role that left the table stays until someone drops it by hand).
 */
export function roleReconcileSql({ names }: PostgresFileInput): string {
  const table = names.serviceTable;
  const db = names.database.name;
  const roles = platformCreatedRoles(table);
  const pooler = poolerRole(table);
  const body = getAuthBody(table);
  const sections: string[] = [];

  sections.push(
    '-- Roles: created when missing (with the password of their Secret), then the attributes of the table.',
    ...roles.flatMap((r) => [
      step(`create role ${r.role}`, `NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${lit(r.role)})`, [`CREATE ROLE ${r.role} LOGIN PASSWORD :'${passwordVariable(r)}' ${PLATFORM_ROLE_ATTRIBUTES};`]),
      step(
        `attributes of role ${r.role}`,
        `EXISTS (SELECT FROM pg_roles WHERE rolname = ${lit(r.role)} AND (NOT rolcanlogin OR rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls))`,
        [`ALTER ROLE ${r.role} LOGIN ${PLATFORM_ROLE_ATTRIBUTES} NOBYPASSRLS;`],
      ),
    ]),
  );
  sections.push(
    `-- The pooled roles' group: pg_hba admits its members through PgBouncer (+${POOLED_LOGIN_GROUP}); membership only, no privileges.`,
    step(`create role ${POOLED_LOGIN_GROUP}`, `NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${lit(POOLED_LOGIN_GROUP)})`, [`CREATE ROLE ${POOLED_LOGIN_GROUP} NOLOGIN ${PLATFORM_ROLE_ATTRIBUTES};`]),
    ...roles
      .filter((r) => r.login === 'pooler' && r !== pooler)
      .map((r) => step(`${r.role}: member of ${POOLED_LOGIN_GROUP}`, `NOT pg_has_role(${lit(r.role)}, ${lit(POOLED_LOGIN_GROUP)}, 'MEMBER')`, [`GRANT ${POOLED_LOGIN_GROUP} TO ${r.role} WITH INHERIT FALSE, SET FALSE;`])),
  );
  sections.push(
    '-- Memberships and functions of the cluster.',
    ...roles.flatMap((r) =>
      r.grants.flatMap((g) =>
        'memberOf' in g
          ? [step(`${r.role}: member of ${g.memberOf}`, `NOT pg_has_role(${lit(r.role)}, ${lit(g.memberOf)}, 'MEMBER')`, [`GRANT ${g.memberOf} TO ${r.role};`])]
          : 'execute' in g
            ? [step(`${r.role}: EXECUTE on ${g.execute}`, `NOT has_function_privilege(${lit(r.role)}, ${lit(g.execute)}, 'EXECUTE')`, [`GRANT EXECUTE ON FUNCTION ${g.execute} TO ${r.role};`])]
            : [],
      ),
    ),
  );
  sections.push(
    `-- The application database.`,
    `\\connect ${db}`,
    ...QUIET_LOG,
    ...roles.filter((r) => r.connect).map((r) => step(`${r.role}: CONNECT on database ${db}`, `NOT has_database_privilege(${lit(r.role)}, ${lit(db)}, 'CONNECT')`, [`GRANT CONNECT ON DATABASE ${db} TO ${r.role};`])),
    // Schema owners first: a reader's default privileges name the owner.
    ...roles.filter((r) => r.grants.some((g) => 'ownsSchema' in g)).flatMap((r) => roleSteps(table, r)),
    ...roles.filter((r) => !r.grants.some((g) => 'ownsSchema' in g)).flatMap((r) => roleSteps(table, r)),
  );
  sections.push(
    '-- PgBouncer auth_query: the SCRAM secrets of exactly the pooled roles of the table.',
    step('pgbouncer.get_auth: the pooled roles of the table', `(SELECT prosrc FROM pg_proc WHERE oid = 'pgbouncer.get_auth(text)'::regprocedure) IS DISTINCT FROM $body$${body}$body$`, [
      'CREATE OR REPLACE FUNCTION pgbouncer.get_auth(p_usename text) RETURNS TABLE (usename name, passwd text)',
      '  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS',
      `$$${body}$$;`,
    ]),
  );

  return `-- OptiBid role reconcile (rendered from the services table; run by reconcile.sh in the Job postgres-roles-<hash> on
-- every deploy, as the superuser, connected to postgres, then ${db}). Brings an existing database to the table: Patroni's
-- post_bootstrap ran init.sql once, on the new cluster, and never again. Idempotent: every step runs only when the
-- catalogs say it is needed and prints what it does. Passwords are psql variables (-v app_password=...).
\\set ON_ERROR_STOP on
\\set changed false
${QUIET_LOG.join('\n')}

${sections.join('\n')}

\\if :changed
\\echo 'reconcile: roles.sql changed the database'
\\else
\\echo 'reconcile: roles.sql: nothing to change'
\\endif
`;
}

/** The database a role's login check connects to: one its pg_hba line admits and it may CONNECT to. */
function loginDatabase(r: DatabaseRoleSpec, db: string): string {
  const dbs = r.databases ?? ['app'];
  return dbs.includes('postgres') || dbs.includes('all') ? 'postgres' : db;
}

/**
 * reconcile.sh, the Job's command: waits for a writable primary, runs roles.sql, then checks every role's login with
 * the password of its Secret and sets the password of each one that fails (a rotated Secret, a role created without
 * it), and fails unless every role logs in afterwards (a missing pg_hba line shows here, with PostgreSQL's message).
 * Connection settings come from libpq's environment (PGHOST, PGPORT, PGDATABASE, PGSSLMODE, PGSSLROOTCERT); the
 * passwords from the Job's environment (postgres-credentials). Safe to run any number of times.
 */
export function roleReconcileScript({ names }: PostgresFileInput): string {
  const table = names.serviceTable;
  const db = names.database.name;
  const superuser = patroniRole(table, 'superuser').role;
  const roles = platformCreatedRoles(table);
  const vars = roles.map((r) => `-v ${passwordVariable(r)}="$${passwordEnv(r)}"`);
  const varLines = Array.from({ length: Math.ceil(vars.length / 3) }, (_, i) => `  ${vars.slice(i * 3, i * 3 + 3).join(' ')} \\`).join('\n');
  return `#!/bin/sh
# Role reconcile (rendered: ConfigMap postgres-roles, key ${ROLE_RECONCILE_PATHS.script}; the command of the Job postgres-roles-<hash>).
# Logs in as the superuser (${superuser}) over TLS to the primary; libpq reads PGHOST, PGPORT, PGDATABASE, PGSSLMODE and
# PGSSLROOTCERT from the environment, the passwords come from the Secret postgres-credentials.
set -eu
: "\${PGHOST:?}" "\${PGDATABASE:?}" "\${${RECONCILE_SUPERUSER_PASSWORD_ENV}:?}"
ROLES_SQL="\${ROLES_SQL:-${ROLE_RECONCILE_PATHS.dir}/${ROLE_RECONCILE_PATHS.sql}}"
PRIMARY_WAIT_SECONDS="\${PRIMARY_WAIT_SECONDS:-600}"
err=$(mktemp)
trap 'rm -f "$err"' EXIT

as_superuser() {
  PGPASSWORD="$${RECONCILE_SUPERUSER_PASSWORD_ENV}" psql -X -q -v ON_ERROR_STOP=1 -U ${superuser} "$@"
}

# 1. A primary that accepts writes (the deploy applies this Job once the data tier rolled out; a failover may still
# be settling, and Argo CD may start it with the data tier).
waited=0
until [ "$(as_superuser -At -c 'SELECT NOT pg_is_in_recovery()' 2>"$err")" = t ]; do
  if [ "$waited" -ge "$PRIMARY_WAIT_SECONDS" ]; then
    echo "reconcile: no writable primary at $PGHOST:\${PGPORT:-5432} after \${PRIMARY_WAIT_SECONDS}s: $(cat "$err")" >&2
    exit 1
  fi
  sleep 5
  waited=$((waited + 5))
done

# 2. Roles, memberships, grants, settings (each only where the catalogs say it is missing).
as_superuser \\
${varLines}
  -f "$ROLES_SQL"

# 3. Passwords: a role that cannot log in with the password of its Secret gets it (ALTER ROLE ... PASSWORD); a role
# that still cannot log in fails the Job.
failed=0
set_count=0
login() {
  PGPASSWORD="$3" psql -X -q -At -U "$1" -d "$2" -c 'SELECT 1' >/dev/null 2>"$err"
}
check() {
  # role, database, password, psql variable
  if login "$1" "$2" "$3"; then
    return 0
  fi
  echo "reconcile: set the password of $1 (login failed: $(head -n 1 "$err"))"
  printf "SET log_min_duration_statement = -1;\\nSET log_statement = 'none';\\nALTER ROLE %s PASSWORD :'%s';\\n" "$1" "$4" | as_superuser -v "$4=$3" -f -
  set_count=$((set_count + 1))
  if ! login "$1" "$2" "$3"; then
    echo "reconcile: $1 cannot log in to $2 with the password of its Secret: $(cat "$err")" >&2
    failed=1
  fi
}
${roles.map((r) => `check ${r.role} ${loginDatabase(r, db)} "$${passwordEnv(r)}" ${passwordVariable(r)}`).join('\n')}
if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "reconcile: ${roles.length} roles log in with their passwords ($set_count password(s) set)"
`;
}

/** The Job's environment variables that carry a password, with their postgres-credentials key. */
export function roleReconcilePasswordEnv(table: ServiceTable): { env: string; key: string }[] {
  return [
    { env: RECONCILE_SUPERUSER_PASSWORD_ENV, key: 'PATRONI_SUPERUSER_PASSWORD' },
    ...platformCreatedRoles(table).map((r) => ({ env: passwordEnv(r), key: passwordEnv(r) })),
  ];
}
