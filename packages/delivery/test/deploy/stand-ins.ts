/**
 * Recording stand-ins, not real tools.
 *
 * `createStandIns()` writes small executables named aws, cdk, kubectl and curl into a temporary directory that the
 * deploy CLI finds first (and only) on PATH. Each one appends what it was called with to a JSON-lines log (argv,
 * KUBECTL_APPLYSET, the files behind every `-f` with their ApplySet part-of label, stdin of `-f -`), prints canned
 * output (versions, the current context, rollout success, `cluster_state:ok`, Prometheus targets all up, ...) and
 * exits 0, unless told otherwise:
 *
 *   STANDIN_FAIL=<regex>        fail (exit STANDIN_FAIL_EXIT, default 1) when "<tool> <args joined by spaces>" matches
 *   STANDIN_FAIL_COUNT=<n>      ... only the first n matching calls (then behave normally again)
 *   STANDIN_KUBE_CONTEXT=<ctx>  what `kubectl config current-context` prints ('' = no context set)
 *   STANDIN_KUBECTL_MINOR=<n>   kubectl client minor version (default 35)
 *   STANDIN_AWS_ACCOUNT=<id>    what `aws sts get-caller-identity` answers
 *   STANDIN_RECORDED_REVISION   what the deploy-revision ConfigMap holds (unset = none: with --ignore-not-found empty
 *                               output and exit 0, like kubectl; without it NotFound)
 *   STANDIN_TARGETS_JSON        Prometheus targets response (default: two targets, both up)
 *   STANDIN_MISSING_CRDS        '<apiVersion> <Kind>,...' the API server does not know (CRD not installed): kubectl
 *                               diff stops at the first such object (exit 2), kubectl apply reports each (exit 1)
 *   STANDIN_DRYRUN_PRUNED       '<namespace>=<kind.group/name>,...' what an ApplySet apply --dry-run=server prunes
 *   STANDIN_LOCK_HOLDER         the deploy-lock Lease already exists, held by this (create: AlreadyExists)
 *   STANDIN_SLEEP=<regex>       sleep STANDIN_SLEEP_MS (default 3000) before answering a matching call
 *
 * Like kubectl, an ApplySet apply (--applyset) refuses input that already carries the ApplySet part-of label.
 * Without STANDIN_LOCK_HOLDER, `kubectl get lease` answers from the log (the last Lease created and not deleted).
 *
 * git is NOT stood in: the CLI reads the real repository's history (rollback ref, `git show`), read-only.
 * `runDeploy()` runs the real CLI (scripts/deploy.ts) as a child process with PATH = stand-ins + a directory holding
 * only node and git, so no real aws/kubectl/cdk on the machine can be reached by accident. `runDeployInProcess()`
 * runs cli.ts main() in this process (same stand-ins, spawned), for tests that need to reach into a run: throw from
 * a command (an internal error) or cancel it at a chosen command.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import { Cancellation } from '../../src/deploy/cancel';
import { main } from '../../src/deploy/cli';
import { streamLogger } from '../../src/deploy/log';
import { type CommandRunner, type CommandSpec, SpawnRunner } from '../../src/deploy/runner';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const STAND_IN_TOOLS = ['aws', 'cdk', 'kubectl', 'curl'] as const;
export type StandInTool = (typeof STAND_IN_TOOLS)[number];

export interface Recorded {
  readonly tool: StandInTool;
  readonly argv: string[];
  readonly env: { readonly KUBECTL_APPLYSET: string | null };
  /**
   * For every `-f <path>`: the path as given, the file names behind it (a directory's files, sorted) and, per file,
   * the value of its `applyset.kubernetes.io/part-of` label (null: none).
   */
  readonly files: { readonly arg: string; readonly names: string[]; readonly partOf: (string | null)[] }[];
  readonly stdin?: string;
  /** This call was told to fail (STANDIN_FAIL). */
  readonly failed?: boolean;
}

