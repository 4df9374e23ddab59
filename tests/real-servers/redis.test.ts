import {
  ClusterClient,
  ClusterNode,
  freeRedisPorts,
  REDIS_TEST_PASSWORDS,
  RedisError,
  RedisFleet,
  redisCall,
  RespConnection,
  renderedBootstrapJob,
  runRenderedBootstrap,
  BootstrapRun,
  fillTemplate,
  renderedRedisAuthTemplate,
} from './redis-support';
import { Substitutions, waitFor } from './support';

/**
 * Real-server test: a 6-node Redis Cluster (3 primaries x 1 replica, the production topology) from the rendered
 * redis.conf and ACL template, formed by the rendered bootstrap.sh exactly as the bootstrap Job runs it; 10,000
 * session keys written with WAIT acknowledgement survive a kill -9 of a primary; the killed node rejoins as a
 * replica; the ACL users are confined; and the bootstrap is idempotent.
 */
const KEYS = 10_000;
const TTL_S = 3600;
const WAIT_TIMEOUT_MS = 1000;
const CHUNK = 500;
/** Three simulated zones, two nodes each, in NODES order: what zone topology spread gives redis-0..5 (a b c a b c). */
const ZONES = ['us-west-2a', 'us-west-2b', 'us-west-2c'];

const subs = new Substitutions();
let fleet: RedisFleet;
/** ports[0..5]: the six nodes; ports[6]: the port the killed node restarts on. */
let ports: number[];
const job = renderedBootstrapJob();
const app = { user: 'optibid_app', password: REDIS_TEST_PASSWORDS.app };
const exporter = { user: 'exporter', password: REDIS_TEST_PASSWORDS.exporter };

const addr = (port: number) => `localhost:${port}`;
const zoneOfIndex = (i: number) => ZONES[i % ZONES.length];
const indexOfPort = (port: number) => (port === ports[6] ? victim.index : ports.indexOf(port));
const zoneOfPort = (port: number) => zoneOfIndex(indexOfPort(port));
const nodesEnv = () => ports.slice(0, 6).map(addr).join(' ');
const livePorts = () => [...fleet.nodes.values()].filter((n) => n.proc.exitCode === null && n.proc.signalCode === null).map((n) => n.port);

/** State shared by the tests, in order. */
let firstRun: BootstrapRun;
const victim = { index: -1, id: '', port: 0, promotedId: '', promotedPort: 0 };
const figures: Record<string, string | number> = {};

