/**
 * Kubernetes resource arithmetic over rendered pod templates: quantities (CPU, memory, storage) and what one pod
 * requests, the way the scheduler and ResourceQuota admission count it.
 *
 * - Quantities: `<number><suffix>` with binary suffixes (Ki Mi Gi Ti Pi Ei), decimal suffixes (n u m k M G T P E) or a
 *   decimal exponent (`1e3`); YAML numbers are accepted as they are (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/).
 *   CPU is returned in millicores (rounded up, as the API server does), memory and storage in bytes (rounded up).
 * - A container without a request gets it from its limit (API defaulting), else from the namespace LimitRange
 *   `defaultRequest`, else from the LimitRange `default` (a LimitRange without defaultRequest copies default into it).
 *   A container without a limit gets the LimitRange `default`, else it has none.
 * - A pod's effective request (https://kubernetes.io/docs/concepts/workloads/pods/init-containers/#resource-sharing-within-containers):
 *   max( sum(app containers) + sum(sidecar init containers), max over plain init containers of (its request + the
 *   sidecars started before it) ) + spec.overhead. Sidecars are init containers with `restartPolicy: Always`.
 */

import { cpuMillis, GiB, memoryBytes, MiB, quantityValue, storageBytes } from '@optibid/rendered';

export { cpuMillis, GiB, memoryBytes, MiB, storageBytes };

/** A quantity in base units (cores, bytes). Throws on a malformed value. */
export const parseQuantity = quantityValue;

/** Millicores for display: `1.25` (cores, 2 decimals). */
export function formatCores(millis: number): string {
  return (millis / 1000).toFixed(2);
}
/** Bytes for display in GiB (1 decimal). */
export function formatGiB(bytes: number): string {
  return (bytes / GiB).toFixed(1);
}
/** Bytes for display in Mi (rounded up), the unit quotas are written in. */
export function formatMi(bytes: number): string {
  return `${Math.ceil(bytes / MiB)}Mi`;
}
/** Millicores as a quantity (`250m`). */
export function formatMillis(millis: number): string {
  return `${Math.ceil(millis)}m`;
}

/** The defaults a namespace's LimitRange (type Container) gives containers. */
export interface ContainerDefaults {
  readonly defaultRequest?: { readonly cpu?: string | number; readonly memory?: string | number };
  readonly default?: { readonly cpu?: string | number; readonly memory?: string | number };
}

/** The Container defaults of the LimitRange objects of one namespace (later objects win per field, as admission merges them). */
export function limitRangeDefaults(limitRanges: readonly any[]): ContainerDefaults | undefined {
  let defaultRequest: Record<string, string | number> | undefined;
  let dflt: Record<string, string | number> | undefined;
  for (const lr of limitRanges) {
    for (const item of lr?.spec?.limits ?? []) {
      if (item?.type !== 'Container') continue;
      if (item.defaultRequest) defaultRequest = { ...(defaultRequest ?? {}), ...item.defaultRequest };
      if (item.default) dflt = { ...(dflt ?? {}), ...item.default };
    }
  }
  if (!defaultRequest && !dflt) return undefined;
  return { defaultRequest, default: dflt };
}

export interface ContainerResources {
  readonly name: string;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  /** undefined: the container has no limit (after LimitRange defaults). */
  readonly limitsCpuMillis: number | undefined;
  readonly limitsMemoryBytes: number | undefined;
}

/** One container's effective requests and limits (API defaulting, then LimitRange defaults). */
export function containerResources(c: any, defaults?: ContainerDefaults): ContainerResources {
  const req = c?.resources?.requests ?? {};
  const lim = c?.resources?.limits ?? {};
  const pick = <T>(...vals: (T | undefined | null)[]): T | undefined => vals.find((v) => v !== undefined && v !== null) ?? undefined;
  const reqCpu = pick(req.cpu, lim.cpu, defaults?.defaultRequest?.cpu, defaults?.default?.cpu);
  const reqMem = pick(req.memory, lim.memory, defaults?.defaultRequest?.memory, defaults?.default?.memory);
  const limCpu = pick(lim.cpu, defaults?.default?.cpu);
  const limMem = pick(lim.memory, defaults?.default?.memory);
  return {
    name: String(c?.name ?? '?'),
    cpuMillis: reqCpu === undefined ? 0 : cpuMillis(reqCpu),
    memoryBytes: reqMem === undefined ? 0 : memoryBytes(reqMem),
    limitsCpuMillis: limCpu === undefined ? undefined : cpuMillis(limCpu),
    limitsMemoryBytes: limMem === undefined ? undefined : memoryBytes(limMem),
  };
}

