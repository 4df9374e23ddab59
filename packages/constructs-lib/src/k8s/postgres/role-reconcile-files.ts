import type { DatabaseRoleSpec, ServiceTable } from '../../naming/services';
import { managedRoles, passwordEnv, passwordVariable, patroniRole, platformCreatedRoles, poolerRole, roleAdminRole } from '../../naming/services';
import { getAuthBody, PLATFORM_ROLE_ATTRIBUTES, POOLED_LOGIN_GROUP, schemaOwner } from './postgres-files';
import type { PostgresFileInput } from './postgres-files';

/**
 * The role-reconcile Job's files (ConfigMap postgres-roles), pure functions of the services table. Patroni runs the
 * init SQL once, at bootstrap (post_bootstrap), so a role added to the table later never reaches an existing
 * database; this does, on every deploy. Rendered into dist/ and run by tests/real-servers/role-reconcile.test.ts.
 */

/** Where the Job mounts them. */
export const ROLE_RECONCILE_PATHS = { dir: '/etc/postgres-roles', sql: 'roles.sql', script: 'reconcile.sh', tls: '/etc/postgres-roles-tls' } as const;

/** Where a step that needs a superuser sends the operator. */
const RUNBOOK = 'docs/runbooks/postgres.md, Database roles';

/** No statement of the session in the server log: a slow CREATE ROLE ... PASSWORD would be logged with its password. */
const QUIET_LOG = ['SET log_min_duration_statement = -1;', "SET log_statement = 'none';"];

/**
 * The settings of every session of roles.sql: QUIET_LOG (superuser-only parameters: the init SQL grants the role
 * administrator SET on them), and createrole_self_grant, which its role setting holds too (the run does not rely on it).
 */
const SESSION = [
  '-- No statement of this session in the server log (a slow ALTER ROLE ... PASSWORD would show its password).',
  ...QUIET_LOG,
  '-- A role this session creates is granted back to its creator with SET (PostgreSQL 16+ createrole_self_grant).',
  "SET createrole_self_grant = 'set';",
];

/** A SQL string literal. */
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Fails the run (an ERROR: psql stops, ON_ERROR_STOP) with the message `problem` evaluates to, unless it is NULL. A DO
 * block: psql interpolates no variable inside its dollar quotes.
 */
function failWhen(problem: string): string {
  return `DO $check$ DECLARE problem text; BEGIN SELECT ${problem} INTO problem; IF problem IS NOT NULL THEN RAISE EXCEPTION USING MESSAGE = problem; END IF; END $check$;`;
}

/**
 * One reconcile step: psql runs `statements` only when `condition` (a boolean SQL expression) holds, and says so.
 * psql's \gset/\if (psql 10+): the condition is read from the catalogs at the moment the step runs. The condition is
 * read again afterwards and the run fails if it still holds: a GRANT its role holds no grant option for only warns
 * ("no privileges were granted", REL_17_STABLE src/backend/catalog/aclchk.c restrict_and_check_grant), it must not pass.
 */
function step(what: string, condition: string, statements: readonly string[]): string {
  return [
    `SELECT ${condition} AS needed \\gset`,
    '\\if :needed',
    `\\echo 'reconcile: ${what}'`,
    ...statements,
    failWhen(`CASE WHEN ${condition} THEN format(${lit(`reconcile: ${what.replace(/%/g, '%%')}: still to do after the step (%s may not do it; a superuser must: ${RUNBOOK})`)}, current_user) END`),
    '\\set changed true',
    '\\endif',
  ].join('\n');
}

/** Statements run as another role (SET ROLE: the role administrator holds SET on the schema owners), then back. */
function asRole(role: string, statements: readonly string[]): string[] {
  return [`SET ROLE ${role};`, ...statements, 'RESET ROLE;'];
}

function settingStep(role: string, setting: string, value: string): string {
  return step(
    `${role}: SET ${setting} = ${value}`,
    `NOT EXISTS (SELECT FROM pg_db_role_setting s WHERE s.setrole = ${lit(role)}::regrole AND s.setdatabase = 0 AND ${lit(`${setting}=${value}`)} = ANY (s.setconfig))`,
    [`ALTER ROLE ${role} SET ${setting} = ${value};`],
  );
}

/** USAGE on a schema: as its owner (`owner`) for an owner's schema, else with the role administrator's grant option. */
function usageStep(role: string, schema: string, owner?: string): string {
  const grant = [`GRANT USAGE ON SCHEMA ${schema} TO ${role};`];
  return step(`${role}: USAGE on schema ${schema}`, `NOT has_schema_privilege(${lit(role)}, ${lit(schema)}, 'USAGE')`, owner ? asRole(owner, grant) : grant);
}