/** Redis memory units as CONFIG GET prints them (1k = 1000, 1kb = 1024, ...). */
function normalizeValue(v: string): string {
  const m = /^(\d+)(k|kb|m|mb|g|gb)$/i.exec(v);
  if (!m) return v;
  const unit: Record<string, number> = { k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return String(Number(m[1]) * unit[m[2].toLowerCase()]);
}

function bootstrapEnv(nodes: string) {
  const tpl = renderedRedisAuthTemplate();
  const authKey = job.env.REDISCLI_AUTH?.secretKey;
  if (!authKey || job.env.REDISCLI_AUTH.secretName !== 'redis-auth' || !tpl[authKey]) throw new Error(`the Job's REDISCLI_AUTH does not come from redis-auth: ${JSON.stringify(job.env.REDISCLI_AUTH)}`);
  return {
    NODES: nodes,
    REPLICAS: job.env.REPLICAS.value!,
    REDISCLI_AUTH: fillTemplate(tpl[authKey], REDIS_TEST_PASSWORDS),
    REDIS_ZONES: ports.slice(0, 6).map((_, i) => zoneOfIndex(i)).join(' '),
  };
}

beforeAll(async () => {
  fleet = new RedisFleet(subs);
  ports = await freeRedisPorts(7);
  await Promise.all(ports.slice(0, 6).map((p, i) => fleet.start(i, p)));
}, 60_000);

afterAll(async () => {
  await fleet?.stopAll();
  fleet?.removeFiles();
  subs.report('redis');
  if (Object.keys(figures).length) console.log(`redis: figures:\n${Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
});

test('the rendered bootstrap.sh forms 3 primaries x 1 replica, every replica in another zone than its primary', async () => {
  // The Job as rendered: /bin/sh /etc/redis/bootstrap.sh from the redis-config ConfigMap, six NODES, REPLICAS.
  expect(job.command).toEqual(['/bin/sh', '/etc/redis/bootstrap.sh']);
  expect(job.configMap).toBe('redis-config');
  const renderedNodes = job.env.NODES.value!.split(/\s+/);
  expect(renderedNodes).toHaveLength(6);
  subs.add(`bootstrap Job: NODES "${renderedNodes[0]} ..." (6 pod DNS names) -> "localhost:<port> ..." (the 6 test nodes, same order); REPLICAS ${job.env.REPLICAS.value} as rendered; REDISCLI_AUTH = the test default password`);
  subs.add('bootstrap Job: the script is run from a scratch copy of the rendered bootstrap.sh with /bin/sh as root (the Job: /etc/redis/bootstrap.sh as uid 999, redis:7.4.11 image)');
  const env = bootstrapEnv(nodesEnv());
  subs.add(`REDIS_ZONES="${env.REDIS_ZONES}" (the script's documented override; production reads cluster-announce-human-nodename, which Redis 7.0 lacks)`);
  subs.add(`Redis ${String(((await fleet.info(ports[0], 'server')) as Record<string, string>).redis_version)} (Debian) instead of the rendered image redis:7.4.11`);

  firstRun = runRenderedBootstrap(fleet, env);
  console.log(`redis: bootstrap.sh (first run) exit ${firstRun.status}\n--- stdout ---\n${firstRun.stdout}\n--- stderr ---\n${firstRun.stderr}`);
  expect(firstRun.status).toBe(0);
  expect(firstRun.stdout).toContain('cluster formed:');

  // The script returns once the first primary reports ok; wait until every node agrees, knows every node's announced
  // hostname, and every replica has finished its initial sync (master_link_status:up).
  const settle = await waitFor('every node: cluster_state:ok, 16384 slots, 6 known nodes with hostnames, replicas in sync', async () => {
    for (const p of ports.slice(0, 6)) {
      const info = await fleet.clusterInfo(p);
      if (info.cluster_state !== 'ok' || info.cluster_slots_assigned !== '16384' || info.cluster_known_nodes !== '6') return false;
      if (!(await fleet.clusterNodes(p)).every((n) => n.hostname === 'localhost')) return false;
      const repl = await fleet.info(p, 'replication');
      if (repl.role === 'slave' && repl.master_link_status !== 'up') return false;
    }
    return true;
  }, 30_000);
  console.log(`redis: all nodes agreed and replicas were in sync ${settle.toFixed(1)} s after bootstrap.sh returned`);
  const info = await fleet.clusterInfo(ports[0]);
  expect(info).toMatchObject({ cluster_state: 'ok', cluster_slots_assigned: '16384', cluster_known_nodes: '6', cluster_size: '3' });

  const nodes = await fleet.clusterNodes(ports[0]);
  const masters = nodes.filter((n) => n.isMaster && n.slots.length > 0);
  expect(masters).toHaveLength(3);
  expect(nodes.every((n) => n.hostname === 'localhost')).toBe(true);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const describe = (n: ClusterNode) => `${addr(n.port)} (${zoneOfPort(n.port)})`;
  const layout = Object.fromEntries(masters.map((m) => [describe(m), nodes.filter((r) => r.master === m.id).map(describe)]));
  console.log(`redis: cluster layout (primary -> replicas):\n${Object.entries(layout).map(([p, r]) => `  ${p} -> ${r.join(', ') || 'NO REPLICA'}`).join('\n')}`);

  // The cluster is what the script's plan printed.
  const actualReplicaOf = Object.fromEntries(nodes.filter((n) => !n.isMaster).map((r) => [addr(r.port), addr(byId.get(r.master)!.port)]));
  expect(actualReplicaOf).toEqual(firstRun.replicaOf);
  expect(masters.map((m) => addr(m.port)).sort()).toEqual([...firstRun.primaries].sort());

  // No replica in its primary's zone.
  const sameZone = nodes.filter((r) => !r.isMaster && zoneOfPort(r.port) === zoneOfPort(byId.get(r.master)!.port)).map(describe);
  expect(sameZone).toEqual([]);

  // Redis 7.0 started with every rendered directive (it refuses unknown ones at startup); the values are as rendered.
  const substituted = new Set(['port', 'dir', 'cluster-config-file', 'aclfile', 'include', 'logfile']);
  const differing: string[] = [];
  for (const raw of fleet.files['redis.conf'].split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const name = line.split(/\s+/)[0];
    if (substituted.has(name)) continue;
    const want = normalizeValue(line.slice(name.length).trim().replace(/^"(.*)"$/, '$1'));
    const got = (await redisCall(ports[0], fleet.defaultAuth, 'CONFIG', 'GET', name)) as string[];
    if (got.length < 2) differing.push(`${name}: unknown to this Redis`);
    else if (got[1] !== want) differing.push(`${name}: rendered "${want}", running "${got[1]}"`);
  }

  // Every primary has exactly REPLICAS (1) replica.
  const replicasPerPrimary = Object.fromEntries(Object.entries(layout).map(([p, r]) => [p, r.length]));
  // Checked together, so one failure does not hide the other.
  expect({ differingDirectives: differing, replicasPerPrimary }).toEqual({
    differingDirectives: [],
    replicasPerPrimary: Object.fromEntries(Object.keys(layout).map((p) => [p, Number(job.env.REPLICAS.value)])),
  });
});

test(`${KEYS} keys written with WAIT 1 as optibid_app survive kill -9 of a primary`, async () => {
  const before = await fleet.clusterNodes(ports[0]);
  const masters = before.filter((n) => n.isMaster && n.slots.length > 0);
  const replicasOf = (m: ClusterNode) => before.filter((r) => r.master === m.id);
  // The primary to kill: one with exactly one replica (one with any replica if the layout is unbalanced).
  const target = masters.find((m) => replicasOf(m).length === 1) ?? masters.find((m) => replicasOf(m).length > 0);
  if (!target) throw new Error('no primary has a replica: nothing can fail over');
  const promoted = replicasOf(target)[0];
  Object.assign(victim, { index: indexOfPort(target.port), id: target.id, port: target.port });

  const entries = new Map<string, string>();
  for (let i = 0; i < KEYS; i++) entries.set(`session:${String(i).padStart(5, '0')}`, `user-${i}-${Math.random().toString(36).slice(2)}`);
  const writer = new ClusterClient(ports.slice(0, 6).map(addr), app);
  const t0 = Date.now();
  const written = await writer.setWithWait(entries, TTL_S, { replicas: 1, timeoutMs: WAIT_TIMEOUT_MS, chunk: CHUNK });
  const writeSeconds = (Date.now() - t0) / 1000;
  writer.close();
  const perShard = Object.entries(written.byNode).map(([a, s]) => `  ${a}${a === addr(target.port) ? ' (to be killed)' : ''}: written ${s.written}, acknowledged ${s.acknowledged}, WAIT replies [${s.waitReplies.join(',')}]`);
  console.log(`redis: wrote ${written.written} keys (SET EX ${TTL_S}) in ${writeSeconds.toFixed(1)} s as optibid_app, WAIT 1 ${WAIT_TIMEOUT_MS} after every ${CHUNK}:\n${perShard.join('\n')}`);
  expect(written.written).toBe(KEYS);
  // The shard that fails over had its writes acknowledged (otherwise this test proves nothing for it).
  const victimShard = written.byNode[addr(target.port)];
  expect(victimShard.acknowledged).toBe(victimShard.written);
  expect(victimShard.written).toBeGreaterThan(0);

  // kill -9 the primary; wait for its replica's promotion and cluster_state:ok as seen from a surviving primary.
  const observer = masters.find((m) => m.id !== target.id)!;
  const nodeTimeoutMs = Number(fleet.conf('cluster-node-timeout'));
  const tKill = Date.now();
  await fleet.kill9(victim.index);
  let promotedAt = 0;
  await waitFor(`promotion of ${addr(promoted.port)} after kill -9 of ${addr(target.port)}`, async () => {
    const seen = await fleet.clusterNodes(observer.port);
    const p = seen.find((n) => n.id === promoted.id)!;
    if (!(p.isMaster && !p.failed && p.slots.length > 0)) return false;
    promotedAt ||= Date.now();
    const mine = await fleet.clusterInfo(promoted.port);
    return (await fleet.clusterInfo(observer.port)).cluster_state === 'ok' && mine.cluster_state === 'ok';
  }, 60_000, 100);
  const failoverSeconds = (Date.now() - tKill) / 1000;
  Object.assign(victim, { promotedId: promoted.id, promotedPort: promoted.port });
  const after = await fleet.clusterNodes(observer.port);
  expect(after.find((n) => n.id === target.id)!.flags).toContain('fail');
  expect(after.find((n) => n.id === promoted.id)!.slots).toEqual(target.slots);

  // Every acknowledged key is readable (through a fresh cluster client: new slot map).
  const reader = new ClusterClient(livePorts().map(addr), app);
  const values = await reader.getMany([...entries.keys()]);
  reader.close();
  const ackd = [...written.acknowledged];
  const readable = ackd.filter((k) => values.get(k) === entries.get(k));
  const missing = ackd.filter((k) => values.get(k) !== entries.get(k));
  const unackd = [...entries.keys()].filter((k) => !written.acknowledged.has(k));
  const unackdReadable = unackd.filter((k) => values.get(k) === entries.get(k));

  Object.assign(figures, {
    'cluster-node-timeout (rendered, ms)': nodeTimeoutMs,
    'failover: kill -9 -> replica promoted (s)': ((promotedAt - tKill) / 1000).toFixed(2),
    'failover: kill -9 -> promoted and cluster_state:ok on survivors (s)': failoverSeconds.toFixed(2),
    'keys written': written.written,
    'keys acknowledged by >= 1 replica (WAIT 1)': written.acknowledged.size,
    'acknowledged keys readable after failover': readable.length,
    'acknowledged keys missing after failover': missing.length,
    'unacknowledged keys (readable after failover)': `${unackd.length} (${unackdReadable.length})`,
  });
  console.log(
    `redis: FAILOVER ${failoverSeconds.toFixed(2)} s (kill -9 of ${addr(target.port)} -> ${addr(promoted.port)} promoted after ${((promotedAt - tKill) / 1000).toFixed(2)} s, cluster_state:ok; cluster-node-timeout ${nodeTimeoutMs} ms)\n` +
      `redis: KEYS written ${written.written}, acknowledged ${written.acknowledged.size}, readable after failover ${readable.length}, missing ${missing.length}; unacknowledged ${unackd.length} (readable ${unackdReadable.length})`,
  );
  expect(missing).toEqual([]);
  expect(readable.length).toBe(written.acknowledged.size);
  // A failover cannot start before the node timeout marks the primary failing; it must not take much longer either.
  expect(failoverSeconds).toBeGreaterThanOrEqual(nodeTimeoutMs / 1000);
  expect(failoverSeconds).toBeLessThan((3 * nodeTimeoutMs) / 1000 + 5);
});

test('the killed node restarts on another port with its nodes.conf and rejoins as a replica of the promoted node', async () => {
  expect(victim.promotedId).not.toBe('');
  const newPort = ports[6];
  subs.add(`the killed node restarts on port ${newPort} instead of ${victim.port} (same dir and nodes.conf); all nodes announce hostname "localhost", so gossip finds it by hostname + new port. Real pods keep their DNS name and port and change IP instead`);
  const t0 = Date.now();
  await fleet.start(victim.index, newPort);
  const observerPort = livePorts().find((p) => p !== newPort && p !== victim.promotedPort)!;
  await waitFor('the restarted node is a connected replica of the promoted node', async () => {
    for (const p of [observerPort, victim.promotedPort]) {
      const n = (await fleet.clusterNodes(p)).find((x) => x.id === victim.id);
      if (!n || n.isMaster || !n.flags.includes('slave') || n.failed || n.master !== victim.promotedId || n.link !== 'connected' || n.port !== newPort) return false;
    }
    const repl = await fleet.info(newPort, 'replication');
    return repl.role === 'slave' && repl.master_link_status === 'up' && repl.master_port === String(victim.promotedPort);
  }, 60_000, 200);
  const rejoinSeconds = (Date.now() - t0) / 1000;
  figures['restart on a new port -> replica of the promoted node, link up (s)'] = rejoinSeconds.toFixed(2);
  console.log(`redis: node ${victim.id.slice(0, 8)} restarted on ${newPort}: replica of ${addr(victim.promotedPort)} (master_link_status:up) after ${rejoinSeconds.toFixed(2)} s`);

  const myself = (await fleet.clusterNodes(newPort)).find((n) => n.flags.includes('myself'))!;
  expect(myself).toMatchObject({ id: victim.id, master: victim.promotedId, port: newPort });
  for (const p of livePorts()) {
    const info = await fleet.clusterInfo(p);
    expect({ port: p, state: info.cluster_state, slots: info.cluster_slots_ok, known: info.cluster_known_nodes }).toEqual({ port: p, state: 'ok', slots: '16384', known: '6' });
  }
});

test('ACL: no AUTH -> NOAUTH; optibid_app cannot CONFIG/FLUSHALL/DEBUG/KEYS; exporter cannot SET', async () => {
  const port = victim.promotedPort || ports[0];
  const errorOf = (r: unknown) => (r instanceof RedisError ? r.message : `not an error: ${JSON.stringify(r)}`);

  const anon = await RespConnection.connect('localhost', port);
  try {
    expect(errorOf(await anon.send(['GET', 'x']))).toMatch(/^NOAUTH /);
    expect(errorOf(await anon.send(['AUTH', 'optibid_app', 'wrong-password']))).toMatch(/^WRONGPASS /);
  } finally {
    anon.close();
  }

  const a = await RespConnection.connect('localhost', port, app);
  try {
    expect(errorOf(await a.send(['CONFIG', 'GET', 'maxmemory']))).toMatch(/^NOPERM .*'config\|get'/);
    expect(errorOf(await a.send(['FLUSHALL']))).toMatch(/^NOPERM .*'flushall'/);
    expect(errorOf(await a.send(['KEYS', '*']))).toMatch(/^NOPERM .*'keys'/);
    // DEBUG: Redis rejects it before the ACL check while enable-debug-command is "no" (the default, not rendered);
    // the ACL itself denies it too (ACL DRYRUN, as the default user).
    const debug = errorOf(await a.send(['DEBUG', 'SLEEP', '0']));
    expect(debug).toMatch(/^(NOPERM .*'debug'|ERR DEBUG command not allowed)/);
    const dry = await redisCall(port, fleet.defaultAuth, 'ACL', 'DRYRUN', 'optibid_app', 'DEBUG', 'SLEEP', '0');
    expect(String(dry)).toMatch(/no permissions to run the 'debug' command/);
    console.log(`redis: optibid_app DEBUG SLEEP 0 -> "${debug.slice(0, 60)}..."; ACL DRYRUN -> "${String(dry)}"`);
    // What the application needs still works.
    expect(Array.isArray(await a.call('CLUSTER', 'SLOTS'))).toBe(true);
    expect(await a.call('CLUSTER', 'INFO')).toMatch(/cluster_state:ok/);
  } finally {
    a.close();
  }
  const appCluster = new ClusterClient(livePorts().map(addr), app);
  try {
    await appCluster.refresh();
    expect(await appCluster.command('acl-probe', 'SET', 'acl-probe', 'v', 'EX', 60)).toBe('OK');
    expect(await appCluster.command('acl-probe', 'GET', 'acl-probe')).toBe('v');
  } finally {
    appCluster.close();
  }

  const e = await RespConnection.connect('localhost', port, exporter);
  try {
    expect(errorOf(await e.send(['SET', 'x', '1']))).toMatch(/^NOPERM .*'set'/);
    expect(errorOf(await e.send(['FLUSHALL']))).toMatch(/^NOPERM /);
    expect(await e.call('INFO', 'server')).toMatch(/redis_version:/);
    expect(await e.call('CONFIG', 'GET', 'maxmemory')).toEqual(['maxmemory', fleet.conf('maxmemory')]);
    expect(await e.call('CLUSTER', 'INFO')).toMatch(/cluster_state:ok/);
  } finally {
    e.close();
  }

  const r = await RespConnection.connect('localhost', port, { user: 'replication', password: REDIS_TEST_PASSWORDS.replication });
  try {
    expect(errorOf(await r.send(['GET', 'x']))).toMatch(/^NOPERM /);
  } finally {
    r.close();
  }
});

test('a second run of the bootstrap command prints "nothing to do", exits 0 and changes nothing', async () => {
  expect(firstRun?.status).toBe(0);
  const observer = livePorts()[0];
  const snapshot = async () =>
    Object.fromEntries(
      (await fleet.clusterNodes(observer))
        .map((n) => [n.id, `${n.isMaster ? 'master' : 'slave'} of ${n.master} slots ${n.slots.join(' ') || '-'}`] as const)
        .sort(([x], [y]) => x.localeCompare(y)),
    );
  const before = await snapshot();
  // NODES as the Job has it: the same six names; the restarted node's "name" (localhost:<port>) is its new address.
  const nodes = ports.slice(0, 6).map((_, i) => addr(fleet.nodes.get(i)!.port));
  subs.add(`second bootstrap run: NODES lists the restarted node at its new port ${ports[6]} (in production NODES is constant: the pod keeps its DNS name)`);
  const run = runRenderedBootstrap(fleet, bootstrapEnv(nodes.join(' ')), 30_000);
  console.log(`redis: bootstrap.sh (second run) exit ${run.status}\n${run.stdout}${run.stderr}`);
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/nothing to do/);
  expect(await snapshot()).toEqual(before);
  expect(Object.keys(before)).toHaveLength(6);
});
