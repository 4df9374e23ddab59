import { k8sDir, objectPath } from '@optibid/rendered';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runServerStatus } from './runtime';
import { parse, stringify } from 'yaml';
import { DIST, ENV, REPO, Substitutions } from './support';

/**
 * Real-server test: the Grafana dashboards exactly as rendered into dist/ (the `grafana-dashboards` ConfigMap, one
 * key per `<uid>.json`) are valid dashboard JSON with unique panel ids, and every PromQL expression of every panel is
 * accepted by Prometheus' own parser (`promtool check rules`, one recording rule per expression). Then the
 * expressions run in Prometheus' engine (`promtool test rules`) on synthetic series labelled as the platform's scrape
 * config labels them, next to the rendered Prometheus rules: each must return series, carrying every label its
 * legend names. Grafana's built-in interval variables are replaced by fixed durations (printed as substitutions).
 */
const PROMTOOL = 'promtool';
const MONITORING_NS = 'monitoring';
const configMapFile = (name: string) => path.join(k8sDir(DIST, ENV), objectPath({ kind: 'ConfigMap', metadata: { name, namespace: MONITORING_NS } }));
const DASHBOARDS_FILE = configMapFile('grafana-dashboards');
const RULES_FILE = configMapFile('prometheus-rules');
const EXPECTED_UIDS = ['platform-overview', 'api-red', 'postgresql', 'pgbouncer', 'redis', 'kubernetes-capacity'];
const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: 'prometheus' };

/** Grafana's built-in interval variables and the durations the check puts in their place. */
const GRAFANA_VARIABLES: readonly [RegExp, string, string][] = [
  [/\$\{__rate_interval\}|\$__rate_interval\b/g, '$__rate_interval', '5m'],
  [/\$\{__interval\}|\$__interval\b/g, '$__interval', '1m'],
  [/\$\{__range\}|\$__range\b/g, '$__range', '6h'],
];

/** `data` of a rendered ConfigMap; fails clearly when it has not been rendered. */
function renderedConfigMapData(file: string, what: string): Record<string, string> {
  if (!fs.existsSync(file)) {
    throw new Error(
      `${path.relative(REPO, file)} does not exist: ${what} has not been rendered. Run \`npm run synth\` (the monitoring chart renders it) and re-run this test.`,
    );
  }
  const obj = parse(fs.readFileSync(file, 'utf8'));
  if (obj?.kind !== 'ConfigMap') throw new Error(`${path.relative(REPO, file)} is not a ConfigMap`);
  const data: Record<string, string> = obj.data ?? {};
  if (Object.keys(data).length === 0) throw new Error(`${path.relative(REPO, file)} has no data`);
  return data;
}

interface Target {
  refId?: string;
  expr?: string;
  legendFormat?: string;
  datasource?: unknown;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: unknown;
  targets?: Target[];
  panels?: Panel[];
}
interface Query {
  readonly n: number;
  readonly uid: string;
  readonly panel: string;
  readonly refId: string;
  /** As rendered. */
  readonly expr: string;
  /** Grafana variables replaced. */
  readonly checked: string;
  /** Labels the legend shows (`{{label}}`). */
  readonly legendLabels: string[];
}

const substitutions = new Substitutions();
const substitutionCounts = new Map<string, number>();

/** The expression with Grafana's built-in variables replaced; any other `$variable` is an error (none is defined). */
function substituteVariables(expr: string): string {
  let out = expr;
  for (const [re, name, value] of GRAFANA_VARIABLES) {
    const hits = out.match(re)?.length ?? 0;
    if (hits > 0) {
      substitutionCounts.set(`${name} -> ${value}`, (substitutionCounts.get(`${name} -> ${value}`) ?? 0) + hits);
      out = out.replace(re, value);
    }
  }
  const unknown = /\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/.exec(out);
  if (unknown) throw new Error(`expression uses the variable ${unknown[0]}, which the dashboards do not define: ${expr}`);
  return out;
}

/** Every panel, rows' nested panels included (collapsed rows keep their panels inside). */
function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

