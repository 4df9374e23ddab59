import { stringify } from 'yaml';
import type { EnvironmentConfig } from '../config/schema';
import { authPolicyDocument } from '../k8s/auth-policy';
import { initSql, PG_PATHS, PG_ROLES, pgbouncerIni } from '../k8s/postgres/postgres-files';
import { aclTemplate, REDIS_PATHS, redisConf } from '../k8s/redis/redis-files';
import { composePasswordVariable, composeRedisVariable, passwordVariable, platformCreatedRoles, PLATFORM_SERVICE_TABLE, secretSuffix } from '../naming/services';
import type { PlatformNames } from '../naming/naming';
import { jaegerConfig } from '../k8s/monitoring/jaeger-config';

/**
 * The files docker-compose.yaml mounts, derived from the same pure functions that render the cluster's ConfigMaps
 * (so what runs locally is what the cluster runs), adapted only where the cluster's mechanism does not exist in
 * compose (Patroni, cert-manager TLS, ExternalSecrets, the headless Service). Secrets are never in these files:
 * the scripts read them from the container environment at start-up.
 */

export interface ComposeFileInput {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
}

/** Compose service names: the cluster Service names, so hosts read the same as in the cluster minus the domain. */
export function composeServiceNames(names: PlatformNames) {
  const s = names.services;
  return { postgres: s.postgres.name, pgbouncer: s.pgbouncer.name, redis: s.redis.name, backend: s.backend.name, frontend: s.frontend.name, jaeger: s.tracing.workload! } as const;
}

/** Where the files are mounted in the containers (the cluster's paths wherever the image allows). */
export const COMPOSE_MOUNTS = {
  initSql: `${PG_PATHS.initDir}/init.sql`,
  /** The image's docker-entrypoint.sh sources *.sh here once, on an empty data directory, after its own scripts. */
  initHook: '/docker-entrypoint-initdb.d/100-optibid-init.sh',
  pgbouncerIni: '/etc/pgbouncer/pgbouncer.ini',
  pgbouncerStart: '/etc/pgbouncer/start.sh',
  pgbouncerAuthDir: '/etc/pgbouncer/auth',
  redisConf: `${REDIS_PATHS.config}/redis.conf`,
  redisStart: `${REDIS_PATHS.config}/start.sh`,
  jaegerConfig: '/etc/jaeger/jaeger.yaml',
  /** The backend's auth policy directory (AUTH_POLICY_DIR of the k8s-manifests app chart). */
  authPolicyDir: '/etc/optibid/auth',
} as const;

/** Name of the OIDC client-secret environment variable the auth policy points at (as in the cluster). */
export const OIDC_CLIENT_SECRET_ENV = 'OIDC_CLIENT_SECRET';

/** psql variables init.sql reads (`:'name'`), in order of appearance. */
export function initSqlVariables(sql: string): string[] {
  return [...new Set([...sql.matchAll(/:'([a-z_]+)'/g)].map((m) => m[1]))];
}

/**
 * Passwords of the init.sql roles, as the init hook passes them: from .env for the roles something local logs in
 * with; empty for the roles of cluster-only components (PostgreSQL stores no password for an empty one, so those
 * roles exist, with the cluster's grants, but cannot log in).
 */
export const INIT_SQL_PASSWORDS: Readonly<Record<string, string | null>> = Object.fromEntries(
  // From the services table: a role with `compose` gets its password from .env; the others (exporters, pgBackRest
  // backup jobs, Patroni's pg_rewind: nothing local runs them) get none.
  platformCreatedRoles(PLATFORM_SERVICE_TABLE).map((r) => [passwordVariable(r), r.compose ? composePasswordVariable(r) : null]),
);

/**
 * The init hook. The cluster runs init.sql once through Patroni's post_bootstrap (postBootstrapScript); the image's
 * own entrypoint does the same job here: on the first start it runs initdb, then sources every *.sh of
 * /docker-entrypoint-initdb.d with a temporary server listening on the socket only. This runs the cluster's init.sql
 * unchanged: roles, the database, extensions (TimescaleDB, PostGIS, pg_cron, pg_stat_statements), the app schema,
 * the PgBouncer auth_query function and the backup bookkeeping table all exist locally as in the cluster.
 */
