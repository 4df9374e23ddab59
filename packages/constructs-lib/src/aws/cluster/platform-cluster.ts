import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnCondition, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { Acknowledgement } from '../security/acknowledge';
import type { EnvironmentConfig } from '../../config/schema';
import type { PlatformNames } from '../../naming/naming';
import { kubectlLayer } from './kubectl-layer';
import { PlatformKey } from '../security/platform-key';
import { acknowledge } from '../security/acknowledge';

export interface PlatformClusterProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
  readonly vpc: ec2.IVpc;
}

/** Every control-plane log type: API, audit, authenticator, controller manager, scheduler. */
export const ALL_CONTROL_PLANE_LOGS = [
  eks.ClusterLoggingTypes.API,
  eks.ClusterLoggingTypes.AUDIT,
  eks.ClusterLoggingTypes.AUTHENTICATOR,
  eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
  eks.ClusterLoggingTypes.SCHEDULER,
];

/**
 * The EKS control plane (aws-eks-v2, native AWS::EKS::Cluster): private subnets, secrets envelope encryption with a
 * rotating KMS key, all control-plane logs, endpoint access from the config, API-mode access entries (no aws-auth),
 * and the kubectl provider (version-matched layer, in the private subnets so it reaches a restricted endpoint).
 */
export class PlatformCluster extends Construct {
  readonly cluster: eks.Cluster;
  readonly adminRole: iam.Role;
  readonly readOnlyRole: iam.Role;
  readonly onCallRole: iam.Role;

  constructor(scope: Construct, id: string, props: PlatformClusterProps) {
    super(scope, id);
    const { config, names, vpc } = props;
    const c = config.cluster;
    const secretsKey = new PlatformKey(this, 'SecretsKey', { alias: names.kms.eksSecrets, description: `${names.clusterName} Kubernetes secrets envelope encryption` }).key;

    const endpointAccess = c.endpointAccess === 'private' ? eks.EndpointAccess.PRIVATE : eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...c.publicAccessCidrs);
    const privateSubnets = vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnets;

    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: names.clusterName,
      version: eks.KubernetesVersion.of(c.kubernetesVersion),
      vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      endpointAccess,
      secretsEncryptionKey: secretsKey,
      clusterLogging: ALL_CONTROL_PLANE_LOGS,
      // Node groups are added explicitly; vpc-cni, coredns and kube-proxy come as pinned managed add-ons.
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      bootstrapSelfManagedAddons: false,
      // Humans get access through the roles below, not as the CloudFormation caller.
      bootstrapClusterCreatorAdminPermissions: false,
      kubectlProviderOptions: {
        kubectlLayer: kubectlLayer(this, 'KubectlLayer', c.kubernetesVersion),
        privateSubnets,
      },
      tags: { 'optibid.io/environment': config.name },
    });

    acknowledge(this.cluster, [
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]', reason: 'The EKS service role must carry AmazonEKSClusterPolicy; AWS maintains it with the control plane.' },
      ...kubectlProviderAcknowledgements(this.cluster),
      { id: 'CloudFormation-Validate::W9009', reason: 'aws-cdk-lib aws-eks-v2 still emits EncryptionConfig.Resources ["secrets"]; EKS accepts it and it is the only resource type envelope encryption supports.' },
    ]);

    // Access entries (API authentication mode): two roles mapped to access policies and Kubernetes groups.
    const trusted = c.trustedPrincipalArns.length
      ? new iam.CompositePrincipal(...c.trustedPrincipalArns.map((a) => new iam.ArnPrincipal(a)))
      : new iam.AccountRootPrincipal();
    this.adminRole = new iam.Role(this, 'AdminRole', { roleName: names.access.adminRoleName, assumedBy: trusted, description: `Cluster admin of ${names.clusterName}` });
    this.readOnlyRole = new iam.Role(this, 'ReadOnlyRole', { roleName: names.access.readOnlyRoleName, assumedBy: trusted, description: `Read-only access to ${names.clusterName}` });
    this.onCallRole = new iam.Role(this, 'OnCallRole', { roleName: names.access.onCallRoleName, assumedBy: trusted, description: `On-call (read, restart, scale) on ${names.clusterName}` });
    // View (no Secrets) from EKS; anything more comes from the RBAC the YAML binds to each group.
    this.accessEntry('AdminAccess', this.adminRole, 'AmazonEKSClusterAdminPolicy', names.access.adminGroup);
    this.accessEntry('ReadOnlyAccess', this.readOnlyRole, 'AmazonEKSViewPolicy', names.access.readOnlyGroup);
    this.accessEntry('OnCallAccess', this.onCallRole, 'AmazonEKSViewPolicy', names.access.onCallGroup);
  }

  /** Maps an IAM role to an EKS access policy (cluster scope) and a Kubernetes group. */
  accessEntry(id: string, role: iam.IRole, policy: string, group: string): void {
    new eks.CfnAccessEntry(this, id, {
      clusterName: this.cluster.clusterName,
      principalArn: role.roleArn,
      type: 'STANDARD',
      kubernetesGroups: [group],
      accessPolicies: [{ policyArn: `arn:aws:eks::aws:cluster-access-policy/${policy}`, accessScope: { type: 'cluster' } }],
    });
  }
}

/**
 * Findings on aws-cdk-lib's own kubectl provider (the deploy-time Lambdas that run helm/kubectl). Their ids embed
 * logical ids, so they are computed from the construct tree rather than typed.
 */
function kubectlProviderAcknowledgements(cluster: eks.Cluster): Acknowledgement[] {
  const provider = cluster.node.tryFindChild('KubectlProvider');
  if (!provider) return [];
  const stack = Stack.of(cluster);
  const handler = provider.node.findChild('Handler');
  const handlerFn = handler.node.findChild('Resource') as lambda.CfnFunction;
  const ecrCondition = handler.node.tryFindChild('HasEcrPublic') as CfnCondition | undefined;
  const managed = 'aws-cdk-lib attaches the AWS Lambda execution and ECR read-only managed policies to its kubectl provider; the functions run only during deployments.';
  const policy = (name: string) => `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;
  const acks: Acknowledgement[] = [
    { id: policy('service-role/AWSLambdaBasicExecutionRole'), reason: managed },
    { id: policy('service-role/AWSLambdaVPCAccessExecutionRole'), reason: managed },
    { id: policy('AmazonEC2ContainerRegistryReadOnly'), reason: managed },
    { id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(handlerFn)}.Arn>:*]`, reason: 'The provider framework may invoke every version of its own handler function (ARN:*), nothing else.' },
    { id: 'AwsSolutions-L1', reason: 'The kubectl provider runtime is chosen by aws-cdk-lib and moves with its pinned version.' },
  ];
  if (ecrCondition) {
    const arn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly']] };
    acks.push({ id: `AwsSolutions-IAM4[Policy::${JSON.stringify({ 'Fn::If': [stack.getLogicalId(ecrCondition), arn, { Ref: 'AWS::NoValue' }] })}]`, reason: managed });
  }
  return acks;
}
