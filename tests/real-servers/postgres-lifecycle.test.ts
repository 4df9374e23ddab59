import { ChildProcess, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { Moto, startMoto } from './moto-support';
import { Cleanup, Etcd, killPostmaster, logTail, pgidOf, killGroup, sleep, startEtcd, gone } from './patroni-support';
import { IniChange, initSqlForServer, parseIni, substituteIni } from './pgbackrest-support';
import { addHosts, PG_BIN, runServerStatus, serverArgv, serverUid, spawnServer } from './runtime';
import { postgresServedFingerprint, tlsServedFingerprint } from './served-certificate';
import {
  asPostgres,
  dataNamespace,
  freePort,
  renderedConfigMap,
  renderedObject,
  renderedPatroni,
  scratchDir,
  Substitutions,
  TEST_PASSWORDS,
  TIMESCALEDB_AVAILABLE,
  waitFor,
  writeAsPostgres,
} from './support';
import { Ca, fingerprint, issue, makeCa, writeSecretVolume } from './tls-support';

/**
 * Real-server test: the PostgreSQL tier through its day-2 events, on Debian 13's PostgreSQL 17, Patroni 4 and
 * pgBackRest 2.55, with S3/KMS/STS emulated by moto over TLS. Everything runs from the rendered dist/ files: the
 * StatefulSet's container commands and env, patroni.yml, the database and backup-job pgbackrest.conf, the backup and
 * restore CronJobs' scripts. Two members, postgres-0 and postgres-1, at 127.0.0.10 and 127.0.0.11 (the pods' cluster
 * DNS names resolve there), each with its pgBackRest TLS server on the rendered port.
 *   (d) a fresh cluster archives its first WAL segment without a failed attempt
 *   backup through the TLS servers with the rendered CronJob script, objects SSE-KMS encrypted with the rendered key
 *   (a) a member restarts through the rendered command after the kubelet's fsGroup permission change
 *   (c) certificate rotation (new CA, new keys): the reload path runs; backup and verify-full connection succeed
 *   (b) a replica rebuilt from a backup older than wal_keep_size catches up from the archive
 *   (e) point-in-time restore with the rendered restore job's commands
 */
jest.setTimeout(900_000);
const subs = new Substitutions();
const cleanup = new Cleanup();
const NS = dataNamespace();
const rendered = renderedPatroni();
const sts = renderedObject(NS, 'StatefulSet', 'postgres');
const podSpec = sts.spec.template.spec;
const container = (name: string) => podSpec.containers.find((c: any) => c.name === name);
const dbConfRendered = renderedConfigMap(NS, 'postgres-pgbackrest')['pgbackrest.conf'];
const backupConfig = renderedConfigMap(NS, 'postgres-backup-config');
const globalOpt = (text: string, key: string) => parseIni(text).find((e) => e.section === 'global' && e.key === key)?.value;
const STANZA = 'optibid';
const PG_PORT = Number(String(rendered.postgresql.listen).split(':')[1]);
const API_PORT = Number(String(rendered.restapi.listen).split(':')[1]);
const TLS_PORT = Number(globalOpt(dbConfRendered, 'tls-server-port'));
const HEADLESS = renderedObject(NS, 'Service', 'postgres-headless').metadata.name;
const RW_HOST = `${renderedObject(NS, 'Service', 'postgres').metadata.name}.${NS}.svc.cluster.local`;
const figures: string[] = [];

interface MemberState {
  readonly name: string;
  readonly ip: string;
  readonly root: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly conf: string;
  readonly patroniYml: string;
  readonly serverTls: string;
  readonly pgbackrestTls: string;
  readonly log: string;
  readonly tlsLog: string;
  patroni?: ChildProcess;
  tlsServer?: ChildProcess;
}

let etcd: Etcd;
let moto: Moto;
let ca: Ca;
let tmp: string;
let tokenFile: string;
const members: MemberState[] = [];
let removeHosts: (() => void) | undefined;
let clientTls: string;
let backupConf: string;

function env(c: any): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of c.env ?? []) if (e.value !== undefined) out[e.name] = e.value;
  return out;
}

/** AWS credentials env of a rendered pod: IRSA web identity (role ARN from the service account annotation). */
function webIdentityEnv(serviceAccount: string): Record<string, string> {
  const sa = renderedObject(NS, 'ServiceAccount', serviceAccount);
  const role = sa.metadata.annotations?.['eks.amazonaws.com/role-arn'];
  if (!role) throw new Error(`service account ${serviceAccount} has no eks.amazonaws.com/role-arn annotation: pgBackRest ${globalOpt(dbConfRendered, 'repo1-s3-key-type')} credentials`);
  subs.add(`AWS_WEB_IDENTITY_TOKEN_FILE: a test token (the EKS pod identity webhook projects the service-account token; moto's STS accepts any token) for role ${role}`);
  return { AWS_ROLE_ARN: role, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile };
}