const STAND_IN_SOURCE = String.raw`
'use strict';
// Recording stand-in, not a real tool (see packages/delivery/test/deploy/stand-ins.ts).
const fs = require('fs');
const path = require('path');
const tool = path.basename(process.argv[1]);
const argv = process.argv.slice(2);
const line = [tool, ...argv].join(' ');
const env = process.env;
const logFile = env.STANDIN_LOG;

const rec = { tool, argv, env: { KUBECTL_APPLYSET: env.KUBECTL_APPLYSET === undefined ? null : env.KUBECTL_APPLYSET }, files: [] };
// Every object behind the -f arguments: file, apiVersion, kind, name, namespace, ApplySet label (top-level keys only).
const objects = [];
for (let i = 0; i < argv.length - 1; i++) {
  if (argv[i] !== '-f') continue;
  const arg = argv[i + 1];
  if (arg === '-') { rec.stdin = fs.readFileSync(0, 'utf8'); continue; }
  const p = path.resolve(arg);
  let names = [];
  let isDir = false;
  try { isDir = fs.statSync(p).isDirectory(); names = isDir ? fs.readdirSync(p).sort() : [path.basename(p)]; } catch (e) { names = ['<missing>']; }
  const partOf = [];
  for (const n of names) {
    let text = '';
    try { text = fs.readFileSync(isDir ? path.join(p, n) : p, 'utf8'); } catch (e) {}
    const label = /^\s+applyset\.kubernetes\.io\/part-of:\s*["']?([^"'\s]+)/m.exec(text);
    partOf.push(label ? label[1] : null);
    for (const doc of text.split(/^---\s*$/m)) {
      const top = (k) => { const m = new RegExp('^' + k + ':\\s*(\\S+)', 'm').exec(doc); return m ? m[1] : undefined; };
      const meta = (k) => { const m = new RegExp('^  ' + k + ':\\s*(\\S+)', 'm').exec(doc); return m ? m[1] : ''; };
      if (top('kind')) objects.push({ file: isDir ? path.join(arg, n) : arg, apiVersion: top('apiVersion'), kind: top('kind'), name: meta('name'), namespace: meta('namespace'), partOf: label ? label[1] : null });
    }
  }
  rec.files.push({ arg, names, partOf });
}

let fail = false;
if (env.STANDIN_FAIL && new RegExp(env.STANDIN_FAIL).test(line)) {
  const max = env.STANDIN_FAIL_COUNT ? Number(env.STANDIN_FAIL_COUNT) : Infinity;
  const counter = logFile + '.failcount';
  const n = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
  if (n < max) { fail = true; fs.writeFileSync(counter, String(n + 1)); rec.failed = true; }
}
const history = fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
fs.appendFileSync(logFile, JSON.stringify(rec) + '\n');
if (env.STANDIN_SLEEP && new RegExp(env.STANDIN_SLEEP).test(line)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(env.STANDIN_SLEEP_MS || 3000));
if (fail) {
  process.stderr.write('stand-in ' + tool + ': told to fail (STANDIN_FAIL matched)\n');
  process.exit(Number(env.STANDIN_FAIL_EXIT || 1));
}

const out = (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');
const sub = argv.filter((a) => !a.startsWith('--context='));
const has = (s) => line.includes(s);
const missingCrds = (env.STANDIN_MISSING_CRDS || '').split(',').map((s) => s.trim()).filter(Boolean);
const unknown = objects.filter((o) => missingCrds.includes(o.apiVersion + ' ' + o.kind));
const mappingError = (o) => 'error: resource mapping not found for name: "' + o.name + '" namespace: "' + o.namespace + '" from "' + o.file + '": no matches for kind "' + o.kind + '" in version "' + o.apiVersion + '"\nensure CRDs are installed first\n';
// The deploy lock: STANDIN_LOCK_HOLDER, else the last Lease this run created (from the log) unless deleted since.
const lockState = () => {
  if (env.STANDIN_LOCK_HOLDER) return { holder: env.STANDIN_LOCK_HOLDER, since: '2025-01-01T00:00:00.000Z' };
  let state = null;
  for (const r of history) {
    const a = r.argv.filter((x) => !x.startsWith('--context='));
    if (a[0] === 'create' && r.stdin && r.stdin.includes('"Lease"')) { const l = JSON.parse(r.stdin); state = { holder: l.spec.holderIdentity, since: l.metadata.annotations['optibid.io/deploy-started-at'] }; }
    if (a[0] === 'delete' && a[1] === 'lease') state = null;
  }
  return state;
};

if (tool === 'aws') {
  if (sub[0] === '--version') out('aws-cli/2.17.3 Python/3.11.9 Linux/6.1.0 exe/x86_64.debian.12');
  else if (sub[0] === 'sts') out(env.STANDIN_AWS_ACCOUNT || '000000000000');
} else if (tool === 'cdk') {
  if (sub[0] === '--version') out('2.1148.1 (build fcf5e34)');
  else if (sub[0] === 'diff') for (const s of sub.slice(1)) out('Stack ' + s + '\nThere were no differences');
  else if (sub[0] === 'deploy') for (const s of sub.filter((a) => /-(network|data|edge|cluster)$/.test(a))) out(' ✅  ' + s);
} else if (tool === 'curl') {
  // Like curl answered by the app behind NGINX: -D - headers, the body unless -o, the -w write-out (its \n escapes
  // and %{variables}). Failures of each layer of the public path: public-path-curl.ts.
  const code = env.STANDIN_HTTP_CODE || '200';
  const opt = (name) => (sub.includes(name) ? sub[sub.indexOf(name) + 1] : undefined);
  if (opt('-D') === '-') process.stdout.write('HTTP/1.1 ' + code + ' OK\r\nServer: nginx\r\n\r\n');
  if (opt('-o') === undefined) process.stdout.write(opt('-w') === undefined ? 'ok\n' : 'ok');
  const vars = { http_code: code, remote_ip: '203.0.113.10', ssl_verify_result: '0' };
  if (opt('-w') !== undefined) process.stdout.write(opt('-w').replace(/\\n/g, '\n').replace(/%\{(\w+)\}/g, (m, v) => vars[v] || ''));
} else if (tool === 'kubectl') {
  if (sub[0] === 'version') out(JSON.stringify({ clientVersion: { major: '1', minor: env.STANDIN_KUBECTL_MINOR || '35', gitVersion: 'v1.' + (env.STANDIN_KUBECTL_MINOR || '35') + '.0' } }));
  else if (sub[0] === 'config' && sub[1] === 'current-context') {
    if (!env.STANDIN_KUBE_CONTEXT) { process.stderr.write('error: current-context is not set\n'); process.exit(1); }
    out(env.STANDIN_KUBE_CONTEXT);
  } else if (sub[0] === 'diff') {
    if (unknown.length > 0) { process.stderr.write(mappingError(unknown[0])); process.exit(2); }
    out('diff -u -N /tmp/LIVE/apps.v1.Deployment.optibid.backend /tmp/MERGED/apps.v1.Deployment.optibid.backend\n-  image: old\n+  image: new'); process.exit(1);
  }
  else if (sub[0] === 'apply') {
    const labelled = objects.find((o) => o.partOf !== null);
    if (sub.some((a) => a.startsWith('--applyset=')) && labelled) { process.stderr.write('error: ApplySet label "applyset.kubernetes.io/part-of" already set in input data\n'); process.exit(1); }
    const dry = sub.includes('--dry-run=server') ? ' (server dry run)' : '';
    for (const f of rec.files) for (const n of f.names) out(n.replace(/\.ya?ml$/, '') + ' serverside-applied' + dry);
    if (rec.stdin !== undefined) out('configmap serverside-applied');
    if (unknown.length > 0) { process.stderr.write(unknown.map(mappingError).join('')); process.exit(1); }
    const ns = sub[sub.indexOf('-n') + 1];
    if (dry && sub.includes('--prune'))
      for (const e of (env.STANDIN_DRYRUN_PRUNED || '').split(',').filter(Boolean)) if (e.split('=')[0] === ns) out(e.split('=')[1] + ' pruned' + dry);
  }
  else if (sub[0] === 'create' && rec.stdin && rec.stdin.includes('"Lease"')) {
    const name = JSON.parse(rec.stdin).metadata.name;
    if (lockState()) { process.stderr.write('Error from server (AlreadyExists): leases.coordination.k8s.io "' + name + '" already exists\n'); process.exit(1); }
    out('lease.coordination.k8s.io/' + name + ' created');
  }
  else if (sub[0] === 'get' && sub[1] === 'lease') { const st = lockState(); if (st) process.stdout.write(st.holder + '\t' + st.since); }
  else if (sub[0] === 'delete' && sub[1] === 'lease') out('lease.coordination.k8s.io "' + sub[2] + '" deleted');
  else if (sub[0] === 'wait') out('externalsecret.external-secrets.io/all condition met');
  else if (sub[0] === 'get' && sub[1] === 'namespaces') {
    const list = env.STANDIN_NAMESPACES !== undefined ? env.STANDIN_NAMESPACES : 'default kube-system optibid optibid-data monitoring monitoring-agents';
    for (const n of list.split(/\s+/).filter(Boolean)) out('namespace/' + n);
  }
  else if (sub[0] === 'rollout' && sub[1] === 'status') out(sub[4] + ' successfully rolled out');
  else if (sub[0] === 'rollout' && sub[1] === 'undo') out(sub[4] + ' rolled back');
  else if (sub[0] === 'get' && has('deploy-revision')) {
    if (env.STANDIN_RECORDED_REVISION) process.stdout.write(env.STANDIN_RECORDED_REVISION);
    else if (!sub.includes('--ignore-not-found')) { process.stderr.write('Error from server (NotFound): configmaps "' + sub[2] + '" not found\n'); process.exit(1); }
  } else if (sub[0] === 'exec') {
    if (has('cluster info')) out('cluster_state:ok\ncluster_slots_assigned:16384\ncluster_known_nodes:6');
    else if (has('pg_isready')) out('127.0.0.1:6432 - accepting connections');
    else if (has('/api/v1/targets')) out(env.STANDIN_TARGETS_JSON || JSON.stringify({ status: 'success', data: { activeTargets: [
      { labels: { job: 'prometheus', instance: 'localhost:9090' }, health: 'up' },
      { labels: { job: 'backend', instance: '10.30.40.5:9000' }, health: 'up' } ] } }));
  }
}
`;

