import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { PlatformVpc } from '@optibid/constructs-lib/aws';
import type { PlatformStackProps } from './stack-props';

/** The VPC over the environment's zones: subnets, NAT, flow logs, endpoints. */
export class NetworkStack extends Stack {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    this.vpc = new PlatformVpc(this, 'Network', { config: props.config, names: props.names }).vpc;
  }
}
