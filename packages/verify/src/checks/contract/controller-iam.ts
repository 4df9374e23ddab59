/**
 * `controller-iam`: every controller the templates install may do what its project says it needs, at the version
 * installed. The published policies are data in constructs-lib (`UPSTREAM_POLICIES`, aws/identity/upstream-policies.ts,
 * each with its source and the ref read).
 *
 * For each published policy whose controller the templates install (a `Custom::AWSCDK-EKS-HelmChart` of that chart, or
 * an `AWS::EKS::Addon`):
 * - the installed version is one the table was reviewed for (`forVersions`): a pin changed without re-reading the
 *   upstream policy is a finding;
 * - the role of the controller's service account (its Pod Identity association or IRSA role) has, for every published
 *   action and resource, an Allow statement granting that action on a resource pattern that overlaps the published one
 *   (narrower resources and extra conditions are ours to add; a missing action is a finding); where the project says
 *   to attach an AWS-managed policy, the role attaches it (its content is not in the templates).
 */
import { UPSTREAM_POLICIES, type UpstreamPolicy } from '@optibid/constructs-lib';
import type { Finding, RenderedEnvironment } from '../../types';
import { eksAddons, hasToken, helmCharts, iamMatch, managedPolicyArns, resourceId, resourceOfToken, templatesAccount, templatesRegion, type CfnResource, type Statement } from '../../cfn';
import { type MakeFinding } from '../../rule-set';
import { chartServiceAccount } from '../references/system';
import { identityOf, statementsOf } from './identity';

const RULE = 'controller-iam';

/** One concrete value of an IAM wildcard pattern (every `*` / `?` as one character). */
const instance = (pattern: string) => pattern.replace(/[*?]/g, 'x');

/** Whether two IAM resource patterns can name a common resource (by instantiating either). */
export function resourcesOverlap(a: string, b: string): boolean {
  return iamMatch(a, instance(b)) || iamMatch(b, instance(a));
}

/** ARN shapes of template resources our statements name by token (`Fn::GetAtt Key.Arn`), by resource type. */
const ARN_OF_TYPE: Record<string, (region: string, account: string) => string> = {
  'AWS::KMS::Key': (r, a) => `arn:aws:kms:${r}:${a}:key/x`,
  'AWS::SecretsManager::Secret': (r, a) => `arn:aws:secretsmanager:${r}:${a}:secret:x`,
  'AWS::S3::Bucket': () => 'arn:aws:s3:::x',
};

/** Our resource pattern with a token of a template resource replaced by an ARN of that resource's type. */
function concrete(env: RenderedEnvironment, r: string): string {
  if (!hasToken(r)) return r;
  const t = resourceOfToken(env, r);
  const shape = t && ARN_OF_TYPE[t.type];
  return shape ? shape(templatesRegion(env) ?? 'x', templatesAccount(env) ?? 'x') : r;
}

/** The published (action, resource) pairs no Allow statement of ours grants. */
export function uncovered(published: UpstreamPolicy['statements'], ours: readonly Statement[], env?: RenderedEnvironment): { action: string; resource: string }[] {
  const missing: { action: string; resource: string }[] = [];
  const allows = ours.filter((s) => s.effect === 'Allow' && !s.notActions && !s.notResources);
  for (const st of published) {
    for (const action of st.actions) {
      for (const resource of st.resources) {
        const granted = allows.some((s) => s.actions.some((a) => iamMatch(a, action, 'action')) && s.resources.some((r) => resourcesOverlap(env ? concrete(env, r) : r, resource)));
        if (!granted) missing.push({ action, resource });
      }
    }
  }
  return missing;
}

interface Installed {
  readonly resource: CfnResource;
  readonly version?: string;
  readonly versionField: string;
  readonly namespace: string;
  readonly serviceAccount?: string;
}

function installed(env: RenderedEnvironment, p: UpstreamPolicy): Installed[] {
  const how = p.installedAs;
  if ('chart' in how) {
    return helmCharts(env)
      .filter((c) => c.chart === how.chart)
      .map((c) => ({ resource: c, version: c.version, versionField: 'Properties.Version', namespace: c.namespace, serviceAccount: chartServiceAccount(c) }));
  }
  return eksAddons(env)
    .filter((a) => a.name === how.addon)
    .map((a) => ({ resource: a, version: a.resolved.AddonVersion, versionField: 'Properties.AddonVersion', namespace: how.namespace, serviceAccount: how.serviceAccount }));
}

export function controllerIam(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const out: Finding[] = [];
  for (const [key, policy] of Object.entries(UPSTREAM_POLICIES) as [string, UpstreamPolicy][]) {
    for (const inst of installed(env, policy)) {
      const id = resourceId(inst.resource);
      const what = 'chart' in policy.installedAs ? `chart ${policy.installedAs.chart}` : `add-on ${policy.installedAs.addon}`;
      if (!inst.version || !policy.forVersions.includes(inst.version)) {
        out.push(f(RULE, id, inst.versionField, `${what} ${inst.version ?? '(unpinned)'} is installed, but its published IAM policy table (UPSTREAM_POLICIES.${key}) was reviewed for ${policy.forVersions.join(', ')}: re-read ${policy.source.join(' and ')} at that version and update the table`));
      }
      if (!inst.serviceAccount) continue; // workload-identity reports a controller whose service account is not named
      const identity = identityOf(env, inst.namespace, inst.serviceAccount);
      if (!identity.roles.length) continue; // workload-identity reports the missing identity
      const ours = statementsOf(env, identity);
      for (const m of uncovered(policy.statements, ours, env)) {
        out.push(f(RULE, resourceId(identity.roles[0]), 'Properties.Policies', `${what} needs ${m.action} on ${m.resource} (published policy: ${policy.source[0]}, ${policy.read.split(',')[0]}), but the role of ${inst.namespace}/${inst.serviceAccount} grants it on no overlapping resource`));
      }
      if (policy.managedPolicy) {
        const attached = identity.roles.flatMap((r) => managedPolicyArns(env, r));
        if (!attached.some((a) => a.endsWith(`:policy/${policy.managedPolicy}`))) {
          out.push(f(RULE, resourceId(identity.roles[0]), 'Properties.ManagedPolicyArns', `${what}: its project says to attach the AWS-managed ${policy.managedPolicy}, which the role of ${inst.namespace}/${inst.serviceAccount} does not (attached: ${attached.join(', ') || 'none'})`));
        }
      }
    }
  }
  return out;
}
