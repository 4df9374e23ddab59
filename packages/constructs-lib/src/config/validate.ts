import { closestName } from '../util/closest';
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

/** `unknown field(s) clustre (did you mean cluster?)`: each unknown key with the closest known one, if any is close. */
function unknownFieldsMessage(keys: readonly string[], known: readonly string[]): string {
  return `unknown field(s) ${keys.map((k) => {
    const hint = closestName(k, known);
    return hint ? `${k} (did you mean ${hint}?)` : k;
  }).join(', ')}`;
}

/** The keys the object schema at `path` declares (through optional/default/pipe wrappers, arrays and records). */
function knownKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  let s = schema as { def?: Record<string, any>; shape?: Record<string, unknown> } | undefined;
  const unwrap = () => {
    for (let n = 0; s?.def && n < 10; n++) {
      const d = s.def;
      if (['optional', 'default', 'nullable', 'readonly', 'prefault', 'catch', 'nonoptional'].includes(d.type)) s = d.innerType;
      else if (d.type === 'pipe') s = d.in;
      else break;
    }
  };
  unwrap();
  for (const key of path) {
    const d = s?.def;
    if (d?.type === 'object') s = (s!.shape as Record<string, any>)?.[String(key)];
    else if (d?.type === 'array') s = d.element;
    else if (d?.type === 'record') s = d.valueType;
    else return [];
    unwrap();
  }
  return s?.def?.type === 'object' ? Object.keys(s.shape ?? {}) : [];
}

/** Validates raw config data and returns it typed, defaults filled in; throws ConfigValidationError otherwise. */
export function validateEnvironmentConfig(input: unknown): EnvironmentConfig {
  const result = environmentConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const violations = result.error.issues.map((i) => ({
    field: i.path.length ? i.path.join('.') : '(root)',
    message: i.code === 'unrecognized_keys' ? unknownFieldsMessage((i as { keys: string[] }).keys, knownKeysAt(environmentConfigSchema, i.path)) : i.message,
  }));
  const name = typeof input === 'object' && input !== null && typeof (input as { name?: unknown }).name === 'string' ? (input as { name: string }).name : '(unnamed)';
  throw new ConfigValidationError(name, violations);
}
