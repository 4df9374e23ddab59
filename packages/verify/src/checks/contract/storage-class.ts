/**
 * `storage-class`: volumes are provisioned by the EBS CSI driver the templates install, encrypted with a key of the
 * templates that the driver's identity may use.
 *
 * - Exactly one StorageClass is the default, and its provisioner is `ebs.csi.aws.com`.
 * - For every StorageClass provisioned by `ebs.csi.aws.com`: the templates install the driver (`AWS::EKS::Addon`
 *   `aws-ebs-csi-driver`); `parameters.encrypted` is `"true"`; `parameters.kmsKeyId` names an `AWS::KMS::Alias`
 *   `AliasName` of the templates (`alias/<name>` or the alias ARN in this account and region); and the EBS CSI
 *   controller identity (the add-on's `ServiceAccountRoleArn` or `PodIdentityAssociations`, or an association for
 *   `kube-system/ebs-csi-controller-sa`) may use that key: `kms:CreateGrant`, `kms:Encrypt`, `kms:Decrypt`,
 *   `kms:ReEncryptFrom`/`ReEncryptTo`, `kms:GenerateDataKeyWithoutPlaintext`, `kms:DescribeKey`, with the key
 *   policy delegating to IAM. The in-tree `kubernetes.io/aws-ebs` provisioner is reported (removed from Kubernetes).
 */
import type { Finding, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { describeResolved, eksAddons, iamAllows, keyPolicyAllows, kmsAliases, kmsKeyOf, parseKmsAliasRef, resourceId, resourceOfToken, roleArnOf, roleByArn, roleStatements, templatesAccount, templatesRegion, type CfnResource } from '../../cfn';
import { ofKind } from '../references/kube';
import { type MakeFinding } from '../../rule-set';
import { defaultStorageClasses } from '../references/pod-refs';
import { identityOf } from './identity';

const RULE = 'storage-class';
const EBS = 'ebs.csi.aws.com';
const EBS_KMS_ACTIONS = ['kms:CreateGrant', 'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'];

/** The roles the EBS CSI controller gets, and how. */
function ebsCsiRoles(env: RenderedEnvironment): { roles: CfnResource[]; via: string[] } {
  const roles: CfnResource[] = [];
  const via: string[] = [];
  for (const a of eksAddons(env).filter((x) => x.name === 'aws-ebs-csi-driver')) {
    if (a.resolved.ServiceAccountRoleArn) {
      const r = roleByArn(env, String(a.resolved.ServiceAccountRoleArn));
      if (r) roles.push(r);
      via.push(`${resourceId(a)} ServiceAccountRoleArn`);
    }
  }
  const id = identityOf(env, 'kube-system', 'ebs-csi-controller-sa');
  for (const r of id.roles) if (!roles.includes(r)) roles.push(r);
  via.push(...id.associations.map((x) => `${resourceId(x.resource)} ${x.field}`));
  return { roles, via };
}

export function storageClass(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const out: Finding[] = [];
  const defaults = defaultStorageClasses(env);
  if (defaults.length > 1) for (const d of defaults.slice(1)) out.push(f(RULE, objectId(d), 'metadata.annotations["storageclass.kubernetes.io/is-default-class"]', `${defaults.length} StorageClasses are the default (${defaults.map((x) => x.metadata.name).join(', ')}): claims without a class would get an arbitrary one`));
  for (const d of defaults) if (d.provisioner !== EBS) out.push(f(RULE, objectId(d), 'provisioner', `the default StorageClass is provisioned by ${d.provisioner}, not the EBS CSI driver (${EBS}) the templates install`));
  const region = templatesRegion(env);
  const account = templatesAccount(env);
  const addon = eksAddons(env).find((a) => a.name === 'aws-ebs-csi-driver');
  for (const sc of ofKind(env, 'StorageClass')) {
    const id = objectId(sc);
    if (sc.provisioner === 'kubernetes.io/aws-ebs') {
      out.push(f(RULE, id, 'provisioner', `provisioner kubernetes.io/aws-ebs is the in-tree EBS plugin, removed from Kubernetes: use ${EBS}`));
      continue;
    }
    if (sc.provisioner !== EBS) continue;
    if (!addon) out.push(f(RULE, id, 'provisioner', `provisioner ${EBS}, but the templates install no AWS::EKS::Addon aws-ebs-csi-driver: no volume would ever be provisioned`));
    const p = sc.parameters ?? {};
    if (String(p.encrypted) !== 'true') out.push(f(RULE, id, 'parameters.encrypted', `volumes are not encrypted (parameters.encrypted is ${p.encrypted === undefined ? 'unset' : JSON.stringify(p.encrypted)}, must be "true")`));
    const ref: string | undefined = p.kmsKeyId;
    if (!ref) {
      out.push(f(RULE, id, 'parameters.kmsKeyId', 'no kmsKeyId: volumes would be encrypted with the AWS-managed aws/ebs key instead of a key of the templates'));
      continue;
    }
    const alias = parseKmsAliasRef(ref);
    if (!alias) {
      out.push(f(RULE, id, 'parameters.kmsKeyId', `kmsKeyId ${ref} is not an alias: name an AWS::KMS::Alias of the templates (alias/<name> or its ARN) so the render can prove the key exists`));
      continue;
    }
    if ((alias.region && region && alias.region !== region) || (alias.account && account && alias.account !== account)) {
      out.push(f(RULE, id, 'parameters.kmsKeyId', `kmsKeyId ${ref} is in ${alias.region}/${alias.account}, but the templates deploy to ${region}/${account}`));
    }
    const k = kmsKeyOf(env, ref);
    if (!k) {
      out.push(f(RULE, id, 'parameters.kmsKeyId', `kmsKeyId names ${alias.aliasName}, which is no AWS::KMS::Alias AliasName of the templates (aliases: ${kmsAliases(env).map((a) => a.aliasName).join(', ') || 'none'})`));
      continue;
    }
    if (!addon) continue;
    const { roles, via } = ebsCsiRoles(env);
    if (!roles.length) {
      out.push(f(RULE, resourceId(addon), 'Properties', `the EBS CSI controller (kube-system/ebs-csi-controller-sa) has no role in the templates (no ServiceAccountRoleArn, PodIdentityAssociations or Pod Identity association), so it cannot use ${alias.aliasName} for ${id}`));
      continue;
    }
    const statements = roles.flatMap((r) => roleStatements(env, r));
    const keyResource = resourceOfToken(env, k.key);
    const missing = EBS_KMS_ACTIONS.filter((a) => !iamAllows(statements, a, k.key));
    const keyPolicyMissing = keyResource ? EBS_KMS_ACTIONS.filter((a) => !roles.some((r) => keyPolicyAllows(env, keyResource, roleArnOf(env, r), a))) : [];
    if (missing.length) out.push(f(RULE, resourceId(roles[0]), 'Properties.Policies', `the EBS CSI identity (${via.join(', ')}) is not allowed ${missing.join(', ')} on ${alias.aliasName} (${describeResolved(k.key)}), the key of ${id}: encrypted volumes cannot be created or attached`));
    if (keyPolicyMissing.length && keyResource) out.push(f(RULE, resourceId(keyResource), 'Properties.KeyPolicy', `the key policy of ${alias.aliasName} neither delegates ${keyPolicyMissing.join(', ')} to IAM nor grants it to the EBS CSI role`));
  }
  return out;
}