/** What one pod requests (and is limited to), as the scheduler and quota count it. */
export interface PodResources {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  /** undefined when some container has no CPU limit (then the pod has no CPU limit). */
  readonly limitsCpuMillis: number | undefined;
  readonly limitsMemoryBytes: number | undefined;
  /** True when no container has any request or limit (QoS BestEffort). */
  readonly bestEffort: boolean;
  readonly containers: readonly ContainerResources[];
  readonly initContainers: readonly (ContainerResources & { readonly sidecar: boolean })[];
}

type Dim = 'cpuMillis' | 'memoryBytes' | 'limitsCpuMillis' | 'limitsMemoryBytes';

/** The effective value of one dimension: max(sum(app) + sidecars, max(init + sidecars before it)). */
function effective(app: readonly ContainerResources[], init: readonly (ContainerResources & { sidecar: boolean })[], dim: Dim): number | undefined {
  let undef = false;
  const val = (c: ContainerResources) => {
    const v = c[dim];
    if (v === undefined) undef = true;
    return v ?? 0;
  };
  let sidecars = 0;
  let initPeak = 0;
  for (const c of init) {
    if (c.sidecar) sidecars += val(c);
    else initPeak = Math.max(initPeak, val(c) + sidecars);
  }
  const steady = app.reduce((a, c) => a + val(c), 0) + sidecars;
  return undef ? undefined : Math.max(steady, initPeak);
}

/**
 * A pod template's (or pod spec's) effective requests and limits. `spec` is the pod spec
 * (`template.spec`); `defaults` the namespace LimitRange Container defaults.
 */
export function podResources(spec: any, defaults?: ContainerDefaults): PodResources {
  const containers = ((spec?.containers ?? []) as any[]).map((c) => containerResources(c, defaults));
  const initContainers = ((spec?.initContainers ?? []) as any[]).map((c) => ({ ...containerResources(c, defaults), sidecar: c?.restartPolicy === 'Always' }));
  const overhead = spec?.overhead ?? {};
  const ovCpu = overhead.cpu !== undefined ? cpuMillis(overhead.cpu) : 0;
  const ovMem = overhead.memory !== undefined ? memoryBytes(overhead.memory) : 0;
  const add = (v: number | undefined, o: number) => (v === undefined ? undefined : v + o);
  const all = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])] as any[];
  const bestEffort = !defaults && all.every((c) => Object.keys(c?.resources?.requests ?? {}).length === 0 && Object.keys(c?.resources?.limits ?? {}).length === 0);
  return {
    cpuMillis: (effective(containers, initContainers, 'cpuMillis') ?? 0) + ovCpu,
    memoryBytes: (effective(containers, initContainers, 'memoryBytes') ?? 0) + ovMem,
    limitsCpuMillis: add(effective(containers, initContainers, 'limitsCpuMillis'), ovCpu),
    limitsMemoryBytes: add(effective(containers, initContainers, 'limitsMemoryBytes'), ovMem),
    bestEffort,
    containers,
    initContainers,
  };
}

/** A plain resources block (requests/limits as quantity strings), as charts and add-ons document them. */
export interface ResourceBlock {
  readonly requests?: { readonly cpu?: string | number; readonly memory?: string | number };
  readonly limits?: { readonly cpu?: string | number; readonly memory?: string | number };
}

/** A pod made of these containers (name + resources block), for components not in the render (add-ons, charts). */
export function podResourcesOf(containers: readonly { name: string; resources?: ResourceBlock }[], initContainers: readonly { name: string; resources?: ResourceBlock }[] = []): PodResources {
  return podResources({ containers, initContainers });
}
