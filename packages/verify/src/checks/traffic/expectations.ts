/**
 * The flows the design demands and the flows it forbids, by rendered namespace and workload name. The traffic check
 * proves them against the NetworkPolicies of every environment: `required-flow` when a listed flow is not allowed on
 * every listed port, `forbidden-flow` when a listed flow is allowed on any port it must not use.
 *
 * Endpoint references:
 * - `{ namespace, workload }`: rendered workloads; `*` matches any namespace / workload, `prefix-*` a name prefix.
 * - `{ system }`: components outside the render: `kube-dns`, `ingress-controller`, `apiserver`, and `nodes` (the node
 *   addresses, i.e. the VPC CIDR: kubelet, hostNetwork pods).
 * - `{ outside }`: an address outside the cluster (`198.51.100.25` stands for "a public Internet host"), or `any` for
 *   any outside address at all.
 * Ports: `<port>/<protocol>`, `<from>-<to>/<protocol>`, `*\/<protocol>`.
 */

export type EndpointRef =
  | { readonly namespace: string; readonly workload: string }
  | { readonly system: 'kube-dns' | 'ingress-controller' | 'apiserver' | 'nodes' }
  | { readonly outside: string };

export interface RequiredFlow {
  readonly from: EndpointRef;
  readonly to: EndpointRef;
  /** Every one of these must be allowed. */
  readonly ports: readonly string[];
  readonly reason: string;
}

export interface ForbiddenFlow {
  readonly from: EndpointRef;
  readonly to: EndpointRef;
  /** The ports that must not be allowed; absent = every port. */
  readonly ports?: readonly string[];
  /** Carve-outs: pairs (narrowing `from`/`to`) and ports that ARE allowed. */
  readonly except?: readonly { readonly from?: EndpointRef; readonly to?: EndpointRef; readonly ports: readonly string[]; readonly reason: string }[];
  readonly reason: string;
}

/** Who scrapes the pods annotated `prometheus.io/scrape: "true"`, on their `prometheus.io/port`. */
export interface ScrapeExpectation {
  readonly scraper: { readonly namespace: string; readonly workload: string };
  readonly reason: string;
}

/** A public Internet address (TEST-NET-2) standing for any SaaS / SMTP / HTTPS endpoint. */
export const INTERNET = '198.51.100.25';

const APP = 'optibid';
const DATA = 'optibid-data';
const MON = 'monitoring';
const AGENTS = 'monitoring-agents';

export const REQUIRED_FLOWS: readonly RequiredFlow[] = [
  // Application path
  { from: { system: 'ingress-controller' }, to: { namespace: APP, workload: 'backend' }, ports: ['8000/TCP'], reason: 'the NGINX ingress controller routes api.* to the backend' },
  { from: { system: 'ingress-controller' }, to: { namespace: APP, workload: 'frontend' }, ports: ['3000/TCP'], reason: 'the NGINX ingress controller routes app.* to the frontend' },
  { from: { namespace: APP, workload: 'frontend' }, to: { namespace: APP, workload: 'backend' }, ports: ['8000/TCP'], reason: 'server-side rendering calls the API' },
  { from: { namespace: APP, workload: 'backend' }, to: { namespace: DATA, workload: 'pgbouncer' }, ports: ['6432/TCP'], reason: 'the backend reaches PostgreSQL through PgBouncer (DATABASE_HOST pgbouncer, port 6432)' },
  { from: { namespace: DATA, workload: 'pgbouncer' }, to: { namespace: DATA, workload: 'postgres' }, ports: ['5432/TCP'], reason: 'PgBouncer pools connections to PostgreSQL' },
  { from: { namespace: APP, workload: 'backend' }, to: { namespace: DATA, workload: 'redis' }, ports: ['6379/TCP'], reason: 'the backend caches in Redis (REDIS_HOST redis, port 6379)' },
  { from: { namespace: APP, workload: 'backend' }, to: { namespace: MON, workload: 'jaeger' }, ports: ['4317/TCP'], reason: 'the backend exports traces over OTLP/gRPC (OTEL_EXPORTER_OTLP_ENDPOINT jaeger-collector:4317)' },
  // Data tier internals
  { from: { namespace: DATA, workload: 'postgres' }, to: { namespace: DATA, workload: 'postgres' }, ports: ['5432/TCP', '8008/TCP'], reason: 'streaming replication and the Patroni REST API between PostgreSQL members' },
  { from: { namespace: DATA, workload: 'postgres' }, to: { system: 'apiserver' }, ports: ['443/TCP'], reason: 'Patroni keeps the leader lock in the Kubernetes API' },
  { from: { namespace: DATA, workload: 'postgres-backup-*' }, to: { namespace: DATA, workload: 'postgres' }, ports: ['8432/TCP'], reason: 'pgBackRest backups talk to the pgBackRest TLS server beside PostgreSQL' },
  { from: { namespace: DATA, workload: 'redis' }, to: { namespace: DATA, workload: 'redis' }, ports: ['6379/TCP', '16379/TCP'], reason: 'Redis Cluster replication and cluster bus' },
  { from: { namespace: DATA, workload: 'redis-bootstrap-*' }, to: { namespace: DATA, workload: 'redis' }, ports: ['6379/TCP'], reason: 'the bootstrap Job forms the Redis cluster' },
  { from: { namespace: DATA, workload: 'redis-backup' }, to: { namespace: DATA, workload: 'redis' }, ports: ['6379/TCP'], reason: 'the backup CronJob snapshots Redis' },
  // Name resolution
  { from: { namespace: '*', workload: '*' }, to: { system: 'kube-dns' }, ports: ['53/UDP', '53/TCP'], reason: 'every pod resolves Service names through CoreDNS (UDP, and TCP for large answers)' },
  // Monitoring
  { from: { namespace: MON, workload: 'grafana' }, to: { namespace: MON, workload: 'prometheus' }, ports: ['9090/TCP'], reason: 'Grafana dashboards query Prometheus' },
  { from: { namespace: MON, workload: 'grafana' }, to: { namespace: MON, workload: 'jaeger' }, ports: ['16686/TCP'], reason: 'Grafana\'s tracing data source queries Jaeger' },
  { from: { namespace: MON, workload: 'prometheus' }, to: { namespace: MON, workload: 'alertmanager' }, ports: ['9093/TCP'], reason: 'Prometheus delivers alerts to Alertmanager' },
  { from: { namespace: MON, workload: 'prometheus' }, to: { namespace: MON, workload: 'kube-state-metrics' }, ports: ['8080/TCP'], reason: 'the kube-state-metrics scrape job (port http-metrics)' },
  { from: { namespace: MON, workload: 'prometheus' }, to: { system: 'nodes' }, ports: ['10250/TCP'], reason: 'the kubelet and cAdvisor scrape jobs' },
  { from: { namespace: MON, workload: 'prometheus' }, to: { system: 'apiserver' }, ports: ['443/TCP'], reason: 'Kubernetes service discovery (kubernetes_sd_configs)' },
  { from: { namespace: MON, workload: 'kube-state-metrics' }, to: { system: 'apiserver' }, ports: ['443/TCP'], reason: 'kube-state-metrics watches the API' },
  { from: { namespace: MON, workload: 'alertmanager' }, to: { namespace: MON, workload: 'alertmanager' }, ports: ['9094/TCP', '9094/UDP'], reason: 'Alertmanager cluster gossip' },
  { from: { namespace: MON, workload: 'alertmanager' }, to: { outside: INTERNET }, ports: ['443/TCP', '587/TCP'], reason: 'notifications: webhooks over HTTPS and e-mail over SMTP submission' },
  { from: { namespace: AGENTS, workload: 'fluent-bit' }, to: { system: 'apiserver' }, ports: ['443/TCP'], reason: 'the fluent-bit kubernetes filter enriches records from the API' },
  { from: { namespace: AGENTS, workload: 'fluent-bit' }, to: { outside: INTERNET }, ports: ['443/TCP'], reason: 'logs ship to the external log store over HTTPS' },
];