export function initHookScript(sql: string): string {
  const vars = initSqlVariables(sql).map((v) => {
    if (!(v in INIT_SQL_PASSWORDS)) throw new Error(`init.sql reads :'${v}', which the compose init hook does not set (INIT_SQL_PASSWORDS)`);
    const env = INIT_SQL_PASSWORDS[v];
    return env ? `  -v ${v}="\${${env}:-}" \\` : `  -v ${v}= \\`;
  });
  return `# Rendered for docker compose (do not edit). Sourced, not executed, by the timescaledb-ha image's
# docker-entrypoint.sh on the first start (empty data directory), after initdb and the image's own
# /docker-entrypoint-initdb.d scripts; docker_process_sql is the entrypoint's psql as the superuser over the socket.
# Runs the cluster's init.sql unchanged, as Patroni's post_bootstrap does there, with passwords from the container
# environment (.env). Roles of components that only run in the cluster (exporters, backups, Patroni rewind) get no
# password: they exist with the cluster's grants but cannot log in.
docker_process_sql \\
${vars.join('\n')}
  -f ${COMPOSE_MOUNTS.initSql}
`;
}

/** Sets (or, with null, removes) one `key = value` line of an ini text; throws when the key is not there. */
function setIniKey(lines: string[], key: string, value: string | null): string[] {
  const i = lines.findIndex((l) => l.startsWith(`${key} =`));
  if (i < 0) throw new Error(`pgbouncer.ini has no '${key}' line to adapt for compose`);
  return value === null ? [...lines.slice(0, i), ...lines.slice(i + 1)] : [...lines.slice(0, i), `${key} = ${value}`, ...lines.slice(i + 1)];
}

/** Keys of the cluster's pgbouncer.ini that compose changes, and to what (null: removed). */
export function pgbouncerIniChanges({ names }: ComposeFileInput): Record<string, string | null> {
  const pg = names.services.postgres;
  return {
    // The compose service instead of the cluster DNS name.
    [names.database.name]: `host=${composeServiceNames(names).postgres} port=${pg.port} dbname=${names.database.name}`,
    // No TLS locally: the server certificates are issued by cert-manager in the cluster.
    server_tls_sslmode: 'disable',
    client_tls_sslmode: 'disable',
    client_tls_cert_file: null,
    client_tls_key_file: null,
  };
}

/** The cluster's pgbouncer.ini (pooling mode, auth_query, pool sizes) with the compose host and without TLS. */
export function composePgbouncerIni(input: ComposeFileInput): string {
  let lines = pgbouncerIni(input).split('\n');
  for (const [key, value] of Object.entries(pgbouncerIniChanges(input))) lines = setIniKey(lines, key, value);
  return [
    '; Rendered for docker compose from the cluster pgbouncer.ini (do not edit): same pooling and auth_query, the',
    '; compose postgres service as the server, no TLS (cluster certificates come from cert-manager).',
    ...lines,
  ].join('\n');
}

/** Writes the auth_file from the environment (an ExternalSecret renders it in the cluster) and starts PgBouncer. */
export function pgbouncerStartScript(): string {
  return `#!/bin/sh
# Rendered for docker compose (do not edit). The auth_file holds the auth_user's password: in the cluster an
# ExternalSecret renders it, here it is written from the environment (.env) to a tmpfs.
set -eu
umask 077
printf '"%s" "%s"\\n' ${PG_ROLES.pooler} "$POSTGRES_POOLER_PASSWORD" > ${COMPOSE_MOUNTS.pgbouncerAuthDir}/userlist.txt
exec pgbouncer ${COMPOSE_MOUNTS.pgbouncerIni}
`;
}

