/**
 * The policy check's rules: each a pure function of one environment's rendered objects, named, with one sentence
 * saying what it demands and why. Their findings are `policy/<rule>` findings.
 */
import { objectFinding, type Finding, type RenderedObject } from '@optibid/rendered';

export type { Finding, RenderedObject };

/** A named policy rule over all objects of one environment. */
export interface PolicyCheck {
  readonly name: string;
  /** One sentence: what the rule demands and why. */
  readonly description: string;
  readonly run: (objects: readonly RenderedObject[]) => Finding[];
}

/** The check every policy rule reports under. */
export const POLICY_CHECK = 'policy';

/** A finding of the policy rule `rule` about one object. */
export function finding(rule: string, o: RenderedObject, message: string): Finding {
  return objectFinding(POLICY_CHECK, rule, o, message);
}
