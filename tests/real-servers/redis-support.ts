/**
 * Tier 4 support for Redis Cluster on Debian 13's Redis (runtime.ts: chroot on a Debian 12 host, native on Debian
 * 13): pods from the rendered redis.conf and start.sh (only ports, paths and the bind address substituted, each
 * recorded), the rendered ACL template of the ExternalSecret filled with test passwords, the rendered bootstrap Job
 * run as the Job runs it, stand-ins for kubectl, the StatefulSet controller and cluster DNS so that the runbook's
 * shell blocks run exactly as written, and a small RESP2 client with cluster routing (CLUSTER SLOTS, MOVED/ASK)
 * written here (no client library is a dependency).
 */
import { k8sDir, objectPath } from '@optibid/rendered';
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { addHosts, runServerStatus, serverArgv, serverFile, serverUid } from './runtime';
import { DIST, dataNamespace, ENV, freePort, renderedConfigMap, renderedObject, renderedObjectByLabel, REPO, Substitutions, waitFor } from './support';

// ---------------------------------------------------------------------------------------------------------------
// RESP2 over net.Socket
// ---------------------------------------------------------------------------------------------------------------

/** An error reply (`-ERR ...`, `-MOVED ...`). Returned as a value, so a pipeline keeps every other reply. */
export class RedisError extends Error {}
export type Reply = string | number | null | RedisError | Reply[];

export interface Auth {
  user: string;
  password: string;
}

