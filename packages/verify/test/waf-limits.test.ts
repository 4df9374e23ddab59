/**
 * contract/waf-limits: the web ACL and NGINX agree on body size, and the auth paths have an edge rate rule. Clean on
 * the committed render of every environment; each defect put back into a copy of the production render (or found in
 * the pre-fix render, when /tmp/dist-old is on disk) gives its finding, naming both limits.
 */
import * as fs from 'fs';
import * as path from 'path';
import { integerGreaterThanRegex } from '@optibid/constructs-lib';
import { contractCheck } from '../src/checks/contract';
import { smallestMatch } from '../src/checks/contract/waf-limits';
import { loadRenderedEnvironment } from '@optibid/rendered';
import type { CfnTemplate, Finding, KubeObject, RenderedEnvironment } from '../src/types';
import { broken, find, rendered, ENVIRONMENTS } from './support';

const EDGE = 'optibid-production-edge';
const ACL = `${EDGE}/WafWebAclBE24253C`;
const TEN_MB = 10_485_760;

function run(env: RenderedEnvironment): Finding[] {
  return contractCheck.run(env).findings.filter((f) => f.rule === 'waf-limits');
}
const messages = (env: RenderedEnvironment): string[] => run(env).map((f) => f.message);

function aclRules(t: Record<string, CfnTemplate>): any[] {
  const acl = Object.values(t[EDGE].Resources).find((r) => r.Type === 'AWS::WAFv2::WebACL');
  if (!acl) throw new Error(`no web ACL in ${EDGE}`);
  return acl.Properties!.Rules;
}
const rule = (t: Record<string, CfnTemplate>, name: string): any => {
  const r = aclRules(t).find((x) => x.Name === name);
  if (!r) throw new Error(`rule ${name} not in the web ACL`);
  return r;
};
const crs = (t: Record<string, CfnTemplate>): any => rule(t, 'AWSManagedRulesCommonRuleSet').Statement.ManagedRuleGroupStatement;
const nginxIngresses = (objects: { obj: KubeObject }[]): KubeObject[] => objects.map((o) => o.obj).filter((o) => o.kind === 'Ingress' && o.spec?.ingressClassName === 'nginx');

describe.each([...ENVIRONMENTS])('the committed %s render', (env) => {
  it('has no waf-limits finding', () => expect(run(rendered(env))).toEqual([]));
});

describe('what the fixed render holds', () => {
  it('the content-length rule is integerGreaterThanRegex of the largest NGINX limit (10m), and decodes to it', () => {
    const regex = rule(rendered().templates, 'ContentLengthOverNginxLimit').Statement.RegexMatchStatement.RegexString;
    expect(regex).toBe(integerGreaterThanRegex(TEN_MB));
    expect(smallestMatch(regex)).toBe(TEN_MB + 1);
  });
  it('the login rule comes before the general rate rule, priorities are unique', () => {
    const rules = aclRules(rendered().templates);
    const prio = (n: string) => rules.find((r) => r.Name === n).Priority;
    expect(prio('LoginRateLimitPerIp')).toBeLessThan(prio('RateLimitPerIp'));
    expect(new Set(rules.map((r) => r.Priority)).size).toBe(rules.length);
  });
});

const OLD = '/tmp/dist-old';
(fs.existsSync(path.join(OLD, 'cloudformation', 'production')) ? describe : describe.skip)('the pre-fix production render (/tmp/dist-old)', () => {
  it('is reported three times: SizeRestrictions_BODY not overridden, no content-length rule, no login rule', () => {
    const findings = run(loadRenderedEnvironment(OLD, 'production'));
    expect(findings.map((f) => f.object)).toEqual([ACL, ACL, ACL]);
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/SizeRestrictions_BODY blocks bodies over 8192 bytes, while Ingress\/optibid\/api accepts 10485760/),
      expect.stringContaining("no rule blocking a content-length above NGINX's limit (10485760 bytes"),
      expect.stringContaining('no rate-based rule scoped to the auth paths /api/v1/auth/login, /api/v1/auth/refresh, /api/v1/auth/token (Ingress/optibid/api-auth)'),
    ]);
  });
});

