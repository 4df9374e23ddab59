/**
 * Selectors and PromQL fragments the dashboards share. Series labels are those the platform's scrape config gives:
 * `job` = the pod's `app.kubernetes.io/name`, plus `namespace`, `pod` and `node` of the scraped pod; kubelet and
 * cAdvisor series share job="kubelet" (metrics_path tells them apart) and carry the node's `node` and
 * `optibid_io_node_group` labels. kube-state-metrics series carry the labels of the object they describe.
 */
import { DashboardContext, oneOf, RATE_INTERVAL, sel } from './builder';

export const JOBS = {
  backend: 'backend',
  postgres: 'postgres',
  pgbouncer: 'pgbouncer',
  redis: 'redis',
  kubeStateMetrics: 'kube-state-metrics',
  nodeExporter: 'node-exporter',
  kubelet: 'kubelet',
} as const;

/** The node label Prometheus maps from `optibid.io/node-group` (prometheus-config.ts labelmap). */
export const NODE_GROUP_LABEL = 'optibid_io_node_group';

type Matchers = Readonly<Record<string, string>>;

export const backendSel = (ctx: DashboardContext, extra: Matchers = {}) => sel({ job: JOBS.backend, namespace: ctx.namespaces.app, ...extra });
export const postgresSel = (ctx: DashboardContext, extra: Matchers = {}) => sel({ job: JOBS.postgres, namespace: ctx.namespaces.data, ...extra });
export const pgbouncerSel = (ctx: DashboardContext, extra: Matchers = {}) => sel({ job: JOBS.pgbouncer, namespace: ctx.namespaces.data, ...extra });
export const redisSel = (ctx: DashboardContext, extra: Matchers = {}) => sel({ job: JOBS.redis, namespace: ctx.namespaces.data, ...extra });
export const ksmSel = (extra: Matchers = {}) => sel({ job: JOBS.kubeStateMetrics, ...extra });
export const kubeletSel = (extra: Matchers = {}) => sel({ job: JOBS.kubelet, ...extra });
export const nodeExporterSel = (extra: Matchers = {}) => sel({ job: JOBS.nodeExporter, ...extra });

/** `=~` matcher for the platform's namespaces (app, data, monitoring). */
export const platformNamespaces = (ctx: DashboardContext) => oneOf([ctx.namespaces.app, ctx.namespaces.data, ctx.namespaces.monitoring]);

/** `rate(<series>[$__rate_interval])`. */
export const rate = (series: string, window = RATE_INTERVAL) => `rate(${series}[${window}])`;

/** Backend requests per second (optionally only some, e.g. status="5xx"), summed by `by`. */
export function backendRequestRate(ctx: DashboardContext, by: readonly string[] = [], extra: Matchers = {}): string {
  return `sum${by.length ? ` by (${by.join(', ')}) ` : ''}(${rate(`http_requests_total${backendSel(ctx, extra)}`)})`;
}

/** A latency quantile of the backend from its histogram, per `by` (plus le). */
export function backendLatencyQuantile(ctx: DashboardContext, q: number, by: readonly string[] = []): string {
  return `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (${rate(`http_request_duration_seconds_bucket${backendSel(ctx)}`)}))`;
}

/** Node -> node group (value 1), from the kubelet targets (their labels come from the node's labels). */
export const NODE_GROUPS = `group by (node, ${NODE_GROUP_LABEL}) (up${kubeletSel({ metrics_path: '/metrics' })})`;

/** A per-node expression (must carry `node`) summed per node group. */
export function perNodeGroup(perNode: string): string {
  return `sum by (${NODE_GROUP_LABEL}) (${perNode} * on (node) group_left (${NODE_GROUP_LABEL}) ${NODE_GROUPS})`;
}

/** Resource requests of pods that hold their node's capacity (Pending or Running; finished pods do not), per node. */
export function requestsPerNode(resource: 'cpu' | 'memory'): string {
  return (
    `sum by (node) (kube_pod_container_resource_requests${ksmSel({ resource })} ` +
    `* on (namespace, pod) group_left () max by (namespace, pod) (kube_pod_status_phase${ksmSel({ phase: '=~Pending|Running' })} == 1))`
  );
}

export function allocatablePerNode(resource: 'cpu' | 'memory'): string {
  return `sum by (node) (kube_node_status_allocatable${ksmSel({ resource })})`;
}
