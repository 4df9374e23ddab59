/**
 * Kubernetes resource quantities as the config and the sizing rules use them: CPU in millicores, memory in bytes.
 * The config accepts only the suffixes the platform writes (m for CPU; Ki/Mi/Gi/Ti and k/M/G/T for memory); the
 * arithmetic is the one parser of @optibid/rendered (apimachinery's quantity grammar, exact, rounded up).
 */
export { cpuMillis, memoryBytes } from '@optibid/rendered';

const CPU_RE = /^(\d+(?:\.\d+)?)(m?)$/;
const MEM_RE = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

export function isCpuQuantity(q: string): boolean {
  return CPU_RE.test(q);
}
export function isMemoryQuantity(q: string): boolean {
  return MEM_RE.test(q);
}

/** Millicores back to a quantity string (`1500m`). */
export function formatCpu(millis: number): string {
  return `${Math.ceil(millis)}m`;
}

/** Bytes back to a quantity string, in whole Mi (rounded up). */
export function formatMemory(bytes: number): string {
  return `${Math.ceil(bytes / 1024 ** 2)}Mi`;
}
