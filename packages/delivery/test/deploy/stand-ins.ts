/**
 * Recording stand-ins, not real tools.
 *
 * `createStandIns()` writes small executables named aws, cdk, kubectl and curl into a temporary directory that the
 * deploy CLI finds first (and only) on PATH. Each one appends what it was called with to a JSON-lines log (argv,
 * KUBECTL_APPLYSET, the files behind every `-f`, stdin of `-f -`), prints canned output (versions, the current
 * context, rollout success, `cluster_state:ok`, Prometheus targets all up, ...) and exits 0, unless told otherwise:
 *
 *   STANDIN_FAIL=<regex>        fail (exit STANDIN_FAIL_EXIT, default 1) when "<tool> <args joined by spaces>" matches
 *   STANDIN_FAIL_COUNT=<n>      ... only the first n matching calls (then behave normally again)
 *   STANDIN_KUBE_CONTEXT=<ctx>  what `kubectl config current-context` prints ('' = no context set)
 *   STANDIN_KUBECTL_MINOR=<n>   kubectl client minor version (default 35)
 *   STANDIN_AWS_ACCOUNT=<id>    what `aws sts get-caller-identity` answers
 *   STANDIN_RECORDED_REVISION   what the deploy-revision ConfigMap holds (unset = NotFound)
 *   STANDIN_TARGETS_JSON        Prometheus targets response (default: two targets, both up)
 *
 * git is NOT stood in: the CLI reads the real repository's history (rollback ref, `git show`), read-only.
 * `runDeploy()` runs the real CLI (bin/deploy.ts) as a child process with PATH = stand-ins + a directory holding
 * only node and git, so no real aws/kubectl/cdk on the machine can be reached by accident.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const STAND_IN_TOOLS = ['aws', 'cdk', 'kubectl', 'curl'] as const;
export type StandInTool = (typeof STAND_IN_TOOLS)[number];

export interface Recorded {
  readonly tool: StandInTool;
  readonly argv: string[];
  readonly env: { readonly KUBECTL_APPLYSET: string | null };
  /** For every `-f <path>`: the path as given and the file names behind it (a directory's files, sorted). */
  readonly files: { readonly arg: string; readonly names: string[] }[];
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
for (let i = 0; i < argv.length - 1; i++) {
  if (argv[i] !== '-f') continue;
  const arg = argv[i + 1];
  if (arg === '-') { rec.stdin = fs.readFileSync(0, 'utf8'); continue; }
  const p = path.resolve(arg);
  let names = [];
  try { names = fs.statSync(p).isDirectory() ? fs.readdirSync(p).sort() : [path.basename(p)]; } catch (e) { names = ['<missing>']; }
  rec.files.push({ arg, names });
}

let fail = false;
if (env.STANDIN_FAIL && new RegExp(env.STANDIN_FAIL).test(line)) {
  const max = env.STANDIN_FAIL_COUNT ? Number(env.STANDIN_FAIL_COUNT) : Infinity;
  const counter = logFile + '.failcount';
  const n = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
  if (n < max) { fail = true; fs.writeFileSync(counter, String(n + 1)); rec.failed = true; }
}
fs.appendFileSync(logFile, JSON.stringify(rec) + '\n');
if (fail) {
  process.stderr.write('stand-in ' + tool + ': told to fail (STANDIN_FAIL matched)\n');
  process.exit(Number(env.STANDIN_FAIL_EXIT || 1));
}

const out = (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');
const sub = argv.filter((a) => !a.startsWith('--context='));
const has = (s) => line.includes(s);

if (tool === 'aws') {
  if (sub[0] === '--version') out('aws-cli/2.17.3 Python/3.11.9 Linux/6.1.0 exe/x86_64.debian.12');
  else if (sub[0] === 'sts') out(env.STANDIN_AWS_ACCOUNT || '000000000000');
} else if (tool === 'cdk') {
  if (sub[0] === '--version') out('2.1148.1 (build fcf5e34)');
  else if (sub[0] === 'diff') for (const s of sub.slice(1)) out('Stack ' + s + '\nThere were no differences');
  else if (sub[0] === 'deploy') for (const s of sub.filter((a) => /-(network|data|edge|cluster)$/.test(a))) out(' ✅  ' + s);
} else if (tool === 'curl') {
  if (sub.includes('-w')) process.stdout.write(env.STANDIN_HTTP_CODE || '200');
  else out('ok');
} else if (tool === 'kubectl') {
  if (sub[0] === 'version') out(JSON.stringify({ clientVersion: { major: '1', minor: env.STANDIN_KUBECTL_MINOR || '35', gitVersion: 'v1.' + (env.STANDIN_KUBECTL_MINOR || '35') + '.0' } }));
  else if (sub[0] === 'config' && sub[1] === 'current-context') {
    if (!env.STANDIN_KUBE_CONTEXT) { process.stderr.write('error: current-context is not set\n'); process.exit(1); }
    out(env.STANDIN_KUBE_CONTEXT);
  } else if (sub[0] === 'diff') { out('diff -u -N /tmp/LIVE/apps.v1.Deployment.optibid.backend /tmp/MERGED/apps.v1.Deployment.optibid.backend\n-  image: old\n+  image: new'); process.exit(1); }
  else if (sub[0] === 'apply') { for (const f of rec.files) for (const n of f.names) out(n.replace(/\.ya?ml$/, '') + ' serverside-applied'); if (rec.stdin !== undefined) out('configmap serverside-applied'); }
  else if (sub[0] === 'wait') out('externalsecret.external-secrets.io/all condition met');
  else if (sub[0] === 'get' && sub[1] === 'namespaces') {
    const list = env.STANDIN_NAMESPACES !== undefined ? env.STANDIN_NAMESPACES : 'default kube-system optibid optibid-data monitoring monitoring-agents';
    for (const n of list.split(/\s+/).filter(Boolean)) out('namespace/' + n);
  }
  else if (sub[0] === 'rollout' && sub[1] === 'status') out(sub[4] + ' successfully rolled out');
  else if (sub[0] === 'rollout' && sub[1] === 'undo') out(sub[4] + ' rolled back');
  else if (sub[0] === 'get' && has('deploy-revision')) {
    if (env.STANDIN_RECORDED_REVISION) process.stdout.write(env.STANDIN_RECORDED_REVISION);
    else { process.stderr.write('Error from server (NotFound): configmaps "' + sub[2] + '" not found\n'); process.exit(1); }
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

/** Runs `node --import tsx packages/delivery/bin/deploy.ts <args>` from the repository root against the stand-ins. */
export function runDeploy(standIns: StandIns, args: readonly string[], env: Record<string, string> = {}): DeployRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'packages/delivery/bin/deploy.ts', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 110_000,
    env: {
      PATH: `${standIns.binDir}:${standIns.toolsDir}`,
      HOME: os.tmpdir(),
      STANDIN_LOG: standIns.logFile,
      OPTIBID_DEPLOY_SKIP_RENDER_CHECK: 'fresh',
      ...env,
    },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, records: standIns.records() };
}

/** The argv without the pinned `--context=...` flag, joined (for readable assertions). */
export function commandLine(r: Recorded): string {
  return [r.tool, ...r.argv.filter((a) => !a.startsWith('--context='))].join(' ');
}

const MUTATING_KUBECTL = new Set(['apply', 'delete', 'annotate', 'create', 'patch', 'replace', 'label', 'scale', 'edit', 'set', 'cordon', 'drain', 'taint']);

/** Would this call change anything in the cluster or the AWS account? */
export function isMutating(r: Recorded): boolean {
  const sub = r.argv.filter((a) => !a.startsWith('--context='));
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
