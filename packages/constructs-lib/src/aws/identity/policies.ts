import * as iam from 'aws-cdk-lib/aws-iam';
import type { PlatformNames } from '../../naming/naming';
import type { Acknowledgement } from '../security/acknowledge';

/** What one workload may do, and why each broad permission cdk-nag flags is needed. */
export interface WorkloadPermissions {
  readonly statements: iam.PolicyStatement[];
  /** @default none */
  readonly managedPolicies?: iam.IManagedPolicy[];
  /** @default none */
  readonly acknowledgements?: Acknowledgement[];
}

/**
 * The permissions of each workload identity, as data. Each function returns the statements for one workload and
 * names only the resources it owns; "*" appears only where the AWS API has no resource-level permission.
 */

/** Database and Redis backups: the backup bucket and its KMS key, nothing else. */
export function backupPermissions(names: PlatformNames, backupKeyArn: string): WorkloadPermissions {
  const bucket = names.backup.bucketArn;
  const statements = [
    new iam.PolicyStatement({ sid: 'ListBackupBucket', actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [bucket] }),
    new iam.PolicyStatement({
      sid: 'ReadWriteBackups',
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [`${bucket}/${names.backup.postgresPrefix}/*`, `${bucket}/${names.backup.redisPrefix}/*`],
    }),
    new iam.PolicyStatement({ sid: 'UseBackupKey', actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], resources: [backupKeyArn] }),
  ];
  const objectsReason = 'pgBackRest and the Redis snapshot job write objects with generated names (WAL segments, backup sets) under their own prefix of the backup bucket; the wildcard is the prefix, not the bucket.';
  return {
    statements,
    acknowledgements: [names.backup.postgresPrefix, names.backup.redisPrefix].map((prefix) => ({ id: `AwsSolutions-IAM5[Resource::${bucket}/${prefix}/*]`, reason: objectsReason })),
  };
}

/** External Secrets Operator: read exactly the platform's secrets. */
export function externalSecretsPermissions(names: PlatformNames): WorkloadPermissions {
  const statements = [
    new iam.PolicyStatement({
      sid: 'ReadPlatformSecrets',
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resources: Object.values(names.secrets).map((s) => s.arnPattern),
    }),
  ];
  const reason = 'Secrets Manager appends six random characters to a secret ARN; "-??????" matches exactly that suffix of each named platform secret.';
  return { statements, acknowledgements: Object.values(names.secrets).map((sec) => ({ id: `AwsSolutions-IAM5[Resource::${sec.arnPattern}]`, reason })) };
}

