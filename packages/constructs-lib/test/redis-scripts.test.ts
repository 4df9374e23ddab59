import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadEnvironment } from '../src/environments';
import { platformNames } from '../src/naming/naming';
import { bootstrapScript, REDIS_AOF, REDIS_PATHS, REDIS_RESTORE_STAGED, redisConf, startScript } from '../src/k8s/redis/redis-files';

/**
 * The Redis container scripts, rendered in memory and run by /bin/sh against stand-ins for what they call
 * (getent, redis-server, redis-check-rdb, redis-cli, sleep: small scripts on PATH that record their calls). No Redis
 * runs here (tests/real-servers/redis.test.ts runs the scripts on Redis 8.0.2); these pin the file-level behaviour:
 * the nodes.conf repair of start.sh (defect 6), the staged restore as AOF base (defect 5) and the bootstrap's
 * repair of a formed cluster that is not ok (defect 6). Each fails on the scripts rendered before the fixes.
 */
const config = loadEnvironment('production');
const names = platformNames(config);
const input = { config, names };
const domain = `redis-headless.${names.namespaces.data}.svc.cluster.local`;

interface Sandbox {
  dir: string;
  data: string;
  calls: () => string[];
  /** Runs `script` with /data and /etc/redis mapped into the sandbox (`paths`: the script must use both). */
  run: (script: string, env?: Record<string, string>, paths?: boolean) => { status: number | null; stdout: string; stderr: string };
}

/** A scratch root with /data and /etc/redis mapped into it, and stand-ins on PATH. */
function sandbox(stubs: Record<string, string>): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-scripts-'));
  const data = path.join(dir, 'data');
  const conf = path.join(dir, 'etc-redis');
  const bin = path.join(dir, 'bin');
  for (const d of [data, conf, bin]) fs.mkdirSync(d);
  fs.writeFileSync(path.join(conf, 'zones.txt'), '10.0.0.0/19 us-west-2a\n');
  const record = `echo "$(basename "$0") $*" >> ${dir}/calls\n`;
  for (const [name, body] of Object.entries(stubs)) fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${record}${body}\n`, { mode: 0o755 });
  const localise = (script: string) => {
    for (const p of [REDIS_PATHS.data, REDIS_PATHS.config]) if (!script.includes(`${p}/`)) throw new Error(`the script no longer uses ${p}/`);
    return script.replaceAll(`${REDIS_PATHS.config}/`, `${conf}/`).replaceAll(`${REDIS_PATHS.data}/`, `${data}/`);
  };
  return {
    dir,
    data,
    calls: () => (fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n') : []),
    run: (script, env = {}, paths = true) => {
      const file = path.join(dir, 'script.sh');
      fs.writeFileSync(file, paths ? localise(script) : script);
      const r = spawnSync('/bin/sh', [file], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, STUB: dir, ...env }, timeout: 60_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

const START_ENV = { POD_NAME: 'redis-0', HOST_IP: '10.0.0.10' };
/** redis-server stand-in: records its arguments (the exec at the end of start.sh). */
const REDIS_SERVER = 'exit 0';
const NO_SLEEP = 'exit 0';

// A nodes.conf as Redis 8.0.2 writes it (clusterGenNodesDescription with aux fields: hostname, then key=value).
const id = (c: string) => c.repeat(40);
const NODES_CONF = [
  `${id('a')} 10.0.1.10:6379@16379,redis-0.${domain},tls-port=0,shard-id=${id('1')} myself,master - 0 0 1 connected 0-5460`,
  `${id('b')} 10.0.2.20:6379@16379,redis-1.${domain},tls-port=0,shard-id=${id('2')} master - 0 1767225600000 2 connected 5461-10922`,
  `${id('c')} 10.0.3.30:6379@16379,redis-2.${domain},tls-port=0,shard-id=${id('3')} master - 0 1767225600000 3 connected 10923-16383`,
  `${id('d')} 10.0.1.40:6379@16379,redis-3.${domain},tls-port=0,shard-id=${id('2')} slave ${id('b')} 0 1767225600000 2 connected`,
  'vars currentEpoch 3 lastVoteEpoch 0',
  '',
].join('\n');
/** getent stand-in: new addresses for redis-1 and redis-2; redis-3 has no record (yet). */
const GETENT = `case "$2" in
  redis-1.${domain}) echo "10.0.2.99      STREAM redis-1.${domain}" ;;
  redis-2.${domain}) echo "10.0.3.99      STREAM redis-2.${domain}" ;;
  *) exit 2 ;;