function pgbackrest(conf: string, args: string[], extraEnv: Record<string, string>): string {
  const r = runServerStatus('pgbackrest', [`--config=${conf}`, `--stanza=${STANZA}`, ...args], { user: 'postgres', env: extraEnv, timeoutMs: 600_000 });
  if (r.status !== 0) throw new Error(`pgbackrest ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function psqlAt(m: MemberState, sql: string, db = 'postgres'): string {
  return asPostgres('psql', ['-h', m.socketDir, '-p', String(PG_PORT), '-d', db, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeoutMs: 30_000 }).trim();
}

async function api(m: MemberState, p: string): Promise<any> {
  const r = await fetch(`http://${m.ip}:${API_PORT}${p}`, { signal: AbortSignal.timeout(3000) });
  return r.json();
}

async function clusterView(m: MemberState): Promise<any[]> {
  return (await api(m, '/cluster')).members;
}

async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const logs = members.map((m) => `--- ${m.name} patroni ---\n${logTail(m.log)}\n--- ${m.name} pgbackrest server ---\n${logTail(m.tlsLog, 10)}`).join('\n');
    throw new Error(`${what}: ${(e as Error).message}\n${logs}`);
  }
}

/** The rendered postgres container command, with the rendered env and the test's paths. */
function patroniCommand(m: MemberState): { cmd: string; args: string[]; env: Record<string, string> } {
  const c = container('postgres');
  const e: Record<string, string> = {
    ...env(c),
    PATH: `${PG_BIN}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
    PATRONI_NAME: m.name,
    PGHOST: m.socketDir,
    PGBACKREST_CONFIG: m.conf,
    PATRONI_SUPERUSER_PASSWORD: 'superuser-test-pw',
    PATRONI_REPLICATION_PASSWORD: 'replication-test-pw',
    PATRONI_REWIND_PASSWORD: TEST_PASSWORDS.REWIND_PASSWORD,
    ...TEST_PASSWORDS,
    ...webIdentityEnv(podSpec.serviceAccountName),
  };
  delete e.PATRONI_RESTAPI_CONNECT_ADDRESS;
  delete e.PATRONI_POSTGRESQL_CONNECT_ADDRESS;
  const command: string[] = [...(c.command ?? []), ...(c.args ?? [])];
  // The rendered command with the config path replaced by the member's copy (and a script from its ConfigMap).
  const mapped = command.map((a) => (a === '/etc/patroni/patroni.yml' ? m.patroniYml : a));
  const script = mapped.find((a) => a.endsWith('.sh'));
  if (script && !fs.existsSync(script)) {
    const copy = path.join(m.root, path.basename(script));
    writeAsPostgres(copy, mountedFile(script), 0o755);
    mapped[mapped.indexOf(script)] = copy;
  }
  e.PG_PATRONI_CONFIG = m.patroniYml;
  e.PGDATA = m.dataDir;
  e.TLS_DIR = m.serverTls;
  e.TLS_WATCH_SECONDS = '2';
  subs.add('start.sh env: PGDATA, PG_PATRONI_CONFIG, TLS_DIR the member paths; TLS_WATCH_SECONDS 2 instead of the default 30 (the rotation test waits less)');
  return { cmd: mapped[0], args: mapped.slice(1), env: e };
}

/** The content a container sees at `file`: the ConfigMap key mounted at its directory. */
function mountedFile(file: string): string {
  for (const c of podSpec.containers) {
    for (const vm of c.volumeMounts ?? []) {
      if (!file.startsWith(vm.mountPath + '/')) continue;
      const vol = podSpec.volumes.find((v: any) => v.name === vm.name);
      if (vol?.configMap) return renderedConfigMap(NS, vol.configMap.name)[file.slice(vm.mountPath.length + 1)];
    }
  }
  throw new Error(`${file} is not a ConfigMap key mounted in the rendered postgres pod`);
}

function startPatroni(m: MemberState): void {
  const { cmd, args, env: e } = patroniCommand(m);
  m.patroni = spawnServer(cmd, args, { user: 'postgres', env: e, log: m.log });
  if (m.patroni.pid) cleanup.groups.add(m.patroni.pid);
}

async function stopPatroni(m: MemberState): Promise<void> {
  const pid = m.patroni?.pid;
  if (!pid) return;
  // Kubernetes sends SIGTERM to the container's process on pod deletion.
  const pg = pgidOf(pid);
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // gone
  }
  await waitFor(`${m.name}'s Patroni to exit`, () => gone(pid), 120_000, 300).catch(() => (pg ? killGroup(pg) : undefined));
  killPostmaster(m.dataDir);
  await waitFor(`${m.name}'s PostgreSQL to stop`, () => !fs.existsSync(path.join(m.dataDir, 'postmaster.pid')) || postmasterGone(m), 60_000, 300);
  m.patroni = undefined;
}

function postmasterGone(m: MemberState): boolean {
  try {
    const pid = Number(fs.readFileSync(path.join(m.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return !(pid > 1) || gone(pid);
  } catch {
    return true;
  }
}

function startTlsServer(m: MemberState): void {
  const c = container('pgbackrest');
  const command: string[] = [...(c.command ?? []), ...(c.args ?? [])];
  const e = { ...env(c), PGBACKREST_CONFIG: m.conf, TLS_DIR: m.pgbackrestTls, TLS_WATCH_SECONDS: '2', ...webIdentityEnv(podSpec.serviceAccountName) };
  const script = command.find((a) => a.endsWith('.sh'));
  if (script) {
    const copy = path.join(m.root, `tls-${path.basename(script)}`);
    writeAsPostgres(copy, mountedFile(script), 0o755);
    command[command.indexOf(script)] = copy;
  }
  // The kubelet restarts a container whose process ended (restartPolicy Always): so does the test.
  const spawnOnce = () => {
    const child = spawnServer(command[0], command.slice(1), { user: 'postgres', env: e, log: m.tlsLog });
    if (child.pid) cleanup.groups.add(child.pid);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      tlsRestarts.push(`${m.name} pgbackrest container ended (${code ?? signal}); restarted as the kubelet would`);
      setTimeout(() => {
        if (!stopping) m.tlsServer = spawnOnce();
      }, 1000);
    });
    return child;
  };
  m.tlsServer = spawnOnce();
}
let stopping = false;
const tlsRestarts: string[] = [];

function certFor(kind: 'server' | 'pgbackrest' | 'client', authority: Ca): Record<string, string> {
  const dns = (name: string) => renderedObject(NS, 'Certificate', name).spec;
  if (kind === 'server') {
    const s = dns('postgres-server-tls');
    const leaf = issue(authority, path.join(tmp, 'issued'), { commonName: s.dnsNames[0], dnsNames: s.dnsNames, usage: 'server' });
    return { 'tls.crt': leaf.crt, 'tls.key': leaf.key, 'ca.crt': fs.readFileSync(authority.cert, 'utf8') };
  }
  if (kind === 'pgbackrest') {
    const s = dns('pgbackrest-server-tls');
    const leaf = issue(authority, path.join(tmp, 'issued'), { commonName: s.dnsNames[0], dnsNames: s.dnsNames, usage: 'server' });
    return { 'tls.crt': leaf.crt, 'tls.key': leaf.key, 'ca.crt': fs.readFileSync(authority.cert, 'utf8') };
  }
  const s = dns('pgbackrest-client-tls');
  const leaf = issue(authority, path.join(tmp, 'issued'), { commonName: s.commonName, usage: 'client' });
  return { 'tls.crt': leaf.crt, 'tls.key': leaf.key, 'ca.crt': fs.readFileSync(authority.cert, 'utf8') };
}

function writeCerts(authority: Ca): void {
  const owner = { uid: serverUid('postgres'), gid: serverUid('postgres') };
  for (const m of members) {
    writeSecretVolume(m.serverTls, certFor('server', authority), owner);
    writeSecretVolume(m.pgbackrestTls, certFor('pgbackrest', authority), owner);
  }
  writeSecretVolume(clientTls, certFor('client', authority), owner);
}

async function memberSetup(i: number): Promise<MemberState> {
  const name = `${sts.metadata.name}-${i}`;
  const ip = `127.0.0.${10 + i}`;
  const root = scratchDir(`lifecycle-${name}`);
  cleanup.dirs.add(root);
  const volume = path.join(root, 'pgdata');
  const m: MemberState = {
    name,
    ip,
    root,
    dataDir: path.join(volume, 'data'),
    socketDir: path.join(root, 'run'),
    conf: path.join(root, 'pgbackrest.conf'),
    patroniYml: path.join(root, 'patroni.yml'),
    serverTls: path.join(root, 'postgres-tls'),
    pgbackrestTls: path.join(root, 'pgbackrest-tls'),
    log: path.join(root, 'patroni.log'),
    tlsLog: path.join(root, 'pgbackrest-server.log'),
  };
  for (const d of [volume, m.socketDir, path.join(root, 'spool'), path.join(root, 'lock'), path.join(root, 'log')]) {
    fs.mkdirSync(d, { recursive: true, mode: 0o750 });
    fs.chownSync(d, serverUid('postgres'), serverUid('postgres'));
  }
  const changes: IniChange[] = [
    { section: 'global', key: 'spool-path', value: path.join(root, 'spool'), why: 'path on the member volume' },
    { section: 'global', key: 'lock-path', value: path.join(root, 'lock'), why: 'path; two members on one machine' },
    { section: 'global', key: 'log-path', value: path.join(root, 'log'), why: 'path' },
    { section: 'global', key: 'tls-server-address', value: ip, why: "the member's loopback address (two TLS servers on one machine, each on the rendered port)" },
    { section: 'global', key: 'tls-server-ca-file', value: path.join(m.pgbackrestTls, 'ca.crt'), why: 'Secret mount path' },
    { section: 'global', key: 'tls-server-cert-file', value: path.join(m.pgbackrestTls, 'tls.crt'), why: 'Secret mount path' },
    { section: 'global', key: 'tls-server-key-file', value: path.join(m.pgbackrestTls, 'tls.key'), why: 'Secret mount path' },
    { section: 'global', key: 'repo1-storage-ca-file', value: moto.caFile, why: "moto's test CA (the image trusts the public CAs of S3)" },
    { section: STANZA, key: 'pg1-path', value: m.dataDir, why: 'path' },
    { section: STANZA, key: 'pg1-socket-path', value: m.socketDir, why: 'path' },
  ];
  writeAsPostgres(m.conf, substituteIni(dbConfRendered, changes, subs, 'pgbackrest.conf (database pods)'), 0o640);

  const cfg = JSON.parse(JSON.stringify(rendered));
  delete cfg.kubernetes;
  cfg.etcd3 = { hosts: `127.0.0.1:${etcd.clientPort}` };
  subs.add('Patroni DCS: etcd3 instead of the kubernetes section (patroni-kubernetes.test.ts runs that against an API stub)');
  cfg.restapi.listen = `${ip}:${API_PORT}`;
  cfg.restapi.connect_address = `${ip}:${API_PORT}`;
  cfg.postgresql.listen = `${ip}:${PG_PORT}`;
  cfg.postgresql.connect_address = `${ip}:${PG_PORT}`;
  subs.add("Patroni restapi/postgresql listen on the member's loopback address with the rendered ports (the pod IP in the cluster)");
  cfg.postgresql.data_dir = m.dataDir;
  cfg.postgresql.pgpass = path.join(root, 'pgpass');
  const dcs = cfg.bootstrap.dcs.postgresql.parameters;
  for (const p of [dcs, cfg.postgresql.parameters]) if (p.unix_socket_directories !== undefined) p.unix_socket_directories = m.socketDir;
  dcs.ssl_cert_file = path.join(m.serverTls, 'tls.crt');
  dcs.ssl_key_file = path.join(m.serverTls, 'tls.key');
  subs.add('data_dir, pgpass, unix_socket_directories, ssl_cert_file/ssl_key_file: member paths (Secret volume laid out as the kubelet does)');
  cfg.bootstrap.dcs.postgresql.pg_hba = (cfg.bootstrap.dcs.postgresql.pg_hba as string[]).map((l) =>
    /\d+\.\d+\.\d+\.\d+\/\d+/.test(l) && !/0\.0\.0\.0\/0|127\.0\.0\.1\/32/.test(l) ? l.replace(/\d+\.\d+\.\d+\.\d+\/\d+/, '127.0.0.0/8') : l,
  );
  subs.add('pg_hba: the VPC CIDR replaced by 127.0.0.0/8');
  if (!TIMESCALEDB_AVAILABLE) {
    dcs.shared_preload_libraries = String(dcs.shared_preload_libraries).split(',').filter((l) => l !== 'timescaledb').join(',');
    delete dcs['timescaledb.telemetry_level'];
    subs.add('TimescaleDB: not packaged in Debian: removed from shared_preload_libraries, CREATE EXTENSION timescaledb removed from init.sql');
  }
  // Scenario (b): the rebuilt replica must need the archive. Patroni 4 keeps a stopped member's slot for
  // member_slots_ttl (30 min by default), which would hold the WAL; a volume lost for longer has no slot.
  cfg.bootstrap.dcs.member_slots_ttl = 0;
  dcs.wal_keep_size = '64MB';
  subs.add(`wal_keep_size 64MB instead of ${rendered.bootstrap.dcs.postgresql.parameters.wal_keep_size} and member_slots_ttl 0 (Patroni 4 default 30min): the rebuild scenario outruns them with ~200 MB of WAL instead of gigabytes`);
  // post_bootstrap: the rendered script and init SQL from their ConfigMap mount.
  const initDir = path.join(root, 'init');
  fs.mkdirSync(initDir);
  const init = renderedConfigMap(NS, 'postgres-init');
  for (const [k, v] of Object.entries(init)) {
    let text = v.split('/etc/postgres-init/').join(`${initDir}/`);
    if (k === 'init.sql') text = initSqlForServer(text, TIMESCALEDB_AVAILABLE, subs);
    writeAsPostgres(path.join(initDir, k), text, 0o755);
  }
  fs.chownSync(initDir, serverUid('postgres'), serverUid('postgres'));
  cfg.bootstrap.post_bootstrap = String(cfg.bootstrap.post_bootstrap).replace('/etc/postgres-init/', `${initDir}/`);
  subs.add('post_bootstrap: the rendered postgres-init ConfigMap files in a member directory');
  writeAsPostgres(m.patroniYml, stringify(cfg), 0o640);
  return m;
}

/** A leftover server from an interrupted run would answer in place of this run's: refuse to start then. */
async function assertFree(ip: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (e) => reject(new Error(`${ip}:${port} is taken (${(e as Error).message}): a server left over from an interrupted run? (\`ss -ltnp | grep ${port}\`)`)));
    srv.listen(port, ip, () => srv.close(() => resolve()));
  });
}

