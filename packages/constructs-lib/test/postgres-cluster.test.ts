import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENT_INPUTS, loadEnvironment } from '../src/environments';
import { dataWorkloadFootprints } from '../src/sizing/namespace-footprint';
import {
  commandScript,
  dataTier,
  bytes,
  groupPids,
  killGroup,
  pathWith,
  pgBytes,
  readLog,
  runScript,
  scratch,
  sleepMs,
  startScript,
  stubBin,
  waitFor,
  writeScript,
  writeTls,
} from './postgres-support';

/**
 * Issue 13 (PostgreSQL render): the StatefulSet, its start scripts, the Patroni configuration, the bootstrap script and
 * the point-in-time restore job, built in memory. The scripts are taken from the rendered ConfigMaps and run by
 * /bin/sh against stub programs. Where the behaviour is PostgreSQL's own (a data directory's mode, recovery to a
 * target) the test starts a real server: those are in the real-server tier, tests/real-servers/postgres-cluster.test.ts.
 */

const prod = dataTier('production');
const ENVS = ENVIRONMENT_INPUTS.map((e) => e.name);

/** The rendered path of the Patroni configuration the postgres container mounts. */
function mountedPatroniYml(): string {
  const m = prod.container('postgres').volumeMounts.find((x: any) => prod.pod.volumes.find((v: any) => v.name === x.name)?.configMap?.name === 'postgres-patroni');
  return `${m.mountPath}/patroni.yml`;
}

/** Volumes backed by persistent storage: claim templates of a StatefulSet, and persistentVolumeClaim volumes. */
function persistentVolumeNames(owner: any, pod: any): string[] {
  return [...(owner.spec?.volumeClaimTemplates ?? []).map((t: any) => t.metadata.name), ...(pod.volumes ?? []).filter((v: any) => v.persistentVolumeClaim).map((v: any) => v.name)];
}

function podsOf(objects: any[]): { owner: any; pod: any }[] {
  return objects.flatMap((o) => {
    const pod = o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
    return pod ? [{ owner: o, pod }] : [];
  });
}

describe('1. PGDATA survives a pod re-creation (fsGroup)', () => {
  test.each(ENVS)('%s: every pod with fsGroup and a persistent data volume sets fsGroupChangePolicy OnRootMismatch', (env) => {
    const tier = env === 'production' ? prod : dataTier(env);
    const withData = podsOf(tier.objects).filter(({ owner, pod }) => pod.securityContext?.fsGroup !== undefined && persistentVolumeNames(owner, pod).length > 0);
    expect(withData.map(({ owner }) => `${owner.kind}/${owner.metadata.name}`).sort()).toEqual(['CronJob/postgres-pitr-restore', 'StatefulSet/postgres']);
    for (const { pod } of withData) expect(pod.securityContext.fsGroupChangePolicy).toBe('OnRootMismatch');
  });

  test("the postgres container's command is an executable start script from a mounted ConfigMap, not the image's Patroni", () => {
    const c = prod.container('postgres');
    const script = commandScript(prod, prod.pod, c);
    expect(script.text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script.mode & 0o555).toBe(0o555);
    // The data directory the script fixes is the one Patroni runs (the container's PGDATA = patroni.yml data_dir).
    expect(c.env.find((e: any) => e.name === 'PGDATA')?.value).toBe(prod.patroni.postgresql.data_dir);
  });

  test('start.sh sets a 2770 data directory (what kubelet leaves) back to 0700, then execs Patroni with the mounted patroni.yml', async () => {
    const dir = scratch('start');
    const log = path.join(dir, 'calls.log');
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    fs.chmodSync(data, 0o2770);
    const bin = stubBin(dir, log, {
      patroni: 'echo "patroni sees PGDATA=$PGDATA mode $(stat -c %a "$PGDATA")" >> "$LOG"\nexit 0',
      pg_ctl: 'exit 0',
    });
    const script = writeScript(dir, 'start.sh', commandScript(prod, prod.pod, prod.container('postgres')).text);
    const out = runScript(script, [], { PATH: pathWith(bin), PGDATA: data, TLS_DIR: path.join(dir, 'tls'), TLS_WATCH_SECONDS: '0.2' });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(readLog(log)).toEqual([`patroni ${mountedPatroniYml()}`, `patroni sees PGDATA=${data} mode 700`]);
  });

  test('start.sh leaves a missing data directory to Patroni (initdb or the replica restore creates it)', () => {
    const dir = scratch('start-empty');
    const log = path.join(dir, 'calls.log');
    const data = path.join(dir, 'data');
    const bin = stubBin(dir, log, { patroni: 'exit 0', pg_ctl: 'exit 0' });
    const script = writeScript(dir, 'start.sh', commandScript(prod, prod.pod, prod.container('postgres')).text);
    const out = runScript(script, [], { PATH: pathWith(bin), PGDATA: data, TLS_WATCH_SECONDS: '0.2' });
    expect(out.status).toBe(0);
    expect(fs.existsSync(data)).toBe(false);
    expect(readLog(log)).toEqual([`patroni ${mountedPatroniYml()}`]);
  });
});