/** Cluster autoscaler: describe everything, change only the node groups tagged as this cluster's. */
export function clusterAutoscalerPermissions(names: PlatformNames): WorkloadPermissions {
  const statements = [
    new iam.PolicyStatement({
      sid: 'Describe',
      actions: [
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeAutoScalingInstances',
        'autoscaling:DescribeLaunchConfigurations',
        'autoscaling:DescribeScalingActivities',
        'autoscaling:DescribeTags',
        'ec2:DescribeImages',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:GetInstanceTypesFromInstanceRequirements',
        'eks:DescribeNodegroup',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'ScaleOwnNodeGroups',
      actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
      resources: ['*'],
      conditions: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${names.clusterName}`]: 'owned' } },
    }),
  ];
  return {
    statements,
    acknowledgements: [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Describe* calls have no resource-level permissions; the two mutating calls are limited by condition to Auto Scaling groups tagged as owned by this cluster.',
      },
    ],
  };
}

/**
 * AWS Load Balancer Controller: the action set the controller's install guide documents, with every mutating call
 * restricted to load balancers, target groups and security groups carrying the controller's cluster tag.
 */
export function loadBalancerControllerPermissions(): WorkloadPermissions {
  const clusterTagged = { Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } };
  const createTagged = { Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' } };
  const retagOwn = { Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'true', 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } };
  const statements = [
    new iam.PolicyStatement({
      sid: 'ServiceLinkedRole',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: ['*'],
      conditions: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
    }),
    new iam.PolicyStatement({
      sid: 'Describe',
      actions: [
        'ec2:DescribeAccountAttributes', 'ec2:DescribeAddresses', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeInternetGateways',
        'ec2:DescribeVpcs', 'ec2:DescribeVpcPeeringConnections', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups',
        'ec2:DescribeInstances', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeTags', 'ec2:DescribeRouteTables',
        'ec2:DescribeIpamPools', 'ec2:GetCoipPoolUsage', 'ec2:DescribeCoipPools', 'ec2:GetSecurityGroupsForVpc',
        'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeLoadBalancerAttributes',
        'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeListenerAttributes',
        'elasticloadbalancing:DescribeListenerCertificates', 'elasticloadbalancing:DescribeSSLPolicies',
        'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeTargetHealth',
        'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DescribeTrustStores',
        'elasticloadbalancing:DescribeCapacityReservation',
        'acm:ListCertificates', 'acm:DescribeCertificate', 'cognito-idp:DescribeUserPoolClient',
        'iam:ListServerCertificates', 'iam:GetServerCertificate',
        'wafv2:GetWebACL', 'wafv2:GetWebACLForResource', 'shield:GetSubscriptionState', 'shield:DescribeProtection',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'AttachWebAcl',
      actions: ['wafv2:AssociateWebACL', 'wafv2:DisassociateWebACL', 'elasticloadbalancing:SetWebAcl'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({ sid: 'CreateSecurityGroup', actions: ['ec2:CreateSecurityGroup'], resources: ['*'] }),
    new iam.PolicyStatement({
      sid: 'TagNewSecurityGroup',
      actions: ['ec2:CreateTags'],
      resources: ['arn:aws:ec2:*:*:security-group/*'],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' }, ...createTagged },
    }),
    new iam.PolicyStatement({ sid: 'RetagOwnSecurityGroups', actions: ['ec2:CreateTags', 'ec2:DeleteTags'], resources: ['arn:aws:ec2:*:*:security-group/*'], conditions: retagOwn }),
    // Rules on node/cluster security groups the controller does not own (it opens the target port for the ALB).
    new iam.PolicyStatement({ sid: 'ManageIngressRules', actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'], resources: ['*'] }),
    new iam.PolicyStatement({ sid: 'DeleteOwnSecurityGroups', actions: ['ec2:DeleteSecurityGroup'], resources: ['*'], conditions: clusterTagged }),
    new iam.PolicyStatement({
      sid: 'CreateTaggedLoadBalancers',
      actions: ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'],
      resources: ['*'],
      conditions: createTagged,
    }),
    new iam.PolicyStatement({
      sid: 'ManageListenersAndRules',
      actions: [
        'elasticloadbalancing:CreateListener', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:CreateRule',
        'elasticloadbalancing:DeleteRule', 'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyListenerAttributes',
        'elasticloadbalancing:AddListenerCertificates', 'elasticloadbalancing:RemoveListenerCertificates', 'elasticloadbalancing:ModifyRule',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'RetagOwnLoadBalancers',
      actions: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'],
      resources: [
        'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*',
        'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*',
        'arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*',
      ],
      conditions: retagOwn,
    }),
    new iam.PolicyStatement({
      sid: 'TagOnCreate',
      actions: ['elasticloadbalancing:AddTags'],
      resources: [
        'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*',
        'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*',
        'arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*',
      ],
      conditions: { StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'] }, ...createTagged },
    }),
    new iam.PolicyStatement({
      sid: 'ManageOwnLoadBalancers',
      actions: [
        'elasticloadbalancing:ModifyLoadBalancerAttributes', 'elasticloadbalancing:SetIpAddressType', 'elasticloadbalancing:SetSecurityGroups',
        'elasticloadbalancing:SetSubnets', 'elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:DeleteTargetGroup',
        'elasticloadbalancing:ModifyCapacityReservation', 'elasticloadbalancing:ModifyIpPools',
      ],
      resources: ['*'],
      conditions: clusterTagged,
    }),
    new iam.PolicyStatement({
      sid: 'RegisterTargets',
      actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
      resources: ['arn:aws:elasticloadbalancing:*:*:targetgroup/*/*'],
    }),
  ];
  const reason =
    'The controller creates load balancers, target groups and security groups whose names and ids are not known in advance; every mutating call is conditioned on the elbv2.k8s.aws/cluster tag the controller sets, as in its documented install policy.';
  const wildcards = ['*', 'arn:aws:ec2:*:*:security-group/*', 'arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*', 'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*', 'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*'];
  return { statements, acknowledgements: wildcards.map((r) => ({ id: `AwsSolutions-IAM5[Resource::${r}]`, reason })) };
}

/** cert-manager: DNS-01 challenge records in the environment's hosted zone only. */
export function certManagerPermissions(hostedZoneId: string): WorkloadPermissions {
  return {
    statements: [
      new iam.PolicyStatement({ sid: 'ChallengeRecords', actions: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'], resources: [`arn:aws:route53:::hostedzone/${hostedZoneId}`] }),
      new iam.PolicyStatement({ sid: 'ChangeStatus', actions: ['route53:GetChange'], resources: ['arn:aws:route53:::change/*'] }),
      new iam.PolicyStatement({ sid: 'FindZone', actions: ['route53:ListHostedZonesByName'], resources: ['*'] }),
    ],
    acknowledgements: [
      { id: 'AwsSolutions-IAM5[Resource::arn:aws:route53:::change/*]', reason: 'Route 53 change ids are generated per request; GetChange only reads the status of a change.' },
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ListHostedZonesByName has no resource-level permissions; it only lists zone names and ids.' },
    ],
  };
}

/** EBS CSI driver: the AWS-managed driver policy, plus use of the EBS key for encrypted volumes. */
export function ebsCsiDriverPermissions(ebsKeyArn: string): WorkloadPermissions {
  const statements = [
    new iam.PolicyStatement({
      sid: 'GrantForVolumes',
      actions: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
      resources: [ebsKeyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
    new iam.PolicyStatement({
      sid: 'UseEbsKey',
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
      resources: [ebsKeyArn],
    }),
  ];
  return {
    statements,
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEBSCSIDriverPolicy')],
    acknowledgements: [
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy]',
        reason: 'AWS maintains this policy in step with the EBS CSI driver add-on; its EC2 volume/snapshot actions are tag-conditioned by AWS.',
      },
    ],
  };
}
