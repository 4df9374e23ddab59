/**
 * Tier 4 support for PgBouncer: writes a pgbouncer.ini from the rendered ConfigMap (only addresses, ports and file
 * paths substituted, each recorded), starts Debian's pgbouncer on loopback in front of a PgServer, and runs pgbench.
 * Shared by tests/real-servers/pgbouncer.test.ts and scripts/bench-pgbouncer.ts.
 */
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  asPostgres,
  dataNamespace,
  freePort,
  PgServer,
  renderedConfigMap,
  scratchDir,
  selfSignedCert,
  spawnAsPostgres,
  Substitutions,
  TEST_PASSWORDS,
  waitFor,
  writeAsPostgres,
} from './support';

/** File descriptors for pgbouncer and pgbench (1,000 client sockets each side); the default soft limit is 1,024. */
export const NOFILE = 8192;

/** Single-quotes a word for `sh -c`. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The rendered pgbouncer.ini (ConfigMap pgbouncer-config in the data namespace). */
export function renderedPgBouncerIni(): string {
  return renderedConfigMap(dataNamespace(), 'pgbouncer-config')['pgbouncer.ini'];
}

/** key = value pairs of one [section] of an ini file. */
export function iniSection(ini: string, section: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current = '';
  for (const raw of ini.split('\n')) {
    const line = raw.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1];
    else if (current === section && line && !line.startsWith(';') && !line.startsWith('#')) {
      const eq = line.indexOf('=');
      if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
  }
  return out;
}

export interface PgBouncer {
  readonly port: number;
  readonly dir: string;
  readonly ini: string;
  readonly log: string;
  /** The [pgbouncer] settings it runs with (after substitution). */
  readonly settings: Record<string, string>;
  /** psql through PgBouncer over TCP as a login role (sslmode as given; the admin console is database `pgbouncer`). */
  psqlAs(user: string, password: string, sql: string, db?: string, sslmode?: string): string;
  /** A SHOW command on the admin console (database pgbouncer) as the stats user `monitoring`, rows keyed by column. */
  show(what: string): Record<string, string>[];
  /** Stops it (SIGTERM to its process group, SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Writes the rendered pgbouncer.ini with only these substitutions (all recorded in `subs`): the [databases] host and
 * port point at `server`; listen_addr/listen_port are loopback and a free port; auth_file is a scratch userlist.txt
 * holding the pooler and monitoring passwords (an ExternalSecret renders it in the cluster); client TLS uses a
 * self-signed certificate. Every other setting is kept as rendered. A path setting that is rendered non-empty and
 * points into the container (logfile, pidfile, unix_socket_dir) is moved to the scratch directory.
 */
export function writePgBouncerIni(server: PgServer, listenPort: number, dir: string, subs: Substitutions): { ini: string; settings: Record<string, string> } {
  const rendered = renderedPgBouncerIni();
  const userlist = path.join(dir, 'userlist.txt');
  writeAsPostgres(userlist, `"pgbouncer" "${TEST_PASSWORDS.POOLER_PASSWORD}"\n"monitoring" "${TEST_PASSWORDS.MONITORING_PASSWORD}"\n`);
  const { cert, key } = selfSignedCert(dir);

  const replace: Record<string, { value: string; why: string }> = {
    listen_addr: { value: '127.0.0.1', why: 'loopback' },
    listen_port: { value: String(listenPort), why: 'a free port' },
    auth_file: { value: userlist, why: 'a scratch userlist.txt with the test pooler and monitoring passwords (the cluster renders it from the pgbouncer-auth ExternalSecret)' },
    client_tls_cert_file: { value: cert, why: 'a self-signed certificate (cert-manager issues it in the cluster)' },
    client_tls_key_file: { value: key, why: 'the self-signed key' },
    logfile: { value: path.join(dir, 'pgbouncer.file.log'), why: 'scratch directory' },
    pidfile: { value: path.join(dir, 'pgbouncer.pid'), why: 'scratch directory' },
    unix_socket_dir: { value: dir, why: 'scratch directory' },
  };
  const pathOnlyIfSet = new Set(['logfile', 'pidfile', 'unix_socket_dir']);
  const required = ['listen_addr', 'listen_port', 'auth_file', 'client_tls_cert_file', 'client_tls_key_file'];
  const seen = new Set<string>();

  let section = '';
  const lines = rendered.split('\n').map((raw) => {
    const line = raw.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1];
      return raw;
    }
    if (!line || line.startsWith(';') || line.startsWith('#')) return raw;
    const eq = line.indexOf('=');
    if (eq <= 0) return raw;
    const k = line.slice(0, eq).trim();
    const v = line.slice(eq + 1).trim();
    if (section === 'databases') {
      const host = /\bhost=(\S+)/.exec(v)?.[1];
      const port = /\bport=(\S+)/.exec(v)?.[1];
      if (!host || !port) throw new Error(`[databases] ${k}: no host= and port= in "${v}"`);
      subs.add(`[databases] ${k}: host=127.0.0.1 port=${server.port} instead of host=${host} port=${port}`);
      return `${k} = ${v.replace(/\bhost=\S+/, 'host=127.0.0.1').replace(/\bport=\S+/, `port=${server.port}`)}`;
    }
    if (section === 'pgbouncer' && replace[k]) {
      seen.add(k);
      if (pathOnlyIfSet.has(k) && v === '') return raw; // rendered off (e.g. no unix socket): kept off
      subs.add(`${k} = ${replace[k].value} instead of ${v || '(empty)'}: ${replace[k].why}`);
      return `${k} = ${replace[k].value}`;
    }
    return raw;
  });
  const missing = required.filter((k) => !seen.has(k));
  if (missing.length) throw new Error(`rendered pgbouncer.ini has no ${missing.join(', ')}`);
  const text = lines.join('\n');
  const ini = path.join(dir, 'pgbouncer.ini');
  writeAsPostgres(ini, text);
  return { ini, settings: iniSection(text, 'pgbouncer') };
}

