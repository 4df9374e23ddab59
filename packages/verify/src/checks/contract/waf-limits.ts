/**
 * `waf-limits`: the web ACL in front of NGINX neither refuses what NGINX accepts nor leaves the edge limits unset.
 *
 * For every regional web ACL attached to an Ingress (see `waf`), against the NGINX Ingresses of the YAML (class
 * `nginx`):
 * - body size: `AWSManagedRulesCommonRuleSet` blocks bodies over 8 KB (`SizeRestrictions_BODY`,
 *   https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html); when an NGINX
 *   Ingress accepts more (`nginx.org/client-max-body-size`), that rule must be overridden to count (or allow). The
 *   override's name is compared exactly: WAF silently ignores an override naming no rule of a managed group
 *   (https://docs.aws.amazon.com/waf/latest/APIReference/API_RuleActionOverride.html).
 * - content-length: a blocking rule must match the `content-length` header with exactly
 *   `integerGreaterThanRegex(<largest NGINX limit in bytes>)`. When it does not, the limit its regex encodes is
 *   decoded (the smallest integer it matches, minus one) so the finding names both numbers: a lower one refuses what
 *   NGINX accepts, a higher one lets through what NGINX refuses anyway (harmless, but the two are meant to agree).
 * - login attempts: the auth paths (those of the NGINX minion Ingress `optibid/api-auth`) have a blocking rate-based
 *   rule whose scope-down matches exactly those paths, within AWS WAF's bounds (limit ≥ 10, window 60/120/300/600 s,
 *   https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html).
 */
import { integerGreaterThanRegex, nginxSizeBytes, WAF_MANAGED_BODY_LIMIT_BYTES, WAF_RATE_LIMIT } from '@optibid/constructs-lib';
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { resourceId, resources, resolvedProperties, resolveString, resourceOfToken, type CfnResource } from '../../cfn';
import { ofKind } from '../references/kube';
import { type MakeFinding } from '../../rule-set';
import { allIngresses } from './waf';

const RULE = 'waf-limits';
const MANAGED_BODY_LIMIT = WAF_MANAGED_BODY_LIMIT_BYTES;
const AUTH_MINION = { namespace: 'optibid', name: 'api-auth' };

const isNginx = (i: KubeObject): boolean => (i.spec?.ingressClassName ?? i.metadata.annotations?.['kubernetes.io/ingress.class']) === 'nginx';

/** The smallest integer the regex matches (the limit it encodes is that minus one), by search; undefined if none ≤ 10^12. */
export function smallestMatch(regex: string): number | undefined {
  const re = new RegExp(regex);
  const hi0 = 1e12;
  if (!re.test(String(hi0))) return undefined;
  // Matches of "integer > n" are upward closed: binary search the boundary.
  let lo = 0;
  let hi = hi0;
  if (re.test('0')) return 0;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (re.test(String(mid))) hi = mid;
    else lo = mid;
  }
  return hi;
}

function nginxLimits(env: RenderedEnvironment): { ingress: KubeObject; bytes: number }[] {
  const out: { ingress: KubeObject; bytes: number }[] = [];
  for (const i of ofKind(env, 'Ingress').filter(isNginx)) {
    const v = i.metadata.annotations?.['nginx.org/client-max-body-size'];
    if (v === undefined) continue;
    try {
      out.push({ ingress: i, bytes: nginxSizeBytes(v) });
    } catch {
      // an unreadable size is NGINX's to reject; nothing to compare
    }
  }
  return out;
}

/** Regional web ACLs attached to some Ingress. */
function attachedAcls(env: RenderedEnvironment): CfnResource[] {
  const out: CfnResource[] = [];
  for (const { obj } of allIngresses(env)) {
    const v = obj.metadata.annotations?.['alb.ingress.kubernetes.io/wafv2-acl-arn'];
    const t = v ? resourceOfToken(env, v) : undefined;
    const acl = t?.type === 'AWS::WAFv2::WebACL' ? resources(env, 'AWS::WAFv2::WebACL').find((a) => a.stack === t.stack && a.logicalId === t.logicalId) : undefined;
    if (acl && !out.includes(acl)) out.push(acl);
  }
  return out;
}

const uriPathsOf = (st: any): string[] | undefined => {
  if (st?.ByteMatchStatement?.FieldToMatch?.UriPath !== undefined && st.ByteMatchStatement.PositionalConstraint === 'EXACTLY') return [st.ByteMatchStatement.SearchString];
  if (st?.OrStatement) {
    const parts = (st.OrStatement.Statements ?? []).map(uriPathsOf);
    return parts.every(Boolean) ? parts.flat() : undefined;
  }
  return undefined;
};

