/**
 * Runs external commands (aws, cdk, kubectl, curl, git). Everything the deploy does to the outside world goes through
 * a CommandRunner, so that (1) every command is logged exactly as run and (2) tests can stand the tools in, either
 * with recording executables first on PATH (the real SpawnRunner) or with an in-process fake.
 */
import { spawn } from 'child_process';
import type { Logger } from './log';

export interface CommandSpec {
  readonly cmd: string;
  readonly args: readonly string[];
  /** Extra environment variables (over the runner's base environment); they are part of the logged command. */
  readonly env?: Readonly<Record<string, string>>;
  /** Text written to the child's stdin. */
  readonly input?: string;
  /** What the log shows for stdin (the input itself may be long). */
  readonly inputLabel?: string;
  /** Kill the command after this long (commands without a timeout flag of their own, e.g. kubectl exec). */
  readonly timeoutMs?: number;
}

export interface RunOptions {
  /** Pass the command's output through to the operator (diffs, applies, rollouts) instead of only capturing it. */
  readonly echo?: boolean;
}

export interface CommandResult {
  /** Exit code; 127 when the executable is not on PATH, 124 when timeoutMs elapsed. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The executable was not found on PATH. */
  readonly notFound: boolean;
}

export interface CommandRunner {
  run(spec: CommandSpec, opts?: RunOptions): Promise<CommandResult>;
}

const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting, so a logged command can be pasted as is. */
export function shellQuote(arg: string): string {
  if (arg !== '' && SAFE_ARG.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(spec: CommandSpec): string {
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`);
  const line = [...env, spec.cmd, ...spec.args.map(shellQuote)].join(' ');
  return spec.input !== undefined ? `${line} <<< ${spec.inputLabel ?? '(stdin)'}` : line;
}

/** First non-empty line of a command's error output, for one-line failure messages. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** The real runner: child_process.spawn (no shell), cwd = the repository root. */
export class SpawnRunner implements CommandRunner {
  constructor(
    private readonly cwd: string,
    private readonly log: Logger,
    private readonly baseEnv: NodeJS.ProcessEnv = process.env,
  ) {}

  run(spec: CommandSpec, opts: RunOptions = {}): Promise<CommandResult> {
    this.log.command(formatCommand(spec));
    return new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      const child = spawn(spec.cmd, [...spec.args], {
        cwd: this.cwd,
        env: { ...this.baseEnv, ...spec.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const timer = spec.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
          }, spec.timeoutMs)
        : undefined;
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        stdout += d;
        if (opts.echo) this.log.output(d, 'stdout');
      });
      child.stderr.on('data', (d: string) => {
        stderr += d;
        if (opts.echo) this.log.output(d, 'stderr');
      });
      // A child that exits without reading stdin must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(spec.input ?? '');
      let settled = false;
      const finish = (r: CommandResult) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        resolve(r);
      };
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') finish({ code: 127, stdout, stderr: `${spec.cmd}: not found on PATH`, notFound: true });
        else finish({ code: 126, stdout, stderr: `${spec.cmd}: ${err.message}`, notFound: false });
      });
      child.on('close', (code, signal) => {
        if (timedOut) finish({ code: 124, stdout, stderr: `${stderr}\n${spec.cmd}: killed after ${spec.timeoutMs} ms`, notFound: false });
        else finish({ code: code ?? (signal ? 128 : 1), stdout, stderr, notFound: false });
      });
    });
  }
}
