/**
 * Where the real-server tier's servers run: Debian 13's packages (the production majors), natively on a Debian 13
 * host, or inside the Debian 13 root that scripts/real-servers/debian13-root.sh bootstraps on a Debian 12 host.
 * The root bind-mounts the host's /tmp and this repository at the same paths, so a path a test writes on the host is
 * the same path inside the root: only the command line changes (`chroot ROOT runuser -u USER -- ...`).
 *
 * REAL_SERVER_ROOT selects explicitly ('' = native); scripts/test.sh sets it.
 */
import { execFileSync, spawn, spawnSync, ChildProcess, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const REPO = path.resolve(__dirname, '../..');
export const PG_MAJOR = 17;
export const PG_BIN = `/usr/lib/postgresql/${PG_MAJOR}/bin`;

function hostDebianMajor(): number {
  try {
    return Number(/^VERSION_ID="?(\d+)/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function detectRoot(): string {
  const explicit = process.env.REAL_SERVER_ROOT;
  if (explicit !== undefined) return explicit;
  if (hostDebianMajor() >= 13) return '';
  const cached = path.join(REPO, '.cache', 'debian13-root');
  if (fs.existsSync(path.join(cached, 'proc', 'self'))) return cached;
  throw new Error(
    `the real-server tier needs Debian 13 packages: this host is Debian ${hostDebianMajor()}; run \`bash scripts/real-servers/debian13-root.sh ensure\` (as root) or set REAL_SERVER_ROOT`,
  );
}

/** '' when the servers run natively; otherwise the Debian 13 root they run in. */
export const SERVER_ROOT = detectRoot();

/** How the tier runs its servers, for the reports. */
export function runtimeDescription(): string {
  return SERVER_ROOT ? `Debian 13 root ${SERVER_ROOT} (chroot; host Debian ${hostDebianMajor()})` : `native Debian ${hostDebianMajor()}`;
}

/** A path of the server filesystem, seen from the host (packaged files: binaries, extension control files). */
export function serverFile(p: string): string {
  return SERVER_ROOT ? path.join(SERVER_ROOT, p) : p;
}

export interface ServerCommandOptions {
  /** OS user inside the server filesystem; root when unset. */
  readonly user?: string;
  readonly env?: Record<string, string>;
  /** Working directory (chroot changes to / first, so it is set inside). */
  readonly cwd?: string;
}

/** The argv that runs `cmd args` as `user` in the server filesystem. */
export function serverArgv(cmd: string, args: readonly string[], opts: ServerCommandOptions = {}): [string, string[]] {
  const envArgs = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const command = opts.cwd ? ['sh', '-c', 'cd "$0" && exec "$@"', opts.cwd, cmd, ...args] : [cmd, ...args];
  const inner = opts.user ? ['runuser', '-u', opts.user, '--', 'env', ...envArgs, ...command] : ['env', ...envArgs, ...command];
  return SERVER_ROOT ? ['chroot', [SERVER_ROOT, ...inner]] : [inner[0], inner.slice(1)];
}

export function runServer(cmd: string, args: readonly string[], opts: ServerCommandOptions & { input?: string; timeoutMs?: number } = {}): string {
  const [file, argv] = serverArgv(cmd, args, opts);
  return execFileSync(file, argv, { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 120_000, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function runServerStatus(cmd: string, args: readonly string[], opts: ServerCommandOptions & { input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const [file, argv] = serverArgv(cmd, args, opts);
  return spawnSync(file, argv, { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 120_000 });
}

/** A background server, its output appended to `log`, in its own process group (the caller stops it). */
export function spawnServer(cmd: string, args: readonly string[], opts: ServerCommandOptions & { log: string }): ChildProcess {
  const [file, argv] = serverArgv(cmd, args, opts);
  const out = fs.openSync(opts.log, 'a');
  if (opts.user) fs.chownSync(opts.log, serverUid(opts.user), serverUid(opts.user));
  const child = spawn(file, argv, { stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  // A server never keeps the test process alive (a test that forgot to stop one would hang the run), and whatever is
  // still running when the process exits is killed with its process group (no server outlives its test file).
  child.unref();
  if (child.pid) {
    const pid = child.pid;
    spawned.add(pid);
    child.once('exit', () => spawned.delete(pid));
  }
  return child;
}

// One set per process (jest loads this module once per test file in the same process).
const registry = globalThis as { __realServerPids?: Set<number> };
const spawned = (registry.__realServerPids ??= new Set<number>());
if (spawned.size === 0 && !process.listeners('exit').some((l) => l.name === 'killRealServers')) {
  process.on('exit', function killRealServers() {
    for (const pid of spawned) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
}

const uids = new Map<string, number>();
/** The uid of a user of the server filesystem (its /etc/passwd: the packages created these users there). */
export function serverUid(user: string): number {
  let uid = uids.get(user);
  if (uid === undefined) {
    const line = fs.readFileSync(serverFile('/etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
    if (!line) throw new Error(`no user ${user} in ${serverFile('/etc/passwd')}`);
    uid = Number(line.split(':')[2]);
    uids.set(user, uid);
  }
  return uid;
}

/** Versions of the servers this run uses (printed by the tests: the issue asks for them). */
export function serverVersion(cmd: string, args: readonly string[] = ['--version']): string {
  const r = runServerStatus(cmd, args, { timeoutMs: 30_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0];
}

/** Host processes whose command line mentions `needle` (the servers are host processes, chroot or not). */
export function pgrep(user: string, needle: string): boolean {
  return spawnSync('pgrep', ['-u', String(serverUid(user)), '-f', needle], { encoding: 'utf8' }).status === 0;
}

/**
 * Names in the server filesystem's /etc/hosts, in a block marked with `tag` (the cluster DNS of the pods, or AWS
 * endpoints, resolved to loopback addresses). Returns the function that removes the block again.
 */
export function addHosts(tag: string, entries: readonly (readonly [ip: string, name: string])[]): () => void {
  const file = serverFile('/etc/hosts');
  const begin = `# >>> real-server tier: ${tag}`;
  const end = `# <<< real-server tier: ${tag}`;
  const strip = (text: string) => {
    const a = text.indexOf(begin);
    if (a < 0) return text;
    const b = text.indexOf(end, a);
    return text.slice(0, a) + (b < 0 ? '' : text.slice(b + end.length + 1));
  };
  const base = strip(fs.readFileSync(file, 'utf8'));
  const lines = entries.map(([ip, name]) => `${ip} ${name}`).join('\n');
  fs.writeFileSync(file, `${base}${base.endsWith('\n') || base === '' ? '' : '\n'}${begin}\n${lines}\n${end}\n`);
  return () => fs.writeFileSync(file, strip(fs.readFileSync(file, 'utf8')));
}
