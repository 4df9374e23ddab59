/**
 * `dns-records`: every public host resolves to the load balancer. The ALB is created at run time by the AWS Load
 * Balancer Controller, so no template can hold its records; a DNS controller (external-dns) must write them.
 *
 * For every host an NGINX Ingress serves (`spec.rules[].host`; the deploy's smoke tests use exactly these hosts):
 * - an internet-facing ALB Ingress publishes it: the host is in its `external-dns.alpha.kubernetes.io/hostname`
 *   annotation or its rules (the NGINX Ingresses report no public address of their own);
 * - an external-dns chart of the templates picks that Ingress up: `sources` include `ingress` and its
 *   `--ingress-class` filters (none = any class) admit the ALB Ingress's class;
 * - the host lies in one of its `domainFilters` (external-dns ignores hosts outside them), and its
 *   `--zone-id-filter` names zones its role may `route53:ChangeResourceRecordSets` on (the role of its service
 *   account, by Pod Identity association); it must filter by zone id so it can never write another environment's zone;
 * - a `txtOwnerId` is set (without one, every instance in the account is owner `default` and they fight over records).
 * external-dns flags and chart values as of v0.21.0 / chart 1.21.1 (pkg/apis/externaldns/types.go,
 * charts/external-dns/templates/deployment.yaml).
 */
import { EXTERNAL_DNS_HOSTNAME_ANNOTATION } from '@optibid/constructs-lib';
import type { Finding, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { helmCharts, iamAllows, resourceId, type HelmChart } from '../../cfn';
import { ofKind } from '../references/kube';
import { type MakeFinding } from '../../rule-set';
import { identityOf, statementsOf } from './identity';
import { allIngresses } from './waf';

const RULE = 'dns-records';

/** `--flag=value` values of a chart's extraArgs (list or map form). */
function flagValues(c: HelmChart, flag: string): string[] {
  const extra = c.values?.extraArgs;
  if (Array.isArray(extra)) return extra.filter((a) => typeof a === 'string' && a.startsWith(`--${flag}=`)).map((a: string) => a.slice(flag.length + 3));
  if (extra && typeof extra === 'object') {
    const v = (extra as Record<string, unknown>)[flag];
    return v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
  }
  return [];
}

const inDomain = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);

export function dnsRecords(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const out: Finding[] = [];
  const hosts = new Map<string, string>();
  for (const i of ofKind(env, 'Ingress')) {
    if (i.spec?.ingressClassName === 'alb') continue;
    for (const r of i.spec?.rules ?? []) if (r.host && !hosts.has(r.host)) hosts.set(r.host, objectId(i));
  }
  if (!hosts.size) return out;

  const publishers = allIngresses(env)
    .filter(({ obj }) => (obj.spec?.ingressClassName ?? obj.metadata.annotations?.['kubernetes.io/ingress.class']) === 'alb' && obj.metadata.annotations?.['alb.ingress.kubernetes.io/scheme'] === 'internet-facing')
    .map(({ obj, object }) => ({
      object,
      cls: 'alb',
      hosts: new Set([...(obj.metadata.annotations?.[EXTERNAL_DNS_HOSTNAME_ANNOTATION] ?? '').split(',').map((h) => h.trim()).filter(Boolean), ...(obj.spec?.rules ?? []).map((r: any) => r.host).filter(Boolean)]),
    }));
  const controllers = helmCharts(env).filter((c) => c.chart === 'external-dns');

  for (const [host, ingress] of hosts) {
    const pub = publishers.find((p) => p.hosts.has(host));
    if (!pub) {
      out.push(f(RULE, ingress, 'spec.rules', `host ${host} is served by NGINX but no internet-facing ALB Ingress publishes it (${EXTERNAL_DNS_HOSTNAME_ANNOTATION} or rules): nothing points it at the load balancer`));
      continue;
    }
    const usable = controllers.filter((c) => (c.values?.sources ?? ['service', 'ingress']).includes('ingress') && (!flagValues(c, 'ingress-class').length || flagValues(c, 'ingress-class').includes(pub.cls)));
    if (!usable.length) {
      out.push(f(RULE, pub.object, `metadata.annotations["${EXTERNAL_DNS_HOSTNAME_ANNOTATION}"]`, `host ${host}: no external-dns chart in the templates${controllers.length ? ` reads Ingresses of class ${pub.cls}` : ''}, so no Route 53 record points it at the ALB (the deploy's smoke tests cannot resolve it)`));
      continue;
    }
    for (const c of usable) {
      const domains: string[] = c.values?.domainFilters ?? [];
      if (!domains.some((d) => inDomain(host, d))) out.push(f(RULE, resourceId(c), 'Properties.Values.domainFilters', `host ${host} is outside the domainFilters of ${c.release} (${domains.join(', ') || 'none'}): external-dns skips it`));
    }
  }

  for (const c of controllers) {
    const zones = flagValues(c, 'zone-id-filter');
    if (!zones.length) out.push(f(RULE, resourceId(c), 'Properties.Values.extraArgs', `${c.release} has no --zone-id-filter: it may write to any hosted zone its role reaches, including another environment's`));
    if (!c.values?.txtOwnerId) out.push(f(RULE, resourceId(c), 'Properties.Values.txtOwnerId', `${c.release} sets no txtOwnerId: its TXT registry owner is "default", shared with every other external-dns in the account`));
    const sa = c.values?.serviceAccount?.name;
    if (!sa) continue; // workload-identity reports a chart that needs AWS without a named service account
    const statements = statementsOf(env, identityOf(env, c.namespace, sa));
    for (const z of zones) {
      if (!iamAllows(statements, 'route53:ChangeResourceRecordSets', `arn:aws:route53:::hostedzone/${z}`)) {
        out.push(f(RULE, resourceId(c), 'Properties.Values.extraArgs', `${c.release} filters zone ${z}, but the role of ${c.namespace}/${sa} may not route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone/${z}`));
      }
    }
  }
  return out;
}
