import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pgrep, runServerStatus, serverArgv, serverVersion } from './runtime';
import { IniChange, keptOptions, parseIni, substituteIni } from './pgbackrest-support';
import {
  asPostgres,
  dataNamespace,
  freePort,
  PG_BIN,
  PgServer,
  postgresUid,
  renderedConfigMap,
  renderedObject,
  renderedPatroni,
  scratchDir,
  startRenderedPostgres,
  Substitutions,
  waitFor,
  writeAsPostgres,
} from './support';

/**
 * Real-server test 3: pgBackRest 2.55 with the rendered pgbackrest.conf (database pods) and restore.conf (PITR
 * CronJob): stanza-create, full backup, writes around a target time, WAL switch, point-in-time restore into a new data
 * directory with the rendered restore command, and exactly the rows committed before the target.
 */
const subs = new Substitutions();
const STANZA = 'optibid';
const ROWS_BEFORE = 1000;
const ROWS_AFTER = 1000;

const dbRendered = renderedConfigMap(dataNamespace(), 'postgres-pgbackrest')['pgbackrest.conf'];
const backupConfig = renderedConfigMap(dataNamespace(), 'postgres-backup-config');
const restoreRendered = backupConfig['restore.conf'];
const patroniParams = renderedPatroni().bootstrap.dcs.postgresql.parameters;

let root: string;
let dbConf: string;
let restoreConf: string;
let dbChanges: IniChange[];
let restoreChanges: IniChange[];
let pg: PgServer | undefined;
let restored: { dataDir: string; port: number; socketDir: string; log: string } | undefined;
/** Options pgBackRest 2.55 warned about or rejected, with its own words. */
const rejected: string[] = [];

interface Run {
  stdout: string;
  stderr: string;
}