/** Stops a process started with spawnAsPostgres (detached: its own process group) and waits for it to go. */
export async function stopGroup(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, signal);
  } catch {
    return; // already gone
  }
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await exited;
  }
}

/**
 * Starts pgbouncer (as postgres, which it requires: it refuses root) with the rendered configuration in front of
 * `server`, with the file-descriptor limit raised in the same shell that execs it. Resolves once optibid_app can run
 * a query through it (SCRAM with the auth_query secret, then SCRAM pass-through to the server over TLS).
 */
export async function startRenderedPgBouncer(server: PgServer, subs: Substitutions): Promise<PgBouncer> {
  const dir = scratchDir('pgbouncer');
  const port = await freePort();
  const { ini, settings } = writePgBouncerIni(server, port, dir, subs);
  const log = path.join(dir, 'pgbouncer.log');
  const child = spawnAsPostgres('sh', ['-c', `ulimit -n ${NOFILE} && exec pgbouncer ${sq(ini)}`], { log });
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `pgbouncer exited (${code ?? signal})`));

  const psqlAs = (user: string, password: string, sql: string, db = 'optibid', sslmode = 'require') =>
    asPostgres('psql', [`host=127.0.0.1 port=${port} dbname=${db} user=${user} sslmode=${sslmode}`, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
      env: { PGPASSWORD: password },
      timeoutMs: 30_000,
    }).trim();
  const show = (what: string) => {
    // The exporter sidecar connects like this: monitoring@localhost:6432/pgbouncer?sslmode=disable.
    const out = asPostgres('psql', [`host=127.0.0.1 port=${port} dbname=pgbouncer user=monitoring sslmode=disable`, '-X', '-q', '-A', '-P', 'footer=off', '-c', `SHOW ${what}`], {
      env: { PGPASSWORD: TEST_PASSWORDS.MONITORING_PASSWORD },
      timeoutMs: 30_000,
    }).trim();
    const [header, ...rows] = out.split('\n');
    const cols = header.split('|');
    return rows.map((r) => Object.fromEntries(r.split('|').map((v, i) => [cols[i], v])));
  };
  const bouncer: PgBouncer = { port, dir, ini, log, settings, psqlAs, show, stop: () => stopGroup(child, 'SIGTERM') };
  try {
    await waitFor('pgbouncer to accept optibid_app', () => {
      if (exited) throw new Error(`${exited}:\n${fs.readFileSync(log, 'utf8')}`);
      return psqlAs('optibid_app', TEST_PASSWORDS.APP_PASSWORD, 'SELECT 1') === '1';
    }, 30_000);
  } catch (e) {
    await stopGroup(child, 'SIGTERM');
    const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    throw new Error(`${(e as Error).message}\npgbouncer log:\n${text}`);
  }
  return bouncer;
}

