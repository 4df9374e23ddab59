import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { loadEnvironment } from '@optibid/constructs-lib/data';
import { COMPOSE_FILE, COMPOSE_MOUNTS, renderCompose } from '@optibid/constructs-lib/compose';
import { INIT_SQL_TIMESCALEDB } from '@optibid/constructs-lib/k8s';
import { SERVER_ROOT } from './runtime';

/**
 * The rendered compose scripts and configuration run on the Debian servers of this machine (no Docker here): the
 * Redis start script and healthcheck, and the PostgreSQL init hook + init.sql behind the compose PgBouncer. Only
 * container paths and ports are substituted (listed in each test). Real-server tier (moved out of the unit tests of
 * constructs-lib: they start servers): the servers come from runtime.ts's SERVER_ROOT, the production majors.
 * Skipped without root or the server packages.
 */

const inRoot = (cmd: string, args: string[]): [string, string[]] => (SERVER_ROOT ? ['chroot', [SERVER_ROOT, cmd, ...args]] : [cmd, args]);
const PG_MAJOR = ['17', '16', '15'].find((v) => fs.existsSync(`${SERVER_ROOT}/usr/lib/postgresql/${v}/bin/initdb`));
const PG_BIN = `/usr/lib/postgresql/${PG_MAJOR}/bin`;
const CAN_RUN = process.getuid?.() === 0 && PG_MAJOR !== undefined && fs.existsSync(`${SERVER_ROOT}/usr/sbin/pgbouncer`) && fs.existsSync(`${SERVER_ROOT}/usr/bin/redis-server`);
const describeServers = CAN_RUN ? describe : describe.skip;

