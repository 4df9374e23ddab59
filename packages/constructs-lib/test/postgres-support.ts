/**
 * Helpers for the PostgreSQL construct tests: the data tier's PostgreSQL objects built in memory (never read from
 * dist/), and the rendered shell scripts run by /bin/sh against stub programs on PATH (patroni, pg_ctl, pgbackrest,
 * psql, sleep) that record how they were called.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { containerCommandScript, mountedConfigMapFile, type MountedConfigMapFile } from '@optibid/rendered';
import { parse } from 'yaml';
// Through the package entries, as any consumer of the library would.
import { loadEnvironment, platformNames } from '@optibid/constructs-lib/data';
import { NamespaceCa, PostgresBackups, PostgresCluster } from '@optibid/constructs-lib/k8s';

/** An environment of the index (ENVIRONMENT_INPUTS). */
export type EnvName = string;

export interface DataTier {
  readonly env: EnvName;
  readonly objects: any[];
  find(kind: string, name: string): any;
  configMapData(name: string): Record<string, string>;
  /** The StatefulSet's pod spec. */
  readonly pod: any;
  container(name: string): any;
  readonly patroni: any;
}

export function dataTier(env: EnvName = 'production'): DataTier {
  const config = loadEnvironment(env);
  const names = platformNames(config);
  const chart = Testing.chart();
  const ca = new NamespaceCa(chart, 'Ca', { name: 'data', namespace: names.namespaces.data, labels: {} });
  const cluster = new PostgresCluster(chart, 'Postgres', { config, names, ca, priorityClassName: 'data', clients: { pooler: names.services.pgbouncer.name, backupJobs: 'postgres-backup' } });
  new PostgresBackups(chart, 'Backups', { config, names, ca, postgresName: cluster.labels.name });
  const objects = Testing.synth(chart);
  const find = (kind: string, name: string) => {
    const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
    if (!o) throw new Error(`no ${kind} ${name} rendered`);
    return o;
  };
  const configMapData = (name: string) => find('ConfigMap', name).data as Record<string, string>;
  const pod = find('StatefulSet', names.services.postgres.name).spec.template.spec;
  const container = (name: string) => {
    const c = pod.containers.find((x: any) => x.name === name);
    if (!c) throw new Error(`no container ${name}`);
    return c;
  };
  const patroni = parse(configMapData('postgres-patroni')['patroni.yml']);
  return { env, objects, find, configMapData, pod, container, patroni };
}

/** The file a container sees at `file` through a mounted ConfigMap (the one reader: @optibid/rendered). */
export function mountedFile(tier: DataTier, pod: any, container: any, file: string): MountedConfigMapFile | undefined {
  return mountedConfigMapFile((name) => tier.configMapData(name), pod, container, file);
}

/** The script a container's command runs: `[script]` (executable file) or `['/bin/sh', script]`. */
export function commandScript(tier: DataTier, pod: any, container: any): ReturnType<typeof containerCommandScript> {
  return containerCommandScript((name) => tier.configMapData(name), pod, container);
}

/** The memory limit of a container in bytes (binary suffixes only: what the constructs render). */
export function bytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(q));
  if (!m) throw new Error(`unexpected quantity ${q}`);
  const factor: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, '': 1 };
  return Number(m[1]) * factor[m[2] ?? ''];
}

/** PostgreSQL `NNMB`/`NNkB`/`NNGB` values in bytes. */
export function pgBytes(v: string | number): number {
  const m = /^(\d+)(kB|MB|GB)$/.exec(String(v));
  if (!m) throw new Error(`unexpected PostgreSQL size ${v}`);
  return Number(m[1]) * { kB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30 }[m[2] as 'kB' | 'MB' | 'GB'];
}

export function scratch(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `pg-${prefix}-`));
}

/**
 * A directory of stub programs: each records `<name> <args...>` (one line) in `log` and then runs `body`
 * (POSIX sh, with $LOG set).
 */
export function stubBin(dir: string, log: string, stubs: Record<string, string>): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(stubs)) {
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\nLOG='${log}'\necho "${name} $*" >> "$LOG"\n${body}\n`, { mode: 0o755 });
  }
  return bin;
}

/** PATH with the stubs first, then the system (sh, sha256sum, cut, cat, chmod...). */
export function pathWith(bin: string): string {
  return `${bin}:/usr/local/bin:/usr/bin:/bin`;
}

export function readLog(log: string): string[] {
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

export function writeScript(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode: 0o755 });
  return file;
}

/** Runs a script to completion with /bin/sh. */
export function runScript(file: string, args: string[], env: Record<string, string>, timeoutMs = 60_000) {
  return spawnSync('/bin/sh', [file, ...args], { env, encoding: 'utf8', timeout: timeoutMs });
}

/** Starts a long-running script in its own process group (so the test can stop it and everything it started). */
export function startScript(file: string, env: Record<string, string>): ChildProcess {
  return spawn('/bin/sh', [file], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function killGroup(p: ChildProcess | undefined): void {
  if (!p?.pid) return;
  try {
    process.kill(-p.pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** PIDs in a process group (ps), to prove no helper outlives the main process. */
export function groupPids(pgid: number): number[] {
  const out = spawnSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && Number(f[1]) === pgid && !f[2].startsWith('Z'))
    .map((f) => Number(f[0]));
}

export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000, stepMs = 50): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes a fake certificate Secret directory (tls.crt, tls.key, ca.crt) with the given generation marker. */
export function writeTls(dir: string, generation: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['tls.crt', 'tls.key', 'ca.crt']) fs.writeFileSync(path.join(dir, f), `${f} ${generation}\n`);
}