/** Lines of the PgBouncer log that say a setting was rejected or ignored. */
export function pgbouncerConfigComplaints(b: PgBouncer): string[] {
  return fs
    .readFileSync(b.log, 'utf8')
    .split('\n')
    .filter((l) => /unknown parameter|invalid value|syntax error|ignoring|not supported|deprecated|FATAL/i.test(l));
}

/**
 * `pgbench -i` as optibid_app over TCP + TLS directly to PostgreSQL: the tables land in schema app (the role's
 * search_path). Returns the schema the tables are in.
 */
export function initPgbench(server: PgServer, scale: number): string {
  asPostgres('pgbench', ['-i', '-q', '-s', String(scale), `host=127.0.0.1 port=${server.port} dbname=optibid user=optibid_app sslmode=require`], {
    env: { PGPASSWORD: TEST_PASSWORDS.APP_PASSWORD },
    timeoutMs: 300_000,
  });
  return server.psql("SELECT string_agg(DISTINCT schemaname, ',') FROM pg_tables WHERE tablename LIKE 'pgbench_%'", 'optibid');
}

export interface PgbenchResult {
  clients: number;
  threads: number;
  durationS: number;
  exitCode: number | null;
  processed: number;
  failed: number;
  /** Clients that aborted ("client N aborted ..."). */
  aborted: number;
  tps: number;
  latencyMs: number;
  initialConnectionMs: number;
  wallS: number;
  output: string;
}

export function parsePgbench(output: string): Omit<PgbenchResult, 'clients' | 'threads' | 'durationS' | 'exitCode' | 'wallS' | 'output'> {
  const num = (re: RegExp) => {
    const m = re.exec(output);
    return m ? Number(m[1]) : NaN;
  };
  return {
    processed: num(/number of transactions actually processed: (\d+)/),
    failed: num(/number of failed transactions: (\d+)/),
    aborted: (output.match(/client \d+ aborted/g) ?? []).length,
    tps: num(/tps = ([\d.]+) \(without initial connection time\)/),
    latencyMs: num(/latency average = ([\d.]+) ms/),
    initialConnectionMs: num(/initial connection time = ([\d.]+) ms/),
  };
}

/**
 * Runs the builtin TPC-B-like pgbench (writes; -n: no vacuum, the tables belong to optibid_app) as optibid_app over
 * TCP, in simple query mode (transaction pooling: no server-side prepared statements), with the file-descriptor limit
 * raised in the same shell. `onTick` is called every `tickMs` while it runs (the sampler).
 */
export async function runPgbench(opts: {
  port: number;
  clients: number;
  threads: number;
  durationS: number;
  sslmode: string;
  log: string;
  onTick?: () => void;
  tickMs?: number;
}): Promise<PgbenchResult> {
  const conn = `host=127.0.0.1 port=${opts.port} dbname=optibid user=optibid_app sslmode=${opts.sslmode}`;
  const args = ['-n', '-M', 'simple', '-c', String(opts.clients), '-j', String(opts.threads), '-T', String(opts.durationS), '-P', '5', conn];
  fs.writeFileSync(opts.log, '');
  const t0 = Date.now();
  const child = spawnAsPostgres('sh', ['-c', `ulimit -n ${NOFILE} && exec pgbench ${args.map(sq).join(' ')}`], {
    log: opts.log,
    env: { PGPASSWORD: TEST_PASSWORDS.APP_PASSWORD },
  });
  let exitCode: number | null | undefined;
  child.on('exit', (code, signal) => (exitCode = code ?? (signal ? -1 : null)));
  const deadline = t0 + (opts.durationS + 120) * 1000;
  const tick = opts.tickMs ?? 200;
  try {
    // Fixed rate: tick n is due at t0 + n x tickMs (a slow tick delays only itself).
    for (let n = 1; exitCode === undefined; n++) {
      if (Date.now() > deadline) throw new Error(`pgbench still running after ${opts.durationS + 120} s`);
      opts.onTick?.();
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + n * tick - Date.now())));
    }
  } finally {
    await stopGroup(child, 'SIGTERM');
  }
  const output = fs.readFileSync(opts.log, 'utf8');
  return {
    clients: opts.clients,
    threads: opts.threads,
    durationS: opts.durationS,
    exitCode: exitCode ?? null,
    wallS: (Date.now() - t0) / 1000,
    output,
    ...parsePgbench(output),
  };
}

/** Application server connections now: client backends of optibid_app (superuser psql over the socket). */
export function appServerConnections(server: PgServer): number {
  return Number(server.psql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename = 'optibid_app'"));
}