describe('SizeRestrictions_BODY', () => {
  it('without the override: finding naming the ACL, the Ingress and both limits, on the override field', () => {
    const env = broken(({ templates }) => void delete crs(templates).RuleActionOverrides);
    expect(run(env)).toEqual([
      expect.objectContaining({
        object: ACL,
        field: 'Properties.Rules[0].Statement.ManagedRuleGroupStatement.RuleActionOverrides',
        message: expect.stringMatching(/web ACL optibid-production-edge .*over 8192 bytes, while Ingress\/optibid\/api accepts 10485760/),
      }),
    ]);
  });
  it('an override to Block, or to a misspelt rule name (WAF ignores it silently), is no override', () => {
    const block = broken(({ templates }) => void (crs(templates).RuleActionOverrides[0].ActionToUse = { Block: {} }));
    expect(messages(block)).toEqual([expect.stringContaining('SizeRestrictions_BODY blocks bodies over 8192 bytes')]);
    const misspelt = broken(({ templates }) => void (crs(templates).RuleActionOverrides[0].Name = 'SizeRestrictions_Body'));
    expect(messages(misspelt)).toEqual([expect.stringContaining('SizeRestrictions_BODY blocks bodies over 8192 bytes')]);
  });
  it('an override to Allow is accepted', () => {
    expect(run(broken(({ templates }) => void (crs(templates).RuleActionOverrides[0].ActionToUse = { Allow: {} })))).toEqual([]);
  });
  it('needs no override when NGINX allows at most 8 KB (then only the content-length rule disagrees)', () => {
    const env = broken(({ templates, objects }) => {
      delete crs(templates).RuleActionOverrides;
      for (const i of nginxIngresses(objects)) if (i.metadata.annotations?.['nginx.org/client-max-body-size']) i.metadata.annotations['nginx.org/client-max-body-size'] = '8k';
    });
    expect(messages(env)).toEqual([expect.stringContaining('blocks content-length above 10485760, but NGINX allows 8192')]);
  });
  it('an Ingress of another class does not count as an NGINX limit', () => {
    const env = broken(({ templates, objects }) => {
      delete crs(templates).RuleActionOverrides;
      for (const i of nginxIngresses(objects)) {
        i.spec.ingressClassName = 'alb';
      }
    });
    expect(run(env)).toEqual([]);
  });
});

describe('the content-length rule', () => {
  const field = 'Properties.Rules[3].Statement.RegexMatchStatement.RegexString';
  it('missing: finding with NGINX\'s limit', () => {
    const env = broken(({ templates }) => {
      const rules = aclRules(templates);
      rules.splice(rules.findIndex((r) => r.Name === 'ContentLengthOverNginxLimit'), 1);
    });
    expect(run(env)).toEqual([expect.objectContaining({ object: ACL, field: 'Properties.Rules', message: expect.stringContaining("no rule blocking a content-length above NGINX's limit (10485760 bytes, Ingress/optibid/api)") })]);
  });
  it('at 1 MB: both numbers, decoded from the regex', () => {
    const env = broken(({ templates }) => void (rule(templates, 'ContentLengthOverNginxLimit').Statement.RegexMatchStatement.RegexString = integerGreaterThanRegex(1_048_576)));
    expect(run(env)).toEqual([expect.objectContaining({ object: ACL, field, message: expect.stringContaining('rule ContentLengthOverNginxLimit blocks content-length above 1048576, but NGINX allows 10485760') })]);
  });
  it('NGINX raised on one Ingress (20m): the largest limit is the one to match', () => {
    const env = broken(({ objects }) => void (find({ objects }, 'Ingress', 'web', 'optibid').metadata.annotations!['nginx.org/client-max-body-size'] = '20m'));
    expect(messages(env)).toEqual([expect.stringContaining('blocks content-length above 10485760, but NGINX allows 20971520 (Ingress/optibid/web)')]);
  });
  it('a regex with the same boundary but other text is not the generated one', () => {
    const env = broken(({ templates }) => void (rule(templates, 'ContentLengthOverNginxLimit').Statement.RegexMatchStatement.RegexString = `${integerGreaterThanRegex(TEN_MB)}|^x$`));
    expect(messages(env)).toEqual([expect.stringContaining('starts matching above 10485760 like NGINX\'s limit, but is not integerGreaterThanRegex(10485760)')]);
  });
  it.each([
    ['only the numbers just above the limit', '^1048576[1-9]$'],
    ['no number at all', '^x$'],
  ])('a regex matching %s has no limit to decode', (_, regex) => {
    const env = broken(({ templates }) => void (rule(templates, 'ContentLengthOverNginxLimit').Statement.RegexMatchStatement.RegexString = regex));
    expect(messages(env)).toEqual([expect.stringContaining('blocks content-length above (no limit it can decode: it does not match every integer up to 10^12 above some bound), but NGINX allows 10485760')]);
  });
  it('a rule that only counts does not block', () => {
    const env = broken(({ templates }) => void (rule(templates, 'ContentLengthOverNginxLimit').Action = { Count: {} }));
    expect(messages(env)).toEqual([expect.stringContaining("no rule blocking a content-length above NGINX's limit")]);
  });
});