esac`;

describe('start.sh', () => {
  test('points every peer at the address its announced hostname resolves to, clears its own, keeps the rest of every line', () => {
    const box = sandbox({ getent: GETENT, 'redis-server': REDIS_SERVER, sleep: NO_SLEEP });
    fs.writeFileSync(path.join(box.data, 'nodes.conf'), NODES_CONF);
    const r = box.run(startScript(input), START_ENV);
    expect(r.status).toBe(0);
    const lines = fs.readFileSync(path.join(box.data, 'nodes.conf'), 'utf8').split('\n');
    const before = NODES_CONF.split('\n');
    expect(lines).toEqual([
      before[0].replace('10.0.1.10:6379', ':6379'),
      before[1].replace('10.0.2.20:6379', '10.0.2.99:6379'),
      before[2].replace('10.0.3.30:6379', '10.0.3.99:6379'),
      // No record for redis-3 after the wait: its stored address is kept (gossip or the bootstrap Job fix it later).
      before[3],
      before[4],
      '',
    ]);
    expect(r.stderr).toContain(`nodes.conf: bbbbbbbb redis-1.${domain} 10.0.2.20 -> 10.0.2.99`);
    expect(r.stdout).toContain(`nodes.conf: keeping the stored address of redis-3.${domain}`);
    // It waited (up to 30 s: 15 x sleep 2) for the missing record before giving up, then started redis-server.
    const calls = box.calls();
    expect(calls.filter((c) => c === 'sleep 2')).toHaveLength(15);
    expect(calls[calls.length - 1]).toBe(`redis-server /etc/redis/redis.conf --cluster-announce-hostname redis-0.${domain} --cluster-announce-human-nodename us-west-2a`.replace('/etc/redis/', `${box.dir}/etc-redis/`));
  });

  test('leaves a fresh node (no nodes.conf) alone and does not wait for DNS', () => {
    const box = sandbox({ getent: 'exit 2', 'redis-server': REDIS_SERVER, sleep: NO_SLEEP });
    expect(box.run(startScript(input), START_ENV).status).toBe(0);
    expect(fs.existsSync(path.join(box.data, 'nodes.conf'))).toBe(false);
    expect(box.calls().map((c) => c.split(' ')[0])).toEqual(['redis-server']);
  });

  test('a staged snapshot becomes the AOF base named in the manifest; the previous AOF is kept aside', () => {
    // The file names follow the rendered redis.conf (appenddirname, appendfilename).
    const conf = redisConf(input);
    expect(conf).toContain(`appenddirname "${REDIS_AOF.dirname}"\n`);
    expect(conf).toContain(`appendfilename "${REDIS_AOF.filename}"\n`);
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(REDIS_AOF.base).toBe(`${REDIS_AOF.filename}.1.base.rdb`);
    expect(REDIS_AOF.manifest).toBe(`${REDIS_AOF.filename}.manifest`);

    const box = sandbox({ getent: 'exit 2', 'redis-server': REDIS_SERVER, sleep: NO_SLEEP, 'redis-check-rdb': 'head -c 5 "$1" | grep -q REDIS' });
    const aof = path.join(box.data, REDIS_AOF.dirname);
    fs.mkdirSync(aof);
    fs.writeFileSync(path.join(aof, REDIS_AOF.manifest), 'file appendonly.aof.7.base.rdb seq 7 type b\nfile appendonly.aof.9.incr.aof seq 9 type i\n');
    fs.writeFileSync(path.join(aof, 'appendonly.aof.9.incr.aof'), 'current data');
    const staged = REDIS_RESTORE_STAGED.replace(`${REDIS_PATHS.data}/`, `${box.data}/`);
    fs.mkdirSync(path.dirname(staged));
    fs.writeFileSync(staged, 'REDIS0012 snapshot');

    const r = box.run(startScript(input), START_ENV);
    expect(r.status).toBe(0);
    expect(fs.readdirSync(aof).sort()).toEqual([REDIS_AOF.base, REDIS_AOF.manifest]);
    expect(fs.readFileSync(path.join(aof, REDIS_AOF.manifest), 'utf8')).toBe(`file ${REDIS_AOF.base} seq 1 type b\n`);
    expect(fs.readFileSync(path.join(aof, REDIS_AOF.base), 'utf8')).toBe('REDIS0012 snapshot');
    expect(fs.existsSync(staged)).toBe(false);
    const kept = fs.readdirSync(box.data).filter((f) => f.startsWith(`${REDIS_AOF.dirname}.before-restore-`));
    expect(kept).toHaveLength(1);
    expect(fs.readFileSync(path.join(box.data, kept[0], 'appendonly.aof.9.incr.aof'), 'utf8')).toBe('current data');
    expect(r.stdout).toMatch(/restore: .*appendonly\.aof\.1\.base\.rdb \(18 bytes\) is the AOF base now/);
  });

  test('a staged file that is not an RDB stops the start and leaves the current AOF in place', () => {
    const box = sandbox({ getent: 'exit 2', 'redis-server': REDIS_SERVER, sleep: NO_SLEEP, 'redis-check-rdb': 'echo "--- RDB ERROR DETECTED ---"; exit 1' });
    const aof = path.join(box.data, REDIS_AOF.dirname);
    fs.mkdirSync(aof);
    fs.writeFileSync(path.join(aof, REDIS_AOF.manifest), 'current');
    const staged = REDIS_RESTORE_STAGED.replace(`${REDIS_PATHS.data}/`, `${box.data}/`);
    fs.mkdirSync(path.dirname(staged));
    fs.writeFileSync(staged, 'not a snapshot');
    const r = box.run(startScript(input), START_ENV);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('RDB ERROR DETECTED');
    expect(r.stderr).toContain('is not a valid RDB file: not starting');
    expect(fs.readFileSync(path.join(aof, REDIS_AOF.manifest), 'utf8')).toBe('current');
    expect(box.calls().some((c) => c.startsWith('redis-server'))).toBe(false);
  });
});

describe('bootstrap.sh', () => {
  const NODES = ['redis-0', 'redis-1', 'redis-2'].map((p) => `${p}.${domain}:6379`);
  /**
   * redis-cli stand-in for three formed nodes whose cluster_state is fail until every node has been MEET-ed by the
   * others (what stale nodes.conf addresses look like); `stranger` makes redis-2 an empty node unknown to the others.
   */
  const cli = (stranger = false) => `while [ $# -gt 0 ]; do case $1 in -h) h=$2; shift 2 ;; -p) shift 2 ;; *) break ;; esac; done
n=\${h%%.*}
case "$*" in
  ping) echo PONG ;;
  "cluster myid") echo "id-$n" ;;
  "cluster nodes") echo "id-redis-0 x myself,master - 0 0 1 connected 0-5460"; echo "id-redis-1 x master - 0 0 2 connected 5461-10922"; ${stranger ? '' : 'echo "id-redis-2 x master - 0 0 3 connected 10923-16383"'} ;;
  "cluster info")
    met=$(grep -c "cluster meet" "$STUB/calls")
    state=fail; [ "$met" -ge ${stranger ? 2 : 6} ] && [ "$n" != ${stranger ? 'redis-2' : 'none'} ] && state=ok
    printf 'cluster_state:%s\\r\\ncluster_slots_assigned:16384\\r\\ncluster_known_nodes:3\\r\\n' "$state" ;;
  "cluster meet "*) echo OK ;;
  *) echo "unexpected redis-cli $*" >&2; exit 3 ;;
