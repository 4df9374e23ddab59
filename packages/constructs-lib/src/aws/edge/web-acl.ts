import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import type { PlatformNames } from '../../naming/naming';
import { integerGreaterThanRegex, nginxSizeBytes, WAF_RATE_LIMIT, WAF_REGEX_MAX_LENGTH } from '../../util/integer-regex';

export interface PlatformWebAclProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
}

/** AWS managed rule groups the web ACL runs, in priority order. */
export const MANAGED_RULE_GROUPS = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList'] as const;

/** The login rate rule's limit per 600 s window: the seed's attempts per window, scaled, at least AWS WAF's minimum. */
export function loginRateLimitPerWindow(attempts: number, windowMinutes: number, windowSec = 600): number {
  return Math.max(WAF_RATE_LIMIT.minLimit, Math.ceil((attempts * windowSec) / (windowMinutes * 60)));
}

/**
 * The regional WAFv2 web ACL the public ALB carries: AWS managed common, known-bad-inputs and IP-reputation rule
 * groups, the body-size rule at NGINX's limit, a login rate limit on the auth paths, then a per-IP rate limit.
 * Requests are sampled and logged to CloudWatch for incident review.
 *
 * Body size: the common rule set's `SizeRestrictions_BODY` blocks bodies over 8 KB
 * (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html), while NGINX accepts
 * `ingress.bodySizeLimit` (10 MB): uploads and large JSON would get a 403. That rule only counts (RuleActionOverrides;
 * the name must match exactly, WAF silently ignores an override of an unknown managed rule:
 * https://docs.aws.amazon.com/waf/latest/APIReference/API_RuleActionOverride.html). WAF inspects just the first 8 KB
 * of an ALB request body (https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-setting-body-inspection-limit.html),
 * so no body SizeConstraint can enforce 10 MB: our own rule blocks a `content-length` header above NGINX's limit, with
 * a 413 custom response (https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-response-status-codes.html).
 * The regex (512 characters at most, https://docs.aws.amazon.com/waf/latest/APIReference/API_RegexMatchStatement.html)
 * matches the decimal integers above the limit without leading zeros, as clients send Content-Length. A request
 * without Content-Length (chunked), or with a padded value, is still refused by NGINX's client_max_body_size (413),
 * which stays the enforcer; this rule refuses the declared oversize bodies at the edge.
 *
 * Rate rules aggregate on the client IP: the web ACL is on the ALB, which the client connects to, so the source IP
 * WAF sees is the real client (no X-Forwarded-For needed).
 */
export class PlatformWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: PlatformWebAclProps) {
    super(scope, id);
    const { config, names } = props;
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });

    const rules: wafv2.CfnWebACL.RuleProperty[] = MANAGED_RULE_GROUPS.map((group, i) => ({
      name: group,
      priority: i + 1,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: group,
          ...(group === 'AWSManagedRulesCommonRuleSet' ? { ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }] } : {}),
        },
      },
      visibilityConfig: visibility(group),
    }));

    const bodyRegex = integerGreaterThanRegex(nginxSizeBytes(config.ingress.bodySizeLimit));
    if (bodyRegex.length > WAF_REGEX_MAX_LENGTH) throw new Error(`ingress.bodySizeLimit ${config.ingress.bodySizeLimit}: the WAF content-length regex has ${bodyRegex.length} characters, over AWS WAF's ${WAF_REGEX_MAX_LENGTH}`);
    rules.push({
      name: 'ContentLengthOverNginxLimit',
      priority: rules.length + 1,
      action: { block: { customResponse: { responseCode: 413 } } },
      statement: { regexMatchStatement: { fieldToMatch: { singleHeader: { Name: 'content-length' } }, regexString: bodyRegex, textTransformations: [{ priority: 0, type: 'NONE' }] } },
      visibilityConfig: visibility('ContentLengthOverNginxLimit'),
    });

    // The seed's "5 login attempts per 15 minutes" is the backend's own rule (auth-policy.json, which it reads); the
    // edge rules are the outer bound: the attempts scaled to WAF's longest window (600 s), at least WAF's smallest
    // limit (10) — for 5/15 min, max(10, ceil(5 × 600 / 900)) = 10 per 10 minutes. Paths are matched EXACTLY after
    // URL_DECODE, as NGINX matches the decoded URI against its exact locations: /api/v1/auth/%6Cogin reaches the same
    // location, so without the decode it would bypass the rule (NONE would be exact on the raw bytes only).
    const pathMatch = (path: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: { fieldToMatch: { uriPath: {} }, positionalConstraint: 'EXACTLY', searchString: path, textTransformations: [{ priority: 0, type: 'URL_DECODE' }] },
    });
    const authPaths = config.auth.authPaths;
    rules.push({
      name: 'LoginRateLimitPerIp',
      priority: rules.length + 1,
      action: { block: { customResponse: { responseCode: 429 } } },
      statement: {
        rateBasedStatement: {
          limit: loginRateLimitPerWindow(config.auth.loginRateLimit.attempts, config.auth.loginRateLimit.windowMinutes),
          aggregateKeyType: 'IP',
          evaluationWindowSec: 600,
          scopeDownStatement: authPaths.length === 1 ? pathMatch(authPaths[0]) : { orStatement: { statements: authPaths.map(pathMatch) } },
        },
      },
      visibilityConfig: visibility('LoginRateLimitPerIp'),
    });

    rules.push({
      name: 'RateLimitPerIp',
      priority: rules.length + 1,
      action: { block: {} },
      statement: { rateBasedStatement: { limit: config.edge.rateLimitPer5Minutes, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
      visibilityConfig: visibility('RateLimitPerIp'),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: names.ingress.wafAclName,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(names.ingress.wafAclName),
      rules,
    });

    // WAF requires the log group name to start with "aws-waf-logs-".
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `aws-waf-logs-${names.prefix}`,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [logGroup.logGroupArn],
      // Never log credentials or session cookies.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });
  }
}
