/**
 * What an EKS node keeps for itself: node allocatable = capacity − kube-reserved − system-reserved − eviction threshold
 * (https://kubernetes.io/docs/tasks/administer-cluster/reserve-compute-resources/#node-allocatable).
 *
 * Source of the figures: the EKS-optimized AMIs compute kube-reserved from the instance size.
 * - AL2023 (nodeadm, the AMI type of every node group here: AL2023_x86_64_STANDARD):
 *   https://github.com/awslabs/amazon-eks-ami/blob/main/nodeadm/internal/kubelet/config.go
 *   (getCPUMillicoresToReserve, getMemoryMebibytesToReserve, evictionHard `memory.available: 100Mi`).
 * - The same formula in the AL2 bootstrap script (get_cpu_millicores_to_reserve / get_memory_mebibytes_to_reserve):
 *   https://github.com/awslabs/amazon-eks-ami/blob/main/templates/al2/runtime/bootstrap.sh
 *
 *   kube-reserved CPU    = 6 % of the first core + 1 % of the second + 0.5 % of cores 3 and 4 + 0.25 % of every core above 4
 *   kube-reserved memory = 255 MiB + 11 MiB × maxPods
 *   eviction-hard        = memory.available < 100 Mi
 *   system-reserved      = none (the AMIs do not set it)
 *
 * Capacity is the nominal instance size (vCPU × 1000 m, GiB × 1024 Mi). The kernel reports a few percent less
 * memory than the nominal size (an m5.large shows ≈ 7.6 GiB), so real allocatable memory is about 3–5 % below
 * the figure computed here: read memory headroom under 5 % as none.
 */

/** Memory the kubelet evicts below (evictionHard memory.available). */
export const EVICTION_HARD_MEMORY_MIB = 100;

/** kube-reserved memory base and per-pod figures (MiB). */
export const KUBE_RESERVED_MEMORY_BASE_MIB = 255;
export const KUBE_RESERVED_MEMORY_PER_POD_MIB = 11;

/** kube-reserved CPU in millicores for a node of `vcpu` cores (EKS formula). */
export function kubeReservedCpuMillis(vcpu: number): number {
  const tiers: readonly [upTo: number, fraction: number][] = [
    [1, 0.06],
    [2, 0.01],
    [4, 0.005],
    [Infinity, 0.0025],
  ];
  let reserved = 0;
  let from = 0;
  for (const [upTo, fraction] of tiers) {
    const cores = Math.max(0, Math.min(vcpu, upTo) - from);
    reserved += cores * 1000 * fraction;
    from = upTo;
    if (vcpu <= upTo) break;
  }
  return Math.round(reserved * 1000) / 1000;
}

/** kube-reserved memory in MiB for a node admitting `maxPods` pods (EKS formula). */
export function kubeReservedMemoryMiB(maxPods: number): number {
  return KUBE_RESERVED_MEMORY_BASE_MIB + KUBE_RESERVED_MEMORY_PER_POD_MIB * maxPods;
}

export interface NodeAllocatable {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly pods: number;
  readonly reservedCpuMillis: number;
  readonly reservedMemoryMiB: number;
}

/** Allocatable CPU (m), memory (MiB) and pods of a node with this capacity. */
export function nodeAllocatable(vcpu: number, memoryMiB: number, maxPods: number): NodeAllocatable {
  const reservedCpuMillis = kubeReservedCpuMillis(vcpu);
  const reservedMemoryMiB = kubeReservedMemoryMiB(maxPods) + EVICTION_HARD_MEMORY_MIB;
  return { cpuMillis: vcpu * 1000 - reservedCpuMillis, memoryMiB: memoryMiB - reservedMemoryMiB, pods: maxPods, reservedCpuMillis, reservedMemoryMiB };
}
