import type { EnvironmentConfig } from '../../config/schema';
import { maxConnections } from '../../config/database-schema';
import type { PlatformNames } from '../../naming/naming';
import { postgresMemoryParameters } from '../../sizing/postgres-parameters';

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
  patroniConfig: '/etc/patroni/patroni.yml',
  initDir: '/etc/postgres-init',
  pgbackrestConfig: '/etc/pgbackrest/pgbackrest.conf',
  serverTls: '/etc/postgres-tls',
  pgbackrestTls: '/etc/pgbackrest-tls',
} as const;

/** Roles of the database; passwords come from ExternalSecrets, never from these files. */
export const PG_ROLES = {
  superuser: 'postgres',
  replication: 'replicator',
  rewind: 'rewinder',
  app: 'optibid_app',
  analyst: 'optibid_analyst',
  pooler: 'pgbouncer',
  monitoring: 'monitoring',
  backup: 'backup',
} as const;

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
 * pg_hba: TLS + scram-sha-256 from the VPC for the pooler's users, replicas, backups and monitoring only;
 * the superuser only over the local socket; everything else rejected.
 */
export function pgHbaRules({ config, names }: PostgresFileInput): string[] {
  const net = config.network.vpcCidr;
  const db = names.database.name;
  return [
    'local   all             all                                     peer',
    `hostssl replication     ${PG_ROLES.replication}              ${net}            scram-sha-256`,
    `hostssl all             ${PG_ROLES.rewind}                ${net}            scram-sha-256`,
    `hostssl ${db}         ${PG_ROLES.pooler},${PG_ROLES.app},${PG_ROLES.analyst} ${net}   scram-sha-256`,
    `hostssl postgres,${db} ${PG_ROLES.monitoring}             ${net}            scram-sha-256`,
    // The exporter sidecar connects over the pod's loopback.
    `hostssl postgres,${db} ${PG_ROLES.monitoring}             127.0.0.1/32      scram-sha-256`,
    `hostssl ${db}         ${PG_ROLES.backup}                 ${net}            scram-sha-256`,
    'host    all             all                 0.0.0.0/0           reject',
    'host    all             all                 ::/0                reject',
  ].map((l) => l.replace(/\s+/g, ' '));
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
      create_replica_methods: ['pgbackrest', 'basebackup'],
      pgbackrest: { command: `pgbackrest --stanza=${PGBACKREST_STANZA} --delta restore`, keep_data: true, no_params: true },
      basebackup: [{ checkpoint: 'fast' }],
    },
    watchdog: { mode: 'off' },
  };
}

/**
 * Init SQL (run once by Patroni's post_bootstrap on the new primary, as the superuser). Passwords arrive as psql
 * variables from the environment (ExternalSecrets), so this file holds no secret.
 */
export function initSql({ names }: PostgresFileInput): string {
  const db = names.database.name;
  const r = PG_ROLES;
  return `-- OptiBid database bootstrap (rendered; run once by Patroni post_bootstrap).
-- Passwords are psql variables (-v app_password=...) set from Kubernetes Secrets created by ExternalSecrets.
\\set ON_ERROR_STOP on

CREATE ROLE ${r.app} LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE ${r.analyst} LOGIN PASSWORD :'analyst_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE ${r.pooler} LOGIN PASSWORD :'pooler_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE ${r.monitoring} LOGIN PASSWORD :'monitoring_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE ${r.backup} LOGIN PASSWORD :'backup_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE ${r.rewind} LOGIN PASSWORD :'rewind_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
GRANT pg_monitor TO ${r.monitoring};
GRANT pg_checkpoint TO ${r.backup};
GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean) TO ${r.rewind};
GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_file(text, boolean) TO ${r.rewind};
GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO ${r.rewind};
GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO ${r.rewind};

CREATE DATABASE ${db} OWNER ${r.superuser} ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE ${db} FROM PUBLIC;
GRANT CONNECT ON DATABASE ${db} TO ${r.app}, ${r.analyst}, ${r.pooler}, ${r.monitoring}, ${r.backup};

\\connect ${db}
-- Extensions. TimescaleDB is optional only where the server lacks it (the Debian test servers); production has it.
SELECT (count(*) > 0) AS has_timescaledb FROM pg_available_extensions WHERE name = 'timescaledb' \\gset
\\if :has_timescaledb
CREATE EXTENSION IF NOT EXISTS timescaledb;
\\else
\\echo 'timescaledb not available on this server: skipped'
\\endif
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

-- Application schema: owned by the app role; nobody else creates objects in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA app AUTHORIZATION ${r.app};
ALTER ROLE ${r.app} SET search_path = app, public;
-- Read-only analyst: reads the app schema, writes nothing.
GRANT USAGE ON SCHEMA app TO ${r.analyst};
ALTER DEFAULT PRIVILEGES FOR ROLE ${r.app} IN SCHEMA app GRANT SELECT ON TABLES TO ${r.analyst};
ALTER ROLE ${r.analyst} SET default_transaction_read_only = on;

-- PgBouncer auth_query: the pooler looks up SCRAM secrets through this function only, never pg_authid itself.
CREATE SCHEMA pgbouncer AUTHORIZATION ${r.superuser};
REVOKE ALL ON SCHEMA pgbouncer FROM PUBLIC;
GRANT USAGE ON SCHEMA pgbouncer TO ${r.pooler};
CREATE FUNCTION pgbouncer.get_auth(p_usename text) RETURNS TABLE (usename name, passwd text)
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS
$$ SELECT rolname, rolpassword FROM pg_authid
   WHERE rolname = p_usename AND rolcanlogin AND NOT rolsuper AND rolname IN ('${r.app}', '${r.analyst}') $$;
REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO ${r.pooler};

-- Backup bookkeeping: the backup jobs record success; the exporter turns it into the "last backup" metric.
CREATE SCHEMA monitoring AUTHORIZATION ${r.superuser};
CREATE TABLE monitoring.backup_runs (backup_type text NOT NULL, finished_at timestamptz NOT NULL DEFAULT now());
CREATE FUNCTION monitoring.record_backup(p_type text) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS
$$ INSERT INTO monitoring.backup_runs (backup_type) VALUES (p_type) $$;
REVOKE ALL ON FUNCTION monitoring.record_backup(text) FROM PUBLIC;
GRANT USAGE ON SCHEMA monitoring TO ${r.backup}, ${r.monitoring};
GRANT EXECUTE ON FUNCTION monitoring.record_backup(text) TO ${r.backup};
GRANT SELECT ON monitoring.backup_runs TO ${r.monitoring};
`;
}

/** Patroni post_bootstrap: runs the init SQL with passwords from the environment. */
export function postBootstrapScript(): string {
  return `#!/bin/sh
# Called by Patroni once, on the new primary, with a superuser connection URL as $1.
set -eu
psql "$1" -v ON_ERROR_STOP=1 \\
  -v app_password="$APP_PASSWORD" -v analyst_password="$ANALYST_PASSWORD" -v pooler_password="$POOLER_PASSWORD" \\
  -v monitoring_password="$MONITORING_PASSWORD" -v backup_password="$BACKUP_PASSWORD" -v rewind_password="$REWIND_PASSWORD" \\
  -f ${PG_PATHS.initDir}/init.sql
`;
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
    // Credentials from the pod's EKS Pod Identity association (pgBackRest >= 2.58): no static keys anywhere.
    'repo1-s3-key-type=pod-id',
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
