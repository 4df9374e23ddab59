import * as iam from 'aws-cdk-lib/aws-iam';
import type { PlatformNames } from '../../naming/naming';
import type { Acknowledgement } from '../security/acknowledge';
import { UPSTREAM_POLICIES } from './upstream-policies';

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

/** External Secrets Operator: the upstream read statement (upstream-policies.ts), on exactly the platform's secrets. */
export function externalSecretsPermissions(names: PlatformNames): WorkloadPermissions {
  const statements = [
    new iam.PolicyStatement({
      sid: 'ReadPlatformSecrets',
      actions: [...UPSTREAM_POLICIES.externalSecrets.statements[0].actions],
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
 * AWS Load Balancer Controller: exactly the policy its project publishes for the pinned version (upstream-policies.ts,
 * as EKS Blueprints does): every mutating call but listener/rule changes and target registration is conditioned on
 * the `elbv2.k8s.aws/cluster` tag the controller sets.
 */
export function loadBalancerControllerPermissions(): WorkloadPermissions {
  const statements = UPSTREAM_POLICIES.awsLoadBalancerController.statements.map(
    (st, i) => new iam.PolicyStatement({ sid: `Upstream${i}`, actions: [...st.actions], resources: [...st.resources], ...('conditions' in st ? { conditions: st.conditions as Record<string, unknown> } : {}) }),
  );
  const reason =
    'The controller creates load balancers, listeners, rules, target groups and security groups whose names and ids are not known in advance; this is the policy its project publishes, with the mutating calls conditioned on the elbv2.k8s.aws/cluster tag.';
  const wildcards = [...new Set(UPSTREAM_POLICIES.awsLoadBalancerController.statements.flatMap((st) => st.resources.filter((r) => r.includes('*'))))];
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

/**
 * EBS CSI driver: the AWS-managed policy its project points to (AmazonEBSCSIDriverPolicyV2, scoped to volumes and
 * snapshots tagged ebs.csi.aws.com/cluster=true, which the driver sets on what it provisions), plus the EBS key.
 */
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
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(UPSTREAM_POLICIES.ebsCsiDriver.managedPolicy)],
    acknowledgements: [
      {
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${UPSTREAM_POLICIES.ebsCsiDriver.managedPolicy}]`,
        reason: 'AWS maintains this policy in step with the EBS CSI driver add-on; its EC2 volume/snapshot actions are tag-conditioned by AWS.',
      },
    ],
  };
}

/**
 * external-dns: records in the environment's hosted zone only (upstream grants every zone, `hostedzone/*`), and the
 * zone listing it needs to find that zone. Action set: docs/tutorials/aws.md at v0.21.0 (see upstream-policies.ts).
 */
export function externalDnsPermissions(hostedZoneId: string): WorkloadPermissions {
  return {
    statements: [
      new iam.PolicyStatement({
        sid: 'Records',
        actions: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets', 'route53:ListTagsForResources'],
        resources: [`arn:aws:route53:::hostedzone/${hostedZoneId}`],
      }),
      new iam.PolicyStatement({ sid: 'FindZone', actions: ['route53:ListHostedZones'], resources: ['*'] }),
    ],
    acknowledgements: [{ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ListHostedZones has no resource-level permissions; it only lists zone names and ids.' }],
  };
}