const files = renderCompose(loadEnvironment('dev'));
const compose = parse(files.get(COMPOSE_FILE)!);
const PASSWORDS = { POSTGRES_PASSWORD: 'superuser0test', POSTGRES_APP_PASSWORD: 'app0test', POSTGRES_POOLER_PASSWORD: 'pooler0test', REDIS_DEFAULT_PASSWORD: 'default0test', REDIS_APP_PASSWORD: 'app0redis0test' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Replaces every occurrence, failing when the text is not there (a substitution must not silently miss). */
function substitute(text: string, pairs: readonly [string, string][]): string {
  for (const [from, to] of pairs) {
    if (!text.includes(from)) throw new Error(`substitution: '${from}' not found`);
    text = text.split(from).join(to);
  }
  return text;
}

/** A compose healthcheck `test` run as the container would (CMD: argv, CMD-SHELL: sh -c), `$$` unescaped. */
function healthcheck(test: string[], env: Record<string, string>, pairs: readonly [string, string][], user?: string): boolean {
  const argv = test.slice(1).map((a) => substitute(a, pairs.filter(([from]) => a.includes(from))).replace(/\$\$/g, '$'));
  const cmd = test[0] === 'CMD-SHELL' ? ['sh', '-c', argv.join(' ')] : argv;
  const full = user ? ['runuser', '-u', user, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...cmd] : cmd;
  return spawnSync(...inRoot(full[0], full.slice(1)), { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 5000 }).status === 0;
}

/** Stops a detached child's whole process group and waits for it to exit. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
  clearTimeout(timer);
}

describeServers('compose Redis on a real redis-server', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-redis-'));
  let port = 0;
  let server: ChildProcess | undefined;
  /** Container paths -> scratch paths, the port, loopback instead of every interface (per file). */
  let scriptPairs: [string, string][] = [];
  let confPairs: [string, string][] = [];
  const env = { REDIS_DEFAULT_PASSWORD: PASSWORDS.REDIS_DEFAULT_PASSWORD, REDIS_APP_PASSWORD: PASSWORDS.REDIS_APP_PASSWORD };
  const cli = (user: string, password: string, ...args: string[]) =>
    execFileSync(...inRoot('redis-cli', ['-p', String(port), '--user', user, '--pass', password, '--no-auth-warning', ...args]), { encoding: 'utf8' }).trim();

  const start = () => {
    const script = path.join(dir, 'start.sh');
    fs.writeFileSync(script, substitute(files.get('redis/start.sh')!, scriptPairs));
    const log = fs.openSync(path.join(dir, 'redis.log'), 'a');
    server = spawn(...inRoot('sh', [script]), { env: { ...process.env, ...env }, stdio: ['ignore', log, log], detached: true });
    fs.closeSync(log);
  };
  const healthy = () => healthcheck(compose.services.redis.healthcheck.test, env, [['6379', String(port)]]);

  beforeAll(async () => {
    do port = await freePort();
    while (port + 10000 > 65535);
    fs.mkdirSync(path.join(dir, 'acl'));
    fs.mkdirSync(path.join(dir, 'data'));
    scriptPairs = [
      [COMPOSE_MOUNTS.redisConf, path.join(dir, 'redis.conf')],
      ['/etc/redis/acl', path.join(dir, 'acl')],
      ['6379', String(port)],
    ];
    confPairs = [
      ['/etc/redis/acl', path.join(dir, 'acl')],
      ['/data', path.join(dir, 'data')],
      ['port 6379', `port ${port}`],
      ['bind 0.0.0.0', 'bind 127.0.0.1'],
    ];
    fs.writeFileSync(path.join(dir, 'redis.conf'), substitute(files.get('redis/redis.conf')!, confPairs));
    start();
    await waitFor('the compose Redis healthcheck', healthy, 30_000);
  }, 60_000);

  afterAll(async () => {
    await stop(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the healthcheck passes once one node serves all 16384 slots', () => {
    const info = cli('default', PASSWORDS.REDIS_DEFAULT_PASSWORD, 'cluster', 'info');
    expect(info).toMatch(/^cluster_state:ok/m);
    expect(info).toMatch(/^cluster_slots_assigned:16384/m);
    expect(info).toMatch(/^cluster_known_nodes:1/m);
  });

  test('the backend user works in cluster mode, with the cluster ACL (no admin commands) and CROSSSLOT errors', () => {
    const app = (...a: string[]) => cli('optibid_app', PASSWORDS.REDIS_APP_PASSWORD, ...a);
    expect(app('set', '{session}a', '1')).toBe('OK');
    expect(app('mset', '{session}a', '1', '{session}b', '2')).toBe('OK');
    expect(app('mset', 'a', '1', 'b', '2')).toMatch(/CROSSSLOT/);
    expect(app('config', 'get', 'maxmemory')).toMatch(/NOPERM/);
    expect(app('flushall')).toMatch(/NOPERM/);
    // Clients are sent to the compose service name, as cluster clients are sent to the pod hostname.
    expect(app('cluster', 'shards')).toContain('redis');
    expect(cli('default', PASSWORDS.REDIS_DEFAULT_PASSWORD, 'config', 'get', 'maxmemory')).toMatch(/\n\d+$/);
  });

  test('a restart keeps the slots (nodes.conf on the volume) without assigning them again', async () => {
    await stop(server);
    await waitFor('redis to stop', () => !healthy(), 15_000);
    start();
    await waitFor('the compose Redis healthcheck after a restart', healthy, 30_000);
    const log = fs.readFileSync(path.join(dir, 'redis.log'), 'utf8');
    expect(log).not.toMatch(/ERR|busy/i);
  }, 60_000);
});

