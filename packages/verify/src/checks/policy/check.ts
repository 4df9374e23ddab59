/** The policy check: every policy rule over one environment's rendered objects (a crashing rule is a finding). */
import type { VerifyCheck } from '../../types';
import { POLICY_CHECKS } from './index';
import { POLICY_CHECK } from './policy-check';

export const policyCheck: VerifyCheck = {
  name: POLICY_CHECK,
  description: `${POLICY_CHECKS.length} policy rules over the rendered objects: ${POLICY_CHECKS.map((c) => c.name).join(', ')}`,
  run(env) {
    const findings = POLICY_CHECKS.flatMap((rule) => {
      try {
        return rule.run(env.objects);
      } catch (err) {
        return [{ check: POLICY_CHECK, rule: rule.name, env: env.name, object: '-', message: `the rule crashed: ${(err as Error).stack ?? err}` }];
      }
    });
    return { findings };
  },
};