/** pgBackRest as the postgres OS user; stdout and stderr both kept (warnings about options go to stderr). */
function pgbackrest(args: string[], env: Record<string, string> = {}, timeoutMs = 300_000): Run {
  const r = runServerStatus('pgbackrest', args, { user: 'postgres', env, timeoutMs });
  noteOptionWarnings(`pgbackrest ${args.join(' ')}`, `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0) throw new Error(`pgbackrest ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

function noteOptionWarnings(what: string, output: string): void {
  for (const line of output.split('\n')) {
    if (/(WARN|ERROR).*(option|configuration)/i.test(line)) {
      const msg = `${what}: ${line.trim()}`;
      if (!rejected.includes(msg)) rejected.push(msg);
      subs.add(`REJECTED/WARNED by pgBackRest 2.55: ${line.trim()}`);
    }
  }
}

/** S3 -> posix in a temp dir; the rest of [global] untouched. */
function repoChanges(rendered: string, repoPath: string): IniChange[] {
  const s3 = parseIni(rendered).filter((e) => e.section === 'global' && e.key.startsWith('repo1-s3-'));
  return [
    { section: 'global', key: 'repo1-type', value: 'posix', why: 'local posix repository instead of S3; SSE-KMS (repo1-s3-kms-key-id) and EKS pod-identity credentials (repo1-s3-key-type=pod-id) are NOT exercised' },
    { section: 'global', key: 'repo1-path', value: repoPath, why: 'posix repository directory in a temp dir' },
    ...s3.map((e) => ({ section: 'global', key: e.key, value: null, why: 'S3-only option, repository is posix here' })),
  ];
}

function psqlAt(socketDir: string, port: number, sql: string): string {
  return asPostgres('psql', ['-h', socketDir, '-p', String(port), '-d', 'postgres', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql]).trim();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  root = scratchDir('pgbackrest');
  for (const d of ['repo', 'spool', 'lock', 'log']) {
    fs.mkdirSync(path.join(root, d), { mode: 0o750 });
    fs.chownSync(path.join(root, d), postgresUid(), postgresUid());
  }
  dbConf = path.join(root, 'pgbackrest.conf');
  restoreConf = path.join(root, 'restore.conf');
  // The archive_command needs the config path before the server (and so pg1-path/pg1-port) exists: an empty file
  // until then, so an early archive-push fails and PostgreSQL retries it (nothing is archived before the switch).
  writeAsPostgres(dbConf, '');

  // The rendered archive_command with only --config added.
  const renderedArchive = String(patroniParams.archive_command);
  const archiveCommand = renderedArchive.replace(/^pgbackrest /, `pgbackrest --config=${dbConf} `);
  if (archiveCommand === renderedArchive) throw new Error(`unexpected rendered archive_command: ${renderedArchive}`);
  subs.add(`archive_command: the rendered "${renderedArchive}" with only --config=${dbConf} added`);
  pg = await startRenderedPostgres(subs, { archiveCommand });

  dbChanges = [
    ...repoChanges(dbRendered, path.join(root, 'repo')),
    { section: 'global', key: 'spool-path', value: path.join(root, 'spool'), why: 'path' },
    { section: 'global', key: 'lock-path', value: path.join(root, 'lock'), why: 'path; default /tmp/pgbackrest kept private to this test' },
    { section: 'global', key: 'log-path', value: path.join(root, 'log'), why: 'path; default /var/log/pgbackrest (log-level-file=off as rendered)' },
    { section: STANZA, key: 'pg1-path', value: pg.dataDir, why: 'path' },
    { section: STANZA, key: 'pg1-port', value: String(pg.port), why: 'test port' },
    { section: STANZA, key: 'pg1-socket-path', value: pg.socketDir, why: 'path' },
  ];
  writeAsPostgres(dbConf, substituteIni(dbRendered, dbChanges, subs, 'pgbackrest.conf'), 0o640);
  subs.add(
    'pgbackrest.conf tls-server-* kept as rendered but NOT exercised (no `pgbackrest server`, so the backup-config ' +
      'pgbackrest.conf with pg1-host-type=tls / pg2-host is not run: backup and restore run on the database host with the database config)',
  );

  // Stanza first, then check: the archive_command fails until the stanza exists.
  pgbackrest([`--config=${dbConf}`, `--stanza=${STANZA}`, 'stanza-create']);
  pgbackrest([`--config=${dbConf}`, `--stanza=${STANZA}`, 'check']);
  pgbackrest([`--config=${dbConf}`, `--stanza=${STANZA}`, '--type=full', 'backup']);
});

afterAll(async () => {
  if (restored) {
    try {
      asPostgres(`${PG_BIN}/pg_ctl`, ['-D', restored.dataDir, '-m', 'fast', '-w', 'stop']);
    } catch {
      // already stopped
    }
  }
  pg?.stop();
  // archive-async leaves a background archive-push process for a moment: let it finish before removing its paths.
  await waitFor(
    'the async archive-push of this test to exit',
    () => !pgrep('postgres', root ?? '/nonexistent'),
    60_000,
    500,
  ).catch((e) => console.log(String(e)));
  // pgBackRest run by the servers (archive_command, restore_command) reports into the server logs.
  for (const [name, log] of [['original server', pg?.log], ['restored server', restored?.log]] as const) {
    if (!log || !fs.existsSync(log)) continue;
    const lines = fs.readFileSync(log, 'utf8').split('\n').filter((l) => /^\s*(ERROR|WARN)|P\d\d +(ERROR|WARN):|archive command failed|restore_command/.test(l));
    if (lines.length) console.log(`pgbackrest: pgBackRest messages in the ${name} log:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  }
  for (const d of [root, pg && path.dirname(pg.dataDir), restored && path.dirname(restored.dataDir)]) {
    if (d) fs.rmSync(d, { recursive: true, force: true });
  }
  subs.report('pgbackrest');
  if (rejected.length) console.log(`pgbackrest: options pgBackRest 2.55 warned about or rejected:\n${rejected.map((r) => `  - ${r}`).join('\n')}`);
});

test('the test configs differ from the rendered ones only by the recorded substitutions', () => {
  const db = keptOptions(dbRendered, fs.readFileSync(dbConf, 'utf8'), dbChanges);
  expect(db.differing).toEqual([]);
  // Retention, compression, bundling, async archiving, parallelism, fast start, delta and the TLS server options.
  const keptKeys = db.kept.map((e) => e.key);
  expect(keptKeys).toEqual(
    expect.arrayContaining(['repo1-retention-full', 'repo1-retention-full-type', 'repo1-bundle', 'compress-type', 'process-max', 'start-fast', 'delta', 'archive-async', 'archive-push-queue-max', 'tls-server-address', 'tls-server-auth']),
  );
  expect(rejected).toEqual([]);
});

test('the full backup is in the repository', () => {
  const info = JSON.parse(pgbackrest([`--config=${dbConf}`, `--stanza=${STANZA}`, '--output=json', 'info']).stdout);
  const stanza = info.find((s: any) => s.name === STANZA);
  expect(stanza.status.code).toBe(0);
  expect(stanza.backup.map((b: any) => b.type)).toEqual(['full']);
  // compress-type=zst and repo1-bundle=y as rendered: the backup is stored zst-compressed in bundles.
  const files = execFind(path.join(root, 'repo', 'backup', STANZA));
  expect(files.some((f) => f.includes('/bundle/'))).toBe(true);
  expect(files.some((f) => f.endsWith('backup.manifest'))).toBe(true);
});

test('point-in-time restore with the rendered restore command returns exactly the rows committed before the target', async () => {
  const server = pg!;
  server.psql('CREATE TABLE pitr_probe (id int PRIMARY KEY, phase text NOT NULL)');
  server.psql(`INSERT INTO pitr_probe SELECT g, 'before' FROM generate_series(1, ${ROWS_BEFORE}) g`);
  await sleep(1000);
  const target = server.psql('SELECT now()::text');
  await sleep(1500);
  server.psql(`INSERT INTO pitr_probe SELECT g, 'after' FROM generate_series(${ROWS_BEFORE + 1}, ${ROWS_BEFORE + ROWS_AFTER}) g`);
  expect(server.psql('SELECT count(*) FROM pitr_probe')).toBe(String(ROWS_BEFORE + ROWS_AFTER));
  const lastSegment = server.psql('SELECT pg_walfile_name(pg_switch_wal())');
  // Wait until the segment holding the second insert is in the repository (archive-async pushes it from the spool).
  // repo-ls rather than archive-get: with the rendered archive-async=y a missing segment makes archive-get wait.
  const archiveWait = await waitFor(
    `WAL ${lastSegment} in the repository`,
    () => pgbackrest([`--config=${dbConf}`, `--stanza=${STANZA}`, 'repo-ls', '--recurse', `archive/${STANZA}`], {}, 30_000).stdout.includes(`${lastSegment}-`),
    120_000,
    250,
  );
  console.log(`pgbackrest: ${lastSegment} archived ${archiveWait.toFixed(1)} s after pg_switch_wal()`);
  server.stop();

  // The rendered PITR CronJob script, run as is with only the data directory path substituted.
  const cron = renderedObject(dataNamespace(), 'CronJob', 'postgres-pitr-restore');
  const container = cron.spec.jobTemplate.spec.template.spec.containers[0];
  const script: string = container.command[2];
  const renderedConfigEnv = container.env.find((e: any) => e.name === 'PGBACKREST_CONFIG').value;
  expect(container.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
  expect(script).toContain('pgbackrest --stanza=optibid --delta --type=time "--target=$PITR_TARGET" --target-action=promote restore');
  const renderedDataDir = parseIni(restoreRendered).find((e) => e.section === STANZA && e.key === 'pg1-path')!.value;
  const restoreRoot = scratchDir('pg-restored');
  const dataDir = path.join(restoreRoot, 'data');
  const socketDir = path.join(restoreRoot, 'run');
  fs.mkdirSync(socketDir);
  fs.chownSync(socketDir, postgresUid(), postgresUid());
  const port = await freePort();
  restored = { dataDir, port, socketDir, log: path.join(restoreRoot, 'postgres.log') };
  restoreChanges = [
    ...repoChanges(restoreRendered, path.join(root, 'repo')),
    { section: 'global', key: 'lock-path', value: path.join(root, 'lock'), why: 'path' },
    { section: 'global', key: 'log-path', value: path.join(root, 'log'), why: 'path' },
    { section: STANZA, key: 'pg1-path', value: dataDir, why: 'a NEW data directory (the postgres-restore claim in the cluster)' },
  ];
  writeAsPostgres(restoreConf, substituteIni(restoreRendered, restoreChanges, subs, 'restore.conf'), 0o640);
  expect(keptOptions(restoreRendered, fs.readFileSync(restoreConf, 'utf8'), restoreChanges).differing).toEqual([]);
  const testScript = script.split(renderedDataDir).join(dataDir);
  subs.add(`PITR CronJob script run as rendered with ${renderedDataDir} -> ${dataDir}; PGBACKREST_CONFIG=${restoreConf} instead of ${renderedConfigEnv}`);
  writeAsPostgres(path.join(root, 'pitr-restore.sh'), testScript, 0o755);

  const t0 = Date.now();
  const [file, argv] = serverArgv('/bin/sh', ['-c', testScript], { user: 'postgres', env: { PITR_TARGET: target, PGBACKREST_CONFIG: restoreConf } });
  const out = spawnSync(file, argv, {
    encoding: 'utf8',
    timeout: 300_000,
  });
  noteOptionWarnings('PITR restore script', `${out.stdout}\n${out.stderr}`);
  if (out.status !== 0) throw new Error(`PITR restore script exited ${out.status}:\n${out.stdout}\n${out.stderr}`);
  expect(out.stdout).toContain(`restored to ${target}`);
  const tRestore = (Date.now() - t0) / 1000;

  const autoConf = fs.readFileSync(path.join(dataDir, 'postgresql.auto.conf'), 'utf8');
  expect(autoConf).toMatch(/restore_command = 'pgbackrest .*archive-get %f "%p"'/);
  expect(autoConf).toContain(`recovery_target_time = '${target}'`);
  expect(autoConf).toContain("recovery_target_action = 'promote'");
  expect(fs.existsSync(path.join(dataDir, 'recovery.signal'))).toBe(true);

  // postgresql.conf and pg_hba.conf come with the data directory; only the port and socket differ (the original
  // server's port is free again, a fresh one avoids any clash).
  subs.add(`restored server started with -p ${port} -k ${socketDir} (postgresql.conf from the backup names the original port/socket)`);
  // pgBackRest writes restore_command without --config (the CronJob passes the config through PGBACKREST_CONFIG, which
  // is not written out); in the cluster the postgres container's environment has PGBACKREST_CONFIG, so the test gives
  // the restored server's environment the restore config (whose pg1-path is the new data directory).
  const restoreCommand = /restore_command = '(.*)'/.exec(autoConf)![1];
  subs.add(`restored server environment PGBACKREST_CONFIG=${restoreConf} for its restore_command "${restoreCommand}" (pgBackRest wrote no --config; the cluster's postgres container sets PGBACKREST_CONFIG=/etc/pgbackrest/pgbackrest.conf)`);
  // The test's archive_command carries --config of the original server (pg1-path = its data directory): a restored
  // copy must not push its new timeline with it, so archiving is off on the copy.
  subs.add('restored server: archive_mode off (its postgresql.conf carries the test archive_command whose --config names the ORIGINAL pg1-path)');
  try {
    asPostgres(`${PG_BIN}/pg_ctl`, ['-D', dataDir, '-l', restored.log, '-o', `-p ${port} -k ${socketDir} -c archive_mode=off`, '-w', '-t', '300', 'start'], {
      timeoutMs: 310_000,
      env: { PGBACKREST_CONFIG: restoreConf },
    });
    // pg_ctl -w returns at consistency (hot standby); recovery may still stop short of the target and shut down.
    let exited = false;
    await waitFor(
      'the restored server to reach the target and promote',
      () => (exited = !fs.existsSync(path.join(dataDir, 'postmaster.pid'))) || psqlAt(socketDir, port, 'SELECT pg_is_in_recovery()') === 'f',
      300_000,
      100,
    );
    if (exited) throw new Error('the restored server exited during recovery');
  } catch (e) {
    throw new Error(`${String(e)}\n--- restored server log ---\n${fs.existsSync(restored.log) ? fs.readFileSync(restored.log, 'utf8') : '(none)'}`);
  }
  const total = (Date.now() - t0) / 1000;

  expect(psqlAt(socketDir, port, 'SELECT count(*) FROM pitr_probe')).toBe(String(ROWS_BEFORE));
  expect(psqlAt(socketDir, port, "SELECT count(*) FROM pitr_probe WHERE phase = 'after'")).toBe('0');
  expect(psqlAt(socketDir, port, 'SELECT min(id) || \'-\' || max(id) FROM pitr_probe')).toBe(`1-${ROWS_BEFORE}`);
  // Promotion (recovery_target_action=promote) started a new timeline.
  await waitFor('the post-promotion checkpoint', () => Number(psqlAt(socketDir, port, 'SELECT timeline_id FROM pg_control_checkpoint()')) === 2, 60_000);
  expect(fs.readFileSync(restored.log, 'utf8')).toMatch(/recovery stopping before commit of transaction/);

  console.log(`pgbackrest: restore_command written by pgBackRest: ${restoreCommand}`);
  console.log(
    `pgbackrest: PITR restore wall time ${total.toFixed(1)} s (restore command ${tRestore.toFixed(1)} s + start, recovery to ${target} and promotion ${(total - tRestore).toFixed(1)} s)\n` +
      `pgbackrest: RPO bound = rendered archive_timeout ${patroniParams.archive_timeout} s (a WAL segment is switched and archived at least that often)`,
  );
});

function execFind(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}
