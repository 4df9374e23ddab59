/**
 * The contract rules that guard the first real deploy (issue 12): each is clean on the committed render and fails on a
 * copy of it with the defect put back as it was before the fix (the same shape the pre-fix render had).
 */
import { UPSTREAM_POLICIES, type UpstreamPolicy } from '@optibid/constructs-lib';
import { contractCheck } from '../src/checks/contract';
import { resourcesOverlap, uncovered } from '../src/checks/contract/controller-iam';
import { smallestMatch } from '../src/checks/contract/waf-limits';
import { integerGreaterThanRegex } from '@optibid/constructs-lib';
import type { CfnTemplate, Finding, RenderedEnvironment } from '../src/types';
import { broken, find, rendered, ENVIRONMENTS } from './support';

const CLUSTER = 'optibid-production-cluster';

function run(env: RenderedEnvironment, rule: string): Finding[] {
  return contractCheck.run(env).findings.filter((f) => f.rule === rule);
}

const byType = (t: Record<string, CfnTemplate>, type: string) => Object.entries(t[CLUSTER].Resources).filter(([, r]) => r.Type === type);
const chart = (t: Record<string, CfnTemplate>, name: string) => {
  const hit = byType(t, 'Custom::AWSCDK-EKS-HelmChart').find(([, r]) => r.Properties?.Chart === name);
  if (!hit) throw new Error(`chart ${name} not in ${CLUSTER}`);
  return hit[1];
};
const roleNamed = (t: Record<string, CfnTemplate>, fragment: string) => {
  const hit = byType(t, 'AWS::IAM::Role').find(([id]) => id.includes(fragment));
  if (!hit) throw new Error(`role *${fragment}* not in ${CLUSTER}`);
  return hit[1];
};
/** The edge Ingress the cluster template applies (its Manifest is a JSON string with tokens, or an Fn::Join). */
function withEdgeIngress(t: Record<string, CfnTemplate>, change: (ingress: any) => void): void {
  const [, m] = byType(t, 'Custom::AWSCDK-EKS-KubernetesResource').find(([id]) => id.startsWith('EdgeIngress'))!;
  const manifest = m.Properties!.Manifest;
  if (typeof manifest === 'string') {
    const objs = JSON.parse(manifest);
    change(objs[0]);
    m.Properties!.Manifest = JSON.stringify(objs);
  } else {
    // Fn::Join of literal pieces and the WAF ARN token: edit the literal pieces' text.
    const parts: unknown[] = manifest['Fn::Join'][1];
    const text = parts.map((p, i) => (typeof p === 'string' ? p : `@@TOKEN${i}@@`)).join('');
    const objs = JSON.parse(text);
    change(objs[0]);
    const out = JSON.stringify(objs).split(/@@TOKEN(\d+)@@/);
    m.Properties!.Manifest = { 'Fn::Join': ['', out.map((s, i) => (i % 2 ? parts[Number(s)] : s))] };
  }
}

describe.each([...ENVIRONMENTS])('%s: the first-deploy rules are clean on the committed render', (env) => {
  it.each(['controller-iam', 'edge-path', 'dns-records', 'waf-limits'])('%s', (rule) => {
    expect(run(rendered(env), rule)).toEqual([]);
  });
});

