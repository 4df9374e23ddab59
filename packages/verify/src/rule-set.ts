/**
 * A check made of named rules (contract, references): each rule a pure function of the environment that returns
 * findings; the check runs them in order and drops duplicate findings (several paths can reach one defect).
 */
import { dedupeFindings } from '@optibid/rendered';
import type { Finding, RenderedEnvironment, VerifyCheck } from './types';

/** Makes findings of one check and environment. */
export function findingMaker(check: string, env: RenderedEnvironment) {
  return (rule: string, object: string, field: string | undefined, message: string): Finding => ({ check, rule, env: env.name, object, ...(field !== undefined ? { field } : {}), message });
}

export type MakeFinding = ReturnType<typeof findingMaker>;

/** One named rule of a check: a pure function of the environment. */
export type Rule = (env: RenderedEnvironment, f: MakeFinding) => Finding[];

/** Removes findings with the same rule, object, field and message. */
export const dedupe = dedupeFindings;

/** A check that runs `rules` in order (the record's order is the printed order). */
export function ruleSetCheck(name: string, description: string, rules: Readonly<Record<string, Rule>>): VerifyCheck {
  return {
    name,
    description,
    run(env) {
      const f = findingMaker(name, env);
      return { findings: dedupe(Object.values(rules).flatMap((rule) => rule(env, f))) };
    },
  };
}
