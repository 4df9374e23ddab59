import { environmentConfigSchema, EnvironmentConfig } from './schema';

/** One rule broken by a config: the dotted field path and what the rule says. */
export interface ConfigViolation {
  readonly field: string;
  readonly message: string;
}

/** Thrown before anything is built or written; its message lists every violation, one per line. */
export class ConfigValidationError extends Error {
  constructor(
    readonly environment: string,
    readonly violations: readonly ConfigViolation[],
  ) {
    super(`Invalid environment config '${environment}':\n` + violations.map((v) => `  - ${v.field}: ${v.message}`).join('\n'));
    this.name = 'ConfigValidationError';
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
