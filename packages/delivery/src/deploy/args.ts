/** Command-line parsing of `npm run deploy -- --env <env> [...]`. Pure: no environment lookups here. */

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

const VALUE_FLAGS = ['--env', '--rollout-timeout', '--rollback-ref', '--smoke-attempts'] as const;
const BOOLEAN_FLAGS = ['--plan-only', '--yes'] as const;

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  const error = (message: string): ParsedArgs => ({ kind: 'usage-error', message });

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if ((VALUE_FLAGS as readonly string[]).includes(name)) {
      const value = eq > 0 && name !== arg ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || (name === arg && value.startsWith('--'))) return error(`${name} needs a value`);
      if (name in values) return error(`${name} given twice`);
      values[name] = value;
    } else if ((BOOLEAN_FLAGS as readonly string[]).includes(arg)) {
      flags.add(arg);
    } else if (arg.startsWith('-')) {
      return error(`unknown flag '${arg}'`);
    } else {
      return error(`unexpected argument '${arg}' (flags only)`);
    }
  }

  const env = values['--env'];
  if (!env) return error('--env <environment> is required');
  const rolloutTimeout = values['--rollout-timeout'] ?? DEFAULT_ROLLOUT_TIMEOUT;
  if (!isPositiveDuration(rolloutTimeout)) return error(`--rollout-timeout '${rolloutTimeout}' is not a duration like 10m, 90s or 1h30m`);
  const smokeAttempts = Number(values['--smoke-attempts'] ?? DEFAULT_SMOKE_ATTEMPTS);
  if (!Number.isInteger(smokeAttempts) || smokeAttempts < 1 || smokeAttempts > 20) return error(`--smoke-attempts '${values['--smoke-attempts']}' must be a whole number from 1 to 20`);
  return {
    kind: 'run',
    options: {
      env,
      planOnly: flags.has('--plan-only'),
      yes: flags.has('--yes'),
      rolloutTimeout,
      smokeAttempts,
      ...(values['--rollback-ref'] !== undefined ? { rollbackRef: values['--rollback-ref'] } : {}),
    },
  };
}