export interface StandIns {
  /** Directory of the stand-in executables. */
  readonly binDir: string;
  /** Directory holding only `node` and `git` (symlinks), the rest of PATH. */
  readonly toolsDir: string;
  readonly logFile: string;
  records(): Recorded[];
  cleanup(): void;
}

function which(cmd: string): string {
  return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
}

export function createStandIns(opts: { omit?: readonly StandInTool[] } = {}): StandIns {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'optibid-standins-'));
  const binDir = path.join(root, 'bin');
  const toolsDir = path.join(root, 'tools');
  const logFile = path.join(root, 'calls.jsonl');
  fs.mkdirSync(binDir);
  fs.mkdirSync(toolsDir);
  fs.writeFileSync(logFile, '');
  const script = `#!${process.execPath}\n${STAND_IN_SOURCE}`;
  for (const tool of STAND_IN_TOOLS) {
    if (opts.omit?.includes(tool)) continue;
    fs.writeFileSync(path.join(binDir, tool), script, { mode: 0o755 });
  }
  fs.symlinkSync(process.execPath, path.join(toolsDir, 'node'));
  fs.symlinkSync(which('git'), path.join(toolsDir, 'git'));
  return {
    binDir,
    toolsDir,
    logFile,
    records: () =>
      fs
        .readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Recorded),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