describe('contract/controller-iam', () => {
  it('resource overlap: a narrower pattern or one zone overlaps the published wildcard; another service does not', () => {
    expect(resourcesOverlap('arn:aws:route53:::hostedzone/Z0PRODUCTIONZONE01', 'arn:aws:route53:::hostedzone/*')).toBe(true);
    expect(resourcesOverlap('*', 'arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*')).toBe(true);
    expect(resourcesOverlap('arn:aws:elasticloadbalancing:*:*:targetgroup/*/*', 'arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*')).toBe(false);
  });

  it('the pre-fix load balancer policy (AddTags only on load balancers and target groups) misses listener tagging', () => {
    const preFix = ['arn:aws:elasticloadbalancing:*:*:targetgroup/*/*', 'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*', 'arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*'];
    const ours = [{ effect: 'Allow' as const, actions: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'], resources: preFix, hasCondition: true, object: 'x', field: 'y' }];
    const tagging = (UPSTREAM_POLICIES.awsLoadBalancerController.statements as UpstreamPolicy['statements']).filter((s) => s.actions.includes('elasticloadbalancing:AddTags'));
    expect(uncovered(tagging, ours).map((m) => m.resource)).toEqual([
      ...['listener/net', 'listener/app', 'listener-rule/net', 'listener-rule/app'].map((k) => `arn:aws:elasticloadbalancing:*:*:${k}/*/*/*`),
      ...['listener/net', 'listener/app', 'listener-rule/net', 'listener-rule/app'].map((k) => `arn:aws:elasticloadbalancing:*:*:${k}/*/*/*`),
    ]);
  });

  it('reports a published action the rendered role lacks', () => {
    const env = broken(({ templates }) => {
      const role = roleNamed(templates, 'IdentityexternalDns');
      for (const st of role.Properties.Policies[0].PolicyDocument.Statement) st.Action = [].concat(st.Action).filter((a: string) => a !== 'route53:ListTagsForResources');
    });
    const fs = run(env, 'controller-iam');
    expect(fs).toEqual([expect.objectContaining({ field: 'Properties.Policies', message: expect.stringContaining('chart external-dns needs route53:ListTagsForResources on arn:aws:route53:::hostedzone/*') })]);
  });

  it('reports a chart pin the table was not reviewed for', () => {
    const env = broken(({ templates }) => {
      chart(templates, 'aws-load-balancer-controller').Properties.Version = '3.7.0';
    });
    expect(run(env, 'controller-iam')).toContainEqual(
      expect.objectContaining({ field: 'Properties.Version', message: expect.stringMatching(/chart aws-load-balancer-controller 3\.7\.0 is installed, but .*UPSTREAM_POLICIES\.awsLoadBalancerController.* reviewed for 3\.6\.0/) }),
    );
  });

  it('reports the AWS-managed policy the project names when the role attaches another', () => {
    const env = broken(({ templates }) => {
      const role = roleNamed(templates, 'IdentityebsCsiDriver');
      role.Properties.ManagedPolicyArns = [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy']] }];
    });
    expect(run(env, 'controller-iam')).toContainEqual(expect.objectContaining({ field: 'Properties.ManagedPolicyArns', message: expect.stringContaining('AmazonEBSCSIDriverPolicyV2') }));
  });
});

describe('contract/workload-identity: Pod Identity trust is scoped by the session tags EKS sets', () => {
  it('the pre-fix trust (aws:SourceArn, no session tags) is reported for every tag', () => {
    const env = broken(({ templates }) => {
      const st = roleNamed(templates, 'IdentitycertManagerRole').Properties.AssumeRolePolicyDocument.Statement[0];
      st.Condition = { StringEquals: { 'aws:SourceAccount': '333333333333' }, ArnEquals: { 'aws:SourceArn': 'arn:aws:eks:us-west-2:333333333333:cluster/optibid-production' } };
    });
    const msgs = run(env, 'workload-identity').map((f) => f.message);
    for (const tag of ['eks-cluster-arn', 'kubernetes-namespace', 'kubernetes-service-account']) expect(msgs).toContainEqual(expect.stringContaining(`does not pin aws:RequestTag/${tag}`));
    expect(msgs).toContainEqual(expect.stringContaining('conditions on ArnEquals'));
  });

  it('a trust pinned to another service account or cluster is reported', () => {
    const env = broken(({ templates }) => {
      const eq = roleNamed(templates, 'IdentitycertManagerRole').Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals;
      eq['aws:RequestTag/kubernetes-service-account'] = 'postgres';
      eq['aws:RequestTag/eks-cluster-arn'] = 'arn:aws:eks:us-west-2:333333333333:cluster/optibid-staging';
    });
    const msgs = run(env, 'workload-identity').map((f) => f.message);
    expect(msgs).toContainEqual(expect.stringMatching(/pins aws:RequestTag\/kubernetes-service-account = postgres, but its association is for cert-manager\/cert-manager/));
    expect(msgs).toContainEqual(expect.stringMatching(/pins aws:RequestTag\/eks-cluster-arn = .*optibid-staging.*expected exactly arn:aws:eks:us-west-2:333333333333:cluster\/optibid-production/));
  });

  it('an association with session tags disabled is reported', () => {
    const env = broken(({ templates }) => {
      const [, a] = byType(templates, 'AWS::EKS::PodIdentityAssociation').find(([id]) => id.startsWith('IdentitycertManager'))!;
      a.Properties!.DisableSessionTags = true;
    });
    expect(run(env, 'workload-identity').map((f) => f.message)).toContainEqual(expect.stringContaining('disables session tags'));
  });
});

describe('contract/edge-path', () => {
  it('the pre-fix TLS hop (HTTPS to NGINX, no default certificate) is a 502 on every request', () => {
    const env = broken(({ templates }) => {
      withEdgeIngress(templates, (i) => {
        i.metadata.annotations['alb.ingress.kubernetes.io/backend-protocol'] = 'HTTPS';
        i.spec.defaultBackend.service.port.number = 443;
      });
    });
    expect(run(env, 'edge-path')).toContainEqual(expect.objectContaining({ message: expect.stringContaining('ssl_reject_handshake on') }));
  });

  it('a default certificate on the controller makes HTTPS to NGINX acceptable', () => {
    const env = broken(({ templates }) => {
      withEdgeIngress(templates, (i) => {
        i.metadata.annotations['alb.ingress.kubernetes.io/backend-protocol'] = 'HTTPS';
        i.spec.defaultBackend.service.port.number = 443;
      });
      const c = chart(templates, 'nginx-ingress');
      const values = JSON.parse(c.Properties.Values);
      values.controller.defaultTLS = { secret: 'nginx-ingress/default-server-tls' };
      c.Properties.Values = JSON.stringify(values);
    });
    expect(run(env, 'edge-path').filter((f) => f.message.includes('ssl_reject_handshake'))).toEqual([]);
  });

  it('ssl-redirect on a TLS host behind the HTTP hop is a redirect loop; HSTS without behind-proxy is never sent', () => {
    const env = broken(({ objects }) => {
      const a = find({ objects }, 'Ingress', 'api', 'optibid').metadata.annotations!;
      a['ingress.kubernetes.io/ssl-redirect'] = 'true';
      delete a['nginx.org/hsts-behind-proxy'];
      delete a['nginx.org/redirect-to-https'];
    });
    const msgs = run(env, 'edge-path').map((f) => `${f.object}: ${f.message}`);
    expect(msgs).toContainEqual(expect.stringMatching(/^Ingress\/optibid\/api: .*redirects it to HTTPS forever/));
    expect(msgs).toContainEqual(expect.stringMatching(/^Ingress\/optibid\/api: .*hsts-behind-proxy/));
    expect(msgs).toContainEqual(expect.stringMatching(/^Ingress\/optibid\/api: .*without nginx.org\/redirect-to-https/));
  });

  it('a per-replica rate limit (no limit-req-scale) with several replicas is reported; scale without -external-service too', () => {
    const noScale = broken(({ objects }) => {
      delete find({ objects }, 'Ingress', 'api-auth', 'optibid').metadata.annotations!['nginx.org/limit-req-scale'];
    });
    expect(run(noScale, 'edge-path')).toEqual([expect.objectContaining({ object: 'Ingress/optibid/api-auth', message: expect.stringContaining('with 3 replicas a client gets 3×') })]);
    const noService = broken(({ templates }) => {
      const c = chart(templates, 'nginx-ingress');
      const values = JSON.parse(c.Properties.Values);
      delete values.controller.reportIngressStatus;
      c.Properties.Values = JSON.stringify(values);
    });
    expect(run(noService, 'edge-path').map((f) => f.message)).toContainEqual(expect.stringContaining('passes no -external-service'));
  });
});

describe('contract/dns-records', () => {
  it('the pre-fix render (no external-dns, no hostname annotation) leaves every public host unresolvable', () => {
    const env = broken(({ templates }) => {
      withEdgeIngress(templates, (i) => delete i.metadata.annotations['external-dns.alpha.kubernetes.io/hostname']);
    });
    const fs = run(env, 'dns-records');
    expect(fs.map((f) => f.message)).toEqual(expect.arrayContaining([expect.stringContaining('host api.optibid.energy is served by NGINX but no internet-facing ALB Ingress publishes it'), expect.stringContaining('host app.optibid.energy')]));
  });

  it('without an external-dns chart nothing writes the records', () => {
    const env = broken(({ templates }) => {
      const [id] = byType(templates, 'Custom::AWSCDK-EKS-HelmChart').find(([, r]) => r.Properties?.Chart === 'external-dns')!;
      delete templates[CLUSTER].Resources[id];
    });
    expect(run(env, 'dns-records').map((f) => f.message)).toContainEqual(expect.stringContaining('host api.optibid.energy: no external-dns chart in the templates'));
  });

  it('a host outside the domain filter, a missing zone filter or owner id, and a zone the role cannot write are reported', () => {
    const env = broken(({ templates }) => {
      const c = chart(templates, 'external-dns');
      const values = JSON.parse(c.Properties.Values);
      values.domainFilters = ['optibid.example'];
      values.extraArgs = values.extraArgs.map((a: string) => (a.startsWith('--zone-id-filter=') ? '--zone-id-filter=Z0OTHERZONE' : a));
      delete values.txtOwnerId;
      c.Properties.Values = JSON.stringify(values);
    });
    const msgs = run(env, 'dns-records').map((f) => f.message);
    expect(msgs).toContainEqual(expect.stringContaining('host api.optibid.energy is outside the domainFilters'));
    expect(msgs).toContainEqual(expect.stringContaining('sets no txtOwnerId'));
    expect(msgs).toContainEqual(expect.stringContaining('filters zone Z0OTHERZONE, but the role of external-dns/external-dns may not route53:ChangeResourceRecordSets'));
  });
});

describe('contract/waf-limits', () => {
  const EDGE = 'optibid-production-edge';
  const aclRules = (t: Record<string, CfnTemplate>): any[] => Object.values(t[EDGE].Resources).find((r) => r.Type === 'AWS::WAFv2::WebACL')!.Properties.Rules;

  it('decodes the limit a content-length regex encodes', () => {
    expect(smallestMatch(integerGreaterThanRegex(10_485_760))).toBe(10_485_761);
    expect(smallestMatch(integerGreaterThanRegex(0))).toBe(1);
    expect(smallestMatch('^x$')).toBeUndefined();
  });

  it('the pre-fix web ACL (common rule set as is, no content-length or login rule) is reported three times', () => {
    const env = broken(({ templates }) => {
      const rules = aclRules(templates);
      delete rules.find((r) => r.Name === 'AWSManagedRulesCommonRuleSet').Statement.ManagedRuleGroupStatement.RuleActionOverrides;
      for (const name of ['ContentLengthOverNginxLimit', 'LoginRateLimitPerIp']) rules.splice(rules.findIndex((r) => r.Name === name), 1);
    });
    const msgs = run(env, 'waf-limits').map((f) => f.message);
    expect(msgs).toEqual([
      expect.stringContaining('SizeRestrictions_BODY blocks bodies over 8192 bytes, while Ingress/optibid/api accepts 10485760'),
      expect.stringContaining('no rule blocking a content-length above NGINX\'s limit (10485760 bytes'),
      expect.stringContaining('no rate-based rule scoped to the auth paths /api/v1/auth/login, /api/v1/auth/refresh, /api/v1/auth/token'),
    ]);
  });

  it('a content-length rule at another limit than NGINX\'s is reported with both numbers', () => {
    const env = broken(({ templates }) => {
      aclRules(templates).find((r) => r.Name === 'ContentLengthOverNginxLimit').Statement.RegexMatchStatement.RegexString = integerGreaterThanRegex(1_048_576);
    });
    expect(run(env, 'waf-limits').map((f) => f.message)).toEqual([expect.stringContaining('blocks content-length above 1048576, but NGINX allows 10485760')]);
  });

  it('a login rule scoped to other paths, or outside AWS bounds, is reported', () => {
    const other = broken(({ templates }) => {
      const r = aclRules(templates).find((x) => x.Name === 'LoginRateLimitPerIp');
      r.Statement.RateBasedStatement.ScopeDownStatement.OrStatement.Statements.pop();
    });
    expect(run(other, 'waf-limits').map((f) => f.message)).toEqual([expect.stringContaining('no rate-based rule scoped to the auth paths')]);
    const low = broken(({ templates }) => {
      aclRules(templates).find((x) => x.Name === 'LoginRateLimitPerIp').Statement.RateBasedStatement.Limit = 5;
    });
    expect(run(low, 'waf-limits').map((f) => f.message)).toEqual([expect.stringContaining('limit 5 per 600 s is outside AWS WAF\'s bounds')]);
  });
});