describe('2. WAL from the repository for replicas; a point-in-time restore survives Patroni', () => {
  test('Patroni gets a restore_command (its only source for one) that reads the stanza archive_command writes', () => {
    const restore: string = prod.patroni.postgresql.recovery_conf?.restore_command;
    const archive: string = prod.patroni.bootstrap.dcs.postgresql.parameters.archive_command;
    const stanza = (cmd: string) => /--stanza=(\S+)/.exec(cmd)?.[1];
    expect(restore).toMatch(/^pgbackrest .*archive-get %f "%p"$/);
    expect(stanza(restore)).toBe(stanza(archive));
    // The config the command needs comes from the environment Patroni passes on (no --config in the command).
    const envConfig = prod.container('postgres').env.find((e: any) => e.name === 'PGBACKREST_CONFIG').value;
    expect(prod.configMapData('postgres-pgbackrest')[path.posix.basename(envConfig)]).toContain(`[${stanza(restore)}]`);
    // Recovery targets are never part of a member's configuration (Patroni blanks them for replicas anyway).
    expect(JSON.stringify(prod.patroni)).not.toMatch(/recovery_target/);
  });

  test('the restore job runs a script file from its ConfigMap that restores to PITR_TARGET', () => {
    const cj = prod.find('CronJob', 'postgres-pitr-restore');
    const pod = cj.spec.jobTemplate.spec.template.spec;
    const script = commandScript(prod, pod, pod.containers[0]);
    expect(script.text).toContain('pgbackrest --stanza=optibid --delta --type=time "--target=$PITR_TARGET" --target-action=promote restore');
  });
});