/** The ACL users the local stack needs (admin + backend), with the cluster's rules, passwords from the environment. */
export const COMPOSE_REDIS_USERS: Readonly<Record<string, { placeholder: string; env: string }>> = Object.fromEntries(
  // From the services table: the Redis users with `compose` (the admin user and the application services').
  PLATFORM_SERVICE_TABLE.redisUsers.filter((u) => u.compose).map((u) => [u.user, { placeholder: `{{ .${secretSuffix(u.secret)} }}`, env: composeRedisVariable(u) }]),
);

function composeAclLines(): string[] {
  const lines = aclTemplate().split('\n');
  return Object.entries(COMPOSE_REDIS_USERS).map(([user, { placeholder, env }]) => {
    const rule = lines.find((l) => l.startsWith(`user ${user} `));
    if (!rule || !rule.includes(placeholder)) throw new Error(`the Redis ACL template has no rule for '${user}' with ${placeholder}`);
    return rule.replace(placeholder, () => `$${env}`);
  });
}

/**
 * A one-node Redis Cluster: the cluster's redis.conf unchanged (cluster mode, persistence, maxmemory), the ACL
 * users written from the environment, and once the server answers, all 16384 slots assigned to this node (skipped
 * when nodes.conf on the volume already has them). Announces the compose service name, as the cluster announces
 * the pod's headless-Service hostname (cluster-preferred-endpoint-type hostname).
 */
export function redisStartScript({ names }: ComposeFileInput): string {
  const port = names.services.redis.port;
  const acl = composeAclLines()
    .map((l) => `  printf '%s\\n' "${l}"`)
    .join('\n');
  return `#!/bin/sh
# Rendered for docker compose (do not edit). Starts a single-node Redis Cluster with the cluster's redis.conf.
set -eu
umask 077
# ACL users: the cluster's rules for the admin and backend users; an ExternalSecret renders them in the cluster.
{
${acl}
} > ${REDIS_PATHS.acl}/users.acl
# No replicas locally: nothing to authenticate to (masterauth), but redis.conf includes the file.
: > ${REDIS_PATHS.acl}/replication.conf
# All 16384 slots on this one node, once it answers (idempotent: nodes.conf on the volume remembers them).
(
  export REDISCLI_AUTH="$REDIS_DEFAULT_PASSWORD"
  until redis-cli -p ${port} ping 2>/dev/null | grep -q PONG; do sleep 1; done
  if ! redis-cli -p ${port} cluster info | grep -q '^cluster_slots_assigned:16384'; then
    redis-cli -p ${port} cluster addslotsrange 0 16383
  fi
) &
exec redis-server ${COMPOSE_MOUNTS.redisConf} --cluster-announce-hostname ${composeServiceNames(names).redis}
`;
}

/** Jaeger storage locally: in memory (the cluster keeps Badger on a volume for the retention period). */
export const COMPOSE_JAEGER_STORAGE = { memory: { max_traces: 100000 } } as const;
export { JAEGER_HEALTH_PORT, JAEGER_METRICS_PORT } from '../k8s/monitoring/jaeger-config';

/** Every mounted file (path relative to dist/compose/ -> content). */
export function composeMountedFiles(input: ComposeFileInput): Map<string, string> {
  const sql = initSql(input);
  return new Map([
    ['postgres/init.sql', sql],
    ['postgres/init-hook.sh', initHookScript(sql)],
    ['pgbouncer/pgbouncer.ini', composePgbouncerIni(input)],
    ['pgbouncer/start.sh', pgbouncerStartScript()],
    ['redis/redis.conf', redisConf(input)],
    ['redis/start.sh', redisStartScript(input)],
    ['jaeger/jaeger.yaml', stringify(jaegerConfig(input.names, COMPOSE_JAEGER_STORAGE), { lineWidth: 0 })],
    ['backend/auth-policy.json', JSON.stringify(authPolicyDocument(input.config.auth, { oidcClientSecretEnv: OIDC_CLIENT_SECRET_ENV }), null, 2) + '\n'],
  ]);
}
