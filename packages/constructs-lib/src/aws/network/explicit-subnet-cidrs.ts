import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * An `IIpAddresses` that hands out the subnet CIDRs written in the environment config (validated there for overlap
 * and containment) instead of carving them automatically, so addresses never shift when a subnet group is added.
 */
export class ExplicitSubnetCidrs implements ec2.IIpAddresses {
  constructor(
    private readonly vpcCidr: string,
    /** Subnet group name -> one CIDR per availability zone, in zone order. */
    private readonly cidrsByGroup: Readonly<Record<string, readonly string[]>>,
    private readonly availabilityZones: readonly string[],
  ) {}

  allocateVpcCidr(): ec2.VpcIpamOptions {
    return { cidrBlock: this.vpcCidr };
  }

  allocateSubnetsCidr(input: ec2.AllocateCidrRequest): ec2.SubnetIpamOptions {
    return {
      allocatedSubnets: input.requestedSubnets.map((s) => {
        const cidrs = this.cidrsByGroup[s.configuration.name];
        const zone = this.availabilityZones.indexOf(s.availabilityZone);
        if (!cidrs || zone < 0 || !cidrs[zone]) {
          throw new Error(`No CIDR configured for subnet group '${s.configuration.name}' in ${s.availabilityZone}`);
        }
        return { cidr: cidrs[zone] };
      }),
    };
  }
}
