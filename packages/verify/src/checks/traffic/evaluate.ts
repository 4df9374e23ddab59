/**
 * Proves the expectations (expectations.ts) against the traffic model: `required-flow` and `forbidden-flow` findings.
 */
import type { Finding } from '../../types';
import { addressSet } from './cidr';
import type { EndpointRef, ForbiddenFlow, RequiredFlow, ScrapeExpectation } from './expectations';
import {
  describeSides,
  egressToOutside,
  flow,
  formatRuleRef,
  ingressFromOutside,
  selects,
  type Endpoint,
  type Policy,
  type RuleRef,
  type TrafficModel,
} from './model';
import { PortSet } from './ports';

export const CHECK = 'traffic';

/** A resolved reference: endpoints, or outside addresses (one probe address, or any). */
type Resolved = { kind: 'endpoints'; endpoints: Endpoint[] } | { kind: 'outside'; probe?: string };

export function formatRef(ref: EndpointRef): string {
  if ('namespace' in ref) return `${ref.namespace}/${ref.workload}`;
  if ('system' in ref) return ref.system;
  return ref.outside === 'any' ? 'outside (any address)' : `outside (${ref.outside})`;
}

function glob(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

function resolve(model: TrafficModel, ref: EndpointRef): Resolved {
  if ('outside' in ref) return ref.outside === 'any' ? { kind: 'outside' } : { kind: 'outside', probe: ref.outside };
  if ('system' in ref) {
    if (ref.system === 'nodes') {
      return {
        kind: 'endpoints',
        endpoints: model.vpcCidr
          ? [{ id: `nodes (${model.vpcCidr})`, label: 'nodes', detail: 'node addresses', group: 'outside', kind: 'outside', identity: { kind: 'addresses', addresses: addressSet([model.vpcCidr]) }, ports: [], policed: false }]
          : [],
      };
    }
    return { kind: 'endpoints', endpoints: model.system.filter((s) => s.systemKey === ref.system) };
  }
  return { kind: 'endpoints', endpoints: model.workloads.filter((w) => glob(ref.namespace, w.workload!.namespace) && glob(ref.workload, w.workload!.name)) };
}

function matchesRef(model: TrafficModel, ref: EndpointRef | undefined, ep: Endpoint | 'outside'): boolean {
  if (!ref) return true;
  const r = resolve(model, ref);
  if (ep === 'outside') return r.kind === 'outside';
  return r.kind === 'endpoints' && r.endpoints.some((e) => e.id === ep.id);
}

/** A name for an endpoint in a message: `optibid/backend (Deployment/optibid/backend)`. */
function named(ep: Endpoint): string {
  return ep.workload ? `${ep.id} (${ep.workload.objectId})` : ep.id;
}

interface PairVerdict {
  readonly ports: PortSet;
  readonly rules: readonly RuleRef[];
  /** Plain account of both sides. */
  readonly account: string;
  /** For missing flows: the policies on the blocking side, and that side. */
  readonly blocking?: { side: 'ingress' | 'egress'; policies: readonly Policy[]; owner: Endpoint };
}

/** The ports a message is about: the wanted ones (required flows) or, when none are given, the allowed ones. */
function focus(wanted: PortSet, allowed: PortSet): PortSet {
  return wanted.isEmpty() ? allowed : wanted;
}

function outsideAccount(dir: 'ingress' | 'egress', who: Endpoint, policies: readonly Policy[], r: { ports: PortSet; rules: readonly RuleRef[]; isolated: boolean }, ports: PortSet, probe: string | undefined): string {
  const peer = `outside (${probe ?? 'any address'})`;
  if (!who.policed) return `${dir}: ${who.id} is not subject to the rendered policies`;
  if (!r.isolated) return `${dir}: ${who.id} is not isolated (no policy with policyTypes ${dir === 'ingress' ? 'Ingress' : 'Egress'} selects it)`;
  const rules = r.rules.filter((x) => !x.ports.intersect(ports).isEmpty());
  const gap = ports.subtract(r.ports);
  if (rules.length === 0) return `${dir}: no rule of ${policies.map((p) => p.id).join(', ')} admits ${peer} on ${ports.format()}`;
  return `${dir}: admitted by ${rules.map(formatRuleRef).join(', ')}${gap.isEmpty() ? '' : ` (not on ${gap.format()})`}`;
}

function pair(model: TrafficModel, from: Endpoint | { outside: string | undefined }, to: Endpoint | { outside: string | undefined }, wanted: PortSet): PairVerdict {
  if ('outside' in to) {
    const f = from as Endpoint;
    const e = egressToOutside(model, f, to.outside);
    const policies = model.policies.filter((p) => p.types.egress && selects(p, f));
    const account = outsideAccount('egress', f, policies, e, focus(wanted, e.ports), to.outside);
    return { ports: e.ports, rules: e.rules, account, blocking: wanted.subtract(e.ports).isEmpty() ? undefined : { side: 'egress', policies, owner: f } };
  }
  if ('outside' in from) {
    const t = to as Endpoint;
    const i = ingressFromOutside(model, t, from.outside);
    const policies = model.policies.filter((p) => p.types.ingress && selects(p, t));
    const account = outsideAccount('ingress', t, policies, i, focus(wanted, i.ports), from.outside);
    return { ports: i.ports, rules: i.rules, account, blocking: wanted.subtract(i.ports).isEmpty() ? undefined : { side: 'ingress', policies, owner: t } };
  }
  const v = flow(model, from, to);
  const missing = wanted.subtract(v.ports);
  let blocking: PairVerdict['blocking'];
  if (!missing.isEmpty()) {
    if (!v.ingress.allowed.covers(missing)) blocking = { side: 'ingress', policies: v.ingress.policies, owner: to };
    else blocking = { side: 'egress', policies: v.egress.policies, owner: from };
  }
  return { ports: v.ports, rules: [...v.egress.rules, ...v.ingress.rules].filter((r) => !r.ports.intersect(v.ports).isEmpty()), account: describeSides(v, focus(wanted, v.ports)), blocking };
}

/** The policy a reader should open: the one with rules for this workload (non-empty podSelector) before catch-alls. */
function primaryPolicy(policies: readonly Policy[], side: 'ingress' | 'egress'): Policy | undefined {
  const withRules = policies.filter((p) => p[side].length > 0);
  const specific = withRules.filter((p) => Object.keys(p.podSelector.matchLabels ?? {}).length + (p.podSelector.matchExpressions ?? []).length > 0);
  return specific[0] ?? withRules[0] ?? policies[0];
}

function expand(model: TrafficModel, ref: EndpointRef): (Endpoint | { outside: string | undefined })[] {
  const r = resolve(model, ref);
  return r.kind === 'outside' ? [{ outside: r.probe }] : r.endpoints;
}

function idOf(x: Endpoint | { outside: string | undefined }): string {
  return 'outside' in x ? `outside (${x.outside ?? 'any address'})` : x.id;
}

function label(x: Endpoint | { outside: string | undefined }): string {
  return 'outside' in x ? idOf(x) : named(x);
}

/** `required-flow`: every listed flow allowed on every listed port. */
export function checkRequired(model: TrafficModel, required: readonly RequiredFlow[], scraping?: ScrapeExpectation): Finding[] {
  const findings: Finding[] = [];
  const all = [...required];
  if (scraping) {
    for (const w of model.workloads) {
      const a = w.workload!.annotations;
      if (a['prometheus.io/scrape'] !== 'true') continue;
      const port = a['prometheus.io/port'];
      if (!port || !/^\d+$/.test(port)) {
        findings.push({ check: CHECK, rule: 'required-flow', env: model.env, object: w.workload!.objectId, field: 'spec.template.metadata.annotations', message: `${w.id} is annotated prometheus.io/scrape=true without a numeric prometheus.io/port, so no scrape flow can be proven` });
        continue;
      }
      all.push({ from: scraping.scraper, to: { namespace: w.workload!.namespace, workload: w.workload!.name }, ports: [`${port}/TCP`], reason: `${scraping.reason} (${w.id} is annotated for port ${port})` });
    }
  }
  for (const req of all) {
    const wanted = PortSet.union(req.ports.map((p) => PortSet.parse(p)));
    const froms = expand(model, req.from);
    const tos = expand(model, req.to);
    if (froms.length === 0 || tos.length === 0) {
      const missingRef = froms.length === 0 ? req.from : req.to;
      findings.push({ check: CHECK, rule: 'required-flow', env: model.env, object: 'namespace' in missingRef ? `Workload/${missingRef.namespace}/${missingRef.workload}` : `System/_cluster/${formatRef(missingRef)}`, message: `${formatRef(req.from)} → ${formatRef(req.to)} on ${wanted.format()} is required, but ${formatRef(missingRef)} is not in the render (${req.reason})` });
      continue;
    }
    for (const f of froms) {
      for (const t of tos) {
        const v = pair(model, f, t, wanted);
        const missing = wanted.subtract(v.ports);
        if (missing.isEmpty()) continue;
        const b = v.blocking;
        const primary = b ? primaryPolicy(b.policies, b.side) : undefined;
        const object = primary?.id ?? ('outside' in f ? (t as Endpoint).workload?.objectId ?? idOf(t) : (f as Endpoint).workload?.objectId ?? idOf(f));
        findings.push({
          check: CHECK,
          rule: 'required-flow',
          env: model.env,
          object,
          field: primary ? `spec.${b!.side}` : undefined,
          message: `${label(f)} → ${label(t)} must be allowed on ${wanted.format()} but ${missing.format()} is not (${v.account}). Required because ${req.reason}`,
        });
      }
    }
  }
  return findings;
}

/** `forbidden-flow`: no listed flow allowed on any port it must not use. */
export function checkForbidden(model: TrafficModel, forbidden: readonly ForbiddenFlow[]): Finding[] {
  const findings: Finding[] = [];
  for (const rule of forbidden) {
    const scope = rule.ports ? PortSet.union(rule.ports.map((p) => PortSet.parse(p))) : PortSet.all();
    for (const f of expand(model, rule.from)) {
      for (const t of expand(model, rule.to)) {
        if (!('outside' in f) && !('outside' in t) && f.id === t.id) continue;
        const allowed = pair(model, f, t, PortSet.empty()).ports;
        let bad = allowed.intersect(scope);
        for (const ex of rule.except ?? []) {
          if (matchesRef(model, ex.from, 'outside' in f ? 'outside' : f) && matchesRef(model, ex.to, 'outside' in t ? 'outside' : t)) bad = bad.subtract(PortSet.union(ex.ports.map((p) => PortSet.parse(p))));
        }
        if (bad.isEmpty()) continue;
        const v = pair(model, f, t, bad);
        const responsible = v.rules.filter((r) => !r.ports.intersect(bad).isEmpty());
        const first = responsible.find((r) => r.direction === 'ingress') ?? responsible[0];
        const object = first?.policy.id ?? ('outside' in f ? (t as Endpoint).workload?.objectId ?? idOf(t) : (f as Endpoint).workload?.objectId ?? idOf(f));
        const policies = [...new Set(responsible.map((r) => r.policy.id))];
        findings.push({
          check: CHECK,
          rule: 'forbidden-flow',
          env: model.env,
          object,
          field: first ? `spec.${first.direction}[${first.index}]` : undefined,
          message:
            `${label(f)} → ${label(t)} must not be allowed but is, on ${bad.format()}` +
            ` (${v.account}; policies involved: ${policies.join(', ') || 'none, no side is isolated'}). Forbidden because ${rule.reason}`,
        });
      }
    }
  }
  return findings;
}
