import { Match } from 'aws-cdk-lib/assertions';
import { HELM_CHARTS, IRSA_IDENTITY_KEYS, MANAGED_ADDON_VERSIONS, MANAGED_ADDONS, PLATFORM_SECRETS } from '@optibid/constructs-lib';
import { buildEnvironment, helmValues, resourcesOf } from './support';

/** The seed's production figures, asserted on the synthesized templates. */
const prod = buildEnvironment('production');
const { names } = prod;
const { network, cluster, data, edge } = prod.templates;

describe('production network', () => {
  test('VPC spans us-west-2a/b/c with a public and a private subnet in each', () => {
    const subnets = resourcesOf(network, 'AWS::EC2::Subnet').map(([, r]) => r.Properties);
    expect(subnets).toHaveLength(6);
    expect(new Set(subnets.map((s) => s.AvailabilityZone))).toEqual(new Set(['us-west-2a', 'us-west-2b', 'us-west-2c']));
    expect(subnets.map((s) => s.CidrBlock).sort()).toEqual([...prod.config.network.publicSubnetCidrs, ...prod.config.network.privateSubnetCidrs].sort());
    network.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.30.0.0/16' });
  });

  test('one NAT gateway per zone', () => {
    network.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  test('subnets carry load-balancer discovery tags', () => {
    const tags = resourcesOf(network, 'AWS::EC2::Subnet').map(([, r]) => Object.fromEntries((r.Properties.Tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value])));
    expect(tags.filter((t) => t['kubernetes.io/role/elb'] === '1')).toHaveLength(3);
    expect(tags.filter((t) => t['kubernetes.io/role/internal-elb'] === '1')).toHaveLength(3);
    expect(tags.every((t) => t[`kubernetes.io/cluster/${names.clusterName}`] === 'shared')).toBe(true);
  });

  test('flow logs capture all traffic into a KMS-encrypted log group', () => {
    network.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    network.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: names.logs.flowLogGroup, KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  test('S3 gateway endpoint and interface endpoints keep AWS traffic off NAT', () => {
    network.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }) });
    expect(resourcesOf(network, 'AWS::EC2::VPCEndpoint').filter(([, r]) => r.Properties.VpcEndpointType === 'Interface')).toHaveLength(5);
  });
});

