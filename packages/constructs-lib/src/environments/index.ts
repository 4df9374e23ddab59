import { crossEnvironmentViolations } from '../config/cross-environment';
import { EnvironmentConfig, EnvironmentConfigInput } from '../config/schema';
import { ConfigValidationError, validateEnvironmentConfig, type ConfigViolation } from '../config/validate';
import { dev } from './dev';
import { production } from './production';
import { staging } from './staging';

/**
 * Every environment the platform renders, in render order. To add one: write `<name>.ts` beside this file
 * (copy the closest tier), add it here; `npm run synth` then renders it.
 */
export const ENVIRONMENT_INPUTS: readonly EnvironmentConfigInput[] = [dev, staging, production];

/**
 * Validates every environment, then what environments may not share (cross-environment.ts); throws one
 * ConfigValidationError listing every violation of every invalid environment.
 */
export function loadEnvironments(inputs: readonly EnvironmentConfigInput[] = ENVIRONMENT_INPUTS): EnvironmentConfig[] {
  const configs: EnvironmentConfig[] = [];
  const errors: ConfigValidationError[] = [];
  for (const input of inputs) {
    try {
      configs.push(validateEnvironmentConfig(input));
    } catch (err) {
      if (!(err instanceof ConfigValidationError)) throw err;
      errors.push(err);
    }
  }
  const byEnv = new Map<string, ConfigViolation[]>();
  const add = (env: string, v: ConfigViolation) => byEnv.set(env, [...(byEnv.get(env) ?? []), v]);
  const seen = new Set<string>();
  for (const c of configs) {
    if (seen.has(c.name)) add(c.name, { field: 'name', message: `'${c.name}' is the name of another environment too: names must be unique` });
    seen.add(c.name);
  }
  for (const v of crossEnvironmentViolations(configs)) add(v.environment, { field: v.field, message: v.message });
  for (const [env, violations] of byEnv) errors.push(new ConfigValidationError(env, violations));
  if (errors.length) throw ConfigValidationError.combine(errors);
  return configs;
}

/** One environment by name, validated. */
export function loadEnvironment(name: string): EnvironmentConfig {
  const input = ENVIRONMENT_INPUTS.find((e) => e.name === name);
  if (!input) throw new Error(`Unknown environment '${name}' (known: ${ENVIRONMENT_INPUTS.map((e) => e.name).join(', ')})`);
  return validateEnvironmentConfig(input);
}

export { dev, staging, production };
