import type { EnvironmentConfig } from '../config/schema';
import type { ResourcesConfig } from '../config/app-schema';
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from '../util/quantity';
import { DATA_CONTAINER_RESOURCES, MONITORING_CONTAINER_RESOURCES, REDIS_CONTAINER_RESOURCES } from './container-resources';

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
  /**
   * Extra pods a rollout adds.
   * @default ceil(25 % of maxReplicas) (the Deployments' maxSurge)
   */
  readonly surge?: number;
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
    const n = w.surge === undefined ? peakPods(w.maxReplicas) : w.maxReplicas + w.surge;
    pods += n;
    requestsCpuMillis += n * cpuMillis(w.resources.requests.cpu);
    requestsMemoryBytes += n * memoryBytes(w.resources.requests.memory);
    limitsMemoryBytes += n * memoryBytes(w.resources.limits.memory);
  }
  return { pods, requestsCpuMillis, requestsMemoryBytes, limitsMemoryBytes };
}

/** The application namespace's workloads (backend and frontend, both scaled by the app HPA bounds). */
export function appWorkloadFootprints(cfg: Pick<EnvironmentConfig, 'app'>): WorkloadFootprint[] {
  return [
    ...(['backend', 'frontend'] as const).map((name) => ({ name, maxReplicas: cfg.app.maxReplicas, resources: cfg.app[name].resources })),
    // The further application services of the services table (app.services), on the same HPA bounds.
    ...Object.entries(cfg.app.services ?? {}).map(([name, w]) => ({ name, maxReplicas: cfg.app.maxReplicas, resources: w.resources })),
  ];
}

/** One pod's resources: the sum of its containers'. */
export function podResources(containers: readonly ResourcesConfig[]): ResourcesConfig {
  const sum = (f: (r: ResourcesConfig) => number) => containers.reduce((a, r) => a + f(r), 0);
  return {
    requests: { cpu: formatCpu(sum((r) => cpuMillis(r.requests.cpu))), memory: formatMemory(sum((r) => memoryBytes(r.requests.memory))) },
    limits: { memory: formatMemory(sum((r) => memoryBytes(r.limits.memory))) },
  };
}

/**
 * The data namespace's pods at peak: every PostgreSQL member and Redis node (StatefulSets roll one pod at a time,
 * no surge), the poolers plus a one-pod surge (maxSurge 1), two database backup/restore jobs and the two Redis
 * helper jobs (bootstrap, backup) at once.
 */
export function dataWorkloadFootprints(cfg: Pick<EnvironmentConfig, 'database' | 'redis'>): WorkloadFootprint[] {
  const r = DATA_CONTAINER_RESOURCES;
  const db = cfg.database;
  return [
    { name: 'postgres', maxReplicas: db.members, surge: 0, resources: podResources([db.resources, r.pgbackrestSidecar, r.postgresExporter]) },
    { name: 'pgbouncer', maxReplicas: db.pooler.replicas, surge: 1, resources: podResources([r.pgbouncer, r.pgbouncerExporter]) },
    { name: 'backup-jobs', maxReplicas: 2, surge: 0, resources: r.backupJob },
    { name: 'redis', maxReplicas: cfg.redis.primaries * (1 + cfg.redis.replicasPerPrimary), surge: 0, resources: podResources([cfg.redis.resources, REDIS_CONTAINER_RESOURCES.exporter]) },
    { name: 'redis-jobs', maxReplicas: 2, surge: 0, resources: podResources([REDIS_CONTAINER_RESOURCES.job, REDIS_CONTAINER_RESOURCES.job]) },
  ];
}

/** The monitoring namespace's pods at peak (Deployments surge one pod; StatefulSets roll in place). */
export function monitoringWorkloadFootprints(cfg: Pick<EnvironmentConfig, 'monitoring'>): WorkloadFootprint[] {
  const r = MONITORING_CONTAINER_RESOURCES;
  const m = cfg.monitoring;
  return [
    { name: 'prometheus', maxReplicas: m.prometheus.replicas, surge: 0, resources: m.prometheus.resources },
    { name: 'alertmanager', maxReplicas: m.alertmanager.replicas, surge: 0, resources: r.alertmanager },
    { name: 'grafana', maxReplicas: 1, surge: 1, resources: r.grafana },
    { name: 'jaeger', maxReplicas: 1, surge: 0, resources: r.jaeger },
    { name: 'kube-state-metrics', maxReplicas: 1, surge: 1, resources: r.kubeStateMetrics },
  ];
}
