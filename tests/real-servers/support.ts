/**
 * Tier 4 support: read configuration from the rendered dist/ YAML (never from TypeScript) and run it on real Debian
 * servers on loopback. Every change to the rendered configuration is recorded as a substitution and printed, so a
 * reader sees exactly what differs from production.
 */
import { execFileSync, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { loadRenderedEnvironment, type KubeObject, type RenderedEnvironment } from '@optibid/rendered';

import { PG_BIN, PG_MAJOR, REPO, runServer, serverFile, serverUid, spawnServer } from './runtime';

export { PG_BIN, PG_MAJOR, REPO };
/** The committed render the tests read (REAL_SERVER_DIST: another render, e.g. `npm run synth -- --out <dir>` of a working tree). */
export const DIST = process.env.REAL_SERVER_DIST ? path.resolve(process.env.REAL_SERVER_DIST) : path.join(REPO, 'dist');
/** The environment whose rendered files the tests run (the seed's production figures). */
export const ENV = process.env.REAL_SERVER_ENV ?? 'production';

/** Substitutions made to rendered configuration, printed by each test file. */
export class Substitutions {
  private readonly items: string[] = [];
  add(what: string): void {
    if (!this.items.includes(what)) this.items.push(what);
  }
  report(title: string): void {
    console.log(`${title}: substitutions made to the rendered configuration:\n${this.items.map((s) => `  - ${s}`).join('\n')}`);
  }
}

const loaded = new Map<string, RenderedEnvironment>();

/** One environment of the render the tests read, loaded once per test file (the one reader: @optibid/rendered). */
export function renderedEnvironmentOf(env = ENV): RenderedEnvironment {
  let r = loaded.get(env);
  if (!r) loaded.set(env, (r = loadRenderedEnvironment(DIST, env)));
  return r;
}

/** Rendered objects of one namespace and kind, each a fresh copy a test may change. */
function renderedObjects(namespace: string, kind: string, env: string, match: (o: KubeObject) => boolean): any[] {
  return renderedEnvironmentOf(env)
    .objects.map((o) => o.obj)
    .filter((o) => o.kind === kind && o.metadata?.namespace === namespace && match(o))
    .map((o) => structuredClone(o));
}

/** Any rendered object. */
export function renderedObject(namespace: string, kind: string, name: string, env = ENV): any {
  const [found] = renderedObjects(namespace, kind, env, (o) => o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${namespace}/${name} in the ${env} render under ${DIST}`);
  return found;
}

/** `data` of a rendered ConfigMap. */
export function renderedConfigMap(namespace: string, name: string, env = ENV): Record<string, string> {
  return renderedObject(namespace, 'ConfigMap', name, env).data;
}

/** The one rendered object of a kind whose `app.kubernetes.io/name` label is `name` (for objects with hashed names). */
export function renderedObjectByLabel(namespace: string, kind: string, name: string, env = ENV): any {
  const found = renderedObjects(namespace, kind, env, (o) => o.metadata?.labels?.['app.kubernetes.io/name'] === name);
  if (found.length !== 1) throw new Error(`${found.length} rendered ${kind} objects in ${namespace} labelled app.kubernetes.io/name=${name} (${env} render under ${DIST})`);
  return found[0];
}

/** Runs a command as the `postgres` OS user (initdb, postgres, pgbouncer and pgBackRest refuse root). */
export function asPostgres(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): string {
  return runServer(cmd, args, { ...opts, user: 'postgres' });
}

/** Same, in the background (servers). The caller stops it. */
export function spawnAsPostgres(cmd: string, args: string[], opts: { env?: Record<string, string>; log: string; shell?: boolean }): ChildProcess {
  return spawnServer(cmd, args, { ...opts, user: 'postgres' });
}

/** The postgres user of the server filesystem (Debian 13's packages created it there). */
export function postgresUid(): number {
  return serverUid('postgres');
}

/** A scratch directory owned by the postgres user. */
export function scratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.chmodSync(dir, 0o755);
  fs.chownSync(dir, postgresUid(), postgresUid());
  return dir;
}

export function writeAsPostgres(file: string, content: string, mode = 0o600): void {
  fs.writeFileSync(file, content, { mode });
  fs.chownSync(file, postgresUid(), postgresUid());
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000, intervalMs = 200): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    try {
      if (await check()) return (Date.now() - t0) / 1000;
    } catch {
      // not yet
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A self-signed certificate for the server's `ssl_cert_file`/`ssl_key_file` (cert-manager issues it in the cluster). */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'tls.crt');
  const key = path.join(dir, 'tls.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  for (const f of [cert, key]) {
    fs.chownSync(f, postgresUid(), postgresUid());
    fs.chmodSync(f, 0o600);
  }
  return { cert, key };
}

export const TIMESCALEDB_AVAILABLE = fs.existsSync(serverFile(`/usr/share/postgresql/${PG_MAJOR}/extension/timescaledb.control`));

/** The rendered Patroni configuration of the environment. */
export function renderedPatroni(env = ENV): any {
  return parse(renderedConfigMap(dataNamespace(env), 'postgres-patroni', env)['patroni.yml']);
}

export function dataNamespace(env = ENV): string {
  const ns = [...new Set(renderedEnvironmentOf(env).objects.map((o) => o.obj.metadata?.namespace))].find((n) => n?.endsWith('-data'));
  if (!ns) throw new Error(`no data namespace in the ${env} render under ${DIST}`);
  return ns;
}

export interface PgServer {
  readonly dataDir: string;
  readonly port: number;
  readonly socketDir: string;
  readonly log: string;
  /** psql as the superuser over the socket (peer). */
  psql(sql: string, db?: string): string;
  /** psql as a login role over TCP with TLS and its password (the pg_hba + scram path the pooler uses). */
  psqlAs(user: string, password: string, sql: string, db?: string): string;
  stop(): void;
}

/**
 * initdb + start a PostgreSQL 17 server whose postgresql.conf and pg_hba.conf come from the rendered Patroni
 * configuration (bootstrap.dcs.postgresql.parameters + postgresql.parameters, and pg_hba), with only ports, paths,
 * the cluster network and unavailable libraries substituted (recorded in `subs`).
 */
export async function startRenderedPostgres(subs: Substitutions, opts: { extraParams?: Record<string, string | number>; archiveCommand?: string } = {}): Promise<PgServer> {
  const patroni = renderedPatroni();
  const params: Record<string, string | number> = { ...patroni.bootstrap.dcs.postgresql.parameters, ...patroni.postgresql.parameters };
  const hba: string[] = patroni.bootstrap.dcs.postgresql.pg_hba;
  const root = scratchDir('pg');
  const dataDir = path.join(root, 'data');
  const socketDir = path.join(root, 'run');
  fs.mkdirSync(socketDir);
  fs.chownSync(socketDir, postgresUid(), postgresUid());
  const port = await freePort();
  const log = path.join(root, 'postgres.log');
  asPostgres(`${PG_BIN}/initdb`, ['-D', dataDir, '--encoding=UTF8', '--locale=C.UTF-8', '--data-checksums', '--auth-local=peer', '--auth-host=scram-sha-256']);

  const { cert, key } = selfSignedCert(root);
  params.port = port;
  params.listen_addresses = '127.0.0.1';
  subs.add(`listen 127.0.0.1:${port} instead of 0.0.0.0:5432`);
  params.unix_socket_directories = socketDir;
  subs.add(`unix_socket_directories ${socketDir} instead of ${patroni.postgresql.parameters.unix_socket_directories}`);
  params.ssl_cert_file = cert;
  params.ssl_key_file = key;
  subs.add('ssl_cert_file/ssl_key_file: a self-signed certificate instead of the cert-manager one');
  if (!TIMESCALEDB_AVAILABLE) {
    params.shared_preload_libraries = String(params.shared_preload_libraries).split(',').filter((l) => l !== 'timescaledb').join(',');
    delete params['timescaledb.telemetry_level'];
    subs.add('TimescaleDB SKIPPED: not packaged in Debian (removed from shared_preload_libraries; the init SQL skips the extension)');
  }
  if (opts.archiveCommand) {
    params.archive_command = opts.archiveCommand;
    subs.add(`archive_command: ${opts.archiveCommand}`);
  } else {
    params.archive_mode = 'off';
    subs.add('archive_mode off (no repository in this test)');
  }
  Object.assign(params, opts.extraParams ?? {});
  const conf = Object.entries(params)
    .map(([k, v]) => `${k} = '${String(v).replace(/'/g, "''")}'`)
    .join('\n');
  fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), `\n# --- rendered from dist (Patroni parameters) ---\n${conf}\n`);
  const vpc = /(\d+\.\d+\.\d+\.\d+\/\d+)/;
  const hbaLines = hba.map((l) => (vpc.test(l) && !l.includes('0.0.0.0/0') && !l.includes('127.0.0.1') ? l.replace(vpc, '127.0.0.1/32') : l));
  subs.add('pg_hba: the cluster network CIDR replaced by 127.0.0.1/32');
  writeAsPostgres(path.join(dataDir, 'pg_hba.conf'), hbaLines.join('\n') + '\n');

  asPostgres(`${PG_BIN}/pg_ctl`, ['-D', dataDir, '-l', log, '-w', '-t', '60', 'start']);
  const server: PgServer = {
    dataDir,
    port,
    socketDir,
    log,
    psql: (sql, db = 'postgres') => asPostgres('psql', ['-h', socketDir, '-p', String(port), '-d', db, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql]).trim(),
    psqlAs: (user, password, sql, db = 'optibid') =>
      asPostgres('psql', [`host=127.0.0.1 port=${port} dbname=${db} user=${user} sslmode=require`, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { env: { PGPASSWORD: password } }).trim(),
    stop: () => {
      try {
        asPostgres(`${PG_BIN}/pg_ctl`, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      } catch {
        // already stopped
      }
    },
  };
  return server;
}

/** Test passwords (the cluster gets them from Secrets Manager through ExternalSecrets). */
export const TEST_PASSWORDS = {
  APP_PASSWORD: 'app-test-pw',
  ANALYST_PASSWORD: 'analyst-test-pw',
  POOLER_PASSWORD: 'pooler-test-pw',
  MONITORING_PASSWORD: 'monitoring-test-pw',
  BACKUP_PASSWORD: 'backup-test-pw',
  REWIND_PASSWORD: 'rewind-test-pw',
  ROLE_ADMIN_PASSWORD: 'role-admin-test-pw',
};

/** Runs the rendered post-bootstrap script and init SQL against a server, as Patroni would. */
export function runRenderedInit(server: PgServer, subs: Substitutions): string {
  const init = renderedConfigMap(dataNamespace(), 'postgres-init');
  const dir = scratchDir('init');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { initSqlForServer, posixPgbackrestConf } = require('./pgbackrest-support') as typeof import('./pgbackrest-support');
  writeAsPostgres(path.join(dir, 'init.sql'), initSqlForServer(init['init.sql'], TIMESCALEDB_AVAILABLE, subs), 0o644);
  const pgbackrestConf = posixPgbackrestConf(dir, server, subs);
  const script = init['post-bootstrap.sh'].replace(/\/etc\/postgres-init\/init\.sql/g, path.join(dir, 'init.sql'));
  subs.add(`post-bootstrap.sh: init.sql read from ${dir} instead of /etc/postgres-init`);
  writeAsPostgres(path.join(dir, 'post-bootstrap.sh'), script, 0o755);
  const url = `postgresql://postgres@/postgres?host=${server.socketDir}&port=${server.port}`;
  return asPostgres('sh', [path.join(dir, 'post-bootstrap.sh'), url], { env: { ...TEST_PASSWORDS, PGBACKREST_CONFIG: pgbackrestConf } });
}
