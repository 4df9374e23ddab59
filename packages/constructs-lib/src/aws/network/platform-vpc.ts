import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Stack, RemovalPolicy, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import type { PlatformNames } from '../../naming/naming';
import { PlatformKey } from '../security/platform-key';
import { ExplicitSubnetCidrs } from './explicit-subnet-cidrs';
import { acknowledge } from '../security/acknowledge';

export interface PlatformVpcProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
  /**
   * Interface endpoints that keep AWS API traffic (image pulls, STS, Secrets Manager, logs) off the NAT gateways.
   * They cost per zone-hour, so dev usually goes without.
   * @default true for staging and production, false for dev
   */
  readonly interfaceEndpoints?: boolean;
}

/** Subnet group names; also the values of the `aws-cdk:subnet-name` tag. */
export const SUBNET_GROUPS = { public: 'public', private: 'private' } as const;

/**
 * The VPC: public and private subnets in every configured zone with the CIDRs from the config, NAT gateways as
 * configured, load-balancer discovery tags, flow logs to a KMS-encrypted log group, and gateway/interface endpoints.
 */
export class PlatformVpc extends Construct {
  readonly vpc: ec2.Vpc;
  readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PlatformVpcProps) {
    super(scope, id);
    const { config, names } = props;
    const net = config.network;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      vpcName: names.prefix,
      availabilityZones: [...config.availabilityZones],
      ipAddresses: new ExplicitSubnetCidrs(net.vpcCidr, { [SUBNET_GROUPS.public]: net.publicSubnetCidrs, [SUBNET_GROUPS.private]: net.privateSubnetCidrs }, config.availabilityZones),
      natGateways: net.natGateways,
      // cidrMask is required by the type but ignored: ExplicitSubnetCidrs assigns the configured CIDRs.
      subnetConfiguration: [
        { name: SUBNET_GROUPS.public, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: SUBNET_GROUPS.private, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: true,
      enableDnsHostnames: true,
      enableDnsSupport: true,
    });

    // Load-balancer discovery (AWS Load Balancer Controller) and cluster ownership tags.
    for (const s of this.vpc.publicSubnets) Tags.of(s).add('kubernetes.io/role/elb', '1');
    for (const s of this.vpc.privateSubnets) Tags.of(s).add('kubernetes.io/role/internal-elb', '1');
    for (const s of [...this.vpc.publicSubnets, ...this.vpc.privateSubnets]) Tags.of(s).add(`kubernetes.io/cluster/${names.clusterName}`, 'shared');

    // Flow logs: all traffic, to a log group encrypted with its own key (CloudWatch Logs must be allowed to use it).
    const logKey = new PlatformKey(this, 'FlowLogKey', { alias: names.kms.logs, description: `${names.prefix} VPC flow logs` }).key;
    const region = Stack.of(this).region;
    logKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${config.account}:log-group:${names.logs.flowLogGroup}` } },
      }),
    );
    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      logGroupName: names.logs.flowLogGroup,
      encryptionKey: logKey,
      retention: net.flowLogRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    // Gateway endpoints are free and take S3 traffic (backups, ECR image layers) off the NAT gateways.
    this.vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3 });

    if (props.interfaceEndpoints ?? config.tier !== 'dev') {
      const sg = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.vpc,
        description: 'HTTPS from inside the VPC to the interface endpoints',
        allowAllOutbound: false,
      });
      sg.addIngressRule(ec2.Peer.ipv4(net.vpcCidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
      // The rule cannot evaluate the egress rule CDK adds for allowAllOutbound: false; ingress is the VPC CIDR only.
      acknowledge(sg, [{ id: 'AwsSolutions-EC23', reason: 'Ingress is HTTPS from the VPC CIDR only (no 0.0.0.0/0); the rule errors on the placeholder egress rule CDK adds to deny all outbound.' }]);
      const services: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
        EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
        EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
        Sts: ec2.InterfaceVpcEndpointAwsService.STS,
        SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
        Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      };
      for (const [id, service] of Object.entries(services)) {
        this.vpc.addInterfaceEndpoint(`${id}Endpoint`, { service, securityGroups: [sg], privateDnsEnabled: true, subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });
      }
    }
  }
}
