import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { NodeGroupConfig } from '../../config/schema';
import type { PlatformNames } from '../../naming/naming';
import { acknowledge } from '../security/acknowledge';

export interface PlatformNodeGroupProps {
  readonly cluster: eks.Cluster;
  readonly names: PlatformNames;
  readonly group: NodeGroupConfig;
  /** Subnets the group spreads over (one per zone). */
  readonly subnets: ec2.SubnetSelection;
}

/**
 * One EKS managed node group on AL2023 through a launch template: encrypted gp3 root volume, IMDSv2 required with
 * hop limit 1 (pods cannot reach the node's credentials; they use Pod Identity), a label naming the group, and the
 * cluster-autoscaler auto-discovery tags.
 */
export class PlatformNodeGroup extends Construct {
  readonly nodegroup: eks.Nodegroup;
  readonly launchTemplate: ec2.LaunchTemplate;

  constructor(scope: Construct, id: string, props: PlatformNodeGroupProps) {
    super(scope, id);
    const { cluster, names, group } = props;

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      launchTemplateName: names.nodes.launchTemplateName(group.name),
      requireImdsv2: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      httpEndpoint: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(group.diskSizeGiB, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true, deleteOnTermination: true }),
        },
      ],
    });

    const nodeRole = new iam.Role(this, 'NodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonSSMManagedInstanceCore'].map((p) => iam.ManagedPolicy.fromAwsManagedPolicyName(p)),
      description: `Nodes of ${names.nodes.nodegroupName(group.name)}`,
    });
    // The VPC CNI runs on the host network and uses the node role; it needs the CNI policy.
    nodeRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKS_CNI_Policy'));
    const managedReason = 'EKS managed nodes need the AWS-maintained worker, CNI, ECR pull and SSM policies; AWS updates them with the node AMI and add-ons.';
    acknowledge(
      nodeRole,
      ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonSSMManagedInstanceCore', 'AmazonEKS_CNI_Policy'].map((p) => ({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${p}]`,
        reason: managedReason,
      })),
    );

    const labelTagPrefix = 'k8s.io/cluster-autoscaler/node-template/label/';
    this.nodegroup = cluster.addNodegroupCapacity(id, {
      nodegroupName: names.nodes.nodegroupName(group.name),
      amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      instanceTypes: [new ec2.InstanceType(group.instanceType)],
      minSize: group.minSize,
      maxSize: group.maxSize,
      desiredSize: group.desiredSize ?? group.minSize,
      subnets: props.subnets,
      nodeRole,
      labels: { [names.nodes.groupLabel]: group.name },
      launchTemplateSpec: { id: this.launchTemplate.launchTemplateId!, version: this.launchTemplate.latestVersionNumber },
      // Replace nodes a few at a time during AMI or template updates.
      maxUnavailable: 1,
      enableNodeAutoRepair: true,
      tags: {
        'k8s.io/cluster-autoscaler/enabled': 'true',
        [`k8s.io/cluster-autoscaler/${names.clusterName}`]: 'owned',
        // Lets the autoscaler scale a group from zero knowing its label.
        [`${labelTagPrefix}${names.nodes.groupLabel}`]: group.name,
      },
    });
  }
}