describe('production cluster', () => {
  test('EKS control plane: name, version, secrets encryption, all log types, API access mode', () => {
    cluster.hasResourceProperties('AWS::EKS::Cluster', {
      Name: 'optibid-production',
      Version: prod.config.cluster.kubernetesVersion,
      EncryptionConfig: [{ Provider: { KeyArn: Match.anyValue() }, Resources: ['secrets'] }],
      Logging: { ClusterLogging: { EnabledTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].map((Type) => ({ Type })) } },
      AccessConfig: { AuthenticationMode: 'API', BootstrapClusterCreatorAdminPermissions: false },
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: true, PublicAccessCidrs: prod.config.cluster.publicAccessCidrs }),
    });
  });

  test('every KMS key rotates', () => {
    for (const t of [cluster, data, network]) {
      for (const [, k] of resourcesOf(t, 'AWS::KMS::Key')) expect(k.Properties.EnableKeyRotation).toBe(true);
    }
    cluster.hasResourceProperties('AWS::KMS::Alias', { AliasName: names.kms.eksSecrets });
    cluster.hasResourceProperties('AWS::KMS::Alias', { AliasName: names.kms.ebs });
  });

  test('two managed node groups, m5.xlarge and m5.2xlarge, 3-6 nodes each, AL2023, labelled, autoscaler-tagged', () => {
    const groups = resourcesOf(cluster, 'AWS::EKS::Nodegroup').map(([, r]) => r.Properties);
    expect(groups.map((g) => g.InstanceTypes).sort()).toEqual([['m5.2xlarge'], ['m5.xlarge']]);
    for (const g of groups) {
      expect(g.ScalingConfig).toEqual({ MinSize: 3, MaxSize: 6, DesiredSize: 3 });
      expect(g.AmiType).toBe('AL2023_x86_64_STANDARD');
      expect(g.Labels[names.nodes.groupLabel]).toMatch(/^(general|large)$/);
      expect(g.Tags[`k8s.io/cluster-autoscaler/${names.clusterName}`]).toBe('owned');
      expect(g.Tags['k8s.io/cluster-autoscaler/enabled']).toBe('true');
      expect(g.Subnets).toHaveLength(3);
      expect(g.LaunchTemplate).toBeDefined();
      expect(g.DiskSize).toBeUndefined();
    }
  });

  test('launch templates: gp3 100 GB encrypted root volume, IMDSv2 required with hop limit 1', () => {
    const lts = resourcesOf(cluster, 'AWS::EC2::LaunchTemplate').map(([, r]) => r.Properties.LaunchTemplateData);
    expect(lts).toHaveLength(2);
    for (const lt of lts) {
      expect(lt.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' });
      expect(lt.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 100, VolumeType: 'gp3', DeleteOnTermination: true } }]);
    }
  });

  test('managed add-ons pinned to the version table', () => {
    const addons = Object.fromEntries(resourcesOf(cluster, 'AWS::EKS::Addon').map(([, r]) => [r.Properties.AddonName, r.Properties.AddonVersion]));
    expect(Object.keys(addons).sort()).toEqual([...MANAGED_ADDONS].sort());
    expect(addons).toEqual(MANAGED_ADDON_VERSIONS[prod.config.cluster.kubernetesVersion]);
  });

  test('the VPC CNI enforces NetworkPolicies (network-policy agent on)', () => {
    const [, cni] = resourcesOf(cluster, 'AWS::EKS::Addon').find(([, r]) => r.Properties.AddonName === 'vpc-cni')!;
    expect(JSON.parse(cni.Properties.ConfigurationValues)).toEqual({ enableNetworkPolicy: 'true' });
  });

  test('Helm charts pinned to the version table', () => {
    const charts = resourcesOf(cluster, 'Custom::AWSCDK-EKS-HelmChart').map(([, r]) => r.Properties);
    const installed = Object.fromEntries(charts.map((c) => [c.Chart, { version: c.Version, repository: c.Repository }]));
    for (const pin of Object.values(HELM_CHARTS)) expect(installed[pin.chart]).toEqual({ version: pin.version, repository: pin.repository });
    expect(charts).toHaveLength(Object.keys(HELM_CHARTS).length);
    // F5's controller, not the retired community ingress-nginx.
    expect(installed['ingress-nginx']).toBeUndefined();
  });

  test('cluster autoscaler is bounded by the config cap of 10 nodes', () => {
    const [, ca] = resourcesOf(cluster, 'Custom::AWSCDK-EKS-HelmChart').find(([, r]) => r.Properties.Chart === 'cluster-autoscaler')!;
    const values = helmValues(ca.Properties);
    expect(values.extraArgs['max-nodes-total']).toBe(10);
    expect(values.autoDiscovery.clusterName).toBe(names.clusterName);
    expect(values.rbac.serviceAccount.name).toBe(names.identities.clusterAutoscaler.serviceAccount);
  });

  test('every Pod Identity workload identity is one association bound to exactly its namespace/service account', () => {
    const assoc = resourcesOf(cluster, 'AWS::EKS::PodIdentityAssociation').map(([, r]) => r.Properties);
    const podIdentity = Object.values(names.identities).filter((id) => id.credentials === 'pod-identity');
    expect(assoc).toHaveLength(podIdentity.length);
    for (const id of podIdentity) {
      expect(assoc.filter((a) => a.Namespace === id.namespace && a.ServiceAccount === id.serviceAccount)).toHaveLength(1);
      cluster.hasResourceProperties('AWS::IAM::Role', {
        RoleName: id.roleName,
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Action: ['sts:AssumeRole', 'sts:TagSession'], Principal: { Service: 'pods.eks.amazonaws.com' } })] },
      });
    }
  });

  test('the database identities use IRSA: web-identity trust of the cluster OIDC provider, scoped to sub and aud, no association', () => {
    const irsa = IRSA_IDENTITY_KEYS.map((k) => names.identities[k]);
    expect(irsa.map((i) => i.credentials)).toEqual(['irsa', 'irsa']);
    const [[providerId, provider]] = resourcesOf(cluster, 'AWS::IAM::OIDCProvider').filter(([, r]) => JSON.stringify(r.Properties.Url).includes('OpenIdConnectIssuerUrl'));
    expect(provider.Properties.ClientIdList).toEqual(['sts.amazonaws.com']);
    const [[clusterId]] = resourcesOf(cluster, 'AWS::EKS::Cluster');
    expect(provider.Properties.Url).toEqual({ 'Fn::GetAtt': [clusterId, 'OpenIdConnectIssuerUrl'] });
    const assoc = resourcesOf(cluster, 'AWS::EKS::PodIdentityAssociation').map(([, r]) => r.Properties);
    for (const id of irsa) {
      expect(assoc.filter((a) => a.Namespace === id.namespace && a.ServiceAccount === id.serviceAccount)).toEqual([]);
      const [, role] = resourcesOf(cluster, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === id.roleName)!;
      const [st] = role.Properties.AssumeRolePolicyDocument.Statement;
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toHaveLength(1);
      expect(st).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity', Principal: { Federated: { Ref: providerId } } });
      // The condition keys carry the issuer, known only once the cluster exists: CfnJson resolves them at deploy time.
      const conditionsId = st.Condition.StringEquals['Fn::GetAtt'][0];
      const json = JSON.stringify(resourcesOf(cluster, 'Custom::AWSCDKCfnJson').find(([lid]) => lid === conditionsId)![1].Properties.Value);
      expect(json).toContain(`:sub\\":\\"${id.subject}\\"`);
      expect(json).toContain(':aud\\":\\"sts.amazonaws.com\\"');
      expect(json.match(/oidc-provider\//g)).toHaveLength(2);
      expect(id.subject).toBe(`system:serviceaccount:${id.namespace}:${id.serviceAccount}`);
    }
  });

  test('backup identity reaches only the backup bucket prefixes and the backup key', () => {
    const role = resourcesOf(cluster, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === names.identities.backup.roleName)![1];
    const statements = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const resources = statements.flatMap((s: any) => [s.Resource].flat());
    for (const r of resources) {
      if (typeof r === 'string') expect(r.startsWith(names.backup.bucketArn)).toBe(true);
      else expect(JSON.stringify(r)).toContain('ImportValue'); // the backup key ARN from the data stack
    }
  });

  test('access entries map the admin and read-only roles to Kubernetes groups', () => {
    cluster.hasResourceProperties('AWS::EKS::AccessEntry', { KubernetesGroups: [names.access.adminGroup], AccessPolicies: [Match.objectLike({ PolicyArn: Match.stringLikeRegexp('AmazonEKSClusterAdminPolicy') })] });
    cluster.hasResourceProperties('AWS::EKS::AccessEntry', { KubernetesGroups: [names.access.readOnlyGroup], AccessPolicies: [Match.objectLike({ PolicyArn: Match.stringLikeRegexp('AmazonEKSViewPolicy') })] });
  });

  test('edge Ingress: internet-facing ALB with the WAF web ACL, forwarding to the NGINX controller', () => {
    const [, m] = resourcesOf(cluster, 'Custom::AWSCDK-EKS-KubernetesResource')[0];
    const text = JSON.stringify(m.Properties.Manifest);
    expect(text).toContain('alb.ingress.kubernetes.io/wafv2-acl-arn');
    expect(text).toContain(`\\"ingressClassName\\":\\"${names.ingress.albClass}\\"`);
    expect(text).toContain(names.ingress.nginxControllerService);
  });

  test('edge Ingress: HTTPS with the ACM certificate and a TLS 1.2+ policy, HTTP redirected', () => {
    const [, m] = resourcesOf(cluster, 'Custom::AWSCDK-EKS-KubernetesResource')[0];
    const text = JSON.stringify(m.Properties.Manifest);
    expect(text).toContain(`alb.ingress.kubernetes.io/certificate-arn\\":\\"${prod.config.edge.certificateArn}`);
    expect(text).toContain('ELBSecurityPolicy-TLS13-1-2-2021-06');
    expect(text).toContain('alb.ingress.kubernetes.io/ssl-redirect\\":\\"443');
  });
});

