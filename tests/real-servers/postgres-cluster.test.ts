import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { commandScript, renderedDataTier, stubBin, writeScript } from './script-support';
import { scratchDir, waitFor } from './support';
import { sleep as sleepMs } from './patroni-support';
import { PG_BIN, SERVER_ROOT } from './runtime';

/**
 * Issue 13 (PostgreSQL render), the parts that start a real PostgreSQL: the data directory mode the rendered start.sh
 * leaves, and the rendered point-in-time restore job against a real archive. Moved out of the unit tests of
 * constructs-lib (packages/constructs-lib/test/postgres-cluster.test.ts keeps the rest, against stubs). The scripts
 * are read from the rendered dist/ (script-support.ts), as every test of this tier reads its configuration. Needs
 * root and the server root's postgres user.
 */

const prod = renderedDataTier('production');
const inRoot = (cmd: string, args: string[]): [string, string[]] => (SERVER_ROOT ? ['chroot', [SERVER_ROOT, cmd, ...args]] : [cmd, args]);
const CAN_RUN_POSTGRES = process.getuid?.() === 0 && fs.existsSync(`${SERVER_ROOT}${PG_BIN}/initdb`) && spawnSync(...inRoot('id', ['-u', 'postgres'])).status === 0;
const describePostgres = CAN_RUN_POSTGRES ? describe : describe.skip;

describePostgres('1. PGDATA survives a pod re-creation (fsGroup): with PostgreSQL', () => {
  test('PostgreSQL refuses the 2770 data directory; started through start.sh it runs', () => {
    const dir = scratchDir('start-pg');
    fs.chmodSync(dir, 0o755);
    const data = path.join(dir, 'data');
    const sock = path.join(dir, 'run');
    fs.mkdirSync(sock);
    execFileSync(...inRoot('chown', ['-R', 'postgres:', dir]));
    const asPostgres = (cmd: string, args: string[], env: Record<string, string> = {}) =>
      spawnSync(...inRoot('runuser', ['-u', 'postgres', '--', 'env', `PATH=${PG_BIN}:/usr/bin:/bin`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args]), { encoding: 'utf8', timeout: 120_000 });
    expect(asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres']).status).toBe(0);
    const opts = `-c listen_addresses= -k ${sock}`;
    fs.chmodSync(data, 0o2770);
    const refused = asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'refused.log'), '-o', opts, '-w', '-t', '30', 'start']);
    expect(refused.status).not.toBe(0);
    expect(fs.readFileSync(path.join(dir, 'refused.log'), 'utf8')).toMatch(/data directory ".*" has invalid permissions/);

    const log = path.join(dir, 'calls.log');
    const bin = stubBin(dir, log, { patroni: `pg_ctl -D "$PGDATA" -l ${dir}/started.log -o '${opts}' -w -t 60 start && pg_ctl -D "$PGDATA" -w stop` });
    execFileSync(...inRoot('chown', ['-R', 'postgres:', bin, dir]));
    const script = writeScript(dir, 'start.sh', commandScript(prod, prod.pod, prod.container('postgres')).text);
    const started = asPostgres('/bin/sh', [script], { PATH: `${bin}:${PG_BIN}:/usr/bin:/bin`, PGDATA: data, TLS_DIR: path.join(dir, 'tls'), TLS_WATCH_SECONDS: '0.2' });
    expect(started.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'started.log'), 'utf8')).toMatch(/database system is ready to accept connections/);
  });
});

