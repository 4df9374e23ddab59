/**
 * Kubernetes resource quantities, as the config and the sizing rules use them: CPU in millicores, memory in bytes.
 * Only the suffixes the platform writes are accepted (m for CPU; Ki/Mi/Gi/Ti and k/M/G/T for memory).
 */
const CPU_RE = /^(\d+(?:\.\d+)?)(m?)$/;
const MEM_RE = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEM_FACTORS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

export function isCpuQuantity(q: string): boolean {
  return CPU_RE.test(q);
}
export function isMemoryQuantity(q: string): boolean {
  return MEM_RE.test(q);
}

/** `250m` -> 250, `1.5` -> 1500. Throws on a malformed value (the schema rejects those first). */
export function cpuMillis(q: string): number {
  const m = CPU_RE.exec(q);
  if (!m) throw new Error(`'${q}' is not a CPU quantity (e.g. 250m, 1, 1.5)`);
  return Math.round(m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000);
}

/** `512Mi` -> 536870912. */
export function memoryBytes(q: string): number {
  const m = MEM_RE.exec(q);
  if (!m) throw new Error(`'${q}' is not a memory quantity (e.g. 512Mi, 2Gi)`);
  return Math.round(Number(m[1]) * MEM_FACTORS[m[2] ?? '']);
}

/** Millicores back to a quantity string (`1500m`). */
export function formatCpu(millis: number): string {
  return `${Math.ceil(millis)}m`;
}

/** Bytes back to a quantity string, in whole Mi (rounded up). */
export function formatMemory(bytes: number): string {
  return `${Math.ceil(bytes / 1024 ** 2)}Mi`;
}