/** Parses one RESP2 value at `pos`; undefined when the buffer does not hold all of it yet. */
function parseReply(buf: Buffer, pos: number): [Reply, number] | undefined {
  if (pos >= buf.length) return undefined;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return [line, next];
    case '-':
      return [new RedisError(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return undefined;
      return [buf.toString('utf8', next, next + len), next + len + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const items: Reply[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (!r) return undefined;
        items.push(r[0]);
        p = r[1];
      }
      return [items, p];
    }
    default:
      throw new Error(`RESP protocol error: unexpected type byte ${JSON.stringify(type)}`);
  }
}

function encode(args: (string | number)[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return out;
}

/** One connection; commands are pipelined (replies come back in order). */
export class RespConnection {
  private buf: Buffer = Buffer.alloc(0);
  private readonly pending: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private closedWith: Error | undefined;

  private constructor(
    private readonly sock: net.Socket,
    readonly host: string,
    readonly port: number,
  ) {
    sock.setNoDelay(true);
    sock.on('data', (chunk) => this.onData(chunk));
    const fail = (e: Error) => {
      this.closedWith ??= e;
      for (const p of this.pending.splice(0)) p.reject(this.closedWith);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error(`connection to ${host}:${port} closed`)));
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  static connect(host: string, port: number, auth?: Auth, timeoutMs = 3000): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connect ${host}:${port} timed out`));
      }, timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.once('connect', async () => {
        clearTimeout(timer);
        const conn = new RespConnection(sock, host, port);
        if (auth) {
          const r = await conn.send(['AUTH', auth.user, auth.password]).catch((e: Error) => new RedisError(e.message));
          if (r !== 'OK') {
            conn.close();
            reject(new RedisError(`AUTH ${auth.user} at ${host}:${port}: ${r instanceof Error ? r.message : String(r)}`));
            return;
          }
        }
        resolve(conn);
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const r = parseReply(this.buf, pos);
      if (!r) break;
      pos = r[1];
      this.pending.shift()?.resolve(r[0]);
    }
    this.buf = this.buf.subarray(pos);
  }

  /** The reply, error replies included (as RedisError values). Rejects only when the connection fails. */
  send(args: (string | number)[]): Promise<Reply> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.sock.write(encode(args));
    });
  }

  pipeline(cmds: (string | number)[][]): Promise<Reply[]> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const replies = cmds.map(() => new Promise<Reply>((resolve, reject) => this.pending.push({ resolve, reject })));
    this.sock.write(cmds.map(encode).join(''));
    return Promise.all(replies);
  }

  /** Like send, but an error reply throws. */
  async call(...args: (string | number)[]): Promise<Reply> {
    const r = await this.send(args);
    if (r instanceof RedisError) throw r;
    return r;
  }

  close(): void {
    this.closedWith ??= new Error('closed by the client');
    this.sock.destroy();
  }
}

/** One-shot command on a fresh connection to `addr` (ip:port). */
export async function redisCall(addr: string, auth: Auth | undefined, ...args: (string | number)[]): Promise<Reply> {
  const i = addr.lastIndexOf(':');
  const c = await RespConnection.connect(addr.slice(0, i), Number(addr.slice(i + 1)), auth);
  try {
    return await c.send(args);
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Cluster routing
// ---------------------------------------------------------------------------------------------------------------

const CRC16_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

/** CRC16-XMODEM of the key (or of its {hash tag}) mod 16384, as Redis Cluster computes it. */
export function keySlot(key: string): number {
  let k = Buffer.from(key);
  const open = k.indexOf('{');
  if (open >= 0) {
    const close = k.indexOf('}', open + 1);
    if (close > open + 1) k = k.subarray(open + 1, close);
  }
  let crc = 0;
  for (const b of k) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ b) & 0xff];
  return crc % 16384;
}

interface Redirect {
  kind: 'MOVED' | 'ASK';
  addr: string;
}

function redirectTarget(e: RedisError): Redirect | undefined {
  const m = /^(MOVED|ASK) \d+ (\S+)$/.exec(e.message);
  return m ? { kind: m[1] as 'MOVED' | 'ASK', addr: m[2] } : undefined;
}

/** A minimal cluster client: slot map from CLUSTER SLOTS, one connection per primary, MOVED/ASK followed. */
export class ClusterClient {
  private slots: string[] = new Array(16384);
  private readonly conns = new Map<string, Promise<RespConnection>>();
  redirects = 0;

  /** `resolve` maps the hostnames the cluster announces (CLUSTER SLOTS, MOVED) to addresses this process can reach. */
  constructor(
    private seeds: string[],
    private readonly auth: Auth,
    private readonly resolve: (host: string) => string = (h) => h,
  ) {}

  /** Reloads the slot map from the first seed (or known node) that answers CLUSTER SLOTS. */
  async refresh(): Promise<void> {
    const candidates = [...new Set([...this.seeds, ...this.slots.filter(Boolean)])];
    let last: unknown;
    for (const addr of candidates) {
      try {
        const conn = await this.conn(addr);
        const r = (await conn.call('CLUSTER', 'SLOTS')) as Reply[];
        const slots: string[] = new Array(16384);
        for (const range of r as Reply[][]) {
          const [start, end, primary] = range as [number, number, Reply[]];
          const target = `${primary[0]}:${primary[1]}`;
          for (let s = start; s <= end; s++) slots[s] = target;
        }
        this.slots = slots;
        this.seeds = [...new Set([...Object.values(slots)])];
        return;
      } catch (e) {
        last = e;
        this.drop(addr);
      }
    }
    throw new Error(`no node answered CLUSTER SLOTS (${candidates.join(', ')}): ${String(last)}`);
  }

  private conn(addr: string): Promise<RespConnection> {
    let c = this.conns.get(addr);
    if (!c) {
      const i = addr.lastIndexOf(':');
      c = RespConnection.connect(this.resolve(addr.slice(0, i)), Number(addr.slice(i + 1)), this.auth);
      c.catch(() => this.conns.delete(addr));
      this.conns.set(addr, c);
    }
    return c.then((conn) => {
      if (conn.closed) {
        this.conns.delete(addr);
        return this.conn(addr);
      }
      return conn;
    });
  }

  private drop(addr: string): void {
    const c = this.conns.get(addr);
    this.conns.delete(addr);
    c?.then((conn) => conn.close()).catch(() => undefined);
  }

  nodeOf(key: string): string {
    const n = this.slots[keySlot(key)];
    if (!n) throw new Error(`slot ${keySlot(key)} of ${key} is not served`);
    return n;
  }

  /** One keyed command, following MOVED (slot map refreshed) and ASK (ASKING first) redirections. */
  async command(key: string, ...args: (string | number)[]): Promise<Reply> {
    let addr = this.nodeOf(key);
    let asking = false;
    for (let attempt = 0; attempt < 8; attempt++) {
      let r: Reply;
      try {
        const conn = await this.conn(addr);
        r = asking ? (await conn.pipeline([['ASKING'], args]))[1] : await conn.send(args);
      } catch {
        this.drop(addr);
        await new Promise((res) => setTimeout(res, 200));
        await this.refresh();
        addr = this.nodeOf(key);
        asking = false;
        continue;
      }
      const redirect: Redirect | undefined = r instanceof RedisError ? redirectTarget(r) : undefined;
      if (!redirect) return r;
      this.redirects++;
      addr = redirect.addr;
      asking = redirect.kind === 'ASK';
      if (redirect.kind === 'MOVED') await this.refresh();
    }
    throw new Error(`too many redirections for ${key}`);
  }

  private groupByNode(keys: string[]): Map<string, string[]> {
    const by = new Map<string, string[]>();
    for (const k of keys) {
      const n = this.nodeOf(k);
      if (!by.has(n)) by.set(n, []);
      by.get(n)!.push(k);
    }
    return by;
  }

  /**
   * SET key value EX ttl for every entry, pipelined per primary in chunks; each chunk is followed by
   * `WAIT <replicas> <timeoutMs>` on the same connection. A key counts as acknowledged when its SET replied OK and
   * the WAIT after it reported >= `replicas` replicas. Keys redirected (MOVED/ASK) are written again through
   * `command` and acknowledged by a WAIT on that connection too.
   */
  async setWithWait(entries: Map<string, string>, ttlSeconds: number, opts: { replicas: number; timeoutMs: number; chunk: number }): Promise<WriteResult> {
    await this.refresh();
    const result: WriteResult = { written: 0, acknowledged: new Set(), byNode: {} };
    const shard = async (addr: string, keys: string[]) => {
      const stats = (result.byNode[addr] ??= { written: 0, acknowledged: 0, waitReplies: [] });
      const conn = await this.conn(addr);
      for (let i = 0; i < keys.length; i += opts.chunk) {
        const chunk = keys.slice(i, i + opts.chunk);
        const replies = await conn.pipeline([...chunk.map((k) => ['SET', k, entries.get(k)!, 'EX', ttlSeconds]), ['WAIT', opts.replicas, opts.timeoutMs]]);
        const waited = replies.pop() as number;
        stats.waitReplies.push(waited);
        const redirected: string[] = [];
        chunk.forEach((k, j) => {
          if (replies[j] === 'OK') {
            stats.written++;
            result.written++;
            if (waited >= opts.replicas) {
              stats.acknowledged++;
              result.acknowledged.add(k);
            }
          } else if (replies[j] instanceof RedisError && redirectTarget(replies[j] as RedisError)) redirected.push(k);
          else throw new Error(`SET ${k} at ${addr}: ${String(replies[j])}`);
        });
        for (const k of redirected) {
          // Rare (a slot moved under us): write it where the cluster says, then WAIT on that node's connection.
          if ((await this.command(k, 'SET', k, entries.get(k)!, 'EX', ttlSeconds)) !== 'OK') throw new Error(`SET ${k} failed after redirection`);
          result.written++;
          const w = (await (await this.conn(this.nodeOf(k))).call('WAIT', opts.replicas, opts.timeoutMs)) as number;
          if (w >= opts.replicas) result.acknowledged.add(k);
        }
      }
    };
    await Promise.all([...this.groupByNode([...entries.keys()])].map(([addr, keys]) => shard(addr, keys)));
    return result;
  }

  /** GET of every key: pipelined per primary, redirected or failed keys retried one by one through `command`. */
  async getMany(keys: string[], chunk = 1000): Promise<Map<string, string | null>> {
    await this.refresh();
    const out = new Map<string, string | null>();
    const retry: string[] = [];
    await Promise.all(
      [...this.groupByNode(keys)].map(async ([addr, ks]) => {
        for (let i = 0; i < ks.length; i += chunk) {
          const part = ks.slice(i, i + chunk);
          let replies: Reply[];
          try {
            replies = await (await this.conn(addr)).pipeline(part.map((k) => ['GET', k]));
          } catch {
            retry.push(...part);
            continue;
          }
          part.forEach((k, j) => (replies[j] instanceof RedisError ? retry.push(k) : out.set(k, replies[j] as string | null)));
        }
      }),
    );
    for (const k of retry) {
      const r = await this.command(k, 'GET', k);
      if (r instanceof RedisError) throw new Error(`GET ${k}: ${r.message}`);
      out.set(k, r as string | null);
    }
    return out;
  }

  close(): void {
    for (const addr of [...this.conns.keys()]) this.drop(addr);
  }
}

export interface WriteResult {
  written: number;
  acknowledged: Set<string>;
  byNode: Record<string, { written: number; acknowledged: number; waitReplies: number[] }>;
}

// ---------------------------------------------------------------------------------------------------------------
// CLUSTER NODES / CLUSTER INFO
// ---------------------------------------------------------------------------------------------------------------

export interface ClusterNode {
  id: string;
  ip: string;
  port: number;
  hostname: string;
  flags: string[];
  /** Primary's id for a replica, '-' for a primary. */
  master: string;
  link: string;
  slots: string[];
  isMaster: boolean;
  failed: boolean;
}

export function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const f = line.trim().split(' ');
      // <ip>:<port>@<cport>[,<hostname>]
      const m = /^(.*):(\d+)@(\d+)(?:,(.*))?$/.exec(f[1]);
      if (!m) throw new Error(`unexpected CLUSTER NODES address ${f[1]}`);
      const flags = f[2].split(',');
      return {
        id: f[0],
        ip: m[1],
        port: Number(m[2]),
        hostname: m[4] ?? '',
        flags,
        master: f[3],
        link: f[7],
        slots: f.slice(8),
        isMaster: flags.includes('master'),
        failed: flags.includes('fail') || flags.includes('fail?'),
      };
    });
}

export function parseInfo(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .filter((l) => l.includes(':') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Rendered inputs
// ---------------------------------------------------------------------------------------------------------------

/** Test passwords for the ExternalSecret template's placeholders (Secrets Manager fills them in the cluster). */
export const REDIS_TEST_PASSWORDS: Record<string, string> = {
  default: 'default-test-pw',
  app: 'app-test-pw',
  exporter: 'exporter-test-pw',
  replication: 'replication-test-pw',
};

export const renderedRedisFiles = (): Record<string, string> => renderedConfigMap(dataNamespace(), 'redis-config');

/** The ExternalSecret's target template data (users.acl, replication.conf, DEFAULT_PASSWORD, ...). */
export const renderedRedisAuthTemplate = (): Record<string, string> => renderedObject(dataNamespace(), 'ExternalSecret', 'redis-auth').spec.target.template.data;

/** Fills `{{ .name }}` placeholders; throws on an unknown one or anything left unfilled. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  const out = template.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, k: string) => {
    if (!(k in values)) throw new Error(`no test value for template placeholder .${k}`);
    return values[k];
  });
  if (out.includes('{{')) throw new Error(`unfilled template placeholder in: ${out}`);
  return out;
}

interface EnvVar {
  value?: string;
  secretKey?: string;
  secretName?: string;
}
export interface RenderedContainer {
  image: string;
  command: string[];
  env: Record<string, EnvVar>;
  mounts: Record<string, string>;
  volumes: Record<string, any>;
}

function container(pod: any, c: any): RenderedContainer {
  const env: Record<string, EnvVar> = {};
  for (const e of c.env ?? []) env[e.name] = { value: e.value, secretKey: e.valueFrom?.secretKeyRef?.key, secretName: e.valueFrom?.secretKeyRef?.name };
  return {
    image: c.image,
    command: c.command,
    env,
    mounts: Object.fromEntries((c.volumeMounts ?? []).map((m: any) => [m.mountPath, m.name])),
    volumes: Object.fromEntries((pod.volumes ?? []).map((v: any) => [v.name, v])),
  };
}

/** The bootstrap Job (its name carries a hash of its template: found by its name label), its file and container. */
export function renderedBootstrapJob(): RenderedContainer & { name: string; file: string; configMap: string } {
  const job = renderedObjectByLabel(dataNamespace(), 'Job', 'redis-bootstrap');
  const pod = job.spec.template.spec;
  const c = container(pod, pod.containers[0]);
  return { ...c, name: job.metadata.name, file: path.join(k8sDir(DIST, ENV), objectPath(job)), configMap: c.volumes[c.mounts['/etc/redis']]?.configMap?.name };
}

/** The backup CronJob: the snapshot init container and the upload container. */
export function renderedBackupCronJob(): { snapshot: RenderedContainer; upload: RenderedContainer; serviceAccount: string } {
  const pod = renderedObject(dataNamespace(), 'CronJob', 'redis-backup').spec.jobTemplate.spec.template.spec;
  return { snapshot: container(pod, pod.initContainers[0]), upload: container(pod, pod.containers[0]), serviceAccount: pod.serviceAccountName };
}

/** The StatefulSet's redis container and replica count. */
export function renderedStatefulSet(): { replicas: number; serviceName: string; redis: RenderedContainer; selector: Record<string, string>; grace: number } {
  const sts = renderedObject(dataNamespace(), 'StatefulSet', 'redis');
  const pod = sts.spec.template.spec;
  return { replicas: sts.spec.replicas, serviceName: sts.spec.serviceName, redis: container(pod, pod.containers.find((c: any) => c.name === 'redis')), selector: sts.spec.selector.matchLabels, grace: pod.terminationGracePeriodSeconds };
}

/** The shell blocks of docs/runbooks/redis.md marked ```sh test=<name>. */
export function runbookBlocks(file = path.join(REPO, 'docs', 'runbooks', 'redis.md')): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of fs.readFileSync(file, 'utf8').matchAll(/^```sh test=([\w-]+)\n([\s\S]*?)^```$/gm)) {
    if (out.has(m[1])) throw new Error(`two runbook blocks named ${m[1]}`);
    out.set(m[1], m[2]);
  }
  return out;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** A port p such that p and its cluster bus port p+10000 are free on every address (0.0.0.0). */
export async function freeRedisPort(): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    const p = await freePort();
    if (p + 10000 <= 65535 && (await portFree(p)) && (await portFree(p + 10000))) return p;
  }
  throw new Error('could not find a free port pair (p, p+10000)');
}