esac`;
  const getent = `case "$2" in redis-0.*) echo "10.0.1.1 STREAM" ;; redis-1.*) echo "10.0.2.2 STREAM" ;; redis-2.*) echo "10.0.3.3 STREAM" ;; *) exit 2 ;; esac`;

  test('a formed cluster that is not ok is repaired: every member is MEET-ed by every other at its current address', () => {
    const box = sandbox({ 'redis-cli': cli(), getent, sleep: NO_SLEEP });
    const r = box.run(bootstrapScript(), { NODES: NODES.join(' '), REPLICAS: '0' }, false);
    expect(r.stdout).not.toContain('nothing to do');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toContain('cluster_state is not ok on:');
    expect(r.stdout).toContain('cluster re-formed: cluster_state:ok on every node');
    const meets = box.calls().filter((c) => c.includes('cluster meet')).map((c) => c.replace(/^redis-cli -h (\S+?)\.\S+ -p 6379 cluster meet/, '$1 meets'));
    expect(meets.sort()).toEqual(
      ['redis-1 meets 10.0.1.1 6379', 'redis-2 meets 10.0.1.1 6379', 'redis-0 meets 10.0.2.2 6379', 'redis-2 meets 10.0.2.2 6379', 'redis-0 meets 10.0.3.3 6379', 'redis-1 meets 10.0.3.3 6379'].sort(),
    );
  });

  test('a node the cluster does not know is not introduced: the script fails and names the runbook section', () => {
    const box = sandbox({ 'redis-cli': cli(true), getent, sleep: NO_SLEEP });
    const r = box.run(bootstrapScript(), { NODES: NODES.join(' '), REPLICAS: '0' }, false);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`not members of the cluster (empty nodes?): ${NODES[2]}; see docs/runbooks/redis.md, Replace a lost node`);
    expect(box.calls().filter((c) => c.includes('cluster meet') && c.includes('10.0.3.3'))).toEqual([]);
  });
});
