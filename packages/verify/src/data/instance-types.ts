/**
 * EC2 instance figures capacity planning needs (vCPU, memory, pods per node), for the instance types the platform may
 * run nodes on. The table itself is the static one in @optibid/constructs-lib (from its data entry, which loads no
 * construct library):
 *
 * - vCPU and memory: the EC2 instance type pages (https://aws.amazon.com/ec2/instance-types/).
 * - maxPods: the VPC CNI limit without prefix delegation, ENIs × (IPv4 addresses per ENI − 1) + 2, as in the EKS
 *   eni-max-pods table (https://github.com/awslabs/amazon-eks-ami/blob/main/templates/shared/runtime/eni-max-pods.txt).
 *   EKS managed node groups cap it at 110 below 30 vCPU and 250 from 30 vCPU
 *   (https://docs.aws.amazon.com/eks/latest/userguide/choosing-instance-type.html#determine-max-pods); none of the
 *   listed types reaches the cap except m5.4xlarge (234 → 110).
 */
import { INSTANCE_TYPES } from '@optibid/constructs-lib/data';

export interface InstanceFigures {
  readonly name: string;
  readonly vcpu: number;
  readonly memoryMiB: number;
  /** Pods the kubelet admits (VPC CNI table, managed-node-group cap applied). */
  readonly maxPods: number;
}

/** Pods the managed node group lets a node run: the CNI figure, capped at 110 (< 30 vCPU) or 250. */
export function managedNodeGroupMaxPods(vcpu: number, cniMaxPods: number): number {
  return Math.min(cniMaxPods, vcpu < 30 ? 110 : 250);
}

/** The figures of one instance type, or undefined when the table does not list it. */
export function instanceFigures(name: string): InstanceFigures | undefined {
  const spec = INSTANCE_TYPES[name];
  if (!spec) return undefined;
  return { name, vcpu: spec.vcpu, memoryMiB: spec.memoryGiB * 1024, maxPods: managedNodeGroupMaxPods(spec.vcpu, spec.maxPods) };
}

/** Every instance type the table knows. */
export function knownInstanceTypes(): string[] {
  return Object.keys(INSTANCE_TYPES).sort();
}
