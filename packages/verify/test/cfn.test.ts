/** cfn.ts: reading the rendered CloudFormation templates (resolution, EKS custom resources, IAM). */
import {
  bucketDefaultKey,
  bucketsByName,
  eksAddons,
  eksClusters,
  findExport,
  hasToken,
  helmCharts,
  iamAllows,
  iamMatch,
  keyPolicyAllows,
  kmsKeyOf,
  kubernetesManifests,
  parseKmsAliasRef,
  podIdentities,
  resolve,
  resolveString,
  resourceAt,
  resourceOfToken,
  resources,
  roleArnOf,
  roleByArn,
  roleStatements,
  secretsByName,
  templatesAccount,
  templatesRegion,
  token,
  tokensIn,
  trustsPodIdentity,
  trustsServiceAccount,
  oidcProviders,
  webIdentityTrusts,
  type Statement,
} from '../src/cfn';
import type { CfnTemplate, RenderedEnvironment } from '../src/types';
import { rendered, ENVIRONMENTS } from './support';

const CLUSTER = 'optibid-production-cluster';
const DATA = 'optibid-production-data';

/** A made-up environment of two stacks, to exercise every intrinsic. */
function synthetic(): RenderedEnvironment {
  const a: CfnTemplate = {
    Parameters: { Stage: { Type: 'String', Default: 'blue' }, Free: { Type: 'String' } },
    Resources: {
      Subnet: { Type: 'AWS::EC2::Subnet', Properties: { AvailabilityZone: 'eu-central-1b' } },
      Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'logs-123456789012' } },
      Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' }] } } },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: 'app',
          AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/x' }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { 'x:sub': 'system:serviceaccount:web:app' } } }] },
        },
      },
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: {
            Statement: [
              { Effect: 'Allow', Action: 's3:*Object', Resource: { 'Fn::Sub': '${Bucket.Arn}/app/*' } },
              { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' },
              { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': ['Key', 'Arn'] } },
            ],
          },
        },
      },
      Other: { Type: 'AWS::SSM::Parameter', Properties: { Value: 'x' } },
    },
    Outputs: { KeyArn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}:KeyArn' } } } },
  };
  const b: CfnTemplate = { Resources: { Alias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/app', TargetKeyId: { 'Fn::ImportValue': 'a:KeyArn' } } } } };
  return { name: 'synthetic', objects: [], templates: { a, b }, k8sFiles: new Map() };
}

describe('resolve', () => {
  const env = synthetic();
  it.each([
    [{ Ref: 'Bucket' }, 'logs-123456789012'],
    [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, 'arn:aws:s3:::logs-123456789012'],
    [{ 'Fn::GetAtt': 'Role.Arn' }, 'arn:aws:iam::123456789012:role/app'],
    [{ 'Fn::GetAtt': ['Key', 'Arn'] }, '{{cfn:a/Key.Arn}}'],
    [{ Ref: 'Stage' }, 'blue'],
    [{ Ref: 'Free' }, '{{cfn:a/Free.Parameter}}'],
    [{ 'Fn::Join': ['-', [{ Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, { Ref: 'AWS::Partition' }, { Ref: 'AWS::StackName' }]] }, 'eu-central-1-123456789012-aws-a'],
    [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}/${X}' }, 'arn:aws:s3:::logs-123456789012/${Literal}/{{cfn:a/X.Ref}}'],
    [{ 'Fn::Sub': ['${A}-${Other}', { A: { Ref: 'Stage' } }] }, 'blue-{{cfn:a/Other.Ref}}'],
    [{ 'Fn::Select': [1, { 'Fn::Split': [',', 'x,y,z'] }] }, 'y'],
    [{ 'Fn::ImportValue': 'a:KeyArn' }, '{{cfn:a/Key.Arn}}'],
    [{ 'Fn::ImportValue': 'a:Nothing' }, '{{cfn:import/a:Nothing.Export}}'],
    [{ 'Fn::If': ['C', 'x', 'y'] }, '{{cfn:a/FnIf.unresolved}}'],
  ])('%j → %s', (value, expected) => {
    expect(resolveString(env, 'a', value)).toBe(expected);
  });

  it('drops AWS::NoValue and resolves nested structures', () => {
    expect(resolve(env, 'a', { list: ['x', { Ref: 'AWS::NoValue' }, { Ref: 'Bucket' }], n: 3 })).toEqual({ list: ['x', 'logs-123456789012'], n: 3 });
  });

  it('gives the same token for every route to one attribute', () => {
    const viaImport = resolveString(env, 'b', { 'Fn::ImportValue': 'a:KeyArn' })!;
    expect(viaImport).toBe(token('a', 'Key', 'Arn'));
    expect(resolveString(env, 'a', { 'Fn::Sub': '${Key.Arn}' })).toBe(viaImport);
    expect(hasToken(viaImport)).toBe(true);
    expect(tokensIn(`x ${viaImport} y`)).toEqual([{ stack: 'a', logicalId: 'Key', attribute: 'Arn' }]);
    expect(resourceOfToken(env, viaImport)).toMatchObject({ stack: 'a', logicalId: 'Key', type: 'AWS::KMS::Key', attribute: 'Arn' });
    expect(findExport(env, 'a:KeyArn')).toMatchObject({ stack: 'a', outputId: 'KeyArn' });
  });

  it('finds region and account of the templates', () => {
    expect(templatesRegion(env)).toBe('eu-central-1');
    expect(templatesAccount(env)).toBe('123456789012');
    for (const e of ENVIRONMENTS) {
      expect(templatesRegion(rendered(e))).toBe('us-west-2');
    }
    expect(templatesAccount(rendered('production'))).toBe('333333333333');
  });
});

describe('IAM', () => {
  const env = synthetic();
  const role = resourceAt(env, 'a', 'Role')!;
  const st = roleStatements(env, role);

  it('collects the statements of AWS::IAM::Policy resources attached to a role', () => {
    expect(st).toHaveLength(3);
    expect(st[0]).toMatchObject({ object: 'a/Policy', field: 'Properties.PolicyDocument.Statement[0]', resources: ['arn:aws:s3:::logs-123456789012/app/*'] });
  });

  it('evaluates Allow and Deny with wildcards (actions case-insensitive)', () => {
    expect(iamAllows(st, 's3:PutObject', 'arn:aws:s3:::logs-123456789012/app/x')).toBe(true);
    expect(iamAllows(st, 'S3:getobject', 'arn:aws:s3:::logs-123456789012/app/x')).toBe(true);
    expect(iamAllows(st, 's3:PutObject', 'arn:aws:s3:::logs-123456789012/other/x')).toBe(false);
    expect(iamAllows(st, 's3:DeleteObject', 'arn:aws:s3:::logs-123456789012/app/x')).toBe(false);
    expect(iamAllows(st, 'kms:Decrypt', token('a', 'Key', 'Arn'))).toBe(true);
    expect(iamMatch('arn:aws:secretsmanager:r:1:secret:a/b-??????', 'arn:aws:secretsmanager:r:1:secret:a/b-AbCdEf')).toBe(true);
    expect(iamMatch('arn:aws:secretsmanager:r:1:secret:a/b-??????', 'arn:aws:secretsmanager:r:1:secret:a/b-c-AbCdEf')).toBe(false);
    const notAction: Statement[] = [{ effect: 'Allow', actions: [], notActions: ['iam:*'], resources: ['*'], hasCondition: false, object: 'x', field: 'y' }];
    expect(iamAllows(notAction, 's3:GetObject', 'arn:aws:s3:::b/k')).toBe(true);
    expect(iamAllows(notAction, 'iam:PassRole', '*')).toBe(false);
  });

  it('finds roles by ARN, and reads trust and key policies', () => {
    expect(roleByArn(env, 'arn:aws:iam::123456789012:role/app')).toMatchObject({ logicalId: 'Role' });
    expect(roleByArn(env, 'arn:aws:iam::999999999999:role/app')).toBeUndefined();
    expect(roleArnOf(env, role)).toBe('arn:aws:iam::123456789012:role/app');
    expect(trustsServiceAccount(env, role, 'web', 'app')).toBe(true);
    expect(trustsServiceAccount(env, role, 'web', 'other')).toBe(false);
    expect(trustsPodIdentity(env, role)).toBe(false);
    expect(keyPolicyAllows(env, resourceAt(env, 'a', 'Key')!, 'arn:aws:iam::123456789012:role/app', 'kms:Decrypt')).toBe(true);
  });

  it('resolves KMS references by alias name or alias ARN', () => {
    expect(parseKmsAliasRef('arn:aws:kms:eu-central-1:123456789012:alias/app')).toEqual({ aliasName: 'alias/app', region: 'eu-central-1', account: '123456789012' });
    expect(parseKmsAliasRef('1234abcd-12ab-34cd-56ef-1234567890ab')).toBeUndefined();
    expect(kmsKeyOf(env, 'alias/app')?.key).toBe(token('a', 'Key', 'Arn'));
    expect(kmsKeyOf(env, 'alias/none')).toBeUndefined();
  });
});

describe('the committed production templates', () => {
  const env = rendered('production');

  it('resolves the EKS cluster, add-ons and Pod Identity associations with their roles', () => {
    expect(eksClusters(env).map((c) => c.name)).toEqual(['optibid-production']);
    expect(eksAddons(env).map((a) => a.name)).toEqual(['vpc-cni', 'coredns', 'kube-proxy', 'aws-ebs-csi-driver', 'eks-pod-identity-agent']);
    const ids = podIdentities(env).map((p) => `${p.namespace}/${p.serviceAccount} → ${p.role?.logicalId}`);
    expect(ids).toEqual([
      'external-secrets/external-secrets → IdentityexternalSecretsRoleA7A5B0E0',
      'kube-system/cluster-autoscaler → IdentityclusterAutoscalerRoleB5EA4682',
      'kube-system/aws-load-balancer-controller → IdentityloadBalancerControllerRole2CECDB63',
      'kube-system/ebs-csi-controller-sa → IdentityebsCsiDriverRoleC5D6162F',
      'cert-manager/cert-manager → IdentitycertManagerRole1DAAF488',
      'external-dns/external-dns → IdentityexternalDnsRole3EB4F7F1',
    ]);
    expect(podIdentities(env)[0]).toMatchObject({ roleArn: 'arn:aws:iam::333333333333:role/optibid-production-external-secrets', clusterName: 'optibid-production' });
    for (const p of podIdentities(env)) expect(trustsPodIdentity(env, p.role!)).toBe(true);
  });

  it('resolves the cluster OIDC provider and the CfnJson trust conditions of the IRSA roles (issuer as the cluster token)', () => {
    const issuer = '{{cfn:optibid-production-cluster/EksClusterB2BDED5B.OpenIdConnectIssuerUrl}}';
    const providers = oidcProviders(env).map((p) => ({ id: p.logicalId, issuer: p.issuer, arn: p.arn, clientIds: p.clientIds, cluster: p.cluster?.logicalId }));
    expect(providers).toEqual([
      { id: 'EksClusterOidcProviderNativeDF9CA7E9', issuer, arn: `arn:aws:iam::333333333333:oidc-provider/${issuer}`, clientIds: ['sts.amazonaws.com'], cluster: 'EksClusterB2BDED5B' },
      { id: 'GithubDeployGithubOidc754BBBD2', issuer: 'token.actions.githubusercontent.com', arn: 'arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com', clientIds: ['sts.amazonaws.com'], cluster: undefined },
    ]);
    const trusts = webIdentityTrusts(env, roleByArn(env, 'arn:aws:iam::333333333333:role/optibid-production-postgres-wal')!);
    expect(trusts).toHaveLength(1);
    expect(trusts[0]).toMatchObject({
      field: 'Properties.AssumeRolePolicyDocument.Statement[0]',
      federated: [`arn:aws:iam::333333333333:oidc-provider/${issuer}`],
      stringEquals: { [`${issuer}:sub`]: ['system:serviceaccount:optibid-data:postgres'], [`${issuer}:aud`]: ['sts.amazonaws.com'] },
      stringLike: {},
      other: [],
    });
    expect(trusts[0].providers.map((p) => p.logicalId)).toEqual(['EksClusterOidcProviderNativeDF9CA7E9']);
    expect(trustsServiceAccount(env, roleByArn(env, 'arn:aws:iam::333333333333:role/optibid-production-postgres-wal')!, 'optibid-data', 'postgres')).toBe(true);
    expect(trustsServiceAccount(env, roleByArn(env, 'arn:aws:iam::333333333333:role/optibid-production-postgres-wal')!, 'optibid-data', 'backup')).toBe(false);
  });

  it('parses chart values, including values joined with an imported VPC id', () => {
    const charts = Object.fromEntries(helmCharts(env).map((c) => [c.release, c]));
    expect(charts['nginx-ingress']).toMatchObject({ chart: 'nginx-ingress', namespace: 'nginx-ingress', createNamespace: true });
    expect(charts['nginx-ingress'].values.controller.ingressClass.name).toBe('nginx');
    expect(charts['aws-load-balancer-controller'].values).toMatchObject({ clusterName: 'optibid-production', region: 'us-west-2', vpcId: '{{cfn:optibid-production-network/NetworkVpc7FB7348F.Ref}}' });
    expect(charts['aws-load-balancer-controller'].valuesError).toBeUndefined();
  });

  it('parses the edge Ingress manifest, with the web ACL as a token of the edge stack', () => {
    const [m] = kubernetesManifests(env);
    expect(m.logicalId).toBe('EdgeIngressManifest849147F9');
    const ing = m.objects[0];
    expect(ing).toMatchObject({ kind: 'Ingress', metadata: { name: 'edge', namespace: 'nginx-ingress' } });
    expect(ing.metadata.annotations!['alb.ingress.kubernetes.io/wafv2-acl-arn']).toBe('{{cfn:optibid-production-edge/WafWebAclBE24253C.Arn}}');
  });

  it('connects the backup role policy, the backups alias and the bucket key through the data stack export', () => {
    const role = resources(env, 'AWS::IAM::Role').find((r) => r.logicalId === 'IdentitybackupRoleD5AEC70C')!;
    const key = kmsKeyOf(env, 'alias/optibid-production-backups')!.key;
    expect(key).toBe(`{{cfn:${DATA}/BackupsKeyCDE6E041.Arn}}`);
    const st = roleStatements(env, role);
    expect(iamAllows(st, 'kms:GenerateDataKey', key)).toBe(true);
    expect(iamAllows(st, 's3:PutObject', 'arn:aws:s3:::optibid-production-backups-333333333333-us-west-2/redis/2026/x')).toBe(true);
    expect(iamAllows(st, 's3:PutObject', 'arn:aws:s3:::optibid-production-backups-333333333333-us-west-2/other/x')).toBe(false);
    const bucket = bucketsByName(env).get('optibid-production-backups-333333333333-us-west-2')!;
    expect(bucketDefaultKey(env, bucket)).toBe(key);
    expect(secretsByName(env).size).toBe(22);
    expect(roleArnOf(env, resourceAt(env, CLUSTER, 'IdentitybackupRoleD5AEC70C')!)).toBe('arn:aws:iam::333333333333:role/optibid-production-backup');
  });
});