describe('3. rotated certificates are loaded by PostgreSQL and the pgBackRest TLS server', () => {
  const WATCH = '0.2';

  test.each([
    ['postgres', '/etc/postgres-tls', 'postgres-server-tls'],
    ['pgbackrest', '/etc/pgbackrest-tls', 'pgbackrest-server-tls'],
  ])('%s: the watched directory is the certificate Secret mounted whole (subPath mounts never see an update)', (container, dir, secret) => {
    const c = prod.container(container);
    const script = commandScript(prod, prod.pod, c).text;
    expect(script).toContain(`TLS_DIR="\${TLS_DIR:-${dir}}"`);
    const mount = c.volumeMounts.find((m: any) => m.mountPath === dir);
    expect(mount.subPath).toBeUndefined();
    expect(prod.pod.volumes.find((v: any) => v.name === mount.name).secret.secretName).toBe(secret);
  });

  test('start.sh: PostgreSQL is reloaded (pg_ctl reload) once after the Secret files change, not before, and the watcher ends with Patroni', async () => {
    const dir = scratch('tls-pg');
    const log = path.join(dir, 'calls.log');
    const tls = path.join(dir, 'tls');
    const data = path.join(dir, 'data');
    fs.mkdirSync(data, { mode: 0o700 });
    writeTls(tls, 'one');
    const bin = stubBin(dir, log, { patroni: 'while :; do sleep 0.05; done', pg_ctl: 'exit 0' });
    const script = writeScript(dir, 'start.sh', commandScript(prod, prod.pod, prod.container('postgres')).text);
    const p = startScript(script, { PATH: pathWith(bin), PGDATA: data, TLS_DIR: tls, TLS_WATCH_SECONDS: WATCH });
    try {
      await waitFor('patroni started', () => readLog(log).some((l) => l.startsWith('patroni ')));
      await sleepMs(1500);
      expect(readLog(log).filter((l) => l.startsWith('pg_ctl'))).toEqual([]);
      writeTls(tls, 'two');
      await waitFor('pg_ctl reload', () => readLog(log).includes(`pg_ctl reload -D ${data}`));
      await sleepMs(1500);
      expect(readLog(log).filter((l) => l.startsWith('pg_ctl'))).toEqual([`pg_ctl status -D ${data}`, `pg_ctl reload -D ${data}`]);
      process.kill(p.pid!, 'SIGTERM');
      await waitFor('no process of start.sh left', () => groupPids(p.pid!).length === 0);
    } finally {
      killGroup(p);
    }
  });

  test('start.sh: no pg_ctl reload while PostgreSQL is not running (it reads the new files when Patroni starts it)', async () => {
    const dir = scratch('tls-pg-down');
    const log = path.join(dir, 'calls.log');
    const tls = path.join(dir, 'tls');
    writeTls(tls, 'one');
    const bin = stubBin(dir, log, { patroni: 'while :; do sleep 0.05; done', pg_ctl: 'case "$1" in status) exit 3 ;; *) exit 0 ;; esac' });
    const script = writeScript(dir, 'start.sh', commandScript(prod, prod.pod, prod.container('postgres')).text);
    const p = startScript(script, { PATH: pathWith(bin), PGDATA: path.join(dir, 'data'), TLS_DIR: tls, TLS_WATCH_SECONDS: WATCH });
    try {
      await waitFor('patroni started', () => readLog(log).some((l) => l.startsWith('patroni ')));
      await sleepMs(1000); // the watcher has taken its first look
      writeTls(tls, 'two');
      await waitFor('pg_ctl status', () => readLog(log).some((l) => l.startsWith('pg_ctl status')));
      await sleepMs(1500);
      expect(readLog(log).filter((l) => l.startsWith('pg_ctl'))).toEqual([`pg_ctl status -D ${path.join(dir, 'data')}`]);
    } finally {
      killGroup(p);
    }
  });

  test('pgbackrest-server.sh: `pgbackrest server` is the main process, gets SIGHUP once per certificate change and SIGTERM directly', async () => {
    const dir = scratch('tls-br');
    const log = path.join(dir, 'calls.log');
    const tls = path.join(dir, 'tls');
    writeTls(tls, 'one');
    const bin = stubBin(dir, log, { pgbackrest: `trap 'echo HUP >> "$LOG"' HUP\ntrap 'echo TERM >> "$LOG"; exit 0' TERM\nwhile :; do sleep 0.05; done` });
    const script = writeScript(dir, 'pgbackrest-server.sh', commandScript(prod, prod.pod, prod.container('pgbackrest')).text);
    const p = startScript(script, { PATH: pathWith(bin), TLS_DIR: tls, TLS_WATCH_SECONDS: WATCH });
    try {
      await waitFor('the server started', () => readLog(log).includes('pgbackrest server'));
      await sleepMs(1500);
      expect(readLog(log)).toEqual(['pgbackrest server']);
      writeTls(tls, 'two');
      await waitFor('SIGHUP', () => readLog(log).includes('HUP'));
      writeTls(tls, 'three');
      await waitFor('a second SIGHUP', () => readLog(log).filter((l) => l === 'HUP').length === 2);
      await sleepMs(1500);
      expect(readLog(log)).toEqual(['pgbackrest server', 'HUP', 'HUP']);
      process.kill(p.pid!, 'SIGTERM');
      await waitFor('SIGTERM reached the server', () => readLog(log).includes('TERM'));
      await waitFor('no process of pgbackrest-server.sh left', () => groupPids(p.pid!).length === 0);
    } finally {
      killGroup(p);
    }
  });
});