describeServers('compose PostgreSQL + PgBouncer on real servers', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-pg-'));
  const data = path.join(dir, 'data');
  const run = path.join(dir, 'run');
  let pgPort = 0;
  let pgbPort = 0;
  let pgbouncer: ChildProcess | undefined;
  const uid = Number(execFileSync(...inRoot('id', ['-u', 'postgres']), { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync(...inRoot('id', ['-g', 'postgres']), { encoding: 'utf8' }).trim());
  const asPostgres = (cmd: string, args: string[], env: Record<string, string> = {}) =>
    execFileSync(...inRoot('runuser', ['-u', 'postgres', '--', 'env', 'PATH=/usr/sbin:/usr/bin:/bin', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args]), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const write = (file: string, content: string) => {
    fs.writeFileSync(file, content, { mode: 0o600 });
    fs.chownSync(file, uid, gid);
  };
  const superuser = (sql: string, db = 'optibid') => asPostgres('psql', ['-h', run, '-p', String(pgPort), '-d', db, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql]).trim();
  const timescale = fs.existsSync(`${SERVER_ROOT}/usr/share/postgresql/${PG_MAJOR}/extension/timescaledb.control`);

  beforeAll(async () => {
    pgPort = await freePort();
    pgbPort = await freePort();
    fs.chmodSync(dir, 0o755);
    for (const d of [dir, run, path.join(dir, 'auth')]) {
      fs.mkdirSync(d, { recursive: true });
      fs.chownSync(d, uid, gid);
    }
    const env = compose.services.postgres.environment;
    // initdb as the image entrypoint runs it: POSTGRES_INITDB_ARGS, the superuser password from the environment.
    write(path.join(dir, 'pwfile'), `${PASSWORDS.POSTGRES_PASSWORD}\n`);
    asPostgres(`${PG_BIN}/initdb`, ['-D', data, '--username=postgres', `--pwfile=${path.join(dir, 'pwfile')}`, ...env.POSTGRES_INITDB_ARGS.split(' ')]);
    // The entrypoint's pg_setup_hba_conf: TCP with the password_encryption method.
    fs.appendFileSync(path.join(data, 'pg_hba.conf'), '\nhost all all all scram-sha-256\n');
    // The compose command's -c flags; the port, socket and loopback substituted; TimescaleDB dropped when not packaged.
    const params = (compose.services.postgres.command as string[])
      .slice(1)
      .filter((_, i) => i % 2 === 1)
      .filter((p) => timescale || !p.startsWith('timescaledb.'))
      .map((p) => (!timescale && p.startsWith('shared_preload_libraries=') ? p.replace('timescaledb,', '') : p))
      .map((p) => (p.startsWith('unix_socket_directories=') ? `unix_socket_directories=${run}` : p));
    const opts = [...params, `port=${pgPort}`, 'listen_addresses=127.0.0.1'].map((p) => `-c '${p}'`).join(' ');
    asPostgres(`${PG_BIN}/pg_ctl`, ['-D', data, '-l', path.join(dir, 'postgres.log'), '-w', '-t', '60', '-o', opts, 'start']);

    // The init hook, sourced by bash as the entrypoint sources it, with the entrypoint's docker_process_sql.
    // init.sql creates TimescaleDB unconditionally (production must fail without it); Debian does not package it, so
    // without it that one rendered line is substituted, and the test says so.
    const sql = files.get('postgres/init.sql')!;
    if (!sql.includes(INIT_SQL_TIMESCALEDB)) throw new Error(`init.sql no longer has the line ${INIT_SQL_TIMESCALEDB}`);
    if (!timescale) console.log(`compose-servers: substituted in init.sql: "${INIT_SQL_TIMESCALEDB}" -> "\\echo 'timescaledb not packaged on this server: skipped'" (TimescaleDB is not packaged in Debian)`);
    write(path.join(dir, 'init.sql'), timescale ? sql : sql.replace(INIT_SQL_TIMESCALEDB, "\\echo 'timescaledb not packaged on this server: skipped'"));
    const hook = substitute(files.get('postgres/init-hook.sh')!, [[COMPOSE_MOUNTS.initSql, path.join(dir, 'init.sql')]]);
    const shim = `docker_process_sql() { psql -v ON_ERROR_STOP=1 --username postgres --no-password --no-psqlrc -h ${run} -p ${pgPort} --dbname postgres "$@"; }\nset -Eeo pipefail\n`;
    write(path.join(dir, 'hook.sh'), shim + hook);
    asPostgres('bash', [path.join(dir, 'hook.sh')], { POSTGRES_APP_PASSWORD: PASSWORDS.POSTGRES_APP_PASSWORD, POSTGRES_POOLER_PASSWORD: PASSWORDS.POSTGRES_POOLER_PASSWORD, POSTGRES_ANALYST_PASSWORD: '' });

    // PgBouncer: the compose ini and start script with paths and ports substituted.
    const pairs: [string, string][] = [
      [`host=postgres port=5432`, `host=127.0.0.1 port=${pgPort}`],
      ['listen_addr = 0.0.0.0', 'listen_addr = 127.0.0.1'],
      ['listen_port = 6432', `listen_port = ${pgbPort}`],
      [COMPOSE_MOUNTS.pgbouncerAuthDir, path.join(dir, 'auth')],
      [COMPOSE_MOUNTS.pgbouncerIni, path.join(dir, 'pgbouncer.ini')],
    ];
    write(path.join(dir, 'pgbouncer.ini'), substitute(files.get('pgbouncer/pgbouncer.ini')!, pairs.slice(0, 4)));
    write(path.join(dir, 'pgbouncer-start.sh'), substitute(files.get('pgbouncer/start.sh')!, pairs.slice(3)));
    const log = fs.openSync(path.join(dir, 'pgbouncer.log'), 'a');
    pgbouncer = spawn(...inRoot('runuser', ['-u', 'postgres', '--', 'env', 'PATH=/usr/sbin:/usr/bin:/bin', `POSTGRES_POOLER_PASSWORD=${PASSWORDS.POSTGRES_POOLER_PASSWORD}`, 'sh', path.join(dir, 'pgbouncer-start.sh')]), { stdio: ['ignore', log, log], detached: true });
    fs.closeSync(log);
    const tcp = compose.services.pgbouncer.healthcheck.test as string[];
    await waitFor('the compose PgBouncer healthcheck', () => healthcheck(tcp, {}, [['6432', String(pgbPort)]]), 30_000);
  }, 120_000);

  afterAll(async () => {
    await stop(pgbouncer);
    try {
      asPostgres(`${PG_BIN}/pg_ctl`, ['-D', data, '-m', 'fast', '-w', 'stop']);
    } catch {
      // not started
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the postgres healthcheck (pg_isready over TCP) passes", () => {
    expect(healthcheck(compose.services.postgres.healthcheck.test, {}, [['5432', String(pgPort)], ['pg_isready', `${PG_BIN}/pg_isready`]])).toBe(true);
  });

  test('init.sql ran through the hook: database, schemas, extensions; cluster-only roles cannot log in', () => {
    expect(superuser("SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname IN ('app','pgbouncer','monitoring')")).toBe('app,monitoring,pgbouncer');
    expect(superuser("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname IN ('pg_cron','pg_stat_statements','postgis')")).toBe('pg_cron,pg_stat_statements,postgis');
    const pw = superuser("SELECT string_agg(rolname || '=' || (rolpassword IS NOT NULL)::text, ',' ORDER BY rolname) FROM pg_authid WHERE rolname IN ('optibid_app','optibid_analyst','pgbouncer','monitoring','backup','rewinder')");
    expect(pw).toBe('backup=false,monitoring=false,optibid_analyst=false,optibid_app=true,pgbouncer=true,rewinder=false');
  });

  test('the backend path works: optibid_app through the compose PgBouncer (SCRAM via auth_query, no TLS)', () => {
    const out = execFileSync(...inRoot('psql', [`host=127.0.0.1 port=${pgbPort} dbname=optibid user=optibid_app sslmode=disable`, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', 'CREATE TABLE t (id int); INSERT INTO t VALUES (1); SELECT current_user, count(*) FROM app.t;']), {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: PASSWORDS.POSTGRES_APP_PASSWORD },
    });
    expect(out.trim().split('\n').pop()).toBe('optibid_app|1');
    expect(() =>
      execFileSync(...inRoot('psql', [`host=127.0.0.1 port=${pgbPort} dbname=optibid user=optibid_app sslmode=disable`, '-X', '-c', 'SELECT 1']), { env: { ...process.env, PGPASSWORD: 'wrong' }, stdio: 'pipe' }),
    ).toThrow();
  });
});
