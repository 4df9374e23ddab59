import type { EnvironmentConfig } from '../config/schema';
import type { ResourcesConfig } from '../config/app-schema';
import { cpuMillis, memoryBytes } from '../util/quantity';

/**
 * Sizing rule for namespaces: a namespace's ResourceQuota must admit every workload at its peak, which is the HPA
 * maximum plus the rolling-update surge (maxSurge 25 %, rounded up as Kubernetes does), so a scale-out during a
 * rollout never hits the quota.
 */

/** Fraction of replicas a rolling update may add on top (the Deployments' maxSurge). */
export const ROLLING_SURGE_FRACTION = 0.25;

export interface WorkloadFootprint {
  readonly name: string;
  /** Most replicas the workload runs in steady state (HPA max, or fixed replicas). */
  readonly maxReplicas: number;
  readonly resources: ResourcesConfig;
}

export interface NamespaceRequirement {
  readonly pods: number;
  readonly requestsCpuMillis: number;
  readonly requestsMemoryBytes: number;
  readonly limitsMemoryBytes: number;
}

/** Pods a rollout at `replicas` may run at once: replicas + ceil(25 %). */
export function peakPods(replicas: number): number {
  return replicas + Math.ceil(replicas * ROLLING_SURGE_FRACTION);
}

/** What a namespace running these workloads needs at peak. */
export function namespaceRequirement(workloads: readonly WorkloadFootprint[]): NamespaceRequirement {
  let pods = 0;
  let requestsCpuMillis = 0;
  let requestsMemoryBytes = 0;
  let limitsMemoryBytes = 0;
  for (const w of workloads) {
    const n = peakPods(w.maxReplicas);
    pods += n;
    requestsCpuMillis += n * cpuMillis(w.resources.requests.cpu);
    requestsMemoryBytes += n * memoryBytes(w.resources.requests.memory);
    limitsMemoryBytes += n * memoryBytes(w.resources.limits.memory);
  }
  return { pods, requestsCpuMillis, requestsMemoryBytes, limitsMemoryBytes };
}

/** The application namespace's workloads (backend and frontend, both scaled by the app HPA bounds). */
export function appWorkloadFootprints(cfg: Pick<EnvironmentConfig, 'app'>): WorkloadFootprint[] {
  return (['backend', 'frontend'] as const).map((name) => ({ name, maxReplicas: cfg.app.maxReplicas, resources: cfg.app[name].resources }));
}
