/**
 * Every line the deploy prints goes through a Logger, prefixed `[deploy]`, so a CI log can be grepped for what the
 * tool itself said (as opposed to the output of the commands it ran, which is passed through unprefixed).
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** The exact command about to run, as it could be pasted into a shell. */
  command(line: string): void;
  /** Raw output of a command the operator should see (diffs, apply results, rollout progress). */
  output(chunk: string, stream: 'stdout' | 'stderr'): void;
}

export const LOG_PREFIX = '[deploy]';

function prefixLines(message: string, marker = ''): string {
  return (
    message
      .split('\n')
      .map((l) => `${LOG_PREFIX} ${marker}${l}`.trimEnd())
      .join('\n') + '\n'
  );
}

export interface Writable {
  write(chunk: string): unknown;
}

/** Info and commands on stdout; warnings and errors on stderr (a CI job can show them highlighted). */
export function streamLogger(out: Writable = process.stdout, err: Writable = process.stderr): Logger {
  return {
    info: (m) => out.write(prefixLines(m)),
    warn: (m) => err.write(prefixLines(m, 'WARNING: ')),
    error: (m) => err.write(prefixLines(m)),
    command: (line) => out.write(`${LOG_PREFIX} $ ${line}\n`),
    output: (chunk, stream) => (stream === 'stdout' ? out : err).write(chunk),
  };
}
