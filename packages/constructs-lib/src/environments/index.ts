import { EnvironmentConfig, EnvironmentConfigInput } from '../config/schema';
import { validateEnvironmentConfig } from '../config/validate';
import { dev } from './dev';
import { production } from './production';
import { staging } from './staging';

/**
 * Every environment the platform renders, in render order. To add one: write `<name>.ts` beside this file
 * (copy the closest tier), add it here; `npm run synth` then renders it.
 */
export const ENVIRONMENT_INPUTS: readonly EnvironmentConfigInput[] = [dev, staging, production];

/** Validates every environment; throws on the first invalid one with all of its violations. */
export function loadEnvironments(inputs: readonly EnvironmentConfigInput[] = ENVIRONMENT_INPUTS): EnvironmentConfig[] {
  const configs = inputs.map((i) => validateEnvironmentConfig(i));
  const seen = new Set<string>();
  for (const c of configs) {
    if (seen.has(c.name)) throw new Error(`Environment name '${c.name}' is used twice: names must be unique`);
    seen.add(c.name);
  }
  return configs;
}

/** One environment by name, validated. */
export function loadEnvironment(name: string): EnvironmentConfig {
  const input = ENVIRONMENT_INPUTS.find((e) => e.name === name);
  if (!input) throw new Error(`Unknown environment '${name}' (known: ${ENVIRONMENT_INPUTS.map((e) => e.name).join(', ')})`);
  return validateEnvironmentConfig(input);
}

export { dev, staging, production };