export const SCRAPING: ScrapeExpectation = {
  scraper: { namespace: MON, workload: 'prometheus' },
  reason: 'Prometheus scrapes every pod annotated prometheus.io/scrape=true on its prometheus.io/port (kubernetes-pods job)',
};

export const FORBIDDEN_FLOWS: readonly ForbiddenFlow[] = [
  { from: { namespace: APP, workload: 'frontend' }, to: { namespace: DATA, workload: 'postgres' }, reason: 'the browser-facing tier never touches the database' },
  { from: { namespace: APP, workload: 'frontend' }, to: { namespace: DATA, workload: 'pgbouncer' }, reason: 'the browser-facing tier never touches the database pooler' },
  { from: { namespace: APP, workload: 'frontend' }, to: { namespace: DATA, workload: 'redis' }, reason: 'the browser-facing tier never touches the cache' },
  { from: { namespace: APP, workload: 'frontend' }, to: { outside: 'any' }, reason: 'the frontend calls only the API; it has no business on the Internet' },
  { from: { namespace: APP, workload: 'backend' }, to: { namespace: DATA, workload: 'postgres' }, reason: 'PgBouncer is the only path to PostgreSQL (the backend is configured with DATABASE_HOST pgbouncer)' },
  {
    from: { namespace: APP, workload: '*' },
    to: { namespace: MON, workload: '*' },
    except: [{ from: { namespace: APP, workload: 'backend' }, to: { namespace: MON, workload: 'jaeger' }, ports: ['4317/TCP', '4318/TCP'], reason: 'OTLP trace export' }],
    reason: 'monitoring scrapes the application, never the reverse (trace export aside)',
  },
  { from: { namespace: APP, workload: '*' }, to: { namespace: AGENTS, workload: '*' }, reason: 'node agents collect from the node, the application never calls them' },
  { from: { namespace: DATA, workload: '*' }, to: { namespace: MON, workload: '*' }, reason: 'exporters are scraped; the data tier never initiates connections to monitoring' },
  { from: { namespace: DATA, workload: '*' }, to: { namespace: APP, workload: '*' }, reason: 'the data tier answers the application, it never calls it' },
  { from: { system: 'ingress-controller' }, to: { namespace: DATA, workload: '*' }, reason: 'the edge reaches only the application tier' },
  { from: { system: 'ingress-controller' }, to: { namespace: MON, workload: '*' }, reason: 'monitoring UIs are not published through the public ingress' },
  { from: { outside: 'any' }, to: { namespace: APP, workload: '*' }, reason: 'traffic from outside enters only through the ingress controller' },
  { from: { outside: 'any' }, to: { namespace: DATA, workload: '*' }, reason: 'the data tier is never reachable from outside the cluster' },
  { from: { namespace: MON, workload: 'alertmanager' }, to: { outside: 'any' }, except: [{ ports: ['443/TCP', '587/TCP'], reason: 'HTTPS webhooks and SMTP submission' }], reason: 'Alertmanager reaches the outside only to notify (443 and 587)' },
];
