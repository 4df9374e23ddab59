/** NetworkPolicies: every pod selected by one, every namespace with pods denying by default. */
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { asArray, isRecord, objectsOfKind, podTemplates, type PodTemplate } from '@optibid/rendered';
import { isEmptySelector, matchesLabelSelector as selectorMatches } from '@optibid/rendered';

const NAME = 'network-policy-coverage';

type Direction = 'Ingress' | 'Egress';

/** spec.policyTypes, or the API default: Ingress, plus Egress when egress rules are given. */
export function effectivePolicyTypes(spec: Record<string, unknown>): string[] {
  if (Array.isArray(spec.policyTypes)) return spec.policyTypes.map(String);
  return ['Ingress', ...(spec.egress !== undefined && spec.egress !== null ? ['Egress'] : [])];
}

/** Whether a NetworkPolicy denies all traffic of one direction for the whole namespace: podSelector {}, the direction in policyTypes, no rule for it. */
export function isDefaultDeny(policy: RenderedObject, direction: Direction): boolean {
  const spec = isRecord(policy.obj.spec) ? policy.obj.spec : {};
  const rules = spec[direction === 'Ingress' ? 'ingress' : 'egress'];
  return isEmptySelector(spec.podSelector ?? {}) && effectivePolicyTypes(spec).includes(direction) && asArray(rules).length === 0;
}

export const networkPolicyCoverage: PolicyCheck = {
  name: NAME,
  description:
    'Every pod template is selected by a NetworkPolicy of its namespace, and every namespace that runs pods has a default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules), ' +
    'so traffic is only what a policy explicitly allows.',
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    const byNamespace = new Map<string, PodTemplate[]>();
    for (const t of podTemplates(objects)) {
      byNamespace.set(t.namespace, [...(byNamespace.get(t.namespace) ?? []), t]);
      const policies = objectsOfKind(objects, 'NetworkPolicy', t.namespace);
      if (!policies.some((p) => selectorMatches(p.obj.spec?.podSelector ?? {}, t.labels))) {
        const labels = Object.entries(t.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        findings.push(finding(NAME, t.owner, `pod template (labels ${labels || 'none'}) is not selected by any NetworkPolicy of namespace "${t.namespace}" (spec.podSelector)`));
      }
    }
    for (const [namespace, templates] of byNamespace) {
      const policies = objectsOfKind(objects, 'NetworkPolicy', namespace);
      const missing = (['Ingress', 'Egress'] as const).filter((d) => !policies.some((p) => isDefaultDeny(p, d)));
      if (missing.length === 0) continue;
      const at = objects.find((o) => o.obj.kind === 'Namespace' && o.obj.metadata?.name === namespace) ?? templates[0].owner;
      findings.push(
        finding(
          NAME,
          at,
          `namespace "${namespace}" runs pods but has no default-deny NetworkPolicy for ${missing.join(' and ')} (podSelector {}, policyTypes [Ingress, Egress], no ingress/egress rules)`,
        ),
      );
    }
    return findings;
  },
};