describe('4. the stanza exists from the bootstrap on', () => {
  const postBootstrap = prod.configMapData('postgres-init')['post-bootstrap.sh'];
  const initPath = `${prod.patroni.bootstrap.post_bootstrap.replace(/\/[^/]+$/, '')}/init.sql`;

  function run(pgbackrestBody: string) {
    const dir = scratch('post-bootstrap');
    const log = path.join(dir, 'calls.log');
    const bin = stubBin(dir, log, { pgbackrest: pgbackrestBody, psql: 'exit 0', sleep: 'exit 0' });
    const script = writeScript(dir, 'post-bootstrap.sh', postBootstrap);
    const passwords = Object.fromEntries(['APP', 'ANALYST', 'POOLER', 'MONITORING', 'BACKUP', 'ROLE_ADMIN', 'REWIND'].map((r) => [`${r}_PASSWORD`, `${r.toLowerCase()}-pw`]));
    return { out: runScript(script, ['postgres://postgres@/postgres'], { PATH: pathWith(bin), ...passwords }), calls: () => readLog(log) };
  }

  test('post-bootstrap.sh creates the stanza archive_command pushes to, before the init SQL', () => {
    const { out, calls } = run('exit 0');
    expect(out.status).toBe(0);
    const archive: string = prod.patroni.bootstrap.dcs.postgresql.parameters.archive_command;
    const stanza = /--stanza=\S+/.exec(archive)![0];
    const c = calls();
    expect(c[0]).toBe(`pgbackrest ${stanza} stanza-create`);
    expect(c[1]).toMatch(new RegExp(`^psql postgres://postgres@/postgres .* -f ${initPath}$`));
    expect(c).toHaveLength(2);
  });

  test('a stanza-create that keeps failing fails the bootstrap (after retries) and the init SQL never runs', () => {
    const { out, calls } = run('exit 28');
    expect(out.status).not.toBe(0);
    expect(calls().filter((l) => l.startsWith('psql'))).toEqual([]);
    expect(calls().filter((l) => l.endsWith('stanza-create')).length).toBeGreaterThan(1);
  });

  test('every variable post-bootstrap.sh reads is in the environment Patroni passes it (PATRONI_* are removed by Patroni)', () => {
    const c = prod.container('postgres');
    const secretName = c.envFrom.find((e: any) => e.secretRef).secretRef.name;
    const fromSecret = prod.find('ExternalSecret', secretName).spec.data.map((d: any) => d.secretKey as string);
    const available = new Set([...c.env.map((e: any) => e.name as string), ...fromSecret].filter((n) => !n.startsWith('PATRONI_')));
    const used = [...new Set([...postBootstrap.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]))];
    expect(used.length).toBeGreaterThan(3);
    expect(used.filter((v) => !available.has(v))).toEqual([]);
  });
});

