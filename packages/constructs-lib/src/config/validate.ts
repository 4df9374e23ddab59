import { environmentConfigSchema, EnvironmentConfig } from './schema';

/** One rule broken by a config: the dotted field path and what the rule says. */
export interface ConfigViolation {
  readonly field: string;
  readonly message: string;
}

/** Thrown before anything is built or written; its message lists every violation, one per line. */
export class ConfigValidationError extends Error {
  /** Every invalid environment with its violations (one entry for a single environment). */
  readonly environments: readonly { readonly environment: string; readonly violations: readonly ConfigViolation[] }[];

  constructor(
    readonly environment: string,
    readonly violations: readonly ConfigViolation[],
    others: readonly ConfigValidationError[] = [],
  ) {
    const all = [{ environment, violations }, ...others.flatMap((o) => o.environments)];
    super(all.map((e) => `Invalid environment config '${e.environment}':\n` + e.violations.map((v) => `  - ${v.field}: ${v.message}`).join('\n')).join('\n'));
    this.name = 'ConfigValidationError';
    this.environments = all;
  }

  /** One error for several (every invalid environment is reported, not only the first). */
  static combine(errors: readonly ConfigValidationError[]): ConfigValidationError {
    const [first, ...rest] = errors;
    return new ConfigValidationError(first.environment, first.violations, rest);
  }
}

/** Validates raw config data and returns it typed, defaults filled in; throws ConfigValidationError otherwise. */
export function validateEnvironmentConfig(input: unknown): EnvironmentConfig {
  const result = environmentConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const violations = result.error.issues.map((i) => ({
    field: i.path.length ? i.path.join('.') : '(root)',
    message: i.code === 'unrecognized_keys' ? `unknown field(s) ${(i as { keys: string[] }).keys.join(', ')}` : i.message,
  }));
  const name = typeof input === 'object' && input !== null && typeof (input as { name?: unknown }).name === 'string' ? (input as { name: string }).name : '(unnamed)';
  throw new ConfigValidationError(name, violations);
}
