/**
 * The IAM policies the controllers' projects publish, as data (no construct library): the action/resource set each
 * controller needs at the version we pin, copied from its project with the source and the date read. Our policies
 * (./policies.ts) may be narrower in resources and conditions, never in actions; `npm run verify` (contract rule
 * `controller-iam`) proves the rendered roles cover every statement here, and that each table was reviewed for the
 * version the templates install: a pin change without a table update fails there and in the unit tests.
 *
 * Update procedure: read the file named in `source` at the new tag, replace `statements`, set `forVersions` and
 * `read` (tag or commit actually read, and the date).
 */

/** One statement as the project publishes it. */
export interface UpstreamStatement {
  readonly sid?: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** IAM conditions exactly as published (ours may add narrower ones). @default none */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** A controller's published policy, bound to the pinned version it was reviewed for. */
export interface UpstreamPolicy {
  /** How the cluster template installs the controller: chart name (`Custom::AWSCDK-EKS-HelmChart` Chart) or EKS add-on. */
  readonly installedAs: { readonly chart: string } | { readonly addon: string; readonly serviceAccount: string; readonly namespace: string };
  /** The pinned chart versions / add-on versions this table was reviewed for (versions/charts.ts). */
  readonly forVersions: readonly string[];
  /** `owner/repo@ref:path` (or doc URL) of each file the statements come from. */
  readonly source: readonly string[];
  /** The ref actually read and the date; says so where the pinned tag was not available. */
  readonly read: string;
  /** An AWS-managed policy the project says to attach instead of (or besides) the statements. @default none */
  readonly managedPolicy?: string;
  readonly statements: readonly UpstreamStatement[];
  /** Published statements deliberately left out, with why. @default none */
  readonly omitted?: readonly string[];
}

const ELB = 'elasticloadbalancing';
const clusterTagged = { Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } } as const;
const requestTagged = { Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' } } as const;
const retagOwn = { Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'true', 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } } as const;
const lbAndTargetGroups = [`arn:aws:${ELB}:*:*:targetgroup/*/*`, `arn:aws:${ELB}:*:*:loadbalancer/net/*/*`, `arn:aws:${ELB}:*:*:loadbalancer/app/*/*`];