describe('8. /dev/shm sized for PostgreSQL and inside the container limit', () => {
  // PostgreSQL defaults the rendered configuration does not change: max_parallel_workers 8,
  // max_parallel_workers_per_gather 2, hash_mem_multiplier 2.0 (a parallel hash table per participant).
  const PARALLEL = { workers: 8, perGather: 2, hashMemMultiplier: 2 };

  test.each(ENVS)('%s: a memory emptyDir with a sizeLimit at /dev/shm, above the runtime default, within the limit beside shared_buffers', (env) => {
    const tier = env === 'production' ? prod : dataTier(env);
    const c = tier.container('postgres');
    const mount = c.volumeMounts.find((m: any) => m.mountPath === '/dev/shm');
    const vol = tier.pod.volumes.find((v: any) => v.name === mount.name);
    expect(vol.emptyDir.medium).toBe('Memory');
    const shm = bytes(vol.emptyDir.sizeLimit);
    const limit = bytes(c.resources.limits.memory);
    const params = tier.patroni.bootstrap.dcs.postgresql.parameters;
    // Its pages are charged to this container: with shared_buffers it must leave room for the backends.
    expect(shm + pgBytes(params.shared_buffers)).toBeLessThanOrEqual(limit / 2);
    expect(shm).toBeGreaterThan(64 * 2 ** 20);
    // Enough for every parallel worker the server may run, each with a parallel hash table of its query.
    const gathers = PARALLEL.workers / PARALLEL.perGather;
    const parallelHash = gathers * (PARALLEL.perGather + 1) * pgBytes(params.work_mem) * PARALLEL.hashMemMultiplier;
    expect(shm).toBeGreaterThanOrEqual(parallelHash);
    // No other container mounts it (it is charged to the postgres container's limit only).
    expect(tier.pod.containers.filter((x: any) => x.volumeMounts?.some((m: any) => m.name === mount.name)).map((x: any) => x.name)).toEqual(['postgres']);
  });

  test('the namespace sizing counts the pod by its container limits only: /dev/shm is inside the postgres limit, not added to it', () => {
    const config = loadEnvironment('production');
    const footprint = dataWorkloadFootprints(config).find((w) => w.name === 'postgres')!;
    const rendered = prod.pod.containers.reduce((a: number, c: any) => a + bytes(c.resources.limits.memory), 0);
    expect(bytes(footprint.resources.limits.memory)).toBe(rendered);
  });
});

describe('10. TimescaleDB is never skipped', () => {
  test('init.sql creates TimescaleDB unconditionally, with ON_ERROR_STOP (a server without it fails the bootstrap)', () => {
    const sql = prod.configMapData('postgres-init')['init.sql'];
    expect(sql).toMatch(/^\\set ON_ERROR_STOP on$/m);
    // No psql conditional anywhere: every statement runs on every server.
    expect(sql).not.toMatch(/^\s*\\(if|elif|else|endif)\b/m);
    expect(sql.match(/^CREATE EXTENSION IF NOT EXISTS timescaledb;$/gm)).toHaveLength(1);
    expect(prod.patroni.bootstrap.dcs.postgresql.parameters.shared_preload_libraries.split(',')).toContain('timescaledb');
  });
});

describe("11. Patroni's DCS mode, its RBAC and the Services agree", () => {
  test.each(ENVS)('%s: ConfigMaps mode: Services select the role label Patroni sets, the Role has no endpoints rights', (env) => {
    const tier = env === 'production' ? prod : dataTier(env);
    const k = tier.patroni.kubernetes;
    const role = tier.find('Role', 'patroni');
    const resources = role.rules.flatMap((r: any) => r.resources);
    const rw = tier.find('Service', 'postgres');
    const ro = tier.find('Service', 'postgres-replicas');
    expect(k.use_endpoints).toBe(false);
    expect(k.bypass_api_service ?? false).toBe(false);
    expect(resources).not.toContain('endpoints');
    expect(resources).toEqual(expect.arrayContaining(['configmaps', 'pods']));
    expect(rw.spec.selector[k.role_label]).toBe(k.leader_label_value);
    expect(ro.spec.selector[k.role_label]).toBe(k.follower_label_value);
    // Patroni finds its pods by these labels: the pod template must carry them.
    const podLabels = tier.find('StatefulSet', 'postgres').spec.template.metadata.labels;
    expect(podLabels).toMatchObject({ ...k.labels, [k.scope_label]: tier.patroni.scope });
  });

  test('the runbook records the decision and uses no deprecated Endpoints API', () => {
    const runbook = fs.readFileSync(path.join(__dirname, '../../../docs/runbooks/postgres.md'), 'utf8');
    expect(runbook).toMatch(/use_endpoints/);
    expect(runbook).toMatch(/EndpointSlice/);
    expect(runbook).not.toMatch(/get endpoints\b/);
  });
});