function roleSteps(table: ServiceTable, r: DatabaseRoleSpec): string[] {
  const role = r.role;
  const out: string[] = [];
  for (const g of r.grants) {
    if ('ownsSchema' in g) {
      const s = g.ownsSchema;
      // As the role administrator: CREATE on the database, SET on the owner (src/backend/commands/schemacmds.c).
      out.push(step(`create schema ${s} owned by ${role}`, `NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = ${lit(s)})`, [`CREATE SCHEMA ${s} AUTHORIZATION ${role};`]));
      // Only the schema's owner may give it away: a schema someone else owns fails here, naming it.
      out.push(step(`schema ${s}: owner ${role}`, `EXISTS (SELECT FROM pg_namespace WHERE nspname = ${lit(s)} AND nspowner <> ${lit(role)}::regrole)`, [`ALTER SCHEMA ${s} OWNER TO ${role};`]));
      out.push(settingStep(role, 'search_path', `${s}, public`));
    } else if ('readsSchema' in g) {
      const s = g.readsSchema;
      const owner = schemaOwner(table, s).role;
      out.push(usageStep(role, s, owner));
      out.push(
        step(
          `${role}: SELECT on the tables ${owner} creates in ${s}`,
          `NOT EXISTS (SELECT FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a WHERE d.defaclrole = ${lit(owner)}::regrole AND n.nspname = ${lit(s)} AND d.defaclobjtype = 'r' AND a.grantee = ${lit(role)}::regrole AND a.privilege_type = 'SELECT')`,
          asRole(owner, [`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${role};`]),
        ),
      );
      // Tables that exist already (a reader added after the owner created them), granted as their owner; a table of the
      // schema someone else owns fails the step (permission denied for it, or the step's check).
      out.push(
        step(
          `${role}: SELECT on the existing tables of ${s}`,
          `EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${lit(s)} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT has_table_privilege(${lit(role)}, c.oid, 'SELECT'))`,
          asRole(owner, [`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${role};`]),
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

/** `'a', 'b'`: an SQL list of names. */
const sqlList = (xs: readonly string[]) => xs.map(lit).join(', ');

/**
 * roles.sql: run as the role administrator (never the superuser: pg_hba admits it over the local socket only),
 * connected to the `postgres` database (where the init SQL grants the cluster's functions: a function's ACL is per
 * database), then to the application database. First it fails, naming the roles and the statement a superuser must run,
 * on what its role may not change (PostgreSQL 16+: SUPERUSER, REPLICATION, BYPASSRLS, CREATEDB, which it does not have;
 * a role it holds no ADMIN option on; pgbouncer.get_auth, which only a superuser may define). Then it creates the
 * missing roles (with the password of their Secret; PostgreSQL grants it ADMIN on them, createrole_self_grant SET) and
 * gives every role of the table the attributes, memberships, grants and settings the init SQL gives it on a new
 * cluster. Every step runs only when the catalogs say it is needed, prints what it does and fails if the catalogs
 * still say so afterwards: a second run prints nothing to change. Nothing is ever dropped or revoked (a role that left
 * the table stays until someone drops it by hand).
 */
export function roleReconcileSql({ names }: PostgresFileInput): string {
  const table = names.serviceTable;
  const db = names.database.name;
  const roles = managedRoles(table);
  const admin = roleAdminRole(table).role;
  const pooler = poolerRole(table);
  const owners = roles.filter((r) => r.grants.some((g) => 'ownsSchema' in g)).map((r) => r.role);
  const administered = [...roles.map((r) => r.role), POOLED_LOGIN_GROUP];
  const sections: string[] = [];

  sections.push(
    `-- What only a superuser may change: fail before changing anything, naming the roles and what to run (as ${patroniRole(table, 'superuser').role}, on the`,
    '-- primary, over its local socket).',
    failWhen(
      `(SELECT 'reconcile: only a superuser may clear SUPERUSER, REPLICATION, BYPASSRLS or CREATEDB (' || current_user || ' may not), and these roles of the table have them: ' || string_agg(format('%s (%s): ALTER ROLE %s NOSUPERUSER NOREPLICATION NOBYPASSRLS NOCREATEDB;', rolname, concat_ws(', ', CASE WHEN rolsuper THEN 'SUPERUSER' END, CASE WHEN rolreplication THEN 'REPLICATION' END, CASE WHEN rolbypassrls THEN 'BYPASSRLS' END, CASE WHEN rolcreatedb THEN 'CREATEDB' END), rolname), ' ' ORDER BY rolname) FROM pg_roles WHERE rolname IN (${sqlList(administered)}) AND (rolsuper OR rolreplication OR rolbypassrls OR rolcreatedb))`,
    ),
    failWhen(
      `(SELECT format('reconcile: %s holds no ADMIN option on these roles of the table, so it may not alter them or set their passwords: %s (${RUNBOOK}): GRANT %s TO %s WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;', current_user, string_agg(rolname, ', ' ORDER BY rolname), string_agg(rolname, ', ' ORDER BY rolname), current_user) FROM pg_roles WHERE rolname IN (${sqlList(administered)}) AND NOT pg_has_role(current_user, oid, 'USAGE WITH ADMIN OPTION') HAVING count(*) > 0)`,
    ),
    ...(owners.length
      ? [
          failWhen(
            `(SELECT format('reconcile: %s may not SET ROLE to these schema owners of the table, so it may not create or grant in their schemas: %s (${RUNBOOK}): GRANT %s TO %s WITH ADMIN TRUE, INHERIT FALSE, SET TRUE;', current_user, string_agg(rolname, ', ' ORDER BY rolname), string_agg(rolname, ', ' ORDER BY rolname), current_user) FROM pg_roles WHERE rolname IN (${sqlList(owners)}) AND NOT pg_has_role(current_user, oid, 'SET') HAVING count(*) > 0)`,
          ),
        ]
      : []),
  );
  sections.push(
    '-- Roles: created when missing (with the password of their Secret), then the attributes of the table.',
    ...roles.flatMap((r) => [
      step(`create role ${r.role}`, `NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${lit(r.role)})`, [`CREATE ROLE ${r.role} LOGIN PASSWORD :'${passwordVariable(r)}' ${PLATFORM_ROLE_ATTRIBUTES};`]),
      // SUPERUSER, REPLICATION, BYPASSRLS and CREATEDB were checked above: only these two are left to the Job.
      step(`attributes of role ${r.role}`, `EXISTS (SELECT FROM pg_roles WHERE rolname = ${lit(r.role)} AND (NOT rolcanlogin OR rolcreaterole))`, [`ALTER ROLE ${r.role} LOGIN NOCREATEROLE;`]),
    ]),
  );
  sections.push(
    `-- The pooled roles' group: pg_hba admits its members through PgBouncer (+${POOLED_LOGIN_GROUP}), pgbouncer.get_auth serves their`,
    '-- SCRAM secrets; membership only, no privileges.',
    step(`create role ${POOLED_LOGIN_GROUP}`, `NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${lit(POOLED_LOGIN_GROUP)})`, [`CREATE ROLE ${POOLED_LOGIN_GROUP} NOLOGIN ${PLATFORM_ROLE_ATTRIBUTES};`]),
    ...roles
      .filter((r) => r.login === 'pooler' && r !== pooler)
      .map((r) => step(`${r.role}: member of ${POOLED_LOGIN_GROUP}`, `NOT pg_has_role(${lit(r.role)}, ${lit(POOLED_LOGIN_GROUP)}, 'MEMBER')`, [`GRANT ${POOLED_LOGIN_GROUP} TO ${r.role} WITH INHERIT FALSE, SET FALSE;`])),
  );
  sections.push(
    // pg_catalog functions: the role administrator holds no grant option on them (a superuser's call), so a missing
    // grant fails the step, naming the role and the function.
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
    ...SESSION,
    ...roles.filter((r) => r.connect).map((r) => step(`${r.role}: CONNECT on database ${db}`, `NOT has_database_privilege(${lit(r.role)}, ${lit(db)}, 'CONNECT')`, [`GRANT CONNECT ON DATABASE ${db} TO ${r.role};`])),
    // Schema owners first: a reader's default privileges name the owner.
    ...roles.filter((r) => r.grants.some((g) => 'ownsSchema' in g)).flatMap((r) => roleSteps(table, r)),
    ...roles.filter((r) => !r.grants.some((g) => 'ownsSchema' in g)).flatMap((r) => roleSteps(table, r)),
  );
  sections.push(
    '-- PgBouncer auth_query: the rendered function, which serves every member of the pooled group (only a superuser may',
    '-- define it: a SECURITY DEFINER function reading pg_authid). Checked, never replaced.',
    failWhen(
      `CASE WHEN (SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure('pgbouncer.get_auth(text)')) IS DISTINCT FROM $body$${getAuthBody(table)}$body$ THEN ${lit(`reconcile: pgbouncer.get_auth is not the rendered function (it would not serve a pooled role added to the table); only a superuser may replace it: ${RUNBOOK}`)} END`,
    ),
  );

  return `-- OptiBid role reconcile (rendered from the services table; run by reconcile.sh in the Job postgres-roles-<hash> on
-- every deploy, as the role administrator ${admin} (CREATEROLE, not a superuser), connected to postgres, then ${db}).
-- Brings an existing database to the table: Patroni's post_bootstrap ran init.sql once, on the new cluster, and never
-- again. Idempotent: every step runs only when the catalogs say it is needed and prints what it does. Passwords are
-- psql variables (-v app_password=...).
\\set ON_ERROR_STOP on
\\set changed false
${SESSION.join('\n')}

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
 * reconcile.sh, the Job's command: logs in as the role administrator, waits for a writable primary, runs roles.sql,
 * then checks every role's login with the password of its Secret and sets the password of each one that fails (a
 * rotated Secret, a role created without it), and fails unless every role logs in afterwards (a missing pg_hba line
 * shows here, with PostgreSQL's message). Connection settings come from libpq's environment (PGHOST, PGPORT,
 * PGDATABASE, PGSSLMODE, PGSSLROOTCERT); the passwords from the Job's environment (postgres-credentials). Safe to run
 * any number of times.
 */
export function roleReconcileScript({ names }: PostgresFileInput): string {
  const table = names.serviceTable;
  const db = names.database.name;
  const admin = roleAdminRole(table);
  const roles = managedRoles(table);
  const vars = roles.map((r) => `-v ${passwordVariable(r)}="$${passwordEnv(r)}"`);
  const varLines = Array.from({ length: Math.ceil(vars.length / 3) }, (_, i) => `  ${vars.slice(i * 3, i * 3 + 3).join(' ')} \\`).join('\n');
  return `#!/bin/sh
# Role reconcile (rendered: ConfigMap postgres-roles, key ${ROLE_RECONCILE_PATHS.script}; the command of the Job postgres-roles-<hash>).
# Logs in as the role administrator (${admin.role}: CREATEROLE, not a superuser) over TLS to the primary; libpq reads
# PGHOST, PGPORT, PGDATABASE, PGSSLMODE and PGSSLROOTCERT from the environment, the passwords come from the Secret
# postgres-credentials.
set -eu
: "\${PGHOST:?}" "\${PGDATABASE:?}" "\${${passwordEnv(admin)}:?}"
ROLES_SQL="\${ROLES_SQL:-${ROLE_RECONCILE_PATHS.dir}/${ROLE_RECONCILE_PATHS.sql}}"
PRIMARY_WAIT_SECONDS="\${PRIMARY_WAIT_SECONDS:-600}"
err=$(mktemp)
trap 'rm -f "$err"' EXIT

as_admin() {
  PGPASSWORD="$${passwordEnv(admin)}" psql -X -q -v ON_ERROR_STOP=1 -U ${admin.role} "$@"
}

# 1. A primary that accepts writes (the deploy applies this Job once the data tier rolled out; a failover may still
# be settling, and Argo CD may start it with the data tier). A refused login is not worth waiting for: its password
# or pg_hba line is set by hand (${RUNBOOK}).
waited=0
until [ "$(as_admin -At -c 'SELECT NOT pg_is_in_recovery()' 2>"$err")" = t ]; do
  if grep -q -e 'password authentication failed' -e 'pg_hba.conf rejects' -e 'no pg_hba.conf entry' -e 'does not exist' "$err"; then
    echo "reconcile: ${admin.role} cannot log in to $PGHOST:\${PGPORT:-5432} (${RUNBOOK}): $(cat "$err")" >&2
    exit 1
  fi
  if [ "$waited" -ge "$PRIMARY_WAIT_SECONDS" ]; then
    echo "reconcile: no writable primary at $PGHOST:\${PGPORT:-5432} after \${PRIMARY_WAIT_SECONDS}s: $(cat "$err")" >&2
    exit 1
  fi
  sleep 5
  waited=$((waited + 5))
done

# 2. Roles, memberships, grants, settings (each only where the catalogs say it is missing).
as_admin \\
${varLines}
  -f "$ROLES_SQL"

# 3. Passwords: a role that cannot log in with the password of its Secret gets it (ALTER ROLE ... PASSWORD, which the
# role administrator may do on the roles it holds ADMIN on); a role that still cannot log in fails the Job.
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
  printf "${QUIET_LOG.join('\\n')}\\nALTER ROLE %s PASSWORD :'%s';\\n" "$1" "$4" | as_admin -v "$4=$3" -f -
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

/** The Job's environment variables that carry a password (postgres-credentials keys): the role administrator's and every role's it manages. */
export function roleReconcilePasswordEnv(table: ServiceTable): { env: string; key: string }[] {
  return platformCreatedRoles(table).map((r) => ({ env: passwordEnv(r), key: passwordEnv(r) }));
}
