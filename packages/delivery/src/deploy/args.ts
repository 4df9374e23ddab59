/** Command-line parsing of `npm run deploy -- --env <env> [...]` (node:util parseArgs). Pure: no environment lookups here. */
import { parseArgs as parseCommandLine, type ParseArgsConfig } from 'node:util';

export interface DeployOptions {
  readonly env: string;
  readonly planOnly: boolean;
  readonly yes: boolean;
  /** Go duration handed to `kubectl rollout status --timeout` and `kubectl wait --timeout`. */
  readonly rolloutTimeout: string;
  /** Git revision to roll back to; default: the revision recorded by the last successful deploy, else HEAD~1. */
  readonly rollbackRef?: string;
  /** Attempts per smoke test before it counts as failed (pods that just restarted need a scrape or two). */
  readonly smokeAttempts: number;
}

export type ParsedArgs =
  | { readonly kind: 'run'; readonly options: DeployOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage-error'; readonly message: string };

export const DEFAULT_ROLLOUT_TIMEOUT = '10m';
export const DEFAULT_SMOKE_ATTEMPTS = 5;

/** What kubectl's --timeout accepts (Go time.ParseDuration), but positive and with a unit on every number. */
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export function isPositiveDuration(value: string): boolean {
  return GO_DURATION.test(value) && /[1-9]/.test(value);
}

/** The flags, as node:util parseArgs reads them (strict: an unknown flag or a missing value is an error). */
const OPTIONS = {
  env: { type: 'string', multiple: true },
  'rollout-timeout': { type: 'string', multiple: true },
  'rollback-ref': { type: 'string', multiple: true },
  'smoke-attempts': { type: 'string', multiple: true },
  'plan-only': { type: 'boolean' },
  yes: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  try {
    // Value flags are `multiple` only so that one given twice is refused below instead of the last one winning.
    const { values, positionals } = parseCommandLine({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
    if (values.help) return { kind: 'help' };
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (flags only)`);
    const single = (name: 'env' | 'rollout-timeout' | 'rollback-ref' | 'smoke-attempts'): string | undefined => {
      const given = values[name];
      if (given === undefined) return undefined;
      if (given.length > 1) throw new UsageError(`--${name} given twice`);
      if (given[0] === '') throw new UsageError(`--${name} needs a value`);
      return given[0];
    };
    const env = single('env');
    if (env === undefined) throw new UsageError('--env <environment> is required');
    const rolloutTimeout = single('rollout-timeout') ?? DEFAULT_ROLLOUT_TIMEOUT;
    if (!isPositiveDuration(rolloutTimeout)) throw new UsageError(`--rollout-timeout '${rolloutTimeout}' is not a duration like 10m, 90s or 1h30m`);
    const attempts = single('smoke-attempts');
    const smokeAttempts = Number(attempts ?? DEFAULT_SMOKE_ATTEMPTS);
    if (!Number.isInteger(smokeAttempts) || smokeAttempts < 1 || smokeAttempts > 20) throw new UsageError(`--smoke-attempts '${attempts}' must be a whole number from 1 to 20`);
    const rollbackRef = single('rollback-ref');
    return {
      kind: 'run',
      options: { env, planOnly: values['plan-only'] === true, yes: values.yes === true, rolloutTimeout, smokeAttempts, ...(rollbackRef !== undefined ? { rollbackRef } : {}) },
    };
  } catch (e) {
    // parseArgs' own errors (code ERR_PARSE_ARGS_*) name the flag: `Unknown option '--force'`, `Option '--env <value>' argument missing`.
    if (e instanceof UsageError || String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) return { kind: 'usage-error', message: (e as Error).message };
    throw e;
  }
}
