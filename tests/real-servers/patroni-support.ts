/**
 * Tier 4 support for the Patroni failover test: a local etcd (the allowed stand-in for the Kubernetes DCS), Patroni
 * members whose configuration is the rendered patroni.yml with recorded substitutions only, a TCP client that counts
 * acknowledged commits, and process-group cleanup.
 */
import { ChildProcess, execFile, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { serverArgv, spawnServer } from './runtime';
import { initSqlForServer, posixPgbackrestConf } from './pgbackrest-support';
import {
  asPostgres,
  dataNamespace,
  freePort,
  postgresUid,
  renderedConfigMap,
  renderedPatroni,
  PG_BIN,
  scratchDir,
  selfSignedCert,
  spawnAsPostgres,
  Substitutions,
  TEST_PASSWORDS,
  TIMESCALEDB_AVAILABLE,
  waitFor,
  writeAsPostgres,
} from './support';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Process groups and directories to remove in afterAll, whatever happened. */
export class Cleanup {
  readonly groups = new Set<number>();
  readonly dirs = new Set<string>();
  readonly pidFiles = new Set<string>();
  run(): void {
    // postmasters first: Patroni starts them in their own session (setsid), so they are not in Patroni's group.
    for (const f of this.pidFiles) killPostmaster(f);
    for (const g of this.groups) killGroup(g);
    if (process.env.REAL_SERVER_KEEP) return console.log(`kept for inspection: ${[...this.dirs].join(' ')}`);
    for (const d of this.dirs) {
      try {
        fs.rmSync(d, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  }
}

/** The last lines of a log, for failure messages. */
export function logTail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pgid || pgid <= 1 || pgid === ownPgid()) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

let myPgid: number | undefined;
function ownPgid(): number {
  if (myPgid === undefined) myPgid = pgidOf(process.pid) ?? -1;
  return myPgid;
}

export function pgidOf(pid: number): number | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return out ? Number(out) : undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Gone: no such process, or a zombie waiting for a parent that is not us to reap it. */
export function gone(pid: number): boolean {
  if (!alive(pid)) return true;
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
  } catch {
    return true;
  }
}

export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILL the postmaster named in postmaster.pid and its process group (all its backends). */
export function killPostmaster(pidFileOrDataDir: string): number | undefined {
  const dataDir = pidFileOrDataDir.endsWith('postmaster.pid') ? path.dirname(pidFileOrDataDir) : pidFileOrDataDir;
  const pid = postmasterPid(dataDir);
  if (!pid || !alive(pid)) return undefined;
  const pgid = pgidOf(pid);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
  if (pgid) killGroup(pgid);
  return pid;
}

/** A background process as root, in its own process group, registered for cleanup. */
function spawnRoot(cmd: string, args: string[], log: string, cleanup: Cleanup): ChildProcess {
  const child = spawnServer(cmd, args, { log });
  if (child.pid) cleanup.groups.add(child.pid);
  return child;
}

export interface Etcd {
  readonly clientPort: number;
  readonly log: string;
}

/** etcd (Debian 13: 3.5) on loopback: the stand-in for the Kubernetes API as Patroni's DCS. */
export async function startEtcd(cleanup: Cleanup): Promise<Etcd> {
  const dir = scratchDir('etcd');
  cleanup.dirs.add(dir);
  const clientPort = await freePort();
  const peerPort = await freePort();
  const log = path.join(dir, 'etcd.log');
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  spawnRoot(
    'etcd',
    [
      '--name', 'dcs',
      '--data-dir', path.join(dir, 'data'),
      '--listen-client-urls', client,
      '--advertise-client-urls', client,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `dcs=${peer}`,
      '--initial-cluster-state', 'new',
      '--enable-grpc-gateway',
    ],
    log,
    cleanup,
  );
  await waitFor('etcd /health', async () => {
    const r = await fetch(`${client}/health`);
    return r.ok && ((await r.json()) as { health?: string }).health === 'true';
  }, 30_000);
  return { clientPort, log };
}

export interface Member {
  readonly name: string;
  readonly root: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly pgPort: number;
  readonly apiPort: number;
  readonly configFile: string;
  readonly pgbackrestConf: string;
  readonly log: string;
  proc?: ChildProcess;
  /** Resolves with the exit code when the member's Patroni process (runuser) exits. */
  exit?: Promise<number | null>;
  /** Set when the member's Patroni process (runuser) has exited. */
  exitCode?: number | null;
  /** psql as the superuser over the member's unix socket (peer, the rendered `local all all peer`). */
  psql(sql: string, db?: string): string;
  /** GET on the member's Patroni REST API. */
  api(p: string): Promise<{ status: number; body: any }>;
}

/** Shared between members: the post-bootstrap script + init SQL and the server certificate. */
export interface SharedFiles {
  readonly postBootstrap: string;
  readonly cert: string;
  readonly key: string;
}

export function prepareShared(subs: Substitutions, cleanup: Cleanup): SharedFiles {
  const init = renderedConfigMap(dataNamespace(), 'postgres-init');
  const dir = scratchDir('patroni-init');
  cleanup.dirs.add(dir);
  writeAsPostgres(path.join(dir, 'init.sql'), initSqlForServer(init['init.sql'], TIMESCALEDB_AVAILABLE, subs), 0o644);
  const script = init['post-bootstrap.sh'].replace(/\/etc\/postgres-init\/init\.sql/g, path.join(dir, 'init.sql'));
  writeAsPostgres(path.join(dir, 'post-bootstrap.sh'), script, 0o755);
  subs.add(`post_bootstrap: a copy of the rendered post-bootstrap.sh in ${dir} (init.sql read from there instead of /etc/postgres-init); the init passwords (APP_PASSWORD...) in Patroni's environment as the Secret's envFrom provides them`);
  const { cert, key } = selfSignedCert(dir);
  return { postBootstrap: path.join(dir, 'post-bootstrap.sh'), cert, key };
}

/**
 * Member configuration: the rendered patroni.yml with only the substitutions below, each recorded.
 */
export async function memberConfig(name: string, etcd: Etcd, shared: SharedFiles, subs: Substitutions, cleanup: Cleanup): Promise<{ member: Member; config: any }> {
  const rendered = renderedPatroni();
  const cfg = JSON.parse(JSON.stringify(rendered));
  const root = scratchDir(`patroni-${name}`);
  cleanup.dirs.add(root);
  const dataDir = path.join(root, 'data');
  const socketDir = path.join(root, 'run');
  fs.mkdirSync(socketDir);
  fs.chownSync(socketDir, postgresUid(), postgresUid());
  const pgPort = await freePort();
  const apiPort = await freePort();

  // DCS: Kubernetes -> etcd3.
  const k8sKeys = Object.keys(cfg.kubernetes ?? {}).join(', ');
  delete cfg.kubernetes;
  cfg.etcd3 = { hosts: `127.0.0.1:${etcd.clientPort}` };
  subs.add(`DCS: the kubernetes section (${k8sKeys}) removed, etcd3 {hosts: 127.0.0.1:<port>} (a local etcd 3.5) instead (patroni-kubernetes.test.ts runs the kubernetes section against an API stub)`);

  cfg.name = name;
  subs.add('name: member1/member2 (the StatefulSet sets PATRONI_NAME to the pod name)');

  cfg.restapi.listen = `127.0.0.1:${apiPort}`;
  cfg.restapi.connect_address = `127.0.0.1:${apiPort}`;
  subs.add(`restapi listen/connect_address 127.0.0.1:<free port> instead of ${rendered.restapi.listen} / $(POD_IP):8008`);

  cfg.postgresql.listen = `127.0.0.1:${pgPort}`;
  cfg.postgresql.connect_address = `127.0.0.1:${pgPort}`;
  subs.add(`postgresql listen/connect_address 127.0.0.1:<free port> instead of ${rendered.postgresql.listen} / $(POD_IP):5432`);

  cfg.postgresql.data_dir = dataDir;
  cfg.postgresql.pgpass = path.join(root, 'pgpass');
  const dcsParams = cfg.bootstrap.dcs.postgresql.parameters;
  for (const params of [dcsParams, cfg.postgresql.parameters]) if (params.unix_socket_directories !== undefined) params.unix_socket_directories = socketDir;
  subs.add(`data_dir, pgpass, unix_socket_directories in temp dirs instead of ${rendered.postgresql.data_dir}, ${rendered.postgresql.pgpass}, ${rendered.postgresql.parameters.unix_socket_directories}`);

  dcsParams.ssl_cert_file = shared.cert;
  dcsParams.ssl_key_file = shared.key;
  subs.add('ssl_cert_file/ssl_key_file: a self-signed certificate instead of the cert-manager one (replicas connect with the sslmode Patroni chooses)');

  const vpc = /(\d+\.\d+\.\d+\.\d+\/\d+)/;
  cfg.bootstrap.dcs.postgresql.pg_hba = (cfg.bootstrap.dcs.postgresql.pg_hba as string[]).map((l) =>
    vpc.test(l) && !l.includes('0.0.0.0/0') && !l.includes('127.0.0.1') ? l.replace(vpc, '127.0.0.1/32') : l,
  );
  subs.add('pg_hba: the cluster network CIDR replaced by 127.0.0.1/32');

  if (!TIMESCALEDB_AVAILABLE) {
    dcsParams.shared_preload_libraries = String(dcsParams.shared_preload_libraries).split(',').filter((l) => l !== 'timescaledb').join(',');
    delete dcsParams['timescaledb.telemetry_level'];
    subs.add('TimescaleDB SKIPPED: not packaged in Debian (removed from shared_preload_libraries with its telemetry setting; the init SQL skips the extension)');
  }

  dcsParams.archive_mode = 'off';
  subs.add('archive_mode off (no pgBackRest repository in this test)');

  cfg.postgresql.create_replica_methods = (cfg.postgresql.create_replica_methods as string[]).filter((m) => m === 'basebackup');
  subs.add(`create_replica_methods: [basebackup] instead of [${rendered.postgresql.create_replica_methods.join(', ')}] (no pgBackRest repository here)`);

  cfg.bootstrap.post_bootstrap = shared.postBootstrap;

  // post_bootstrap creates the pgBackRest stanza: a posix repository in the member's directory.
  const pgbackrestConf = posixPgbackrestConf(root, { dataDir, port: pgPort, socketDir }, subs);

  const configFile = path.join(root, 'patroni.yml');
  writeAsPostgres(configFile, stringify(cfg));
  const member: Member = {
    name,
    root,
    dataDir,
    socketDir,
    pgPort,
    apiPort,
    configFile,
    pgbackrestConf,
    log: path.join(root, 'patroni.log'),
    psql: (sql, db = 'postgres') => asPostgres('psql', ['-h', socketDir, '-p', String(pgPort), '-d', db, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeoutMs: 10_000 }).trim(),
    api: async (p) => {
      const r = await fetch(`http://127.0.0.1:${apiPort}${p}`, { signal: AbortSignal.timeout(3000) });
      const text = await r.text();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: r.status, body };
    },
  };
  cleanup.pidFiles.add(path.join(dataDir, 'postmaster.pid'));
  return { member, config: cfg };
}

/** Polls `check` until true; fails at once if one of `members`' Patroni has exited, or after `timeoutMs`. */
export async function pollWhileRunning(members: Member[], what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const dead = members.find((m) => m.exitCode !== undefined);
    if (dead) throw new Error(`${dead.name}'s Patroni exited (code ${dead.exitCode}) while waiting for ${what}`);
    try {
      if (await check()) return (Date.now() - t0) / 1000;
    } catch {
      // not yet
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Patroni's environment: the credentials Secret (ExternalSecrets) and the rendered container env, with test values. */
export function patroniEnv(member: Member, subs: Substitutions): Record<string, string> {
  subs.add('passwords: PATRONI_SUPERUSER_PASSWORD / PATRONI_REPLICATION_PASSWORD / PATRONI_REWIND_PASSWORD and the init passwords are test values in the environment (the cluster gets them from ExternalSecrets)');
  subs.add('PGHOST (rendered container env /var/run/postgresql): the member\'s temp socket directory');
  subs.add(`PATH: ${PG_BIN} first (Debian keeps the PostgreSQL server binaries off PATH; the image has them on PATH; postgresql.bin_dir left unset as rendered)`);
  return {
    PATH: `${PG_BIN}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
    PATRONI_SUPERUSER_PASSWORD: 'superuser-test-pw',
    PATRONI_REPLICATION_PASSWORD: 'replication-test-pw',
    PATRONI_REWIND_PASSWORD: TEST_PASSWORDS.REWIND_PASSWORD,
    PGHOST: member.socketDir,
    PGBACKREST_CONFIG: member.pgbackrestConf,
    ...TEST_PASSWORDS,
  };
}

export function startPatroni(member: Member, env: Record<string, string>, cleanup: Cleanup): void {
  member.proc = spawnAsPostgres('patroni', [member.configFile], { env, log: member.log });
  const proc = member.proc;
  member.exit = new Promise((r) =>
    proc.on('exit', (code) => {
      member.exitCode = code;
      r(code);
    }),
  );
  if (member.proc.pid) cleanup.groups.add(member.proc.pid);
}

/** Connection string of the application role over TCP with TLS (the rendered hostssl + scram path). */
export function appConn(port: number): string {
  return `host=127.0.0.1 port=${port} dbname=optibid user=optibid_app sslmode=require connect_timeout=2`;
}

/** One statement as optibid_app over TCP; resolves with stdout or rejects with stderr. */
export function appPsql(port: number, sql: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const [file, argv] = serverArgv('psql', [appConn(port), '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { env: { PGPASSWORD: TEST_PASSWORDS.APP_PASSWORD } });
    execFile(
      file,
      argv,
      { timeout: timeoutMs, encoding: 'utf8' },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim())),
    );
  });
}

/**
 * A client that inserts ids 1, 2, 3... one autocommit INSERT ... RETURNING at a time over one TCP connection.
 * psql prints the returned id only after the server reports the command complete, which PostgreSQL sends after the
 * commit (and, with synchronous replication, after the standby's confirmation): a printed id is an acknowledged row.
 */
export class AckWriter {
  readonly acked: number[] = [];
  private proc: ChildProcess;
  private next = 1;
  private stopping = false;
  private buf = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(port: number, private readonly table: string) {
    const [file, argv] = serverArgv('psql', [appConn(port), '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'], { env: { PGPASSWORD: TEST_PASSWORDS.APP_PASSWORD } });
    this.proc = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((r) => this.proc.on('close', (code) => r(code)));
    this.proc.stdin!.on('error', () => undefined);
    this.proc.stderr!.on('data', (d) => (this.stderr += d));
    this.proc.stdout!.on('data', (d) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (/^\d+$/.test(line)) {
          this.acked.push(Number(line));
          this.send();
        }
      }
    });
    this.send();
  }

  private send(): void {
    if (this.stopping) {
      this.proc.stdin!.end();
      return;
    }
    this.proc.stdin!.write(`INSERT INTO ${this.table} (id) VALUES (${this.next++}) RETURNING id;\n`);
  }

  /** Ids sent so far (acknowledged or in flight). */
  get sent(): number {
    return this.next - 1;
  }

  stop(): void {
    this.stopping = true;
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}
