/**
 * Tier 4 support for Redis Cluster: starts Debian's redis-server with the rendered redis.conf (only ports and file
 * paths substituted, each recorded), fills the rendered ACL template of the ExternalSecret with test passwords, runs
 * the rendered bootstrap script exactly as the bootstrap Job does, and talks to the cluster through a small RESP2
 * client with cluster routing (CLUSTER SLOTS, MOVED/ASK) written here (no client library is a dependency).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { dataNamespace, freePort, renderedConfigMap, renderedObject, renderedObjectByLabel, Substitutions, waitFor } from './support';

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

/** One-shot command on a fresh connection. */
export async function redisCall(port: number, auth: Auth | undefined, ...args: (string | number)[]): Promise<Reply> {
  const c = await RespConnection.connect('localhost', port, auth);
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

  constructor(
    private seeds: string[],
    private readonly auth: Auth,
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
      c = RespConnection.connect(addr.slice(0, i), Number(addr.slice(i + 1)), this.auth);
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
// Rendered inputs and the node fleet
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

/** The bootstrap Job's container. */
export function renderedBootstrapJob(): { command: string[]; env: Record<string, { value?: string; secretKey?: string; secretName?: string }>; mounts: Record<string, string>; configMap: string } {
  // The Job's name carries a hash of its template (immutable): find it by its name label.
  const job = renderedObjectByLabel(dataNamespace(), 'Job', 'redis-bootstrap');
  const pod = job.spec.template.spec;
  const c = pod.containers[0];
  const env: Record<string, { value?: string; secretKey?: string; secretName?: string }> = {};
  for (const e of c.env ?? []) env[e.name] = { value: e.value, secretKey: e.valueFrom?.secretKeyRef?.key, secretName: e.valueFrom?.secretKeyRef?.name };
  const volumes = Object.fromEntries((pod.volumes ?? []).map((v: any) => [v.name, v]));
  const mounts = Object.fromEntries((c.volumeMounts ?? []).map((m: any) => [m.mountPath, m.name]));
  return { command: c.command, env, mounts, configMap: volumes[mounts['/etc/redis']]?.configMap?.name };
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** `n` ports p such that p and its cluster bus port p+10000 are free (on 0.0.0.0, where the rendered bind listens). */
export async function freeRedisPorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries > 500) throw new Error('could not find free port pairs (p, p+10000)');
    const p = await freePort();
    if (p + 10000 > 65535 || out.some((q) => Math.abs(q - p) === 10000 || q === p)) continue;
    if ((await portFree(p)) && (await portFree(p + 10000))) out.push(p);
  }
  return out;
}

export interface RedisNodeProcess {
  index: number;
  port: number;
  dir: string;
  log: string;
  proc: ChildProcess;
}

/**
 * Nodes from the rendered redis.conf. Every node has its own directory (dir, nodes.conf) under one scratch root;
 * the ACL file and the replication.conf include are the ExternalSecret template filled with test passwords.
 */
export class RedisFleet {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-cluster-'));
  readonly aclFile = path.join(this.root, 'acl', 'users.acl');
  readonly replicationConf = path.join(this.root, 'acl', 'replication.conf');
  readonly nodes = new Map<number, RedisNodeProcess>();
  readonly files = renderedRedisFiles();
  readonly defaultAuth: Auth;

  constructor(private readonly subs: Substitutions) {
    const tpl = renderedRedisAuthTemplate();
    fs.mkdirSync(path.dirname(this.aclFile), { mode: 0o700 });
    fs.writeFileSync(this.aclFile, fillTemplate(tpl['users.acl'], REDIS_TEST_PASSWORDS), { mode: 0o600 });
    fs.writeFileSync(this.replicationConf, fillTemplate(tpl['replication.conf'], REDIS_TEST_PASSWORDS), { mode: 0o600 });
    subs.add(`ExternalSecret redis-auth template: {{ .default }}, {{ .app }}, {{ .exporter }}, {{ .replication }} filled with test passwords (Secrets Manager in the cluster); written to ${path.dirname(this.aclFile)}`);
    this.defaultAuth = { user: 'default', password: fillTemplate(tpl.DEFAULT_PASSWORD, REDIS_TEST_PASSWORDS) };
  }

  /** A rendered directive's value (first occurrence), e.g. conf('cluster-node-timeout'). */
  conf(name: string): string | undefined {
    const line = this.files['redis.conf'].split('\n').find((l) => l.trim().split(/\s+/)[0] === name);
    return line?.trim().slice(name.length).trim();
  }