describe('production data', () => {
  test('backup bucket: named, KMS-encrypted, versioned, private, access-logged, tiered and expiring', () => {
    data.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: names.backup.bucketName,
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() }, BucketKeyEnabled: true }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: names.backup.accessLogPrefix },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Status: 'Enabled',
            ExpirationInDays: prod.config.backups.expirationDays,
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER', TransitionInDays: 90 },
            ],
          }),
        ],
      },
    });
  });

  test('bucket policy denies non-TLS access', () => {
    const policies = resourcesOf(data, 'AWS::S3::BucketPolicy').map(([, r]) => JSON.stringify(r.Properties.PolicyDocument));
    expect(policies.filter((p) => p.includes('"aws:SecureTransport":"false"') && p.includes('"Effect":"Deny"'))).toHaveLength(2);
  });

  test('every platform secret exists by name with a generated value and none carries a literal value', () => {
    const secrets = resourcesOf(data, 'AWS::SecretsManager::Secret').map(([, r]) => r.Properties);
    expect(secrets.map((s) => s.Name).sort()).toEqual(Object.keys(PLATFORM_SECRETS).map((k) => `optibid/production/${k}`).sort());
    for (const s of secrets) {
      expect(s.SecretString).toBeUndefined();
      expect(s.GenerateSecretString).toBeDefined();
    }
  });
});

describe('production edge', () => {
  test('WAF web ACL: AWS managed common (body size counted), known-bad-inputs, IP reputation, content-length at NGINX\'s limit, login and per-IP rate limits', () => {
    edge.hasResourceProperties('AWS::WAFv2::WebACL', {
      Name: names.ingress.wafAclName,
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Priority: 1,
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet', RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }] } },
        }),
        Match.objectLike({ Priority: 2, Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } } }),
        Match.objectLike({ Priority: 3, Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' } } }),
        Match.objectLike({ Priority: 4, Name: 'ContentLengthOverNginxLimit', Action: { Block: { CustomResponse: { ResponseCode: 413 } } } }),
        Match.objectLike({ Priority: 5, Name: 'LoginRateLimitPerIp', Statement: { RateBasedStatement: Match.objectLike({ Limit: 10, EvaluationWindowSec: 600, AggregateKeyType: 'IP' }) } }),
        Match.objectLike({ Priority: 6, Action: { Block: {} }, Statement: { RateBasedStatement: Match.objectLike({ Limit: 2000, AggregateKeyType: 'IP' }) } }),
      ],
    });
    edge.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { RedactedFields: Match.anyValue() });
  });
});
