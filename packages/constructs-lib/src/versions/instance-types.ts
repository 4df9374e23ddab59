/**
 * The EC2 instance types the platform may run nodes on, with the figures capacity planning needs.
 * Only x86_64 families are listed: the node groups use the AL2023_x86_64_STANDARD AMI type.
 * maxPods is the VPC CNI limit without prefix delegation: ENIs x (IPv4 per ENI - 1) + 2
 * (from the EKS eni-max-pods table).
 */
export interface InstanceTypeSpec {
  readonly vcpu: number;
  readonly memoryGiB: number;
  readonly maxPods: number;
}

export const INSTANCE_TYPES: Readonly<Record<string, InstanceTypeSpec>> = {
  't3.medium': { vcpu: 2, memoryGiB: 4, maxPods: 17 },
  't3.large': { vcpu: 2, memoryGiB: 8, maxPods: 35 },
  't3.xlarge': { vcpu: 4, memoryGiB: 16, maxPods: 58 },
  'm5.large': { vcpu: 2, memoryGiB: 8, maxPods: 29 },
  'm5.xlarge': { vcpu: 4, memoryGiB: 16, maxPods: 58 },
  'm5.2xlarge': { vcpu: 8, memoryGiB: 32, maxPods: 58 },
  'm5.4xlarge': { vcpu: 16, memoryGiB: 64, maxPods: 234 },
  'm6i.large': { vcpu: 2, memoryGiB: 8, maxPods: 29 },
  'm6i.xlarge': { vcpu: 4, memoryGiB: 16, maxPods: 58 },
  'm6i.2xlarge': { vcpu: 8, memoryGiB: 32, maxPods: 58 },
  'm7i.large': { vcpu: 2, memoryGiB: 8, maxPods: 29 },
  'm7i.xlarge': { vcpu: 4, memoryGiB: 16, maxPods: 58 },
  'm7i.2xlarge': { vcpu: 8, memoryGiB: 32, maxPods: 58 },
  'c5.xlarge': { vcpu: 4, memoryGiB: 8, maxPods: 58 },
  'c5.2xlarge': { vcpu: 8, memoryGiB: 16, maxPods: 58 },
  'c6i.xlarge': { vcpu: 4, memoryGiB: 8, maxPods: 58 },
  'c6i.2xlarge': { vcpu: 8, memoryGiB: 16, maxPods: 58 },
  'r5.xlarge': { vcpu: 4, memoryGiB: 32, maxPods: 58 },
  'r5.2xlarge': { vcpu: 8, memoryGiB: 64, maxPods: 58 },
  'r6i.xlarge': { vcpu: 4, memoryGiB: 32, maxPods: 58 },
  'r6i.2xlarge': { vcpu: 8, memoryGiB: 64, maxPods: 58 },
};

/** The families (the part before the dot) present in {@link INSTANCE_TYPES}. */
export const INSTANCE_FAMILIES: readonly string[] = [...new Set(Object.keys(INSTANCE_TYPES).map((t) => t.split('.')[0]))].sort();