beforeAll(async () => {
  for (let i = 0; i < 2; i++) for (const port of [PG_PORT, API_PORT, TLS_PORT]) await assertFree(`127.0.0.${10 + i}`, port);
  tmp = scratchDir('lifecycle');
  cleanup.dirs.add(tmp);
  const region = globalOpt(dbConfRendered, 'repo1-s3-region')!;
  const bucket = globalOpt(dbConfRendered, 'repo1-s3-bucket')!;
  const kms = globalOpt(dbConfRendered, 'repo1-s3-kms-key-id')!;
  moto = await startMoto({ region, buckets: [bucket], kmsAliases: [kms], dir: tmp, subs });
  tokenFile = path.join(tmp, 'web-identity-token');
  fs.writeFileSync(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.test', { mode: 0o644 });
  etcd = await startEtcd(cleanup);
  for (let i = 0; i < 2; i++) members.push(await memberSetup(i));
  removeHosts = addHosts('postgres pods', [
    ...members.map((m) => [m.ip, `${m.name}.${HEADLESS}.${NS}.svc.cluster.local`] as const),
    [members[0].ip, RW_HOST],
  ]);
  subs.add(`cluster DNS: ${members.map((m) => `${m.name}.${HEADLESS}.${NS}.svc.cluster.local -> ${m.ip}`).join(', ')}, ${RW_HOST} -> the leader's address (kept current by the test, as the Service is)`);
  clientTls = path.join(tmp, 'client-tls');
  ca = makeCa(path.join(tmp, 'ca-1'), 'data-ca-1');
  writeCerts(ca);

  // Backup-job configuration: the rendered one with paths, the client certificate mount and the moto CA.
  const jobRendered = backupConfig['pgbackrest.conf'];
  const jobChanges: IniChange[] = [
    { section: 'global', key: 'lock-path', value: path.join(tmp, 'job-lock'), why: 'path' },
    { section: 'global', key: 'log-path', value: path.join(tmp, 'job-log'), why: 'path' },
    { section: 'global', key: 'repo1-storage-ca-file', value: moto.caFile, why: "moto's test CA" },
  ];
  for (const e of parseIni(jobRendered)) {
    if (/^pg\d+-host-(ca|cert|key)-file$/.test(e.key)) jobChanges.push({ section: e.section, key: e.key, value: path.join(clientTls, path.basename(e.value)), why: 'Secret mount path' });
    const n = /^pg(\d+)-(path|socket-path)$/.exec(e.key);
    if (n) {
      const m = members[Number(n[1]) - 1];
      if (m) jobChanges.push({ section: e.section, key: e.key, value: n[2] === 'path' ? m.dataDir : m.socketDir, why: 'member path' });
    }
  }
  for (const d of ['job-lock', 'job-log']) {
    fs.mkdirSync(path.join(tmp, d), { mode: 0o750 });
    fs.chownSync(path.join(tmp, d), serverUid('postgres'), serverUid('postgres'));
  }
  backupConf = path.join(tmp, 'backup-job.conf');
  writeAsPostgres(backupConf, substituteIni(jobRendered, jobChanges, subs, 'pgbackrest.conf (backup jobs)'), 0o640);
  fs.chownSync(tmp, serverUid('postgres'), serverUid('postgres'));

  for (const m of members) startTlsServer(m);
  const t0 = Date.now();
  startPatroni(members[0]);
  await step('postgres-0 bootstraps and leads', () =>
    waitFor('postgres-0 leader', async () => (await clusterView(members[0])).some((x) => x.name === members[0].name && x.role === 'leader' && x.state === 'running'), 240_000, 500),
  );
  figures.push(`bootstrap of postgres-0 (initdb, post_bootstrap): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const t1 = Date.now();
  startPatroni(members[1]);
  await step('postgres-1 joins as a streaming replica', () =>
    waitFor('postgres-1 streaming', () => streaming(members[1]), 300_000, 500),
  );
  figures.push(`postgres-1 joined and streaming: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  psqlAt(members[0], 'CREATE TABLE IF NOT EXISTS app.lifecycle (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), pad text)', 'optibid');
});

afterAll(() => {
  stopping = true;
  if (tlsRestarts.length) figures.push(`pgBackRest TLS server container restarts: ${tlsRestarts.join('; ')}`);
  for (const m of members) killPostmaster(m.dataDir);
  cleanup.run();
  moto?.stop();
  removeHosts?.();
  console.log(`postgres-lifecycle figures:\n${figures.map((f) => `  - ${f}`).join('\n')}`);
  subs.report('postgres-lifecycle');
});

/** The member's own PostgreSQL streams from the primary (the leader's /cluster view lags by the member TTL). */
function streaming(m: MemberState): boolean {
  return psqlAt(m, 'SELECT status FROM pg_stat_wal_receiver') === 'streaming';
}

function leader(): MemberState {
  return members[0];
}

test('(d) a fresh cluster archives its first WAL segment without a failed attempt', async () => {
  const m = leader();
  psqlAt(m, "INSERT INTO app.lifecycle (pad) SELECT 'first' FROM generate_series(1, 100)", 'optibid');
  psqlAt(m, 'SELECT pg_switch_wal()');
  const s = await waitFor('the first segment archived', () => Number(psqlAt(m, 'SELECT archived_count FROM pg_stat_archiver')) > 0, 120_000, 500);
  const failed = Number(psqlAt(m, 'SELECT failed_count FROM pg_stat_archiver'));
  figures.push(`first segment archived ${s.toFixed(1)} s after the switch; failed archive attempts since boot: ${failed}`);
  expect(failed).toBe(0);
  const info = JSON.parse(pgbackrest(m.conf, ['info', '--output=json'], webIdentityEnv(podSpec.serviceAccountName)));
  expect(info[0].archive.length).toBeGreaterThan(0);
});

/**
 * The rendered backup CronJob's script, run as its container runs it, and retried as the Job controller retries a
 * failed pod: up to the rendered backoffLimit, after 10 s, 20 s, ... (pkg/controller/job/job_controller.go,
 * DefaultJobPodFailureBackOff 10s doubling). A failed attempt is kept as a figure with the tail of its output, so a
 * backup that needs a retry is reported, not hidden.
 */
async function runBackupJob(type: 'full' | 'diff'): Promise<{ stdout: string; attempts: number }> {
  const cron = renderedObject(NS, 'CronJob', `postgres-backup-${type}`);
  const job = cron.spec.jobTemplate.spec;
  const c = job.template.spec.containers[0];
  const mount = c.volumeMounts.find((v: any) => v.name === 'tls').mountPath;
  const script = String(c.command[2]).split(`${mount}/`).join(`${clientTls}/`);
  subs.add(`backup CronJob script: the client TLS mount ${mount} at ${clientTls}; a failed attempt is retried as the Job controller does (backoffLimit ${job.backoffLimit ?? 6})`);
  const e = { ...env(c), PGBACKREST_CONFIG: backupConf, PGPASSWORD: TEST_PASSWORDS.BACKUP_PASSWORD, ...webIdentityEnv(job.template.spec.serviceAccountName) };
  const [file, argv] = serverArgv(c.command[0], [c.command[1], script], { user: 'postgres', env: e });
  const attempts = 1 + Number(job.backoffLimit ?? 6);
  const failures: string[] = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const r = spawnSync(file, argv, { encoding: 'utf8', timeout: 900_000 });
    if (r.status === 0) return { stdout: r.stdout, attempts: attempt };
    const output = `${r.stdout}\n${r.stderr}`.trim().split('\n');
    const failure = `backup job (${type}) attempt ${attempt} of ${attempts} exited ${r.status ?? r.signal}; its last lines:\n${output.slice(-15).map((l) => `      ${l}`).join('\n')}`;
    failures.push(failure);
    figures.push(failure);
    if (attempt < attempts) await sleep(10_000 * 2 ** (attempt - 1));
  }
  throw new Error(failures.join('\n'));
}

test('a full backup through the TLS servers with the rendered CronJob script; objects are SSE-KMS with the rendered key', async () => {
  const t0 = Date.now();
  const { attempts } = await runBackupJob('full');
  figures.push(`full backup job: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${attempts} attempt(s)`);
  const info = JSON.parse(pgbackrest(leader().conf, ['info', '--output=json'], webIdentityEnv(podSpec.serviceAccountName)));
  expect(info[0].backup.map((b: any) => b.type)).toContain('full');
  expect(psqlAt(leader(), "SELECT count(*) FROM monitoring.backup_runs WHERE backup_type = 'full'", 'optibid')).toBe('1');
  const bucket = globalOpt(dbConfRendered, 'repo1-s3-bucket')!;
  const prefix = globalOpt(dbConfRendered, 'repo1-path')!.replace(/^\//, '');
  const objects = JSON.parse(moto.aws(['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', `${prefix}/backup/`, '--output', 'json'])).Contents ?? [];
  expect(objects.length).toBeGreaterThan(0);
  const head = JSON.parse(moto.aws(['s3api', 'head-object', '--bucket', bucket, '--key', objects[0].Key, '--output', 'json']));
  expect(head.ServerSideEncryption).toBe('aws:kms');
  expect(head.SSEKMSKeyId).toBe(globalOpt(dbConfRendered, 'repo1-s3-kms-key-id'));
});

/** What kubelet does to a volume when the pod has fsGroup and the policy is Always (pkg/volume/volume_linux.go). */
function kubeletFsGroupChange(dir: string): void {
  const gid = serverUid('postgres');
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    fs.chownSync(p, st.uid, gid);
    const mode = st.mode & 0o7777;
    fs.chmodSync(p, st.isDirectory() ? mode | 0o070 | 0o2000 : mode | 0o060);
    if (st.isDirectory()) for (const f of fs.readdirSync(p)) walk(path.join(p, f));
  };
  walk(dir);
}

test('(a) a member restarts through the rendered command after the kubelet re-applied fsGroup to its volume', async () => {
  const policy = podSpec.securityContext?.fsGroupChangePolicy;
  const m = members[1];
  await stopPatroni(m);
  kubeletFsGroupChange(path.dirname(m.dataDir));
  const mode = (fs.statSync(m.dataDir).mode & 0o7777).toString(8);
  expect(mode).toBe('2770'); // what PostgreSQL refuses (miscinit.c checkDataDir): the scenario has teeth
  subs.add(`(a) the volume's permissions changed as the kubelet does for fsGroup (group rw, setgid directories): PGDATA ${mode}; rendered fsGroupChangePolicy ${policy ?? 'unset (Always)'}`);
  const t0 = Date.now();
  startPatroni(m);
  await step('postgres-1 streams again after the restart', () =>
    waitFor('postgres-1 streaming', () => streaming(m), 180_000, 500),
  );
  figures.push(`(a) restart after the fsGroup change (PGDATA was ${mode}): streaming again after ${((Date.now() - t0) / 1000).toFixed(1)} s; PGDATA now ${(fs.statSync(m.dataDir).mode & 0o7777).toString(8)}`);
  expect(fs.statSync(m.dataDir).mode & 0o077).toBe(0);
});

test('(c) certificate rotation with a new CA and new keys: the processes serve the new certificates; backup and verify-full succeed', async () => {
  const m = leader();
  const before = await postgresServedFingerprint(m.ip, PG_PORT);
  const ca2 = makeCa(path.join(tmp, 'ca-2'), 'data-ca-2');
  writeCerts(ca2);
  ca = ca2;
  const want = fingerprint(fs.readFileSync(path.join(m.serverTls, 'tls.crt'), 'utf8'));
  const wantTls = fingerprint(fs.readFileSync(path.join(m.pgbackrestTls, 'tls.crt'), 'utf8'));
  expect(want).not.toBe(before);
  const client = { cert: fs.readFileSync(path.join(clientTls, 'tls.crt'), 'utf8'), key: fs.readFileSync(path.join(clientTls, 'tls.key'), 'utf8') };
  const t0 = Date.now();
  await waitFor('PostgreSQL to serve the rotated certificate', async () => (await postgresServedFingerprint(m.ip, PG_PORT)) === want, 240_000, 1000);
  const pgS = (Date.now() - t0) / 1000;
  await waitFor('the pgBackRest TLS server to serve the rotated certificate', async () => (await tlsServedFingerprint(m.ip, TLS_PORT, client)) === wantTls, 240_000, 1000);
  const tlsS = (Date.now() - t0) / 1000;
  figures.push(`(c) rotation: PostgreSQL served the new certificate after ${pgS.toFixed(1)} s, the pgBackRest TLS server after ${tlsS.toFixed(1)} s`);
  const diff = await runBackupJob('diff');
  figures.push(`(c) differential backup job after the rotation: ${diff.attempts} attempt(s)`);
  const conn = `host=${RW_HOST} port=${PG_PORT} dbname=optibid user=${'optibid_app'} sslmode=verify-full sslrootcert=${path.join(clientTls, 'ca.crt')}`;
  const r = runServerStatus('psql', [conn, '-X', '-A', '-t', '-c', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], { user: 'postgres', env: { PGPASSWORD: TEST_PASSWORDS.APP_PASSWORD } });
  expect(`${r.stdout}${r.stderr}`.trim()).toBe('t');
});

test('(b) a replica rebuilt from a backup older than wal_keep_size catches up from the archive', async () => {
  const m = members[1];
  await stopPatroni(m);
  fs.rmSync(m.dataDir, { recursive: true, force: true });
  subs.add('(b) postgres-1 loses its volume (data directory removed) and is rebuilt by Patroni (create_replica_methods as rendered)');
  await waitFor('the primary to drop the lost member\'s slot', () => psqlAt(leader(), 'SELECT count(*) FROM pg_replication_slots') === '0', 120_000, 1000);
  const walBefore = psqlAt(leader(), 'SELECT pg_current_wal_lsn()');
  for (let i = 0; i < 12; i++) {
    psqlAt(leader(), "INSERT INTO app.lifecycle (pad) SELECT repeat(md5(random()::text), 30) FROM generate_series(1, 15000)", 'optibid');
    psqlAt(leader(), 'SELECT pg_switch_wal()');
  }
  psqlAt(leader(), 'CHECKPOINT');
  psqlAt(leader(), 'CHECKPOINT');
  const walBytes = Number(psqlAt(leader(), `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${walBefore}')`));
  const oldest = psqlAt(leader(), "SELECT min(name) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'");
  const rows = psqlAt(leader(), 'SELECT count(*) FROM app.lifecycle', 'optibid');
  const t0 = Date.now();
  startPatroni(m);
  await step('the rebuilt postgres-1 streams', () =>
    waitFor('postgres-1 streaming', () => streaming(m), 600_000, 1000),
  );
  figures.push(`(b) rebuild: ${(walBytes / 2 ** 20).toFixed(0)} MiB of WAL written since the backup (oldest segment kept on the primary ${oldest}); streaming after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await waitFor('the replica to have every row', () => psqlAt(m, 'SELECT count(*) FROM app.lifecycle', 'optibid') === rows, 120_000, 1000);
  expect(psqlAt(m, 'SELECT count(*) FROM app.lifecycle', 'optibid')).toBe(rows);
});

test('(e) point-in-time restore with the rendered restore job returns exactly the rows committed before the target', async () => {
  const m = leader();
  psqlAt(m, "INSERT INTO app.lifecycle (pad) SELECT 'before' FROM generate_series(1, 500)", 'optibid');
  await sleep(1100);
  const target = psqlAt(m, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
  const expected = psqlAt(m, 'SELECT count(*) FROM app.lifecycle', 'optibid');
  await sleep(1100);
  psqlAt(m, "INSERT INTO app.lifecycle (pad) SELECT 'after' FROM generate_series(1, 500)", 'optibid');
  // The segment just completed, named at the switch: pg_walfile_name of a segment boundary is the preceding file
  // (PostgreSQL docs, "Backup Control Functions"). Reading pg_current_wal_lsn() later instead races the next WAL
  // record (the bgwriter's running-xacts snapshot every 15 s), which lands in a segment no one switches out.
  const switched = psqlAt(m, 'SELECT pg_walfile_name(pg_switch_wal())');
  await waitFor(`the segment with the target (${switched}) archived`, () => psqlAt(m, `SELECT coalesce(last_archived_wal >= '${switched}', false) FROM pg_stat_archiver`) === 't', 120_000, 1000);

  const cron = renderedObject(NS, 'CronJob', 'postgres-pitr-restore');
  const c = cron.spec.jobTemplate.spec.template.spec.containers[0];
  const restoreRoot = scratchDir('pitr');
  cleanup.dirs.add(restoreRoot);
  const volumeMount = c.volumeMounts.find((v: any) => v.name === 'restore').mountPath;
  const restoreChanges: IniChange[] = [
    { section: 'global', key: 'lock-path', value: path.join(restoreRoot, 'lock'), why: 'path' },
    { section: 'global', key: 'log-path', value: path.join(restoreRoot, 'log'), why: 'path' },
    { section: 'global', key: 'repo1-storage-ca-file', value: moto.caFile, why: "moto's test CA" },
  ];
  for (const e of parseIni(backupConfig['restore.conf'])) {
    if (e.key.endsWith('-path') && e.value.startsWith(volumeMount)) restoreChanges.push({ section: e.section, key: e.key, value: e.value.replace(volumeMount, restoreRoot), why: 'the restore claim mount' });
  }
  const restoreConf = path.join(restoreRoot, 'restore.conf');
  writeAsPostgres(restoreConf, substituteIni(backupConfig['restore.conf'], restoreChanges, subs, 'restore.conf (PITR job)'), 0o640);
  const scriptPath = [...c.command, ...(c.args ?? [])].find((x: string) => x.endsWith('.sh'));
  if (!scriptPath) throw new Error(`the rendered PITR job runs no script: ${JSON.stringify(c.command)}`);
  const scriptFile = path.join(restoreRoot, path.basename(scriptPath));
  writeAsPostgres(scriptFile, backupConfig[path.basename(scriptPath)], 0o755);
  const dataDir = path.join(restoreRoot, path.relative(volumeMount, '/home/postgres/pgdata/data'));
  const runDir = path.join(restoreRoot, 'run');
  fs.mkdirSync(runDir);
  fs.chownSync(runDir, serverUid('postgres'), serverUid('postgres'));
  const e = {
    ...env(c),
    PATH: `${PG_BIN}:/usr/local/bin:/usr/bin:/bin`,
    PGBACKREST_CONFIG: restoreConf,
    PITR_TARGET: target,
    PGDATA: dataDir,
    PITR_RUN_DIR: runDir,
    ...webIdentityEnv(cron.spec.jobTemplate.spec.template.spec.serviceAccountName),
  };
  subs.add(`PITR job: the rendered ${path.basename(scriptPath)} with PGDATA and PITR_RUN_DIR in the restore scratch dir (the restore claim mount ${volumeMount})`);
  const [file, argv] = serverArgv('/bin/sh', [scriptFile], { user: 'postgres', env: e });
  const t0 = Date.now();
  const r = spawnSync(file, argv, { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`restore job exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  figures.push(`(e) PITR job output: ${r.stdout.trim().split('\n').slice(-1)[0]}`);
  // The job left a promoted, cleanly shut down directory; start it as a plain server and count.
  const port = await freePort();
  const sock = runDir;
  const log = path.join(restoreRoot, 'postgres.log');
  writeAsPostgres(log, '');
  const extra = `-p ${port} -k ${sock} -c listen_addresses='' -c archive_mode=off -c ssl=off${TIMESCALEDB_AVAILABLE ? '' : " -c shared_preload_libraries='pg_cron,pg_stat_statements'"}`;
  asPostgres(`${PG_BIN}/pg_ctl`, ['-D', dataDir, '-l', log, '-o', extra, '-w', '-t', '300', 'start'], { timeoutMs: 320_000 });
  try {
    await waitFor('the restored server to finish recovery and promote', () => asPostgres('psql', ['-h', sock, '-p', String(port), '-d', 'postgres', '-X', '-A', '-t', '-c', 'SELECT pg_is_in_recovery()']).trim() === 'f', 300_000, 1000);
    const got = asPostgres('psql', ['-h', sock, '-p', String(port), '-d', 'optibid', '-X', '-A', '-t', '-c', 'SELECT count(*) FROM app.lifecycle']).trim();
    figures.push(`(e) PITR to ${target}: restore job + recovery ${((Date.now() - t0) / 1000).toFixed(1)} s; rows ${got} (expected ${expected})`);
    expect(got).toBe(expected);
  } finally {
    try {
      asPostgres(`${PG_BIN}/pg_ctl`, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    } catch {
      // stopped
    }
  }

  // Runbook step 3: the restored volume becomes member 0 of a new cluster (the old cluster's DCS state deleted):
  // Patroni starts it, takes the lock, and must not replay past the target (docs/runbooks/postgres.md).
  const n = await memberSetup(2);
  fs.rmSync(n.dataDir, { recursive: true, force: true });
  fs.renameSync(dataDir, n.dataDir);
  const yml = parse(fs.readFileSync(n.patroniYml, 'utf8'));
  yml.namespace = '/restored/';
  writeAsPostgres(n.patroniYml, stringify(yml), 0o640);
  subs.add("(e) the restored directory started by Patroni as a new cluster: a fresh DCS namespace (/restored/) stands for the runbook's `kubectl delete configmap -l cluster-name=postgres`; member address 127.0.0.12");
  writeSecretVolume(n.serverTls, certFor('server', ca), { uid: serverUid('postgres'), gid: serverUid('postgres') });
  members.push(n);
  const t1 = Date.now();
  startPatroni(n);
  await step('the restored directory leads a new cluster', () =>
    waitFor('restored member leader', async () => (await api(n, '/patroni')).role === 'primary' && (await api(n, '/patroni')).state === 'running', 300_000, 1000),
  );
  await sleep(5000);
  const rows = psqlAt(n, 'SELECT count(*) FROM app.lifecycle', 'optibid');
  const timeline = (await api(n, '/patroni')).timeline;
  figures.push(`(e) runbook step 3: Patroni started the restored directory as the leader of a new cluster after ${((Date.now() - t1) / 1000).toFixed(1)} s, timeline ${timeline}, rows ${rows} (expected ${expected})`);
  expect(rows).toBe(expected);
  expect(Number(timeline)).toBeGreaterThan(1);
});