export function wafLimits(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const out: Finding[] = [];
  const limits = nginxLimits(env);
  const largest = limits.reduce<{ ingress: KubeObject; bytes: number } | undefined>((m, l) => (!m || l.bytes > m.bytes ? l : m), undefined);
  const authMinion = ofKind(env, 'Ingress').find((i) => isNginx(i) && i.metadata.name === AUTH_MINION.name && (i.metadata.namespace ?? 'default') === AUTH_MINION.namespace);
  const authPaths = [...new Set<string>((authMinion?.spec?.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => p.path as string)))].sort();

  for (const acl of attachedAcls(env)) {
    const id = resourceId(acl);
    const name = resolveString(env, acl.stack, acl.properties.Name) ?? acl.logicalId;
    const rules: any[] = resolvedProperties(env, acl).Rules ?? [];
    rules.forEach((r, i) => {
      const m = r.Statement?.ManagedRuleGroupStatement;
      if (m?.Name !== 'AWSManagedRulesCommonRuleSet' || !largest || largest.bytes <= MANAGED_BODY_LIMIT) return;
      const override = (m.RuleActionOverrides ?? []).find((o: any) => o.Name === 'SizeRestrictions_BODY');
      const action = override ? Object.keys(override.ActionToUse ?? {})[0] : undefined;
      if (action !== 'Count' && action !== 'Allow') {
        out.push(f(RULE, id, `Properties.Rules[${i}].Statement.ManagedRuleGroupStatement.RuleActionOverrides`, `web ACL ${name} runs AWSManagedRulesCommonRuleSet, whose SizeRestrictions_BODY blocks bodies over ${MANAGED_BODY_LIMIT} bytes, while ${objectId(largest.ingress)} accepts ${largest.bytes} (nginx.org/client-max-body-size): larger uploads get a 403. Override SizeRestrictions_BODY to count`));
      }
    });

    if (largest) {
      const sizeRules = rules
        .map((r, i) => ({ r, i }))
        .filter(({ r }) => r.Action?.Block && String(r.Statement?.RegexMatchStatement?.FieldToMatch?.SingleHeader?.Name ?? '').toLowerCase() === 'content-length');
      if (!sizeRules.length) {
        out.push(f(RULE, id, 'Properties.Rules', `web ACL ${name} has no rule blocking a content-length above NGINX's limit (${largest.bytes} bytes, ${objectId(largest.ingress)})`));
      }
      const expected = integerGreaterThanRegex(largest.bytes);
      for (const { r, i } of sizeRules) {
        const regex: string = r.Statement.RegexMatchStatement.RegexString;
        if (regex === expected) continue;
        const field = `Properties.Rules[${i}].Statement.RegexMatchStatement.RegexString`;
        const first = smallestMatch(regex);
        const blocksAbove = first === undefined ? undefined : first - 1;
        if (blocksAbove !== largest.bytes) {
          out.push(f(RULE, id, field, `web ACL ${name} rule ${r.Name} blocks content-length above ${blocksAbove ?? '(no limit it can decode: it does not match every integer up to 10^12 above some bound)'}, but NGINX allows ${largest.bytes} (${objectId(largest.ingress)}): the two body limits disagree`));
        } else {
          // Same boundary, other regex: it may still miss larger values (e.g. only the numbers of n's length).
          out.push(f(RULE, id, field, `web ACL ${name} rule ${r.Name}'s content-length regex starts matching above ${largest.bytes} like NGINX's limit, but is not integerGreaterThanRegex(${largest.bytes}) (${expected})`));
        }
      }
    }

    if (authPaths.length) {
      const rate = rules.map((r, i) => ({ r, i })).find(({ r }) => r.Action?.Block && r.Statement?.RateBasedStatement && (uriPathsOf(r.Statement.RateBasedStatement.ScopeDownStatement) ?? []).sort().join('\n') === authPaths.join('\n'));
      if (!rate) {
        out.push(f(RULE, id, 'Properties.Rules', `web ACL ${name} has no rate-based rule scoped to the auth paths ${authPaths.join(', ')} (${objectId(authMinion!)}): the login limit depends on NGINX alone`));
      } else {
        const s = rate.r.Statement.RateBasedStatement;
        const window = Number(s.EvaluationWindowSec ?? 300);
        if (Number(s.Limit) < WAF_RATE_LIMIT.minLimit || !(WAF_RATE_LIMIT.windowsSec as readonly number[]).includes(window)) {
          out.push(f(RULE, id, `Properties.Rules[${rate.i}].Statement.RateBasedStatement`, `rule ${rate.r.Name}: limit ${s.Limit} per ${window} s is outside AWS WAF's bounds (limit ≥ 10; window 60, 120, 300 or 600 s)`));
        }
      }
    }
  }
  return out;
}