// ---------------------------------------------------------------------------------------------------------------
// The pods: stand-ins for the StatefulSet controller, the kubelet, cluster DNS and kubectl
// ---------------------------------------------------------------------------------------------------------------

/** The server filesystem's /etc/hosts block of the pods (runtime.ts addHosts marks it so). */
const HOSTS_TAG = 'redis pods';
const HOSTS_BEGIN = `# >>> real-server tier: ${HOSTS_TAG}`;
const HOSTS_END = `# <<< real-server tier: ${HOSTS_TAG}`;

/** What the stand-in program (written to the scratch root, run by node) needs. */
interface StandinConfig {
  root: string;
  log: string;
  namespace: string;
  domain: string;
  port: number;
  pods: string[];
  selector: string;
  hostsFile: string;
  hostsBegin: string;
  hostsEnd: string;
  ipPrefix: string;
  graceSeconds: number;
  defaultPassword: string;
  /** argv that runs `/bin/sh <pod>/start.sh` in the server filesystem as the redis user with the pod's env. */
  startArgv: Record<string, string[]>;
  /** argv prefix that runs a command in the server filesystem as the redis user (kubectl exec). */
  execPrefix: string[];
  /** argv prefix for redis-cli in the server filesystem as the default user (readiness checks: PING answered). */
  cliPrefix: string[];
  redisUid: number;
  job: { name: string; file: string; argv: string[] };
}

/**
 * The stand-in program. One "pod" is one redis-server started by the rendered start.sh in the server filesystem
 * (runtime.ts argv), bound to a loopback address of its own that the server filesystem's /etc/hosts publishes under
 * the pod's DNS name (the marked block). Deleting a pod stops it as the kubelet does (SIGTERM, SIGKILL after the
 * grace period) and starts it again at a NEW address, as the StatefulSet controller does. Serialised with
 * Function.prototype.toString into the scratch root, so it may use only what it requires itself.
 */