describe('the login rate rule', () => {
  const scope = (t: Record<string, CfnTemplate>) => rule(t, 'LoginRateLimitPerIp').Statement.RateBasedStatement;
  it('dropped: finding naming the auth paths read from the api-auth minion', () => {
    const env = broken(({ templates }) => {
      const rules = aclRules(templates);
      rules.splice(rules.findIndex((r) => r.Name === 'LoginRateLimitPerIp'), 1);
    });
    expect(run(env)).toEqual([expect.objectContaining({ object: ACL, field: 'Properties.Rules', message: expect.stringContaining('no rate-based rule scoped to the auth paths /api/v1/auth/login, /api/v1/auth/refresh, /api/v1/auth/token (Ingress/optibid/api-auth)') })]);
  });
  it('a path added to the minion but not to the WAF rule', () => {
    const env = broken(({ objects }) => {
      const minion = find({ objects }, 'Ingress', 'api-auth', 'optibid');
      const paths = minion.spec.rules[0].http.paths;
      paths.push({ ...structuredClone(paths[0]), path: '/api/v1/auth/mfa' });
    });
    expect(messages(env)).toEqual([expect.stringContaining('/api/v1/auth/mfa')]);
  });
  it('a prefix match instead of an exact one is not the auth paths', () => {
    const env = broken(({ templates }) => {
      for (const s of scope(templates).ScopeDownStatement.OrStatement.Statements) s.ByteMatchStatement.PositionalConstraint = 'STARTS_WITH';
    });
    expect(messages(env)).toEqual([expect.stringContaining('no rate-based rule scoped to the auth paths')]);
  });
  it('outside AWS WAF bounds: limit below 10, or a 900 s window', () => {
    const low = broken(({ templates }) => void (scope(templates).Limit = 5));
    expect(messages(low)).toEqual([expect.stringContaining("limit 5 per 600 s is outside AWS WAF's bounds")]);
    const long = broken(({ templates }) => void (scope(templates).EvaluationWindowSec = 900));
    expect(messages(long)).toEqual([expect.stringContaining("limit 10 per 900 s is outside AWS WAF's bounds")]);
  });
  it('no api-auth minion: nothing to compare', () => {
    const env = broken((e) => {
      e.objects = e.objects.filter((o) => !(o.obj.kind === 'Ingress' && o.obj.metadata.name === 'api-auth'));
      const rules = aclRules(e.templates);
      rules.splice(rules.findIndex((r) => r.Name === 'LoginRateLimitPerIp'), 1);
    });
    expect(run(env)).toEqual([]);
  });
});

describe('smallestMatch', () => {
  it.each([0, 1, 9, 10, 8191, 8192, 1_048_576, TEN_MB, 999_999_999])('decodes integerGreaterThanRegex(%i)', (n) => {
    expect(smallestMatch(integerGreaterThanRegex(n))).toBe(n + 1);
  });
});