function promtool(args: string[], cwd?: string): { status: number | null; output: string } {
  const r = runServerStatus(PROMTOOL, args, { cwd, timeoutMs: 300_000 });
  if (r.error) throw new Error(`cannot run ${PROMTOOL} (apt-get install prometheus): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const recordName = (n: number) => `dashboard:check_${n}`;
const emptyAlert = (n: number) => `DashboardQueryEmpty_${n}`;
const describeQuery = (q: Query) => `#${q.n} ${q.uid} / "${q.panel}" / ${q.refId}: ${q.expr}`;

/** One rule group per dashboard, one recording rule per expression (optionally with the "returns nothing" alerts). */
function checkRuleFile(qs: readonly Query[], withEmptyAlerts = false): string {
  const groups = [...new Set(qs.map((q) => q.uid))].map((uid) => ({
    name: `dashboard-${uid}`,
    rules: qs
      .filter((q) => q.uid === uid)
      .flatMap((q) => [
        { record: recordName(q.n), expr: q.checked },
        ...(withEmptyAlerts
          ? [{ alert: emptyAlert(q.n), expr: `absent(${recordName(q.n)}${q.legendLabels.length ? `{${q.legendLabels.map((l) => `${l}!=""`).join(',')}}` : ''})` }]
          : []),
      ]),
  }));
  return stringify({ groups }, { lineWidth: 0 });
}

// ---------------------------------------------------------------------------------------------------------------

const files = renderedConfigMapData(DASHBOARDS_FILE, 'the Grafana dashboards ConfigMap (grafana-dashboards)');
const dashboards = Object.entries(files).map(([file, text]) => ({ file, text, json: JSON.parse(text) as { uid?: string; title?: string; panels?: Panel[] } }));
const queries: Query[] = [];
for (const { json } of dashboards) {
  for (const p of allPanels(json.panels ?? [])) {
    for (const t of p.targets ?? []) {
      const expr = t.expr ?? '';
      queries.push({
        n: queries.length + 1,
        uid: json.uid ?? '?',
        panel: p.title ?? '?',
        refId: t.refId ?? '?',
        expr,
        checked: substituteVariables(expr),
        legendLabels: [...new Set([...(t.legendFormat ?? '').matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]))],
      });
    }
  }
}
for (const [what, count] of substitutionCounts) substitutions.add(`${what} in ${count} places (Grafana fills it in at query time; promtool needs a duration)`);
const queryPanelCount = dashboards.reduce((s, d) => s + allPanels(d.json.panels ?? []).filter((p) => p.type !== 'row').length, 0);
const rowCount = dashboards.reduce((s, d) => s + allPanels(d.json.panels ?? []).filter((p) => p.type === 'row').length, 0);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grafana-dashboards-'));
const version = promtool(['--version']).output.split('\n')[0].trim();
let evaluated = 0;

afterAll(() => {
  console.log(
    `dashboards: ${version}; ${path.relative(REPO, DASHBOARDS_FILE)}: ${dashboards.length} dashboards, ${queryPanelCount} panels (+ ${rowCount} rows), ` +
      `${queries.length} expressions checked with promtool check rules, ${evaluated} evaluated with promtool test rules.`,
  );
  substitutions.report('dashboards');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the ConfigMap holds the six dashboards, one <uid>.json key each, with unique uids and titles', () => {
  expect(Object.keys(files).sort()).toEqual(EXPECTED_UIDS.map((u) => `${u}.json`).sort());
  for (const d of dashboards) expect(d.file).toBe(`${d.json.uid}.json`);
  const titles = dashboards.map((d) => d.json.title);
  expect(new Set(titles).size).toBe(titles.length);
});

describe.each(EXPECTED_UIDS.map((u) => [u]))('%s', (uid) => {
  const d = () => {
    const found = dashboards.find((x) => x.file === `${uid}.json`);
    if (!found) throw new Error(`${uid}.json is not in ${path.relative(REPO, DASHBOARDS_FILE)}`);
    return found;
  };

  test('is valid JSON (round-trips) with unique integer panel ids', () => {
    const { text, json } = d();
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(JSON.stringify(json, null, 2) + '\n').toBe(text);
    const ids = allPanels(json.panels ?? []).map((p) => p.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((i) => Number.isInteger(i))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('every panel queries the Prometheus datasource with at least one non-empty expression', () => {
    for (const p of allPanels(d().json.panels ?? []).filter((x) => x.type !== 'row')) {
      expect({ panel: p.title, datasource: p.datasource }).toEqual({ panel: p.title, datasource: PROMETHEUS_DATASOURCE });
      expect({ panel: p.title, targets: (p.targets ?? []).filter((t) => (t.expr ?? '').trim() !== '').length > 0 }).toEqual({ panel: p.title, targets: true });
      for (const t of p.targets ?? []) expect({ panel: p.title, datasource: t.datasource }).toEqual({ panel: p.title, datasource: PROMETHEUS_DATASOURCE });
    }
  });
});

test('promtool check rules parses every expression (one recording rule each)', () => {
  const file = path.join(dir, 'dashboards.rules.yaml');
  fs.writeFileSync(file, checkRuleFile(queries));
  const r = promtool(['check', 'rules', file]);
  if (r.status !== 0) {
    // Name the failing expressions one by one.
    const failing = queries.filter((q) => {
      const one = path.join(dir, `single-${q.n}.rules.yaml`);
      fs.writeFileSync(one, checkRuleFile([q]));
      return promtool(['check', 'rules', one]).status !== 0;
    });
    throw new Error(`promtool check rules failed:\n${r.output}\nfailing expressions:\n${failing.map(describeQuery).join('\n')}`);
  }
  expect(r.output).toContain(`SUCCESS: ${queries.length} rules found`);
});

test('the check has teeth: promtool rejects a broken expression and an unsubstituted Grafana variable', () => {
  for (const [name, expr] of [
    ['unbalanced', 'sum(rate(http_requests_total{job="backend"}[5m])'],
    ['grafana-variable', 'rate(http_requests_total{job="backend"}[$__rate_interval])'],
    ['bad-grouping', 'sum by (le (rate(http_request_duration_seconds_bucket[5m]))'],
  ]) {
    const file = path.join(dir, `negative-${name}.rules.yaml`);
    fs.writeFileSync(file, stringify({ groups: [{ name: 'negative', rules: [{ record: 'dashboard:negative', expr }] }] }));
    expect({ name, status: promtool(['check', 'rules', file]).status }).toEqual({ name, status: 1 });
  }
});

test('every recording rule the dashboards read is defined in the rendered Prometheus rules', () => {
  const rules = renderedConfigMapData(RULES_FILE, 'the Prometheus rules ConfigMap (prometheus-rules)');
  const records = new Set(Object.values(rules).flatMap((text) => (parse(text).groups ?? []).flatMap((g: { rules?: { record?: string }[] }) => (g.rules ?? []).map((r) => r.record).filter(Boolean))));
  const used = [...new Set(queries.flatMap((q) => q.expr.match(/\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b/g) ?? []))].sort();
  expect(used.length).toBeGreaterThan(0);
  expect(used.filter((r) => !records.has(r))).toEqual([]);
});

// ---------------------------------------------------------------------------------------------------------------
// Evaluation on synthetic series. Label sets are those the platform's scrape config produces (job = the pod's
// app.kubernetes.io/name, namespace, pod, node; kubelet targets carry node and optibid_io_node_group); namespaces
// are production's (platformNamespaceNames('optibid')). Every value is chosen so that every panel has something to
// show (a restart, a waiting-free pool, a replica with lag ...).
// ---------------------------------------------------------------------------------------------------------------

const APP_NS = 'optibid';
const DATA_NS = 'optibid-data';
type Labels = Record<string, string>;
const series = (metric: string, labels: Labels, values: string) => ({ series: `${metric}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`, values });
const N = 70; // samples at 1 m: eval at 1 h sees full 5 m and 1 h windows
const flat = (v: number) => `${v}+0x${N}`;
const ramp = (perMinute: number) => `0+${perMinute}x${N}`;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const NODES = [
  { node: 'ip-10-0-1-10.eu-west-1.compute.internal', group: 'general', ip: '10.0.1.10' },
  { node: 'ip-10-0-2-20.eu-west-1.compute.internal', group: 'data', ip: '10.0.2.20' },
];
const KSM = { job: 'kube-state-metrics', instance: '10.0.1.31:8080' };
const BACKEND_POD = { namespace: APP_NS, pod: 'backend-7d9f6-x2k4q', container: 'backend', node: NODES[0].node };
const PG = (i: number) => ({ job: 'postgres', namespace: DATA_NS, pod: `postgres-${i}`, instance: `10.0.2.1${i}:9187`, node: NODES[1].node });
const PGB = { job: 'pgbouncer', namespace: DATA_NS, pod: 'pgbouncer-6f7b9-l2mzp', instance: '10.0.2.40:9127', node: NODES[1].node };
const REDIS = (i: number) => ({ job: 'redis', namespace: DATA_NS, pod: `redis-${i}`, instance: `10.0.2.5${i}:9121`, node: NODES[1].node });

function syntheticSeries() {
  const kubeletTarget = (n: (typeof NODES)[number], metricsPath: string) => ({
    job: 'kubelet',
    metrics_path: metricsPath,
    instance: `${n.ip}:10250`,
    node: n.node,
    optibid_io_node_group: n.group,
    topology_kubernetes_io_zone: 'eu-west-1a',
  });
  const backend = { job: 'backend', namespace: APP_NS, pod: BACKEND_POD.pod, instance: '10.0.1.17:8000', node: NODES[0].node, handler: '/api/v1/bids', method: 'POST' };
  const LE: [string, number][] = [
    ['0.1', 400],
    ['0.2', 560],
    ['0.5', 590],
    ['1.0', 598],
    ['2.0', 600],
    ['5.0', 601],
    ['+Inf', 601],
  ];
  const redisNode = (i: number, role: 'master' | 'slave') => [
    series('up', REDIS(i), flat(1)),
    series('redis_up', REDIS(i), flat(1)),
    series('redis_cluster_state', REDIS(i), flat(1)),
    series('redis_instance_info', { ...REDIS(i), role, redis_version: '7.2.5', redis_mode: 'cluster' }, flat(1)),
    series('redis_connected_slaves', REDIS(i), flat(role === 'master' ? 1 : 0)),
    series('redis_memory_used_bytes', REDIS(i), flat(900 * MiB)),
    series('redis_memory_max_bytes', REDIS(i), flat(1228 * MiB)),
    series('redis_evicted_keys_total', REDIS(i), ramp(role === 'master' ? 2 : 0)),
    series('redis_keyspace_hits_total', REDIS(i), ramp(600)),
    series('redis_keyspace_misses_total', REDIS(i), ramp(60)),
    series('redis_connected_clients', REDIS(i), flat(25)),
    series('redis_commands_processed_total', REDIS(i), ramp(3000)),
  ];
  const pgNode = (i: number, replica: boolean) => [
    series('up', PG(i), flat(1)),
    series('pg_up', PG(i), flat(1)),
    series('pg_replication_is_replica', PG(i), flat(replica ? 1 : 0)),
    series('pg_replication_lag_seconds', PG(i), flat(replica ? 2 : 0)),
    series('pg_settings_max_connections', PG(i), flat(200)),
    series('pg_stat_activity_count', { ...PG(i), datname: 'optibid', state: 'active', usename: 'optibid_app', application_name: '', backend_type: 'client backend' }, flat(replica ? 2 : 6)),
    series('pg_stat_activity_count', { ...PG(i), datname: 'optibid', state: 'idle', usename: 'optibid_app', application_name: '', backend_type: 'client backend' }, flat(20)),
    series('pg_stat_database_xact_commit', { ...PG(i), datid: '16384', datname: 'optibid' }, ramp(replica ? 0 : 3000)),
    series('pg_stat_database_xact_rollback', { ...PG(i), datid: '16384', datname: 'optibid' }, ramp(replica ? 0 : 3)),
    series('pg_stat_database_xact_commit', { ...PG(i), datid: '1', datname: 'template1' }, flat(0)),
    series('pg_archiver_archived_count', PG(i), ramp(replica ? 0 : 1)),
    series('pg_archiver_failed_count', PG(i), flat(0)),
  ];
  const pod = (ns: string, name: string, container: string, node: string, cpu: number, memory: number, limit: number) => [
    series('kube_pod_status_phase', { ...KSM, namespace: ns, pod: name, uid: `uid-${name}`, phase: 'Running' }, flat(1)),
    series('kube_pod_status_phase', { ...KSM, namespace: ns, pod: name, uid: `uid-${name}`, phase: 'Pending' }, flat(0)),
    series('kube_pod_status_phase', { ...KSM, namespace: ns, pod: name, uid: `uid-${name}`, phase: 'Succeeded' }, flat(0)),
    series('kube_pod_container_resource_requests', { ...KSM, namespace: ns, pod: name, uid: `uid-${name}`, container, node, resource: 'cpu', unit: 'core' }, flat(cpu)),
    series('kube_pod_container_resource_requests', { ...KSM, namespace: ns, pod: name, uid: `uid-${name}`, container, node, resource: 'memory', unit: 'byte' }, flat(memory)),
    series('kube_pod_container_resource_limits', { ...KSM, namespace: ns, pod: name, uid: `uid-${name}`, container, node, resource: 'memory', unit: 'byte' }, flat(limit)),
    series('kube_pod_container_status_restarts_total', { ...KSM, namespace: ns, pod: name, uid: `uid-${name}`, container }, `0+0x30 1+0x${N - 31}`),
  ];
  const cadvisor = (n: (typeof NODES)[number], ns: string, name: string, container: string, memory: number, cpuPerMinute: number) => {
    const labels = { ...kubeletTarget(n, '/metrics/cadvisor'), namespace: ns, pod: name, container, id: `/kubepods/${name}/${container}`, image: 'example/image:1', name: container };
    const podCgroup = { ...kubeletTarget(n, '/metrics/cadvisor'), namespace: ns, pod: name, id: `/kubepods/${name}` };
    return [
      series('container_memory_working_set_bytes', labels, flat(memory)),
      series('container_memory_working_set_bytes', podCgroup, flat(memory + MiB)),
      series('container_cpu_usage_seconds_total', labels, ramp(cpuPerMinute)),
    ];
  };
  return [
    // backend
    series('up', { job: 'backend', namespace: APP_NS, pod: BACKEND_POD.pod, instance: '10.0.1.17:8000', node: NODES[0].node }, flat(1)),
    series('http_requests_total', { ...backend, status: '2xx' }, ramp(600)),
    series('http_requests_total', { ...backend, status: '5xx' }, ramp(1)),
    ...LE.map(([le, perMinute]) => series('http_request_duration_seconds_bucket', { ...backend, le }, ramp(perMinute))),
    // PostgreSQL: primary postgres-0 (with the backup metric: `master: true`), replica postgres-1
    ...pgNode(0, false),
    ...pgNode(1, true),
    series('pg_backup_last_success_timestamp_seconds', { ...PG(0), backup_type: 'full' }, flat(0)),
    series('pg_backup_last_success_timestamp_seconds', { ...PG(0), backup_type: 'diff' }, flat(1800)),
    // PgBouncer
    series('up', PGB, flat(1)),
    series('pgbouncer_up', PGB, flat(1)),
    ...[
      ['optibid', 'optibid_app', 40, 0, 18, 2],
      ['pgbouncer', 'pgbouncer', 1, 0, 0, 0],
    ].flatMap(([database, user, active, waiting, serverActive, serverIdle]) => [
      series('pgbouncer_pools_client_active_connections', { ...PGB, database: String(database), user: String(user) }, flat(Number(active))),
      series('pgbouncer_pools_client_waiting_connections', { ...PGB, database: String(database), user: String(user) }, flat(Number(waiting))),
      series('pgbouncer_pools_server_active_connections', { ...PGB, database: String(database), user: String(user) }, flat(Number(serverActive))),
      series('pgbouncer_pools_server_idle_connections', { ...PGB, database: String(database), user: String(user) }, flat(Number(serverIdle))),
      series('pgbouncer_pools_client_maxwait_seconds', { ...PGB, database: String(database), user: String(user) }, flat(0)),
    ]),
    series('pgbouncer_databases_current_connections', { ...PGB, name: 'optibid', database: 'optibid', host: 'postgres-primary', port: '5432', pool_mode: 'transaction', force_user: '' }, flat(20)),
    series('pgbouncer_databases_max_connections', { ...PGB, name: 'optibid', database: 'optibid', host: 'postgres-primary', port: '5432', pool_mode: 'transaction', force_user: '' }, flat(25)),
    // Redis: a master and its replica
    ...redisNode(0, 'master'),
    ...redisNode(3, 'slave'),
    // kube-state-metrics
    ...NODES.flatMap((n) => [
      series('kube_node_status_condition', { ...KSM, node: n.node, condition: 'Ready', status: 'true' }, flat(1)),
      series('kube_node_status_condition', { ...KSM, node: n.node, condition: 'Ready', status: 'false' }, flat(0)),
      series('kube_node_status_condition', { ...KSM, node: n.node, condition: 'Ready', status: 'unknown' }, flat(0)),
      series('kube_node_status_allocatable', { ...KSM, node: n.node, resource: 'cpu', unit: 'core' }, flat(3.92)),
      series('kube_node_status_allocatable', { ...KSM, node: n.node, resource: 'memory', unit: 'byte' }, flat(15 * GiB)),
    ]),
    ...pod(APP_NS, BACKEND_POD.pod, 'backend', NODES[0].node, 0.5, 512 * MiB, 1 * GiB),
    ...pod(DATA_NS, 'postgres-0', 'postgres', NODES[1].node, 1, 4 * GiB, 4 * GiB),
    series('kube_horizontalpodautoscaler_status_current_replicas', { ...KSM, namespace: APP_NS, horizontalpodautoscaler: 'backend' }, flat(3)),
    series('kube_horizontalpodautoscaler_spec_max_replicas', { ...KSM, namespace: APP_NS, horizontalpodautoscaler: 'backend' }, flat(10)),
    // kubelet and cAdvisor (job="kubelet")
    ...NODES.flatMap((n) => [series('up', kubeletTarget(n, '/metrics'), flat(1)), series('up', kubeletTarget(n, '/metrics/cadvisor'), flat(1))]),
    ...cadvisor(NODES[0], APP_NS, BACKEND_POD.pod, 'backend', 600 * MiB, 15),
    ...cadvisor(NODES[1], DATA_NS, 'postgres-0', 'postgres', 2 * GiB, 30),
    series('kubelet_volume_stats_used_bytes', { ...kubeletTarget(NODES[1], '/metrics'), namespace: DATA_NS, persistentvolumeclaim: 'pgdata-postgres-0' }, flat(40 * GiB)),
    series('kubelet_volume_stats_capacity_bytes', { ...kubeletTarget(NODES[1], '/metrics'), namespace: DATA_NS, persistentvolumeclaim: 'pgdata-postgres-0' }, flat(100 * GiB)),
    // node-exporter
    ...NODES.flatMap((n) => [
      series('node_cpu_seconds_total', { job: 'node-exporter', namespace: 'monitoring-agents', pod: `node-exporter-${n.group}`, instance: `${n.ip}:9100`, node: n.node, cpu: '0', mode: 'idle' }, ramp(45)),
      series('node_cpu_seconds_total', { job: 'node-exporter', namespace: 'monitoring-agents', pod: `node-exporter-${n.group}`, instance: `${n.ip}:9100`, node: n.node, cpu: '0', mode: 'user' }, ramp(15)),
    ]),
  ];
}

test('promtool test rules: every expression returns series with the labels its legend shows (synthetic series, rendered Prometheus rules loaded)', () => {
  const rules = renderedConfigMapData(RULES_FILE, 'the Prometheus rules ConfigMap (prometheus-rules)');
  const ruleFiles = Object.entries(rules).map(([name, text]) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  });
  const checks = path.join(dir, 'dashboards-eval.rules.yaml');
  fs.writeFileSync(checks, checkRuleFile(queries, true));
  const testFile = path.join(dir, 'dashboards-eval.test.yaml');
  fs.writeFileSync(
    testFile,
    stringify(
      {
        rule_files: [...ruleFiles, checks],
        evaluation_interval: '1m',
        tests: [
          {
            name: 'every dashboard expression returns series',
            interval: '1m',
            input_series: syntheticSeries(),
            alert_rule_test: queries.map((q) => ({ eval_time: '1h', alertname: emptyAlert(q.n), exp_alerts: [] })),
          },
        ],
      },
      { lineWidth: 0 },
    ),
  );
  const r = promtool(['test', 'rules', testFile], dir);
  if (r.status !== 0) {
    // Evaluation errors name the recording rule, empty results the alert.
    const numbers = [...r.output.matchAll(/(?:dashboard:check_|DashboardQueryEmpty_)(\d+)\b/g)].map((m) => Number(m[1]));
    const failing = [...new Set(numbers)].sort((a, b) => a - b).map((n) => queries[n - 1]);
    throw new Error(
      `promtool test rules failed:\n${r.output.replace(/\n\s*\n+/g, '\n').slice(0, 6000)}\n` +
        `expressions failing, returning nothing or missing a legend label on the synthetic series:\n${failing.map((q) => `${describeQuery(q)}  [legend labels: ${q.legendLabels.join(', ') || '-'}]`).join('\n')}`,
    );
  }
  expect(r.output).toMatch(/SUCCESS/);
  evaluated = queries.length;
});