function standinMain(cfg: StandinConfig, args: string[]): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require('fs');
  const path = require('path');
  const cp = require('child_process');
  // The operator's PATH (what runbook blocks run with) lacks sbin; chroot and runuser live there.
  process.env.PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const die = (msg: string, code = 1): never => {
    process.stderr.write(`kubectl (stand-in): ${msg}\n`);
    process.exit(code);
  };
  const dirOf = (pod: string) => path.join(cfg.root, 'pods', pod);
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : '');
  const podOf = (name: string) => (cfg.pods.includes(name) ? name : die(`pods "${name}" not found`));
  const session = (pod: string): number[] => {
    const sid = read(path.join(dirOf(pod), 'sid'));
    if (!/^\d+$/.test(sid)) return [];
    const r = cp.spawnSync('pgrep', ['-s', sid], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim().split('\n').map(Number) : [];
  };
  const serverPid = (pod: string): number | undefined => {
    const sid = read(path.join(dirOf(pod), 'sid'));
    if (!/^\d+$/.test(sid)) return undefined;
    const r = cp.spawnSync('pgrep', ['-s', sid, '-x', 'redis-server'], { encoding: 'utf8' });
    return r.status === 0 ? Number(r.stdout.trim().split('\n')[0]) : undefined;
  };
  const kill = (pids: number[], sig: string) => {
    for (const p of pids) {
      try {
        process.kill(p, sig);
      } catch {
        // gone
      }
    }
  };
  const dns = (pod: string, ip: string | undefined) => {
    const name = `${pod}.${cfg.domain}`;
    const text: string = fs.readFileSync(cfg.hostsFile, 'utf8');
    const a = text.indexOf(`${cfg.hostsBegin}\n`);
    const b = text.indexOf(`${cfg.hostsEnd}\n`, a);
    if (a < 0 || b < 0) die(`${cfg.hostsFile} lost the test's block`);
    const inner = text.slice(a + cfg.hostsBegin.length + 1, b).split('\n').filter((l) => l && l.split(/\s+/)[1] !== name);
    if (ip) inner.push(`${ip} ${name}`);
    fs.writeFileSync(cfg.hostsFile, `${text.slice(0, a)}${cfg.hostsBegin}\n${inner.map((l) => `${l}\n`).join('')}${text.slice(b)}`);
  };
  const nextIp = (): string => {
    const f = path.join(cfg.root, 'next-ip');
    const n = Number(read(f) || '11');
    if (n > 254) die('out of loopback addresses');
    fs.writeFileSync(f, String(n + 1));
    return `${cfg.ipPrefix}${n}`;
  };
  /** A new pod: its address (a new one unless given), its config, its DNS record (unless `publish` is false). */
  const prepare = (pod: string, ip?: string, publish = true): boolean => {
    const dir = dirOf(pod);
    if (session(pod).length) die(`${pod} is running`);
    if (fs.existsSync(path.join(dir, 'lost'))) {
      fs.appendFileSync(cfg.log, `  ${pod}: Pending (its volume is gone; delete its claim)\n`);
      return false;
    }
    const addr = ip ?? nextIp();
    fs.writeFileSync(path.join(dir, 'redis.conf'), fs.readFileSync(path.join(dir, 'redis.conf.template'), 'utf8').replaceAll('__POD_IP__', addr));
    fs.writeFileSync(path.join(dir, 'ip'), addr);
    if (publish) dns(pod, addr);
    fs.appendFileSync(cfg.log, `  ${pod}: address ${addr}${publish ? '' : ' (DNS record not updated)'}\n`);
    return true;
  };
  /** Its container: the rendered start.sh, in a session of its own, output to the pod's log. */
  const start = (pod: string) => {
    const dir = dirOf(pod);
    const out = fs.openSync(path.join(dir, 'redis.log'), 'a');
    const [file, ...argv] = cfg.startArgv[pod];
    const child = cp.spawn(file, argv, { stdio: ['ignore', out, out], detached: true });
    fs.writeFileSync(path.join(dir, 'sid'), String(child.pid));
    child.unref();
    fs.closeSync(out);
  };
  const up = (pod: string, ip?: string, publish = true) => {
    if (prepare(pod, ip, publish)) start(pod);
  };
  /** kubelet: SIGTERM to redis-server (start.sh execs it), SIGKILL of what is left after the grace period. */
  const down = (pods: string[], grace = cfg.graceSeconds) => {
    for (const pod of pods) {
      const pid = serverPid(pod);
      kill(pid ? [pid] : session(pod), pid ? 'SIGTERM' : 'SIGKILL');
    }
    const t0 = Date.now();
    while (pods.some((p) => session(p).length)) {
      if (Date.now() - t0 > grace * 1000) for (const p of pods) kill(session(p), 'SIGKILL');
      sleep(100);
    }
    for (const pod of pods) {
      fs.rmSync(path.join(dirOf(pod), 'sid'), { force: true });
      fs.appendFileSync(cfg.log, `  ${pod}: stopped after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    }
  };
  const recreate = (pods: string[]) => {
    down(pods);
    for (const pod of pods) {
      const dir = dirOf(pod);
      if (fs.existsSync(path.join(dir, 'claim-deleted'))) {
        // The claim went with the pod: the StatefulSet gives the new pod a new, empty volume.
        fs.rmSync(path.join(dir, 'data'), { recursive: true, force: true });
        fs.mkdirSync(path.join(dir, 'data'));
        fs.chownSync(path.join(dir, 'data'), cfg.redisUid, cfg.redisUid);
        for (const f of ['claim-deleted', 'lost']) fs.rmSync(path.join(dir, f), { force: true });
      }
      up(pod);
    }
  };
  const answering = (pod: string) => {
    const ip = read(path.join(dirOf(pod), 'ip'));
    if (!ip || !session(pod).length) return false;
    const [file, ...argv] = [...cfg.cliPrefix, '-h', ip, '-p', String(cfg.port), 'ping'];
    return cp.spawnSync(file, argv, { encoding: 'utf8', timeout: 5000 }).status === 0;
  };
  const timeoutOf = (a: string[]) => {
    const t = a.find((x) => x.startsWith('--timeout='))?.slice(10) ?? '30s';
    const m = /^(\d+)(s|m)$/.exec(t) ?? die(`unsupported --timeout ${t}`);
    return Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
  };
  const jobFile = (f: string) => path.join(cfg.root, 'job', f);

  // Test-side verbs (the fleet drives the pods through these too, so both see one state).
  if (args[0] === 'pod') {
    const [, verb, ...rest] = args;
    fs.appendFileSync(cfg.log, `[fleet] pod ${args.slice(1).join(' ')}\n`);
    if (verb === 'up') up(podOf(rest[0]), rest.find((x) => x.startsWith('--ip='))?.slice(5), !rest.includes('--no-dns'));
    else if (verb === 'up-all') {
      // Every pod gets its new address (and record) first, then all start together.
      const pods = rest.filter((x) => !x.startsWith('--')).map(podOf);
      const ready = pods.filter((p) => prepare(p, undefined, !rest.includes('--no-dns')));
      for (const p of ready) start(p);
    }
    else if (verb === 'down') down(rest.map(podOf));
    else if (verb === 'kill') {
      for (const p of rest) kill(session(podOf(p)), 'SIGKILL');
      while (rest.some((p) => session(p).length)) sleep(50);
      for (const p of rest) fs.rmSync(path.join(dirOf(p), 'sid'), { force: true });
    } else if (verb === 'lose') {
      // The pod's volume is gone: the process is killed and the pod cannot start again until its claim is deleted.
      kill(session(podOf(rest[0])), 'SIGKILL');
      while (session(rest[0]).length) sleep(50);
      fs.rmSync(path.join(dirOf(rest[0]), 'sid'), { force: true });
      fs.writeFileSync(path.join(dirOf(rest[0]), 'lost'), '');
    } else if (verb === 'dns') dns(podOf(rest[0]), rest[1]);
    else die(`unknown pod verb ${verb}`, 2);
    return;
  }

  // kubectl
  fs.appendFileSync(cfg.log, `kubectl ${args.map((a) => (/^[\w./=:@,{}-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}\n`);
  const a = [...args];
  const nsAt = a.indexOf('-n');
  // apply -f takes the namespace from the file; every other command must name it.
  if (nsAt < 0 && a[0] !== 'apply') die('every runbook command names its namespace (-n)');
  if (nsAt >= 0 && a[nsAt + 1] !== cfg.namespace) die(`namespace ${a[nsAt + 1]}: the pods are in ${cfg.namespace}`);
  if (nsAt >= 0) a.splice(nsAt, 2);
  const verb = a.shift();
  const selector = (x: string[]) => {
    const i = x.indexOf('-l');
    return i < 0 ? undefined : x[i + 1];
  };
  if (verb === 'get' && a[0] === 'secret' && a[1] === 'redis-auth' && a[2] === '-o' && a[3] === 'jsonpath={.data.DEFAULT_PASSWORD}') {
    process.stdout.write(Buffer.from(cfg.defaultPassword).toString('base64'));
  } else if (verb === 'exec') {
    const dd = a.indexOf('--');
    if (dd < 0) die('exec needs -- before the command');
    const opts = a.slice(0, dd);
    const cmd = a.slice(dd + 1);
    const stdin = opts.includes('-i');
    const pod = podOf(opts.filter((x) => x !== '-i' && x !== '-c' && x !== 'redis')[0]);
    if (opts[opts.indexOf('-c') + 1] !== 'redis') die('exec into the redis container (-c redis)');
    if (!answering(pod)) die(`container redis of pod ${pod} is not running`);
    // The pod's volume is mounted at /data: paths under it are the pod's directory here.
    const data = path.join(dirOf(pod), 'data');
    const argv = [...cfg.execPrefix, ...cmd.map((x) => x.replaceAll('/data/', `${data}/`))];
    const r = cp.spawnSync(argv[0], argv.slice(1), { stdio: [stdin ? 'inherit' : 'ignore', 'inherit', 'inherit'] });
    process.exit(r.status ?? 1);
  } else if (verb === 'delete' && a[0] === 'pod') {
    const sel = selector(a);
    if (sel !== undefined && sel !== cfg.selector) die(`selector ${sel}: the Redis pods are ${cfg.selector}`);
    const pods = sel ? cfg.pods : a.slice(1).map(podOf);
    recreate(pods);
    for (const p of pods) process.stdout.write(`pod "${p}" deleted\n`);
  } else if (verb === 'delete' && a[0] === 'pvc') {
    const pod = podOf(/^data-(.+)$/.exec(a[1] ?? '')?.[1] ?? die(`no claim ${a[1]}`));
    if (!a.includes('--wait=false')) die(`persistentvolumeclaim "${a[1]}" is in use by pod ${pod}: kubectl would wait for the kubernetes.io/pvc-protection finalizer forever (use --wait=false)`);
    fs.writeFileSync(path.join(dirOf(pod), 'claim-deleted'), '');
    process.stdout.write(`persistentvolumeclaim "${a[1]}" deleted\n`);
  } else if (verb === 'rollout' && a[0] === 'status' && a[1] === 'statefulset/redis') {
    const t0 = Date.now();
    while (!cfg.pods.every(answering)) {
      if (Date.now() - t0 > timeoutOf(a)) die(`timed out waiting for the rollout of statefulset/redis (${cfg.pods.filter((p) => !answering(p)).join(', ')} not ready)`);
      sleep(200);
    }
    process.stdout.write(`partitioned roll out complete: ${cfg.pods.length} new pods have been updated...\n`);
  } else if (verb === 'delete' && a[0] === 'job' && selector(a) === 'app.kubernetes.io/name=redis-bootstrap') {
    const had = fs.existsSync(jobFile('status'));
    fs.rmSync(path.join(cfg.root, 'job'), { recursive: true, force: true });
    process.stdout.write(had ? `job.batch "${cfg.job.name}" deleted\n` : 'No resources found\n');
  } else if (verb === 'apply') {
    const f = a[a.indexOf('-f') + 1];
    if (!a.includes('--server-side')) die('apply --server-side (the deploy applies server-side)');
    if (!f || path.resolve(f) !== cfg.job.file) die(`apply -f ${f}: only the rendered bootstrap Job ${cfg.job.file} is stood in for`);
    if (fs.existsSync(jobFile('status'))) die(`job ${cfg.job.name} exists (delete it first: its pod template is immutable)`);
    fs.mkdirSync(path.join(cfg.root, 'job'), { recursive: true });
    process.stdout.write(`job.batch/${cfg.job.name} serverside-applied\n`);
    // The Job's pod runs to completion here, before apply returns (in a cluster it runs after).
    const r = cp.spawnSync(cfg.job.argv[0], cfg.job.argv.slice(1), { encoding: 'utf8', timeout: 600_000 });
    fs.writeFileSync(jobFile('log'), `${r.stdout ?? ''}${r.stderr ?? ''}`);
    fs.writeFileSync(jobFile('status'), String(r.status));
  } else if (verb === 'wait' && a.includes('--for=condition=complete') && a[1] === 'job' && selector(a) === 'app.kubernetes.io/name=redis-bootstrap') {
    if (read(jobFile('status')) !== '0') die(`timed out waiting for the condition on jobs/${cfg.job.name} (its pod exited ${read(jobFile('status')) || '-'})`);
    process.stdout.write(`job.batch/${cfg.job.name} condition met\n`);
  } else if (verb === 'logs' && selector(a) === 'app.kubernetes.io/name=redis-bootstrap') {
    process.stdout.write(read(jobFile('log')) + '\n');
  } else {
    die(`not stood in for: kubectl ${args.join(' ')}`, 2);
  }
}

/**
 * A command in the server filesystem (runtime.ts argv), awaited without blocking this process: the loopback
 * stand-ins the command calls (the Pod Identity credentials endpoint) run in this process's event loop.
 */
export function runServerAsync(cmd: string, args: string[], opts: { user?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const [file, argv] = serverArgv(cmd, args, opts);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const q = (s: string) => (/^[\w./=:@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export interface RunbookRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The stand-in calls the block made (kubectl ...), as logged. */
  calls: string[];
}

/**
 * Six (or however many the StatefulSet renders) pods from the rendered redis.conf, start.sh, zones.txt and ACL
 * template. Each pod has its own directory (its volume at data/, its config) under one scratch root; its address
 * is a loopback address of its own, published under its DNS name in the server filesystem's /etc/hosts.
 */
export class RedisFleet {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-cluster-'));
  readonly files = renderedRedisFiles();
  readonly sts = renderedStatefulSet();
  readonly namespace = dataNamespace();
  readonly domain = `${this.sts.serviceName}.${this.namespace}.svc.cluster.local`;
  readonly pods: string[];
  readonly defaultAuth: Auth;
  readonly standin: string;
  readonly binDir: string;
  readonly hostsFile = serverFile('/etc/hosts');
  private readonly hostsOriginal: string;
  private readonly removeHosts: () => void;
  private readonly log: string;

  constructor(
    private readonly subs: Substitutions,
    readonly port: number,
  ) {
    fs.chmodSync(this.root, 0o755);
    const uid = serverUid('redis');
    this.pods = Array.from({ length: this.sts.replicas }, (_, i) => `redis-${i}`);
    const tpl = renderedRedisAuthTemplate();
    const aclDir = path.join(this.root, 'acl');
    fs.mkdirSync(aclDir, { mode: 0o700 });
    const own = (f: string) => fs.chownSync(f, uid, uid);
    own(aclDir);
    for (const [name, from] of [['users.acl', tpl['users.acl']], ['replication.conf', tpl['replication.conf']]]) {
      fs.writeFileSync(path.join(aclDir, name), fillTemplate(from, REDIS_TEST_PASSWORDS), { mode: 0o600 });
      own(path.join(aclDir, name));
    }
    subs.add(`ExternalSecret redis-auth template: {{ .default }}, {{ .app }}, {{ .exporter }}, {{ .replication }} filled with test passwords (Secrets Manager in the cluster); users.acl and replication.conf written to ${aclDir} instead of the Secret volume /etc/redis/acl`);
    this.defaultAuth = { user: 'default', password: fillTemplate(tpl.DEFAULT_PASSWORD, REDIS_TEST_PASSWORDS) };

    const zones = path.join(this.root, 'zones.txt');
    fs.writeFileSync(zones, this.files['zones.txt']);
    const cidrs = this.files['zones.txt'].trim().split('\n').map((l) => l.split(/\s+/));
    const must = (text: string, from: string, to: string, file: string) => {
      if (!text.includes(from)) throw new Error(`rendered ${file} no longer has "${from}": update the substitutions`);
      return text.split(from).join(to);
    };
    const startArgv: Record<string, string[]> = {};
    for (const [i, pod] of this.pods.entries()) {
      const dir = path.join(this.root, 'pods', pod);
      const data = path.join(dir, 'data');
      fs.mkdirSync(data, { recursive: true });
      own(dir);
      own(data);
      let conf = this.files['redis.conf'];
      conf = must(conf, `\nport 6379\n`, `\nport ${port}\n`, 'redis.conf');
      conf = must(conf, `\nbind 0.0.0.0\n`, `\nbind __POD_IP__\nbind-source-addr __POD_IP__\n`, 'redis.conf');
      conf = must(conf, `\ndir /data\n`, `\ndir ${data}\n`, 'redis.conf');
      conf = must(conf, `\ncluster-config-file /data/nodes.conf\n`, `\ncluster-config-file ${data}/nodes.conf\n`, 'redis.conf');
      conf = must(conf, `\naclfile /etc/redis/acl/users.acl\n`, `\naclfile ${aclDir}/users.acl\n`, 'redis.conf');
      conf = must(conf, `\ninclude /etc/redis/acl/replication.conf\n`, `\ninclude ${aclDir}/replication.conf\n`, 'redis.conf');
      fs.writeFileSync(path.join(dir, 'redis.conf.template'), conf);
      let start = this.files['start.sh'];
      start = must(start, 'redis-server /etc/redis/redis.conf', `redis-server ${dir}/redis.conf`, 'start.sh');
      start = must(start, '/etc/redis/zones.txt', zones, 'start.sh');
      start = must(start, '/data/', `${data}/`, 'start.sh');
      fs.writeFileSync(path.join(dir, 'start.sh'), start);
      const [cidr, zone] = cidrs[i % cidrs.length];
      const base = cidr.split('/')[0].split('.').map(Number);
      const hostIp = [...base.slice(0, 3), base[3] + 10].join('.');
      startArgv[pod] = serverArgv('/bin/sh', [path.join(dir, 'start.sh')], { user: 'redis', env: { POD_NAME: pod, HOST_IP: hostIp } }).flat();
      subs.add(`${pod}: HOST_IP (Downward API status.hostIP) = ${hostIp}, an address in ${zone}'s private subnet ${cidr} (zone topology spread puts redis-0..5 in zones a b c a b c)`);
    }
    subs.add(`redis.conf: port ${port} instead of 6379 on every pod (cluster bus ${port + 10000}: port + 10000, as rendered); a free port, the machine is shared`);
    subs.add('redis.conf: "bind <pod address>" + "bind-source-addr <pod address>" instead of "bind 0.0.0.0": on loopback every 127/8 address reaches a listener bound to 0.0.0.0 and outgoing connections leave from 127.0.0.1, so with the rendered line a stale address in nodes.conf would still reach the node (the restart-with-new-IPs defect could not show) and peers would learn 127.0.0.1. In a pod 0.0.0.0 is the pod IP, which is also the source of its connections');
    subs.add(`redis.conf: dir and cluster-config-file ${this.root}/pods/<pod>/data instead of the volume /data`);
    subs.add('start.sh: run as rendered by /bin/sh as the redis user of the server filesystem, with /data/ -> the pod directory, /etc/redis/redis.conf -> the pod\'s substituted redis.conf, /etc/redis/zones.txt -> a copy of the rendered zones.txt');
    subs.add(`cluster DNS: the pods' names (<pod>.${this.domain}) resolve through a marked block in the server filesystem's /etc/hosts to loopback addresses 127.31.0.x; a re-created pod gets a new address, as a pod IP changes`);

    // The stand-ins.
    const job = renderedBootstrapJob();
    const auth = job.env.REDISCLI_AUTH;
    if (auth?.secretName !== 'redis-auth' || !auth.secretKey || !tpl[auth.secretKey]) throw new Error(`the Job's REDISCLI_AUTH does not come from redis-auth: ${JSON.stringify(auth)}`);
    const nodes = must(job.env.NODES.value!, ':6379', `:${port}`, 'bootstrap Job NODES');
    const bootstrapCopy = path.join(this.root, 'bootstrap.sh');
    fs.writeFileSync(bootstrapCopy, this.files[job.command[1].split('/').pop()!]);
    const jobArgv = serverArgv('/bin/sh', [bootstrapCopy], { user: 'redis', env: { NODES: nodes, REPLICAS: job.env.REPLICAS.value!, REDISCLI_AUTH: fillTemplate(tpl[auth.secretKey], REDIS_TEST_PASSWORDS) } }).flat();
    subs.add(`bootstrap Job (${path.relative(REPO, job.file)}): its command /bin/sh ${job.command[1]} run on a copy of the rendered bootstrap.sh as the redis user, env NODES with :${port} for :6379, REPLICAS ${job.env.REPLICAS.value} as rendered, REDISCLI_AUTH = the test default password`);
    const execPrefix = serverArgv('CMD', [], { user: 'redis' }).flat().slice(0, -1);
    const cliPrefix = serverArgv('redis-cli', [], { user: 'redis', env: { REDISCLI_AUTH: this.defaultAuth.password } }).flat();
    this.log = path.join(this.root, 'standin.log');
    const cfg: StandinConfig = {
      root: this.root,
      log: this.log,
      namespace: this.namespace,
      domain: this.domain,
      port,
      pods: this.pods,
      selector: Object.entries(this.sts.selector).map(([k, v]) => `${k}=${v}`).find((s) => s.startsWith('app.kubernetes.io/name='))!,
      hostsFile: this.hostsFile,
      hostsBegin: HOSTS_BEGIN,
      hostsEnd: HOSTS_END,
      ipPrefix: '127.31.0.',
      graceSeconds: this.sts.grace,
      defaultPassword: this.defaultAuth.password,
      startArgv,
      execPrefix,
      cliPrefix,
      redisUid: uid,
      job: { name: job.name, file: job.file, argv: jobArgv },
    };
    fs.writeFileSync(path.join(this.root, 'standin.json'), JSON.stringify(cfg, null, 1));
    this.standin = path.join(this.root, 'standin.js');
    // __name: the helper esbuild-based runners (tsx) insert to keep function names; swc (jest, ts-node) inserts none.
    fs.writeFileSync(this.standin, `// Written by tests/real-servers/redis-support.ts\nconst __name = (f) => f;\n(${standinMain.toString()})(require(${JSON.stringify(path.join(this.root, 'standin.json'))}), process.argv.slice(2));\n`);
    this.binDir = path.join(this.root, 'bin');
    fs.mkdirSync(this.binDir);
    fs.writeFileSync(path.join(this.binDir, 'kubectl'), `#!/bin/sh\nexec ${q(process.execPath)} ${q(this.standin)} "$@"\n`, { mode: 0o755 });
    // A runbook command runs redis-cli in a pod (kubectl exec), never on the operator's machine.
    fs.writeFileSync(path.join(this.binDir, 'redis-cli'), '#!/bin/sh\necho "redis-cli on the operator machine: runbook commands run it in a pod (kubectl exec)" >&2\nexit 127\n', { mode: 0o755 });

    // Cluster DNS: the marked block (empty until pods start; the stand-in edits only inside it).
    this.hostsOriginal = fs.readFileSync(this.hostsFile, 'utf8');
    if (this.hostsOriginal.includes(HOSTS_BEGIN)) throw new Error(`${this.hostsFile} already has a "${HOSTS_TAG}" block (an earlier run did not clean up?)`);
    this.removeHosts = addHosts(HOSTS_TAG, []);
  }

  private pod(...args: string[]): void {
    execFileSync(process.execPath, [this.standin, 'pod', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  }

  /** Starts a pod (at a new address unless given; its DNS record updated unless `dns` is false) and waits for PING. */
  async up(pod: string, opts: { ip?: string; dns?: boolean } = {}): Promise<void> {
    this.pod('up', pod, ...(opts.ip ? [`--ip=${opts.ip}`] : []), ...(opts.dns === false ? ['--no-dns'] : []));
    await this.waitAnswering([pod]);
  }

  async waitAnswering(pods: string[]): Promise<void> {
    for (const pod of pods) {
      await waitFor(`${pod} answers PING`, async () => (await redisCall(this.addr(pod), this.defaultAuth, 'PING')) === 'PONG', 30_000, 100).catch((e) => {
        throw new Error(`${String(e)}\n--- ${pod} log ---\n${this.podLog(pod).slice(-4000)}`);
      });
    }
  }

  /** Starts pods together, each at a new address; every DNS record is updated first unless `dns` is false. */
  async upAll(pods: string[], opts: { dns?: boolean } = {}): Promise<void> {
    this.pod('up-all', ...pods, ...(opts.dns === false ? ['--no-dns'] : []));
    await this.waitAnswering(pods);
  }

  /** Stops pods as the kubelet does (SIGTERM, SIGKILL after the grace period), all at once. */
  down(pods: string[]): void {
    this.pod('down', ...pods);
  }

  kill9(pod: string): void {
    this.pod('kill', pod);
  }

  /** kill -9, and the pod's volume is gone: it cannot start until its claim is deleted (runbook "Replace a lost node"). */
  lose(pod: string): void {
    this.pod('lose', pod);
  }

  setDns(pod: string, ip: string): void {
    this.pod('dns', pod, ip);
  }

  ip(pod: string): string {
    return fs.readFileSync(path.join(this.root, 'pods', pod, 'ip'), 'utf8').trim();
  }

  addr(pod: string): string {
    return `${this.ip(pod)}:${this.port}`;
  }

  hostname(pod: string): string {
    return `${pod}.${this.domain}`;
  }

  running(pod: string): boolean {
    return fs.existsSync(path.join(this.root, 'pods', pod, 'sid'));
  }

  livePods(): string[] {
    return this.pods.filter((p) => this.running(p));
  }

  podLog(pod: string): string {
    const f = path.join(this.root, 'pods', pod, 'redis.log');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
  }

  dataDir(pod: string): string {
    return path.join(this.root, 'pods', pod, 'data');
  }

  /** What the server filesystem's /etc/hosts says now (the test's block): hostname -> address. */
  resolve = (host: string): string => {
    for (const line of fs.readFileSync(this.hostsFile, 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 2 && !f[0].startsWith('#') && f.slice(1).includes(host)) return f[0];
    }
    return host;
  };

  /** The pod whose announced hostname (or address) is in a CLUSTER NODES entry. */
  podOf(n: ClusterNode): string {
    return n.hostname.split('.')[0];
  }

  /** A rendered directive's value (first occurrence), e.g. conf('cluster-node-timeout'). */
  conf(name: string): string | undefined {
    const line = this.files['redis.conf'].split('\n').find((l) => l.trim().split(/\s+/)[0] === name);
    return line?.trim().slice(name.length).trim();
  }

  cluster(auth: Auth): ClusterClient {
    return new ClusterClient(this.livePods().map((p) => this.addr(p)), auth, this.resolve);
  }

  async clusterNodes(pod: string): Promise<ClusterNode[]> {
    return parseClusterNodes((await redisCall(this.addr(pod), this.defaultAuth, 'CLUSTER', 'NODES')) as string);
  }

  async clusterInfo(pod: string): Promise<Record<string, string>> {
    return parseInfo((await redisCall(this.addr(pod), this.defaultAuth, 'CLUSTER', 'INFO')) as string);
  }

  async info(pod: string, section: string): Promise<Record<string, string>> {
    return parseInfo((await redisCall(this.addr(pod), this.defaultAuth, 'INFO', section)) as string);
  }

  /** Every pod: cluster_state:ok, all slots, every pod known and connected at its current address, replicas in sync. */
  async healthy(pods = this.pods): Promise<boolean> {
    for (const p of pods) {
      const info = await this.clusterInfo(p);
      if (info.cluster_state !== 'ok' || info.cluster_slots_ok !== '16384' || info.cluster_known_nodes !== String(pods.length)) return false;
      for (const n of await this.clusterNodes(p)) {
        const self = n.flags.includes('myself');
        if (n.failed || (!self && n.link !== 'connected') || n.ip !== this.ip(this.podOf(n))) return false;
      }
      const repl = await this.info(p, 'replication');
      if (repl.role === 'slave' && repl.master_link_status !== 'up') return false;
    }
    return true;
  }

  /** Runs the rendered bootstrap Job's command as the Job does (the stand-in's apply runs the same argv). */
  runBootstrap(timeoutMs = 300_000): BootstrapRun {
    const cfg: StandinConfig = JSON.parse(fs.readFileSync(path.join(this.root, 'standin.json'), 'utf8'));
    const r = spawnSync(cfg.job.argv[0], cfg.job.argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
    if (r.error) throw new Error(`bootstrap.sh: ${r.error.message}\n${r.stdout}\n${r.stderr}`);
    const replicaOf: Record<string, string> = {};
    const primaries: string[] = [];
    for (const line of (r.stdout ?? '').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f[0] === 'replica' && f.length === 3) replicaOf[f[1]] = f[2];
      if (f[0] === 'primary' && f.length === 2) primaries.push(f[1]);
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, replicaOf, primaries };
  }

  /**
   * Runs runbook blocks as the runbook says: `sh -eu`, the redis-env block first, then `names` in order, with `vars`
   * in the environment; kubectl (and `extraBin` commands) are the stand-ins. The only change to a block: PORT.
   */
  runRunbook(names: string[], vars: Record<string, string>, extraBin: Record<string, string> = {}): RunbookRun {
    const blocks = runbookBlocks();
    for (const n of ['redis-env', ...names]) if (!blocks.has(n)) throw new Error(`docs/runbooks/redis.md has no block "sh test=${n}"`);
    const env = blocks.get('redis-env')!;
    if (!/^PORT=6379$/m.test(env)) throw new Error('the redis-env block no longer sets PORT=6379: update the substitution');
    this.subs.add(`runbook block redis-env: PORT=${this.port} instead of PORT=6379 (the test pods' port); nothing else in any block is changed`);
    for (const [name, body] of Object.entries(extraBin)) fs.writeFileSync(path.join(this.binDir, name), body, { mode: 0o755 });
    const script = [env.replace(/^PORT=6379$/m, `PORT=${this.port}`), ...names.map((n) => blocks.get(n)!)].join('\n');
    const home = fs.mkdtempSync(path.join(this.root, 'operator-'));
    const logLines = () => (fs.existsSync(this.log) ? fs.readFileSync(this.log, 'utf8').split('\n') : []);
    const seen = logLines().length - 1;
    const r = spawnSync('/bin/sh', ['-eu', '-c', script], { cwd: REPO, encoding: 'utf8', timeout: 900_000, env: { PATH: `${this.binDir}:/usr/bin:/bin`, HOME: home, ...vars } });
    const calls = logLines().slice(Math.max(seen, 0)).filter((l) => l);
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', calls };
  }

  /**
   * The backup CronJob's snapshot init container as rendered (/bin/sh /etc/redis/snapshot.sh, env SEED,
   * REPLICATION_PASSWORD, REDISCLI_AUTH from redis-auth) on a copy of the rendered snapshot.sh, writing to `dir`
   * (the Job's /backup emptyDir), as the redis user.
   */
  runSnapshot(dir: string): { status: number | null; stdout: string; stderr: string } {
    const c = renderedBackupCronJob().snapshot;
    const tpl = renderedRedisAuthTemplate();
    const secret = (name: string) => {
      const e = c.env[name];
      if (e?.secretName !== 'redis-auth' || !e.secretKey || !tpl[e.secretKey]) throw new Error(`snapshot container ${name} does not come from redis-auth`);
      return fillTemplate(tpl[e.secretKey], REDIS_TEST_PASSWORDS);
    };
    const script = path.join(this.root, 'snapshot.sh');
    const text = this.files[c.command[1].split('/').pop()!];
    if (!text.includes('/backup/')) throw new Error('snapshot.sh no longer writes to /backup/');
    fs.writeFileSync(script, text.split('/backup/').join(`${dir}/`));
    const seed = c.env.SEED.value!;
    if (!seed.endsWith(':6379')) throw new Error(`SEED ${seed}`);
    this.subs.add(`backup CronJob snapshot container: /bin/sh ${c.command[1]} on a copy of the rendered snapshot.sh with /backup/ -> ${dir}/, as the redis user; SEED ${seed.replace(/:6379$/, `:${this.port}`)}; REPLICATION_PASSWORD and REDISCLI_AUTH = the test passwords`);
    const r = runServerStatus('/bin/sh', [script], { user: 'redis', env: { SEED: seed.replace(/:6379$/, `:${this.port}`), REPLICATION_PASSWORD: secret('REPLICATION_PASSWORD'), REDISCLI_AUTH: secret('REDISCLI_AUTH') }, timeoutMs: 300_000 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /**
   * Stops every pod, removes the scratch root and the /etc/hosts block. `hostsRestored`: the file is byte-for-byte
   * what it was, apart from blocks other tests running at the same time keep there (`others`).
   */
  cleanup(): { hostsRestored: boolean; others: string[] } {
    try {
      this.pod('kill', ...this.pods);
    } catch {
      // best effort
    }
    this.removeHosts();
    fs.rmSync(this.root, { recursive: true, force: true });
    const now = fs.readFileSync(this.hostsFile, 'utf8');
    if (now === this.hostsOriginal) return { hostsRestored: true, others: [] };
    const block = /^# >>> real-server tier: (.+)\n[\s\S]*?^# <<< real-server tier: \1\n/gm;
    const others = [...now.matchAll(block)].map((m) => m[1]).filter((t) => t !== HOSTS_TAG);
    return { hostsRestored: now.replace(block, '') === this.hostsOriginal.replace(block, ''), others };
  }
}

export interface BootstrapRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The plan the script printed: replica -> primary, and the primaries. */
  replicaOf: Record<string, string>;
  primaries: string[];
}
