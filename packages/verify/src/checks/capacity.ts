/**
 * capacity: the node groups hold the workloads — (a) minimum replicas on the minimum nodes, (b) HPA maximum plus
 * rolling-update surge on the most nodes the groups and the cluster-autoscaler cap allow, (c) minimum replicas with
 * the largest zone lost — packed per node, with DaemonSets, system add-ons/charts, CronJob concurrency, topology
 * spread, PodDisruptionBudgets and ResourceQuotas. Pure function of the render.
 *
 * Rules:
 * - `min-fits`: (a) does not fit (or a pod is bigger than any node it may use);
 * - `max-scale-fits`: (b) does not fit the node groups' maxima capped by --max-nodes-total;
 * - `zone-loss`: (c) does not fit the remaining nodes, or a zone takes more pods than a PodDisruptionBudget allows;
 * - `quota`: a namespace ResourceQuota is below what (b) needs in that namespace;
 * - `instance-type-known`: a node group's instance type is not in the instance table (its capacity is unknown);
 * - `connection-budget`: a PgBouncer rollout peak, (replicas + maxSurge) x max_db_connections, exceeds the pooling cap
 *   or what PostgreSQL admits (./capacity/connection-budget.ts).
 */
import type { VerifyCheck } from '../types';
import { analyseCapacity, CHECK } from './capacity/analysis';
import { capacityMarkdown, capacitySummary } from './capacity/report';
import { connectionBudget } from './capacity/connection-budget';

export const capacityCheck: VerifyCheck = {
  name: CHECK,
  description:
    'Node groups hold every pod per node at minimum scale, at HPA maximum plus rolling-update surge (within --max-nodes-total) and with the largest zone lost; a zone loss breaks no PodDisruptionBudget; ResourceQuotas admit the peak; PgBouncer rollout peaks fit the connection budget.',
  run: (env) => {
    const a = analyseCapacity(env);
    return { findings: [...a.findings, ...connectionBudget(env)], summary: capacitySummary(a), reports: { 'capacity.md': capacityMarkdown(a) } };
  },
};
