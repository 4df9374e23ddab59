/**
 * Cancellation (SIGINT, SIGTERM). The first signal stops the run from starting anything new: the command running
 * now is left to finish (or to fail, when Ctrl-C reached it too), and the next one is refused with CancelledError.
 * The CLI then rolls back whatever this run applied in Kubernetes (the rollback's own commands are let through) and
 * releases the deploy lock. A second signal exits at once, rollback or not.
 */
import type { Logger } from './log';
import type { CommandResult, CommandRunner, CommandSpec, RunOptions } from './runner';

export class CancelledError extends Error {
  constructor(readonly reason: string) {
    super(`cancelled (${reason})`);
    this.name = 'CancelledError';
  }
}

export class Cancellation {
  private why: string | undefined;
  private cleaningUp = false;
  private readonly listeners = new Set<() => void>();
  /** Printed when a second signal exits at once (e.g. how to remove the deploy lock left behind). */
  readonly forcedExitNotes: string[] = [];

  get requested(): boolean {
    return this.why !== undefined;
  }

  get reason(): string | undefined {
    return this.why;
  }

  /** Returns false when cancellation had already been requested. */
  request(reason: string): boolean {
    if (this.why !== undefined) return false;
    this.why = reason;
    for (const l of [...this.listeners]) l();
    this.listeners.clear();
    return true;
  }

  /** Calls `fn` once on the request (at once if it already happened); returns an unsubscribe function. */
  onRequest(fn: () => void): () => void {
    if (this.requested) {
      fn();
      return () => undefined;
    }
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  /** Resolves when cancellation is requested (never, otherwise). */
  whenRequested(): Promise<void> {
    return new Promise((resolve) => void this.onRequest(resolve));
  }

  /** From now on commands run even after a cancel: the rollback and releasing the lock must not be refused. */
  beginCleanup(): void {
    this.cleaningUp = true;
  }

  throwIfCancelled(): void {
    if (this.why !== undefined && !this.cleaningUp) throw new CancelledError(this.why);
  }

  /** A runner that refuses to start a command once cancellation was requested (outside the cleanup). */
  gate(inner: CommandRunner): CommandRunner {
    return {
      run: (spec: CommandSpec, opts?: RunOptions): Promise<CommandResult> => {
        this.throwIfCancelled();
        return inner.run(spec, opts);
      },
    };
  }

  /** setTimeout that ends early on a cancel (a smoke-test retry wait must not delay the rollback). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve();
      }, ms);
      const off = this.onRequest(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export const CANCEL_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Exit status of a process ended by `signal` (shell convention 128 + number). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1;
}

/**
 * SIGINT/SIGTERM handlers (scripts/deploy.ts installs them on `process`): the first requests cancellation, a second
 * exits at once through `exit`. Returns a function that removes them.
 */
export function installSignalHandlers(source: SignalSource, cancellation: Cancellation, log: Logger, exit: (code: number) => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (cancellation.request(signal)) {
      log.warn(
        `${signal}: cancelled. Nothing new is started; once the command running now ends, what this run applied in Kubernetes is rolled back and the deploy lock released. ${signal} again exits at once, without finishing that.`,
      );
      return;
    }
    log.error([`${signal} again: exiting at once. Whatever the rollback had not done yet is NOT done; check the cluster.`, ...cancellation.forcedExitNotes].join('\n'));
    exit(signalExitCode(signal));
  };
  for (const s of CANCEL_SIGNALS) source.on(s, handler);
  return () => {
    for (const s of CANCEL_SIGNALS) source.off(s, handler);
  };
}
