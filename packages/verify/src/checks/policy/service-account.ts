/** A dedicated, existing ServiceAccount per pod, with an explicit token-mount decision. */
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { objectsOfKind, podTemplates } from '@optibid/rendered';

const NAME = 'service-account';

export const serviceAccount: PolicyCheck = {
  name: NAME,
  description:
    'Every pod runs as its own ServiceAccount (serviceAccountName set, not default) that exists in its namespace, and the pod or that ServiceAccount sets automountServiceAccountToken explicitly, ' +
    'so RBAC grants stay per workload and API tokens are only mounted where someone decided they are needed.',
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const t of podTemplates(objects)) {
      const field = `${t.specPath}.serviceAccountName`;
      const raw = t.spec.serviceAccountName ?? t.spec.serviceAccount;
      const name = typeof raw === 'string' && raw !== '' ? raw : undefined;
      const account = name === undefined ? undefined : objectsOfKind(objects, 'ServiceAccount', t.namespace).find((sa) => sa.obj.metadata.name === name);
      if (name === undefined) {
        findings.push(finding(NAME, t.owner, `${field} is not set, so the pod runs as ServiceAccount "default": give the workload its own ServiceAccount`));
      } else if (name === 'default') {
        findings.push(finding(NAME, t.owner, `${field} is "default": give the workload its own ServiceAccount`));
      } else if (!account) {
        findings.push(finding(NAME, t.owner, `${field} "${name}" names no ServiceAccount of namespace "${t.namespace}" in the rendered objects`));
      }
      const podSets = typeof t.spec.automountServiceAccountToken === 'boolean';
      const accountSets = typeof account?.obj.automountServiceAccountToken === 'boolean';
      if (!podSets && !accountSets) {
        const where = account ? `ServiceAccount "${name}"` : 'its ServiceAccount (not in the rendered objects)';
        findings.push(finding(NAME, t.owner, `neither ${t.specPath}.automountServiceAccountToken nor ${where} sets automountServiceAccountToken: set automountServiceAccountToken explicitly`));
      }
    }
    return findings;
  },
};