export const UPSTREAM_POLICIES = {
  /**
   * AWS Load Balancer Controller. Listeners and listener rules are tagged at creation (feature gate
   * `ListenerRulesTagging`, default on: pkg/config/feature_gates.go; pkg/deploy/elbv2/listener_manager.go), hence
   * AddTags/RemoveTags on `listener/*` and `listener-rule/*`.
   */
  awsLoadBalancerController: {
    installedAs: { chart: 'aws-load-balancer-controller' },
    forVersions: ['3.6.0'],
    source: ['kubernetes-sigs/aws-load-balancer-controller:docs/install/iam_policy.json'],
    read: 'tag v3.5.0, identical in main@225f445 (2026-08-17; tag v3.6.0 not available to read here), read 2026-12-02',
    statements: [
      { actions: ['iam:CreateServiceLinkedRole'], resources: ['*'], conditions: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } } },
      {
        actions: [
          'ec2:DescribeAccountAttributes', 'ec2:DescribeAddresses', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeInternetGateways', 'ec2:DescribeVpcs',
          'ec2:DescribeVpcPeeringConnections', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeInstances', 'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeTags', 'ec2:GetCoipPoolUsage', 'ec2:DescribeCoipPools', 'ec2:GetSecurityGroupsForVpc', 'ec2:DescribeIpamPools', 'ec2:DescribeRouteTables',
          `${ELB}:DescribeLoadBalancers`, `${ELB}:DescribeLoadBalancerAttributes`, `${ELB}:DescribeListeners`, `${ELB}:DescribeListenerCertificates`,
          `${ELB}:DescribeSSLPolicies`, `${ELB}:DescribeRules`, `${ELB}:DescribeTargetGroups`, `${ELB}:DescribeTargetGroupAttributes`,
          `${ELB}:DescribeTargetHealth`, `${ELB}:DescribeTags`, `${ELB}:DescribeTrustStores`, `${ELB}:DescribeListenerAttributes`, `${ELB}:DescribeCapacityReservation`,
        ],
        resources: ['*'],
      },
      {
        actions: [
          'cognito-idp:DescribeUserPoolClient', 'acm:ListCertificates', 'acm:DescribeCertificate', 'iam:ListServerCertificates', 'iam:GetServerCertificate',
          'waf-regional:GetWebACL', 'waf-regional:GetWebACLForResource', 'waf-regional:AssociateWebACL', 'waf-regional:DisassociateWebACL',
          'wafv2:GetWebACL', 'wafv2:GetWebACLForResource', 'wafv2:AssociateWebACL', 'wafv2:DisassociateWebACL',
          'shield:GetSubscriptionState', 'shield:DescribeProtection', 'shield:CreateProtection', 'shield:DeleteProtection',
        ],
        resources: ['*'],
      },
      { actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'], resources: ['*'] },
      { actions: ['ec2:CreateSecurityGroup'], resources: ['*'] },
      { actions: ['ec2:CreateTags'], resources: ['arn:aws:ec2:*:*:security-group/*'], conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' }, ...requestTagged } },
      { actions: ['ec2:CreateTags', 'ec2:DeleteTags'], resources: ['arn:aws:ec2:*:*:security-group/*'], conditions: retagOwn },
      { actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:DeleteSecurityGroup'], resources: ['*'], conditions: clusterTagged },
      { actions: [`${ELB}:CreateLoadBalancer`, `${ELB}:CreateTargetGroup`], resources: ['*'], conditions: requestTagged },
      { actions: [`${ELB}:CreateListener`, `${ELB}:DeleteListener`, `${ELB}:CreateRule`, `${ELB}:DeleteRule`], resources: ['*'] },
      { actions: [`${ELB}:AddTags`, `${ELB}:RemoveTags`], resources: lbAndTargetGroups, conditions: retagOwn },
      {
        actions: [`${ELB}:AddTags`, `${ELB}:RemoveTags`],
        resources: [`arn:aws:${ELB}:*:*:listener/net/*/*/*`, `arn:aws:${ELB}:*:*:listener/app/*/*/*`, `arn:aws:${ELB}:*:*:listener-rule/net/*/*/*`, `arn:aws:${ELB}:*:*:listener-rule/app/*/*/*`],
      },
      {
        actions: [
          `${ELB}:ModifyLoadBalancerAttributes`, `${ELB}:SetIpAddressType`, `${ELB}:SetSecurityGroups`, `${ELB}:SetSubnets`, `${ELB}:DeleteLoadBalancer`,
          `${ELB}:ModifyTargetGroup`, `${ELB}:ModifyTargetGroupAttributes`, `${ELB}:DeleteTargetGroup`, `${ELB}:ModifyListenerAttributes`,
          `${ELB}:ModifyCapacityReservation`, `${ELB}:ModifyIpPools`,
        ],
        resources: ['*'],
        conditions: clusterTagged,
      },
      { actions: [`${ELB}:AddTags`], resources: lbAndTargetGroups, conditions: { StringEquals: { [`${ELB}:CreateAction`]: ['CreateTargetGroup', 'CreateLoadBalancer'] }, ...requestTagged } },
      { actions: [`${ELB}:RegisterTargets`, `${ELB}:DeregisterTargets`], resources: [`arn:aws:${ELB}:*:*:targetgroup/*/*`] },
      { actions: [`${ELB}:SetWebAcl`, `${ELB}:ModifyListener`, `${ELB}:AddListenerCertificates`, `${ELB}:RemoveListenerCertificates`, `${ELB}:ModifyRule`, `${ELB}:SetRulePriorities`], resources: ['*'] },
    ],
  },

  /** Cluster autoscaler, "Full Cluster Autoscaler Features Policy (Recommended)" for ASG auto-discovery. */
  clusterAutoscaler: {
    installedAs: { chart: 'cluster-autoscaler' },
    forVersions: ['9.59.0'],
    source: ['kubernetes/autoscaler:cluster-autoscaler/cloudprovider/aws/README.md (### IAM Policy)'],
    read: 'tag cluster-autoscaler-1.35.0 (the chart 9.59.0 appVersion), read 2026-12-02',
    statements: [
      {
        actions: [
          'autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeAutoScalingInstances', 'autoscaling:DescribeLaunchConfigurations', 'autoscaling:DescribeScalingActivities',
          'ec2:DescribeImages', 'ec2:DescribeInstanceTypes', 'ec2:DescribeLaunchTemplateVersions', 'ec2:GetInstanceTypesFromInstanceRequirements', 'eks:DescribeNodegroup',
        ],
        resources: ['*'],
      },
      // Upstream: "only the second block of actions should be updated to restrict the resources/add conditionals".
      { actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'], resources: ['*'] },
    ],
  },

  /** external-dns, Route 53 provider. */
  externalDns: {
    installedAs: { chart: 'external-dns' },
    forVersions: ['1.21.1'],
    source: ['kubernetes-sigs/external-dns:docs/tutorials/aws.md (IAM Policy)'],
    read: 'tag v0.21.0 (the chart 1.21.1 appVersion; tag external-dns-helm-chart-1.21.1), read 2026-12-02',
    statements: [
      { actions: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets', 'route53:ListTagsForResources'], resources: ['arn:aws:route53:::hostedzone/*'] },
      { actions: ['route53:ListHostedZones'], resources: ['*'] },
    ],
  },

  /** cert-manager, ACME DNS-01 in Route 53 with ambient credentials. */
  certManager: {
    installedAs: { chart: 'cert-manager' },
    forVersions: ['v1.21.2'],
    source: [
      'cert-manager/website:content/docs/configuration/acme/dns01/route53.md (IAM policy)',
      'cert-manager/cert-manager:pkg/issuer/acme/dns/route53/route53.go (ChangeResourceRecordSets, GetChange, ListHostedZonesByName)',
    ],
    read: 'website main@776e5db (2026-08-22); cert-manager tag v1.21.1 (v1.21.2 not available to read here; a patch release), read 2026-12-02',
    statements: [
      { actions: ['route53:GetChange'], resources: ['arn:aws:route53:::change/*'] },
      { actions: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'], resources: ['arn:aws:route53:::hostedzone/*'], conditions: { 'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'] } } },
      { actions: ['route53:ListHostedZonesByName'], resources: ['*'] },
    ],
  },

  /** External Secrets Operator, AWS Secrets Manager provider: reading secrets by name (ExternalSecret remoteRef). */
  externalSecrets: {
    installedAs: { chart: 'external-secrets' },
    forVersions: ['2.10.0'],
    source: ['external-secrets/external-secrets:docs/provider/aws-secrets-manager.md (IAM Policy)'],
    read: 'tag v2.9.0, identical in main@cc5bfbc (2026-08-08); tag v2.10.0 not available to read here; read 2026-12-02',
    statements: [
      {
        actions: ['secretsmanager:GetResourcePolicy', 'secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds'],
        resources: ['arn:aws:secretsmanager:*:*:secret:*'],
      },
    ],
    omitted: [
      'secretsmanager:ListSecrets and BatchGetSecretValue on "*": only for dataFrom.find (bulk discovery); no ExternalSecret here uses find, and reading by name keeps the role to the platform\'s secrets.',
      'The PushSecret statement (CreateSecret, PutSecretValue, ...): the platform never writes to Secrets Manager from the cluster.',
    ],
  },

  /** EBS CSI driver (EKS managed add-on): the managed policy the project points to, plus the KMS statement for encrypted volumes. */
  ebsCsiDriver: {
    installedAs: { addon: 'aws-ebs-csi-driver', namespace: 'kube-system', serviceAccount: 'ebs-csi-controller-sa' },
    forVersions: ['v1.38.1-eksbuild.2', 'v1.66.0-eksbuild.1', 'v1.63.1-eksbuild.1'],
    source: ['kubernetes-sigs/aws-ebs-csi-driver:docs/install.md (Set up driver permissions; "Encrypted EBS Volumes via KMS")', 'kubernetes-sigs/aws-ebs-csi-driver:docs/AmazonEBSCSIDriverPolicyV2.json'],
    read: 'tag v1.64.0 (newest stored; v1.66.0 not available to read here), read 2026-12-02',
    managedPolicy: 'service-role/AmazonEBSCSIDriverPolicyV2',
    statements: [{ actions: ['kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:CreateGrant'], resources: ['arn:aws:kms:*:*:key/*'] }],
  },
} as const satisfies Record<string, UpstreamPolicy>;

export type UpstreamPolicyKey = keyof typeof UPSTREAM_POLICIES;