  /** The rendered redis.conf with only the port and file paths replaced; each replaced line must exist as rendered. */
  private nodeConf(port: number, dir: string): string {
    const replace: [RegExp, string, string][] = [
      [/^port 6379$/m, `port ${port}`, 'port 6379'],
      [/^dir \/data$/m, `dir ${dir}`, 'dir /data'],
      [/^cluster-config-file \/data\/nodes\.conf$/m, `cluster-config-file ${path.join(dir, 'nodes.conf')}`, 'cluster-config-file /data/nodes.conf'],
      [/^aclfile \/etc\/redis\/acl\/users\.acl$/m, `aclfile ${this.aclFile}`, 'aclfile /etc/redis/acl/users.acl'],
      [/^include \/etc\/redis\/acl\/replication\.conf$/m, `include ${this.replicationConf}`, 'include /etc/redis/acl/replication.conf'],
    ];
    let conf = this.files['redis.conf'];
    for (const [re, to, from] of replace) {
      if (!re.test(conf)) throw new Error(`rendered redis.conf no longer has "${from}": update the substitutions`);
      conf = conf.replace(re, to);
    }
    this.subs.add('port: a free loopback port per node instead of 6379 (cluster bus port+10000, the Redis default, as rendered)');
    this.subs.add(`dir and cluster-config-file: ${this.root}/node-<n>/data instead of /data`);
    this.subs.add(`aclfile and include: ${path.dirname(this.aclFile)}/ instead of /etc/redis/acl/ (the Secret volume)`);
    return conf;
  }

  /** Starts node `index` on `port`; its data dir is reused when it existed (a restart). */
  async start(index: number, port: number): Promise<RedisNodeProcess> {
    const dir = path.join(this.root, `node-${index}`, 'data');
    fs.mkdirSync(dir, { recursive: true });
    const confFile = path.join(this.root, `node-${index}`, `redis-${port}.conf`);
    fs.writeFileSync(confFile, this.nodeConf(port, dir));
    const log = path.join(this.root, `node-${index}`, 'redis.log');
    const out = fs.openSync(log, 'a');
    // start.sh passes --cluster-announce-hostname <pod>.redis-headless... and --cluster-announce-human-nodename <zone>.
    const proc = spawn('redis-server', [confFile, '--cluster-announce-hostname', 'localhost'], { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.subs.add('redis-server <rendered redis.conf> --cluster-announce-hostname localhost, not start.sh (which needs the Downward API HOST_IP/POD_NAME and passes --cluster-announce-human-nodename, a Redis 7.2+ option); cluster-preferred-endpoint-type hostname kept as rendered');
    this.subs.add('logfile "" kept as rendered (stdout), redirected to node-<n>/redis.log');
    const node: RedisNodeProcess = { index, port, dir, log, proc };
    this.nodes.set(index, node);
    let exited = false;
    proc.once('exit', () => (exited = true));
    await waitFor(`redis node ${index} on port ${port}`, async () => {
      if (exited) throw new Error(`redis-server exited:\n${fs.readFileSync(log, 'utf8')}`);
      return (await redisCall(port, this.defaultAuth, 'PING')) === 'PONG';
    }, 20_000, 100).catch((e) => {
      throw new Error(`${String(e)}\n--- ${log} ---\n${fs.readFileSync(log, 'utf8').slice(-4000)}`);
    });
    return node;
  }

  /** kill -9 a node's process and wait until it is gone. */
  async kill9(index: number): Promise<void> {
    const node = this.nodes.get(index);
    if (!node || node.proc.exitCode !== null || node.proc.signalCode !== null) return;
    const gone = new Promise((r) => node.proc.once('exit', r));
    node.proc.kill('SIGKILL');
    await gone;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((i) => this.kill9(i)));
  }

  removeFiles(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** CLUSTER NODES / CLUSTER INFO / INFO of the node on `port`, as the default user. */
  async clusterNodes(port: number): Promise<ClusterNode[]> {
    return parseClusterNodes((await redisCall(port, this.defaultAuth, 'CLUSTER', 'NODES')) as string);
  }

  async clusterInfo(port: number): Promise<Record<string, string>> {
    return parseInfo((await redisCall(port, this.defaultAuth, 'CLUSTER', 'INFO')) as string);
  }

  async info(port: number, section: string): Promise<Record<string, string>> {
    return parseInfo((await redisCall(port, this.defaultAuth, 'INFO', section)) as string);
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

/**
 * Runs the rendered bootstrap.sh as the Job does (`/bin/sh /etc/redis/bootstrap.sh`, env NODES, REPLICAS,
 * REDISCLI_AUTH), plus REDIS_ZONES (Redis 7.0 has no cluster-announce-human-nodename to read the zones from).
 */
export function runRenderedBootstrap(fleet: RedisFleet, env: { NODES: string; REPLICAS: string; REDISCLI_AUTH: string; REDIS_ZONES: string }, timeoutMs = 120_000): BootstrapRun {
  const script = path.join(fleet.root, 'bootstrap.sh');
  fs.writeFileSync(script, fleet.files['bootstrap.sh'], { mode: 0o755 });
  const r = spawnSync('/bin/sh', [script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: fleet.root, ...env }, encoding: 'utf8', timeout: timeoutMs });
  const replicaOf: Record<string, string> = {};
  const primaries: string[] = [];
  for (const line of (r.stdout ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'replica' && f.length === 3) replicaOf[f[1]] = f[2];
    if (f[0] === 'primary' && f.length === 2) primaries.push(f[1]);
  }
  if (r.error) throw new Error(`bootstrap.sh: ${r.error.message}\n${r.stdout}\n${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, replicaOf, primaries };
}
