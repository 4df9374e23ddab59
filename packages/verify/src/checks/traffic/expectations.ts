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
import { loadEnvironment, pgbouncerClients, type PlatformNames, platformNames, redisClients, ROLE_RECONCILE_JOB, type ServiceName } from '@optibid/constructs-lib/data';

/** Ports of the PostgreSQL pods' sidecars (constructs-lib k8s/postgres/postgres-files.ts PATRONI_PORT, PGBACKREST_TLS_PORT). */
const PATRONI_PORT = 8008;
const PGBACKREST_TLS_PORT = 8432;

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

export interface TrafficExpectations {
  readonly required: readonly RequiredFlow[];
  readonly forbidden: readonly ForbiddenFlow[];
  readonly scraping: ScrapeExpectation;
}

/**
 * The expectations of one environment, with every namespace, workload and port from the naming module and the
 * services table (constructs-lib naming/): an application service added to the table gets its flows (to PgBouncer,
 * Redis, the trace collector, from its callers) required and PostgreSQL itself forbidden, with no edit here.
 */
export function trafficExpectations(names: Pick<PlatformNames, 'namespaces' | 'services' | 'serviceTable'>): TrafficExpectations {
  const ns = names.namespaces;
  const APP = ns.app;
  const DATA = ns.data;
  const MON = ns.monitoring;
  const AGENTS = ns.monitoringAgents;
  const s = names.services;
  const table = names.serviceTable;
  const at = (svc: ServiceName) => ({ namespace: svc.namespace, workload: svc.workload ?? svc.name });
  const pgbouncer = at(s.pgbouncer);
  const postgres = at(s.postgres);
  const redis = at(s.redis);
  const tracing = at(s.tracing);
  const frontend = at(s.frontend);
  const tcp = (...ports: readonly (number | undefined)[]) => ports.map((p) => `${p}/TCP`);
  const app = (name: string) => ({ namespace: APP, workload: name });
  const services = table.appServices;

  const required: RequiredFlow[] = [
    // Application path
    ...services.filter((x) => x.publicApi).map((x) => ({ from: { system: 'ingress-controller' as const }, to: app(x.name), ports: tcp(x.port), reason: `the NGINX ingress controller routes api.* to the ${x.name}` })),
    { from: { system: 'ingress-controller' }, to: frontend, ports: tcp(s.frontend.port), reason: 'the NGINX ingress controller routes app.* to the frontend' },
    ...services.flatMap((x) =>
      x.callers.map((c) => ({ from: app(c), to: app(x.name), ports: tcp(x.port), reason: c === s.frontend.name && x.publicApi ? 'server-side rendering calls the API' : `the ${c} calls the ${x.name} (services table)` })),
    ),
    ...pgbouncerClients(table).map((x) => ({ from: app(x.name), to: pgbouncer, ports: tcp(s.pgbouncer.port), reason: `the ${x.name} reaches PostgreSQL through PgBouncer (DATABASE_HOST ${s.pgbouncer.name}, port ${s.pgbouncer.port})` })),
    { from: pgbouncer, to: postgres, ports: tcp(s.postgres.port), reason: 'PgBouncer pools connections to PostgreSQL' },
    ...redisClients(table).map((x) => ({ from: app(x.name), to: redis, ports: tcp(s.redis.port), reason: `the ${x.name} caches in Redis (REDIS_HOST ${s.redis.name}, port ${s.redis.port})` })),
    ...services.map((x) => ({ from: app(x.name), to: tracing, ports: tcp(s.tracing.port), reason: `the ${x.name} exports traces over OTLP/gRPC (OTEL_EXPORTER_OTLP_ENDPOINT ${s.tracing.name}:${s.tracing.port})` })),
    // Data tier internals
    { from: postgres, to: postgres, ports: tcp(s.postgres.port, PATRONI_PORT), reason: 'streaming replication and the Patroni REST API between PostgreSQL members' },
    { from: postgres, to: { system: 'apiserver' }, ports: ['443/TCP'], reason: 'Patroni keeps the leader lock in the Kubernetes API' },
    { from: { namespace: DATA, workload: 'postgres-backup-*' }, to: postgres, ports: tcp(PGBACKREST_TLS_PORT), reason: 'pgBackRest backups talk to the pgBackRest TLS server beside PostgreSQL' },
    { from: { namespace: DATA, workload: `${ROLE_RECONCILE_JOB}-*` }, to: postgres, ports: tcp(s.postgres.port), reason: 'the role-reconcile Job brings the database to the services table (roles, grants, passwords)' },
    { from: redis, to: redis, ports: tcp(s.redis.port, s.redis.busPort), reason: 'Redis Cluster replication and cluster bus' },
    { from: { namespace: DATA, workload: 'redis-bootstrap-*' }, to: redis, ports: tcp(s.redis.port), reason: 'the bootstrap Job forms the Redis cluster' },
    { from: { namespace: DATA, workload: 'redis-backup' }, to: redis, ports: tcp(s.redis.port), reason: 'the backup CronJob snapshots Redis' },
    // Name resolution
    { from: { namespace: '*', workload: '*' }, to: { system: 'kube-dns' }, ports: ['53/UDP', '53/TCP'], reason: 'every pod resolves Service names through CoreDNS (UDP, and TCP for large answers)' },
    // Monitoring
    { from: at(s.grafana), to: at(s.prometheus), ports: tcp(s.prometheus.port), reason: 'Grafana dashboards query Prometheus' },
    { from: at(s.grafana), to: at(s.tracingQuery), ports: tcp(s.tracingQuery.port), reason: 'Grafana\'s tracing data source queries Jaeger' },
    { from: at(s.prometheus), to: at(s.alertmanager), ports: tcp(s.alertmanager.port), reason: 'Prometheus delivers alerts to Alertmanager' },
    { from: at(s.prometheus), to: at(s.kubeStateMetrics), ports: tcp(s.kubeStateMetrics.port), reason: 'the kube-state-metrics scrape job (port http-metrics)' },
    { from: at(s.prometheus), to: { system: 'nodes' }, ports: ['10250/TCP'], reason: 'the kubelet and cAdvisor scrape jobs' },
    { from: at(s.prometheus), to: { system: 'apiserver' }, ports: ['443/TCP'], reason: 'Kubernetes service discovery (kubernetes_sd_configs)' },
    { from: at(s.kubeStateMetrics), to: { system: 'apiserver' }, ports: ['443/TCP'], reason: 'kube-state-metrics watches the API' },
    { from: at(s.alertmanager), to: at(s.alertmanager), ports: [`${s.alertmanager.busPort}/TCP`, `${s.alertmanager.busPort}/UDP`], reason: 'Alertmanager cluster gossip' },
    { from: at(s.alertmanager), to: { outside: INTERNET }, ports: ['443/TCP', '587/TCP'], reason: 'notifications: webhooks over HTTPS and e-mail over SMTP submission' },
    { from: at(s.fluentBit), to: { system: 'apiserver' }, ports: ['443/TCP'], reason: 'the fluent-bit kubernetes filter enriches records from the API' },
    { from: at(s.fluentBit), to: { outside: INTERNET }, ports: ['443/TCP'], reason: 'logs ship to the external log store over HTTPS' },
  ];

  const scraping: ScrapeExpectation = {
    scraper: at(s.prometheus),
    reason: 'Prometheus scrapes every pod annotated prometheus.io/scrape=true on its prometheus.io/port (kubernetes-pods job)',
  };

  const forbidden: ForbiddenFlow[] = [
    { from: frontend, to: postgres, reason: 'the browser-facing tier never touches the database' },
    { from: frontend, to: pgbouncer, reason: 'the browser-facing tier never touches the database pooler' },
    { from: frontend, to: redis, reason: 'the browser-facing tier never touches the cache' },
    { from: frontend, to: { outside: 'any' }, reason: 'the frontend calls only the API; it has no business on the Internet' },
    ...services.map((x) => ({ from: app(x.name), to: postgres, reason: `PgBouncer is the only path to PostgreSQL (the ${x.name} is configured with DATABASE_HOST ${s.pgbouncer.name})` })),
    {
      from: { namespace: APP, workload: '*' },
      to: { namespace: MON, workload: '*' },
      except: services.map((x) => ({ from: app(x.name), to: tracing, ports: tcp(s.tracing.port, s.tracing.httpPort), reason: 'OTLP trace export' })),
      reason: 'monitoring scrapes the application, never the reverse (trace export aside)',
    },
    { from: { namespace: APP, workload: '*' }, to: { namespace: AGENTS, workload: '*' }, reason: 'node agents collect from the node, the application never calls them' },
    { from: { namespace: DATA, workload: '*' }, to: { namespace: MON, workload: '*' }, reason: 'exporters are scraped; the data tier never initiates connections to monitoring' },
    { from: { namespace: DATA, workload: '*' }, to: { namespace: APP, workload: '*' }, reason: 'the data tier answers the application, it never calls it' },
    {
      from: { namespace: DATA, workload: `${ROLE_RECONCILE_JOB}-*` },
      to: { namespace: '*', workload: '*' },
      except: [{ to: postgres, ports: tcp(s.postgres.port), reason: 'the primary' }],
      reason: "the role-reconcile Job holds the role administrator's password and every platform role's: it talks to the PostgreSQL primary only",
    },
    { from: { system: 'ingress-controller' }, to: { namespace: DATA, workload: '*' }, reason: 'the edge reaches only the application tier' },
    { from: { system: 'ingress-controller' }, to: { namespace: MON, workload: '*' }, reason: 'monitoring UIs are not published through the public ingress' },
    { from: { outside: 'any' }, to: { namespace: APP, workload: '*' }, reason: 'traffic from outside enters only through the ingress controller' },
    { from: { outside: 'any' }, to: { namespace: DATA, workload: '*' }, reason: 'the data tier is never reachable from outside the cluster' },
    { from: at(s.alertmanager), to: { outside: 'any' }, except: [{ ports: ['443/TCP', '587/TCP'], reason: 'HTTPS webhooks and SMTP submission' }], reason: 'Alertmanager reaches the outside only to notify (443 and 587)' },
  ];
  return { required, forbidden, scraping };
}

/**
 * The names of a rendered environment: the environment config of that name when the repository has one, else the
 * production config's (a render of another name, e.g. a scratch copy's, uses the same naming contract).
 */
export function expectationNames(env: string): PlatformNames {
  let config;
  try {
    config = loadEnvironment(env);
  } catch {
    config = loadEnvironment('production');
  }
  return platformNames(config);
}

const production = trafficExpectations(expectationNames('production'));
/** The production environment's expectations (the names are the same in every environment). */
export const REQUIRED_FLOWS: readonly RequiredFlow[] = production.required;
export const FORBIDDEN_FLOWS: readonly ForbiddenFlow[] = production.forbidden;
export const SCRAPING: ScrapeExpectation = production.scraping;