export interface DeployRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly records: Recorded[];
}

/** The child's environment: nothing inherited; `undefined` in `env` removes a default. */
export function deployEnv(standIns: StandIns, env: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    PATH: `${standIns.binDir}:${standIns.toolsDir}`,
    HOME: os.tmpdir(),
    STANDIN_LOG: standIns.logFile,
    // The test seam is honoured only with NODE_ENV=test (scripts/deploy.ts); the child inherits nothing, so pass both.
    NODE_ENV: 'test',
    OPTIBID_DEPLOY_SKIP_RENDER_CHECK: 'fresh',
    ...env,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

export const DEPLOY_ARGV = ['-r', 'ts-node/register', 'scripts/deploy.ts'] as const;

/** Runs `node -r ts-node/register scripts/deploy.ts <args>` from the repository root against the stand-ins. */
export function runDeploy(standIns: StandIns, args: readonly string[], env: Record<string, string | undefined> = {}): DeployRun {
  const r = spawnSync(process.execPath, [...DEPLOY_ARGV, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 110_000,
    env: deployEnv(standIns, env),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, records: standIns.records() };
}

export interface InProcessOptions {
  /** Called before each command is started (after the CLI's cancellation gate); may throw or cancel. */
  readonly intercept?: (spec: CommandSpec, line: string) => void;
  readonly cancellation?: Cancellation;
  /** A terminal to ask the production confirmation on, and its answer. @default no terminal */
  readonly prompt?: (question: string) => Promise<string>;
}

/**
 * cli.ts main() in this process with the same stand-ins (spawned through the real SpawnRunner), dist/ stubbed fresh,
 * no terminal, no waits between smoke attempts.
 */
export async function runDeployInProcess(standIns: StandIns, args: readonly string[], env: Record<string, string | undefined> = {}, opts: InProcessOptions = {}): Promise<DeployRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const log = streamLogger(out, err);
  const spawned = new SpawnRunner(REPO_ROOT, log, deployEnv(standIns, env));
  const runner: CommandRunner = {
    run: (spec, o) => {
      opts.intercept?.(spec, [spec.cmd, ...spec.args].join(' '));
      return spawned.run(spec, o);
    },
  };
  const code = await main(args, {
    repoRoot: REPO_ROOT,
    runner,
    log,
    freshness: { check: () => ({ fresh: true, details: 'stub: fresh' }) },
    stdinIsTTY: opts.prompt !== undefined,
    prompt: opts.prompt ?? (async () => ''),
    print: (text) => void (stdout += `${text}\n`),
    sleep: async () => undefined,
    ...(opts.cancellation ? { cancellation: opts.cancellation } : {}),
  });
  return { code, stdout, stderr, records: standIns.records() };
}

/** The argv without the pinned `--context=...` flag, joined (for readable assertions). */
export function commandLine(r: Recorded): string {
  return [r.tool, ...r.argv.filter((a) => !a.startsWith('--context='))].join(' ');
}

const MUTATING_KUBECTL = new Set(['apply', 'delete', 'annotate', 'create', 'patch', 'replace', 'label', 'scale', 'edit', 'set', 'cordon', 'drain', 'taint']);

/**
 * Would this call change anything in the cluster or the AWS account? A kubectl call with `--dry-run=server` does
 * not: the API server evaluates it (admission, conflicts, what an ApplySet prunes) and persists nothing.
 * (`--dry-run=client` is not counted as safe here: nothing in the deploy uses it.)
 */
export function isMutating(r: Recorded): boolean {
  const sub = r.argv.filter((a) => !a.startsWith('--context='));
  if (r.tool === 'kubectl' && sub.includes('--dry-run=server')) return false;
  if (r.tool === 'kubectl') return MUTATING_KUBECTL.has(sub[0]) || (sub[0] === 'rollout' && ['undo', 'restart', 'pause', 'resume'].includes(sub[1]));
  if (r.tool === 'cdk') return ['deploy', 'destroy', 'bootstrap', 'import', 'watch'].includes(sub[0]);
  if (r.tool === 'aws') return !(sub[0] === '--version' || (sub[0] === 'sts' && sub[1] === 'get-caller-identity'));
  return false;
}

/** The value of `-n` in a kubectl call. */
export function namespaceOf(r: Recorded): string | undefined {
  const i = r.argv.indexOf('-n');
  return i >= 0 ? r.argv[i + 1] : undefined;
}

/** File names of a directory of the environment at a git revision (the real repository). */
export function filesAtRevision(rev: string, dir: string): string[] {
  return execFileSync('git', ['ls-tree', '-r', '--name-only', rev, `${dir}/`], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((f) => path.basename(f))
    .sort();
}

export function gitRev(rev: string): string {
  return execFileSync('git', ['rev-parse', rev], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
}