describePostgres('2. a point-in-time restore survives Patroni: with PostgreSQL', () => {
  // One source cluster for both cases: a base backup, then rows before the target, then rows after it, all WAL archived.
  const dir = CAN_RUN_POSTGRES ? scratchDir('pitr') : '';
  const arch = path.join(dir, 'archive');
  const base = path.join(dir, 'base');
  let target = '';
  const asPostgres = (cmd: string, args: string[], env: Record<string, string> = {}, timeout = 300_000) =>
    spawnSync(...inRoot('runuser', ['-u', 'postgres', '--', 'env', `PATH=${PG_BIN}:/usr/bin:/bin`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args]), { encoding: 'utf8', timeout });
  const ok = (r: ReturnType<typeof asPostgres>) => {
    if (r.status !== 0) throw new Error(`exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout.trim();
  };
  const pgbackrestStub = `case "$*" in *' restore') ;; *) exit 3 ;; esac
target=$(for a in "$@"; do case "$a" in --target=*) echo "\${a#--target=}" ;; esac; done)
# What pgBackRest's restore does (src/command/restore/restore.c), with a plain file archive: --delta (files replaced),
# the backup's files, recovery settings in postgresql.auto.conf, recovery.signal.
find "$PGDATA" -mindepth 1 -delete
cp -a ${base}/. "$PGDATA"/
{
echo "restore_command = 'cp ${arch}/%f \\"%p\\"'"
echo "recovery_target_time = '$target'"
echo "recovery_target_action = 'promote'"
} >> "$PGDATA/postgresql.auto.conf"
touch "$PGDATA/recovery.signal"`;

  beforeAll(async () => {
    fs.chmodSync(dir, 0o755);
    const src = path.join(dir, 'src');
    const sock = path.join(dir, 'src-run');
    for (const d of [arch, sock]) fs.mkdirSync(d);
    execFileSync(...inRoot('chown', ['-R', 'postgres:', dir]));
    ok(asPostgres('initdb', ['-D', src, '-A', 'trust', '-U', 'postgres']));
    const opts = `-c listen_addresses= -k ${sock} -p 5433 -c wal_level=replica -c archive_mode=on -c archive_command='cp %p ${arch}/%f'`;
    ok(asPostgres('pg_ctl', ['-D', src, '-l', path.join(dir, 'src.log'), '-o', opts, '-w', 'start']));
    const psql = (sql: string) => ok(asPostgres('psql', ['-h', sock, '-p', '5433', '-d', 'postgres', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql]));
    try {
      ok(asPostgres('pg_basebackup', ['-h', sock, '-p', '5433', '-D', base, '-X', 'stream', '-c', 'fast']));
      psql("CREATE TABLE probe (id int PRIMARY KEY, phase text NOT NULL); INSERT INTO probe SELECT g, 'before' FROM generate_series(1, 100) g");
      target = psql('SELECT now()::text');
      await sleepMs(1500);
      psql("INSERT INTO probe SELECT g, 'after' FROM generate_series(101, 150) g");
      const last = psql('SELECT pg_walfile_name(pg_switch_wal())');
      await waitFor(`${last} archived`, () => fs.existsSync(path.join(arch, last)), 60_000, 200);
    } finally {
      asPostgres('pg_ctl', ['-D', src, '-m', 'fast', '-w', 'stop']);
    }
  }, 300_000);

  function runRestore(name: string, pitrTarget: string) {
    const root = path.join(dir, name);
    const data = path.join(root, 'data');
    const run = path.join(root, 'run');
    fs.mkdirSync(run, { recursive: true });
    const log = path.join(root, 'calls.log');
    const bin = stubBin(root, log, { pgbackrest: pgbackrestStub });
    const cj = prod.find('CronJob', 'postgres-pitr-restore');
    const pod = cj.spec.jobTemplate.spec.template.spec;
    const script = writeScript(root, 'pitr-restore.sh', commandScript(prod, pod, pod.containers[0]).text);
    execFileSync(...inRoot('chown', ['-R', 'postgres:', root]));
    const out = asPostgres('/bin/sh', [script], { PATH: `${bin}:${PG_BIN}:/usr/bin:/bin`, PGDATA: data, PITR_RUN_DIR: run, PITR_TARGET: pitrTarget });
    return { out, data, run, root };
  }

  test('the restore job leaves a promoted, cleanly shut down cluster holding exactly the rows before the target, even once Patroni strips the recovery settings', () => {
    const { out, data, run, root } = runRestore('restored', target);
    if (out.status !== 0) throw new Error(`pitr-restore.sh exited ${out.status}:\n${out.stdout}\n${out.stderr}`);
    expect(out.stdout).toContain(`restored to ${target}`);
    // Recovery is over: no signal file left, a clean shutdown on a new timeline.
    expect(fs.existsSync(path.join(data, 'recovery.signal'))).toBe(false);
    expect(fs.existsSync(path.join(data, 'standby.signal'))).toBe(false);
    const control = ok(asPostgres('pg_controldata', [data]));
    expect(control).toMatch(/Database cluster state:\s+shut down\n/);
    expect(control).toMatch(/Latest checkpoint's TimeLineID:\s+2\n/);
    // What Patroni does to it (patroni/postgresql/config.py _sanitize_auto_conf): recovery parameters removed from
    // postgresql.auto.conf. Started then, it holds the target's data, not the archive's end.
    const auto = path.join(data, 'postgresql.auto.conf');
    fs.writeFileSync(auto, fs.readFileSync(auto, 'utf8').split('\n').filter((l) => !/^\s*(restore_command|recovery_target\w*)\s*=/.test(l)).join('\n'));
    ok(asPostgres('pg_ctl', ['-D', data, '-l', path.join(root, 'after.log'), '-o', `-c listen_addresses= -k ${run} -p 5434`, '-w', 'start']));
    try {
      const q = (sql: string) => ok(asPostgres('psql', ['-h', run, '-p', '5434', '-d', 'postgres', '-X', '-A', '-t', '-c', sql]));
      expect(q("SELECT count(*) FILTER (WHERE phase = 'before') || '/' || count(*) FILTER (WHERE phase = 'after') FROM probe")).toBe('100/0');
      expect(q('SELECT pg_is_in_recovery()')).toBe('f');
    } finally {
      asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    }
  });

  test('a target beyond the archive fails the job (no half-recovered directory handed on)', () => {
    const { out, data } = runRestore('beyond', '2999-01-01 00:00:00+00');
    expect(out.status).not.toBe(0);
    expect(`${out.stdout}\n${out.stderr}`).toMatch(/recovery ended before configured recovery target was reached/);
    expect(fs.existsSync(path.join(data, 'postmaster.pid'))).toBe(false);
  });
});
