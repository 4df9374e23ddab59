/**
 * Tier 4 support for the Prometheus rules: the rule files come from the rendered `prometheus-rules` ConfigMap in
 * dist/ (never from TypeScript), and every alert is proven with `promtool test rules` on synthetic series: one input
 * that breaks its threshold (the alert fires with exactly the expected labels and annotations) and one that does not
 * (the alert stays silent). The test files are generated here from ALERT_CASES.
 */
import { k8sDir, objectPath } from '@optibid/rendered';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runServerStatus } from './runtime';
import { parse, stringify } from 'yaml';
import { DIST, ENV, REPO } from './support';

export const PROMTOOL = 'promtool';
export const RULES_CONFIGMAP = { namespace: 'monitoring', name: 'prometheus-rules' } as const;
/** Where the rendered ConfigMap lives (production's figures unless REAL_SERVER_ENV says otherwise). */
export const RULES_CONFIGMAP_FILE = path.join(k8sDir(DIST, ENV), objectPath({ kind: 'ConfigMap', metadata: RULES_CONFIGMAP }));

/** `data` of the rendered rules ConfigMap: `<group>.rules.yaml` -> rule file text. Fails clearly when not rendered. */
export function renderedRuleFiles(file = RULES_CONFIGMAP_FILE): Record<string, string> {
  if (!fs.existsSync(file)) {
    throw new Error(
      `${path.relative(REPO, file)} does not exist: the Prometheus rules ConfigMap has not been rendered. ` +
        'Run `npm run synth` (the monitoring chart renders renderRuleFiles(platformRuleGroups(...)) into it) and re-run this test.',
    );
  }
  const obj = parse(fs.readFileSync(file, 'utf8'));
  if (obj?.kind !== 'ConfigMap') throw new Error(`${file} is not a ConfigMap`);
  const data: Record<string, string> = obj.data ?? {};
  if (Object.keys(data).length === 0) throw new Error(`${file} has no rule files in data`);
  return data;
}

/** Writes the rule files to a scratch directory, returns their absolute paths (sorted). */
export function writeRuleFiles(files: Record<string, string>, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-rules-'))): string[] {
  return Object.entries(files)
    .map(([name, text]) => {
      if (name.includes('/')) throw new Error(`rule file name ${name} is not a plain file name`);
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    })
    .sort();
}

export interface RenderedAlert {
  readonly file: string;
  readonly group: string;
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** Every alerting rule of the rendered files, in file order. */
export function renderedAlerts(files: Record<string, string>): RenderedAlert[] {
  const out: RenderedAlert[] = [];
  for (const [file, text] of Object.entries(files)) {
    for (const g of parse(text).groups ?? []) {
      for (const r of g.rules ?? []) {
        if (r.alert) out.push({ file, group: g.name, alert: r.alert, expr: r.expr, for: r.for, labels: r.labels ?? {}, annotations: r.annotations ?? {} });
      }
    }
  }
  return out;
}

export interface ProcResult {
  readonly status: number | null;
  readonly output: string;
}

export function promtool(args: string[], cwd?: string): ProcResult {
  const r = runServerStatus(PROMTOOL, args, { cwd, timeoutMs: 300_000 });
  if (r.error) throw new Error(`cannot run ${PROMTOOL} (apt-get install prometheus): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export function promtoolVersion(): string {
  return promtool(['--version']).output.split('\n')[0].trim();
}

// ---------------------------------------------------------------------------------------------------------------
// Annotation templates: the expected annotations of a firing alert are the rendered templates expanded with the
// alert's labels and value. Only the constructs the platform's rules use are supported (anything else fails loudly).
// ---------------------------------------------------------------------------------------------------------------

/** Go's strconv 'g' formatting: `%.<prec>g` (prec > 0), or the shortest representation as `%v` prints it (prec -1). */
export function goFormatG(v: number, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const shortest = prec < 0;
  const [mant, e] = (shortest ? Math.abs(v).toExponential() : Math.abs(v).toExponential(prec - 1)).split('e');
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0';
  const exp = Number(e);
  const nd = digits.length;
  const dp = exp + 1;
  let eprec = shortest ? 6 : prec;
  if (!shortest && eprec > nd && nd >= dp) eprec = nd;
  const sign = v < 0 ? '-' : '';
  if (exp < -4 || exp >= eprec) {
    const m = nd > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= nd) return `${sign}${digits}${'0'.repeat(dp - nd)}`;
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** Prometheus' template functions (template/template.go), for the values the tests produce. */
export const TEMPLATE_FUNCS: Record<string, (v: number) => string> = {
  humanize(v) {
    if (v === 0 || !Number.isFinite(v)) return goFormatG(v, 4);
    let prefix = '';
    if (Math.abs(v) >= 1) {
      for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
        if (Math.abs(v) < 1000) break;
        prefix = p;
        v /= 1000;
      }
    } else {
      for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
        if (Math.abs(v) >= 1) break;
        prefix = p;
        v *= 1000;
      }
    }
    return `${goFormatG(v, 4)}${prefix}`;
  },
  humanizePercentage(v) {
    return `${goFormatG(v * 100, 4)}%`;
  },
  humanizeDuration(v) {
    if (!Number.isFinite(v)) return goFormatG(v, 4);
    if (v === 0) return '0s';
    if (Math.abs(v) >= 1) {
      const sign = v < 0 ? '-' : '';
      const a = Math.abs(v);
      const d = Math.trunc(a);
      const [days, hours, minutes, seconds] = [Math.trunc(d / 86400), Math.trunc(d / 3600) % 24, Math.trunc(d / 60) % 60, d % 60];
      if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
      if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
      if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
      return `${sign}${goFormatG(a, 4)}s`;
    }
    let prefix = '';
    for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
    return `${goFormatG(v, 4)}${prefix}s`;
  },
};

/** Expands `{{ $labels.x }}`, `{{ $value }}` and `{{ $value | <func> }}` as Prometheus does for a firing alert. */
export function expandTemplate(text: string, labels: Record<string, string>, value: number): string {
  return text.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (whole, body: string) => {
    const label = /^\$labels\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(body);
    if (label) return label[1] in labels ? labels[label[1]] : '<no value>';
    const val = /^\$value(?:\s*\|\s*([A-Za-z0-9]+))?$/.exec(body);
    if (val) {
      if (!val[1]) return goFormatG(value, -1);
      const f = TEMPLATE_FUNCS[val[1]];
      if (f) return f(value);
    }
    throw new Error(`template construct ${whole} is not supported by the test's expander: extend expandTemplate()`);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------------------------

export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

export interface ExpectedAlert {
  /** Labels of the expression's result (the rule's own labels, e.g. severity, are added from the rendered rule). */
  readonly labels: Record<string, string>;
  /** The alert's value at eval time (for `{{ $value }}` in the annotations). */
  readonly value: number;
}

export interface AlertCase {
  readonly alert: string;
  /** What the input shows. */
  readonly name: string;
  /** Sample spacing of the input series. @default 1m */
  readonly interval?: string;
  readonly series: readonly InputSeries[];
  readonly evalTime: string;
  /** The alerts expected at evalTime; empty = silent. */
  readonly expect: readonly ExpectedAlert[];
}

/** Alerts that cannot have a silent case (their expression is constant). */
export const ALWAYS_FIRING = ['Watchdog'];

type Labels = Record<string, string>;
const sel = (metric: string, labels: Labels) => `${metric}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
const s = (metric: string, labels: Labels, values: string): InputSeries => ({ series: sel(metric, labels), values });
/** `n + 1` samples of the same value. */
const flat = (v: number, n: number) => `${v}+0x${n}`;
/** A counter from `start` growing by `step` per sample, `n + 1` samples. */
const ramp = (start: number, step: number, n: number) => `${start}+${step}x${n}`;
const fires = (labels: Labels, value: number): ExpectedAlert[] => [{ labels, value }];
const silent: ExpectedAlert[] = [];

// The production names the rendered rules select on (platformNamespaceNames('optibid')).
const APP_NS = 'optibid';
const DATA_NS = 'optibid-data';
const MON_NS = 'monitoring';

/** The backend's request counters: `ok` 2xx and `errors` 5xx requests per sample, `n + 1` samples. */
function backendRequests(ok: number, errors: number, n: number, errorValues?: string): InputSeries[] {
  const base = { job: 'backend', namespace: APP_NS, handler: '/api/v1/bids', method: 'POST', pod: 'backend-7d9f6-x2k4q', instance: '10.0.1.17:8000' };
  return [s('http_requests_total', { ...base, status: '2xx' }, ramp(0, ok, n)), s('http_requests_total', { ...base, status: '5xx' }, errorValues ?? ramp(0, errors, n))];
}
const BACKEND_RESULT = { job: 'backend', namespace: APP_NS };

/** Latency histogram: cumulative requests per minute under each bucket (Python client `le` format). */
function latencyBuckets(perMinute: Record<string, number>, n: number): InputSeries[] {
  const base = { job: 'backend', namespace: APP_NS, handler: '/api/v1/bids', method: 'POST', pod: 'backend-7d9f6-x2k4q' };
  return Object.entries(perMinute).map(([le, c]) => s('http_request_duration_seconds_bucket', { ...base, le }, ramp(0, c, n)));
}
/** 100 requests a minute, `under` of them at most `le` seconds: p95 lands between `le` and the next bucket. */
const LATENCY_LE = ['0.1', '0.2', '0.5', '1.0', '2.0', '5.0', '+Inf'];
function latency(cumulative: number[], n: number): InputSeries[] {
  return latencyBuckets(Object.fromEntries(LATENCY_LE.map((le, i) => [le, cumulative[i]])), n);
}

const POD_KSM = { job: 'kube-state-metrics', instance: '10.0.2.9:8080' };
const CONTAINER = { namespace: APP_NS, pod: 'worker-5c8d7-qz9fl', container: 'worker' };
const GiB = 1024 ** 3;
const PVC = { job: 'kubelet', metrics_path: '/metrics', instance: '10.0.3.21:10250', node: 'ip-10-0-3-21.us-west-2.compute.internal', namespace: DATA_NS, persistentvolumeclaim: 'pgdata-postgres-0' };
const DEPLOY = { ...POD_KSM, namespace: APP_NS, deployment: 'backend' };
const STS = { ...POD_KSM, namespace: DATA_NS, statefulset: 'redis' };
const HPA = { ...POD_KSM, namespace: APP_NS, horizontalpodautoscaler: 'backend' };
const NODE = { ...POD_KSM, node: 'ip-10-0-2-7.us-west-2.compute.internal', condition: 'Ready' };
const PGB = { job: 'pgbouncer', namespace: DATA_NS, pod: 'pgbouncer-6f7b9-l2mzp', name: 'optibid', database: 'optibid' };
const PG0 = { job: 'postgres', namespace: DATA_NS, pod: 'postgres-0', instance: '10.0.4.10:9187' };
const PG1 = { job: 'postgres', namespace: DATA_NS, pod: 'postgres-1', instance: '10.0.4.11:9187' };
const REDIS0 = { job: 'redis', namespace: DATA_NS, pod: 'redis-0', instance: '10.0.5.10:9121' };
const REDIS3 = { job: 'redis', namespace: DATA_NS, pod: 'redis-3', instance: '10.0.5.13:9121' };
const CERT = { job: 'cert-manager', namespace: APP_NS, name: 'api-tls', issuer_name: 'letsencrypt', issuer_kind: 'ClusterIssuer', issuer_group: 'cert-manager.io' };
const PROM = { job: 'prometheus', namespace: MON_NS, pod: 'prometheus-0', instance: '10.0.6.10:9090' };
const AM = (i: number) => ({ job: 'alertmanager', namespace: MON_NS, pod: `alertmanager-${i}`, instance: `10.0.6.2${i}:9093` });
const H = 3600;
const D = 86400;

/** A firing case plus the same input evaluated at `silentAt`, when the breach is younger than the rule's `for`. */
function held(c: AlertCase, silentAt: string): AlertCase[] {
  return [c, { ...c, name: `${c.name}, evaluated at ${silentAt} (breach younger than its for duration)`, evalTime: silentAt, expect: silent }];
}

/**
 * Every alert's cases. Inputs sit just above and just below each threshold; the `for` durations are tested from both
 * sides with explicit times: firing shortly after `for` has passed, silent shortly before (`held`).
 */
export const ALERT_CASES: readonly AlertCase[] = [
  // --- backend availability (budget 0.1 % for the 99.9 % SLO); rates need two samples, so breaches start at 1 m ---
  ...held({ alert: 'BackendHigh5xxRatio', name: '5xx at 0.2 %', series: backendRequests(998, 2, 30), evalTime: '12m', expect: fires(BACKEND_RESULT, 0.002) }, '10m'),
  { alert: 'BackendHigh5xxRatio', name: '5xx at 0.05 %', series: backendRequests(1999, 1, 30), evalTime: '20m', expect: silent },
  { alert: 'BackendHigh5xxRatio', name: 'no 5xx series at all (ratio 0, not absent)', series: backendRequests(1000, 0, 30, '_x30'), evalTime: '20m', expect: silent },
  // Fast burn: 14.4 x 0.1 % = 1.44 % over 1h and 5m.
  ...held({ alert: 'BackendErrorBudgetBurnFast', name: '5xx at 1.46 % (14.6x) for 65 minutes', series: backendRequests(9854, 146, 70), evalTime: '65m', expect: fires(BACKEND_RESULT, 0.0146) }, '2m'),
  { alert: 'BackendErrorBudgetBurnFast', name: '5xx at 1.42 % (14.2x)', series: backendRequests(9858, 142, 70), evalTime: '65m', expect: silent },
  {
    alert: 'BackendErrorBudgetBurnFast',
    name: '5xx at 3 % for an hour, then none for 10 minutes (1h window above, 5m window recovered)',
    series: backendRequests(9700, 300, 70, `${ramp(0, 300, 60)} ${flat(18000, 9)}`),
    evalTime: '70m',
    expect: silent,
  },
  // Medium burn: 6 x 0.1 % = 0.6 % over 6h and 30m (5-minute samples: the breach starts at 5 m).
  ...held(
    { alert: 'BackendErrorBudgetBurnMedium', name: '5xx at 0.62 % (6.2x) for 7 hours', interval: '5m', series: backendRequests(49690, 310, 90), evalTime: '7h', expect: fires(BACKEND_RESULT, 0.0062) },
    '19m',
  ),
  { alert: 'BackendErrorBudgetBurnMedium', name: '5xx at 0.58 % (5.8x) for 7 hours', interval: '5m', series: backendRequests(49710, 290, 90), evalTime: '7h', expect: silent },
  {
    alert: 'BackendErrorBudgetBurnMedium',
    name: '5xx at 3 % for 6 hours, then none for 35 minutes (6h window above, 30m window recovered)',
    interval: '5m',
    series: backendRequests(48500, 1500, 80, `${ramp(0, 1500, 72)} ${flat(108000, 7)}`),
    evalTime: '6h35m',
    expect: silent,
  },
  // Slow burn: 1 x 0.1 % over 3d and 6h (10-minute samples, evaluated after 3 days and 2 hours; breach from 10 m).
  ...held(
    { alert: 'BackendErrorBudgetBurnSlow', name: '5xx at 0.105 % (1.05x) for 3 days', interval: '10m', series: backendRequests(99895, 105, 450), evalTime: '74h', expect: fires(BACKEND_RESULT, 0.00105) },
    '69m',
  ),
  { alert: 'BackendErrorBudgetBurnSlow', name: '5xx at 0.095 % (0.95x) for 3 days', interval: '10m', series: backendRequests(99905, 95, 450), evalTime: '74h', expect: silent },

  // --- backend latency (SLI 0.2 s, page 2 s), 100 requests a minute; buckets le 0.1 0.2 0.5 1 2 5 +Inf ---
  ...held({ alert: 'BackendLatencyP95High', name: '6 % of requests slower than 2 s: p95 = 2.5 s', series: latency([50, 80, 90, 92, 94, 100, 100], 20), evalTime: '7m', expect: fires(BACKEND_RESULT, 2.5) }, '5m'),
  { alert: 'BackendLatencyP95High', name: '4 % of requests slower than 2 s: p95 = 1.75 s', series: latency([50, 80, 90, 92, 96, 100, 100], 20), evalTime: '15m', expect: silent },
  ...held(
    { alert: 'BackendLatencyP95AboveSli', name: '6 % of requests slower than 0.2 s: p95 = 0.25 s', series: latency([50, 94, 100, 100, 100, 100, 100], 45), evalTime: '32m', expect: fires(BACKEND_RESULT, 0.25) },
    '30m',
  ),
  { alert: 'BackendLatencyP95AboveSli', name: '4 % of requests slower than 0.2 s: p95 = 0.198 s', series: latency([50, 96, 100, 100, 100, 100, 100], 45), evalTime: '40m', expect: silent },

  // --- Kubernetes ---
  ...held(
    {
      alert: 'KubeContainerMemoryNearLimit',
      name: 'working set at 85 % of a 1 GiB limit (pod-level cgroup series ignored)',
      series: [
        s('container_memory_working_set_bytes', { job: 'kubelet', metrics_path: '/metrics/cadvisor', ...CONTAINER, id: '/kubepods/burstable/pod1/c1', image: 'worker:1.4.2' }, flat(0.85 * GiB, 25)),
        s('container_memory_working_set_bytes', { job: 'kubelet', metrics_path: '/metrics/cadvisor', ...CONTAINER, container: '', id: '/kubepods/burstable/pod1' }, flat(2 * GiB, 25)),
        s('kube_pod_container_resource_limits', { ...POD_KSM, ...CONTAINER, resource: 'memory', unit: 'byte' }, flat(GiB, 25)),
        s('kube_pod_container_resource_limits', { ...POD_KSM, ...CONTAINER, resource: 'cpu', unit: 'core' }, flat(1, 25)),
      ],
      evalTime: '16m',
      expect: fires(CONTAINER, 0.85),
    },
    '14m',
  ),
  {
    alert: 'KubeContainerMemoryNearLimit',
    name: 'working set at 75 % of the limit',
    series: [
      s('container_memory_working_set_bytes', { job: 'kubelet', metrics_path: '/metrics/cadvisor', ...CONTAINER, id: '/kubepods/burstable/pod1/c1', image: 'worker:1.4.2' }, flat(0.75 * GiB, 25)),
      s('kube_pod_container_resource_limits', { ...POD_KSM, ...CONTAINER, resource: 'memory', unit: 'byte' }, flat(GiB, 25)),
    ],
    evalTime: '20m',
    expect: silent,
  },
  ...held(
    {
      alert: 'KubePersistentVolumeUsageHigh',
      name: 'volume 91 % full',
      series: [s('kubelet_volume_stats_used_bytes', PVC, flat(91 * GiB, 15)), s('kubelet_volume_stats_capacity_bytes', PVC, flat(100 * GiB, 15))],
      evalTime: '6m',
      expect: fires(PVC, 0.91),
    },
    '4m',
  ),
  {
    alert: 'KubePersistentVolumeUsageHigh',
    name: 'volume 89 % full',
    series: [s('kubelet_volume_stats_used_bytes', PVC, flat(89 * GiB, 15)), s('kubelet_volume_stats_capacity_bytes', PVC, flat(100 * GiB, 15))],
    evalTime: '10m',
    expect: silent,
  },
  ...held(
    {
      alert: 'KubePodCrashLooping',
      name: 'in CrashLoopBackOff',
      series: [s('kube_pod_container_status_waiting_reason', { ...POD_KSM, ...CONTAINER, reason: 'CrashLoopBackOff' }, flat(1, 20))],
      evalTime: '11m',
      expect: fires({ ...POD_KSM, ...CONTAINER, reason: 'CrashLoopBackOff' }, 1),
    },
    '9m',
  ),
  {
    alert: 'KubePodCrashLooping',
    name: 'CrashLoopBackOff for 3 minutes, then running',
    series: [s('kube_pod_container_status_waiting_reason', { ...POD_KSM, ...CONTAINER, reason: 'CrashLoopBackOff' }, `${flat(1, 3)} _x17`)],
    evalTime: '20m',
    expect: silent,
  },
  {
    alert: 'KubePodCrashLooping',
    name: 'waiting in ContainerCreating for 20 minutes (another reason)',
    series: [s('kube_pod_container_status_waiting_reason', { ...POD_KSM, ...CONTAINER, reason: 'ContainerCreating' }, flat(1, 20))],
    evalTime: '20m',
    expect: silent,
  },
  ...held(
    {
      alert: 'KubeDeploymentReplicasMismatch',
      name: '2 of 3 replicas available',
      series: [s('kube_deployment_spec_replicas', DEPLOY, flat(3, 25)), s('kube_deployment_status_replicas_available', DEPLOY, flat(2, 25))],
      evalTime: '16m',
      expect: fires(DEPLOY, 3),
    },
    '14m',
  ),
  {
    alert: 'KubeDeploymentReplicasMismatch',
    name: '3 of 3 replicas available',
    series: [s('kube_deployment_spec_replicas', DEPLOY, flat(3, 25)), s('kube_deployment_status_replicas_available', DEPLOY, flat(3, 25))],
    evalTime: '20m',
    expect: silent,
  },
  ...held(
    {
      alert: 'KubeStatefulSetReplicasMismatch',
      name: '5 of 6 replicas ready',
      series: [s('kube_statefulset_replicas', STS, flat(6, 25)), s('kube_statefulset_status_replicas_ready', STS, flat(5, 25))],
      evalTime: '16m',
      expect: fires(STS, 6),
    },
    '14m',
  ),
  {
    alert: 'KubeStatefulSetReplicasMismatch',
    name: '6 of 6 replicas ready',
    series: [s('kube_statefulset_replicas', STS, flat(6, 25)), s('kube_statefulset_status_replicas_ready', STS, flat(6, 25))],
    evalTime: '20m',
    expect: silent,
  },
  ...held(
    {
      alert: 'KubeHpaMaxedOut',
      name: '10 replicas, max 10 (min 2)',
      series: [
        s('kube_horizontalpodautoscaler_status_current_replicas', HPA, flat(10, 25)),
        s('kube_horizontalpodautoscaler_spec_max_replicas', HPA, flat(10, 25)),
        s('kube_horizontalpodautoscaler_spec_min_replicas', HPA, flat(2, 25)),
      ],
      evalTime: '16m',
      expect: fires(HPA, 10),
    },
    '14m',
  ),
  {
    alert: 'KubeHpaMaxedOut',
    name: '9 replicas, max 10',
    series: [
      s('kube_horizontalpodautoscaler_status_current_replicas', HPA, flat(9, 25)),
      s('kube_horizontalpodautoscaler_spec_max_replicas', HPA, flat(10, 25)),
      s('kube_horizontalpodautoscaler_spec_min_replicas', HPA, flat(2, 25)),
    ],
    evalTime: '20m',
    expect: silent,
  },
  {
    alert: 'KubeHpaMaxedOut',
    name: 'pinned HPA (min = max = 3) at 3 replicas',
    series: [
      s('kube_horizontalpodautoscaler_status_current_replicas', HPA, flat(3, 25)),
      s('kube_horizontalpodautoscaler_spec_max_replicas', HPA, flat(3, 25)),
      s('kube_horizontalpodautoscaler_spec_min_replicas', HPA, flat(3, 25)),
    ],
    evalTime: '20m',
    expect: silent,
  },
  ...held(
    {
      alert: 'KubeNodeNotReady',
      name: 'Ready=false',
      series: [
        s('kube_node_status_condition', { ...NODE, status: 'true' }, flat(0, 15)),
        s('kube_node_status_condition', { ...NODE, status: 'false' }, flat(1, 15)),
        s('kube_node_status_condition', { ...NODE, status: 'unknown' }, flat(0, 15)),
      ],
      evalTime: '6m',
      expect: fires({ ...NODE, status: 'true' }, 0),
    },
    '4m',
  ),
  {
    alert: 'KubeNodeNotReady',
    name: 'Ready',
    series: [
      s('kube_node_status_condition', { ...NODE, status: 'true' }, flat(1, 15)),
      s('kube_node_status_condition', { ...NODE, status: 'false' }, flat(0, 15)),
      s('kube_node_status_condition', { ...NODE, status: 'unknown' }, flat(0, 15)),
    ],
    evalTime: '10m',
    expect: silent,
  },

  // --- PostgreSQL and PgBouncer ---
  ...held(
    {
      alert: 'PgBouncerPoolSaturation',
      name: '17 of 20 server connections (85 %)',
      series: [
        s('pgbouncer_databases_current_connections', PGB, flat(17, 20)),
        s('pgbouncer_databases_max_connections', PGB, flat(20, 20)),
        // The admin console database: max_connections 0 (unlimited) must not divide into +Inf.
        s('pgbouncer_databases_current_connections', { ...PGB, name: 'pgbouncer', database: 'pgbouncer' }, flat(1, 20)),
        s('pgbouncer_databases_max_connections', { ...PGB, name: 'pgbouncer', database: 'pgbouncer' }, flat(0, 20)),
      ],
      evalTime: '11m',
      expect: fires(PGB, 0.85),
    },
    '9m',
  ),
  {
    alert: 'PgBouncerPoolSaturation',
    name: '15 of 20 server connections (75 %)',
    series: [s('pgbouncer_databases_current_connections', PGB, flat(15, 20)), s('pgbouncer_databases_max_connections', PGB, flat(20, 20))],
    evalTime: '15m',
    expect: silent,
  },
  {
    alert: 'PgBouncerPoolSaturation',
    name: 'max_connections 0 (unlimited)',
    series: [s('pgbouncer_databases_current_connections', PGB, flat(15, 20)), s('pgbouncer_databases_max_connections', PGB, flat(0, 20))],
    evalTime: '15m',
    expect: silent,
  },
  ...held({ alert: 'PostgresReplicationLag', name: 'replica 35 s behind', series: [s('pg_replication_lag_seconds', PG1, flat(35, 15))], evalTime: '6m', expect: fires(PG1, 35) }, '4m'),
  { alert: 'PostgresReplicationLag', name: 'replica 25 s behind', series: [s('pg_replication_lag_seconds', PG1, flat(25, 15))], evalTime: '10m', expect: silent },
  // Production has 2 members: the primary expects 1 streaming replica.
  ...held({ alert: 'PostgresReplicaNotStreaming', name: 'the primary streams to no replica', series: [s('pg_replication_streaming_replicas', PG0, flat(0, 10))], evalTime: '6m', expect: fires({}, 0) }, '4m'),
  { alert: 'PostgresReplicaNotStreaming', name: 'one replica streaming', series: [s('pg_replication_streaming_replicas', PG0, flat(1, 10))], evalTime: '8m', expect: silent },
  ...held(
    {
      alert: 'PostgresPrimaryMissing',
      name: 'both members report being replicas',
      series: [s('pg_replication_is_replica', PG0, flat(1, 10)), s('pg_replication_is_replica', PG1, flat(1, 10))],
      evalTime: '2m',
      expect: fires({}, 0),
    },
    '0m',
  ),
  {
    alert: 'PostgresPrimaryMissing',
    name: 'no postgres_exporter series at all',
    series: [s('up', { job: 'backend', namespace: APP_NS, instance: '10.0.1.17:8000' }, flat(1, 10))],
    evalTime: '5m',
    expect: fires({}, 0),
  },
  {
    alert: 'PostgresPrimaryMissing',
    name: 'one primary, one replica',
    series: [s('pg_replication_is_replica', PG0, flat(0, 10)), s('pg_replication_is_replica', PG1, flat(1, 10))],
    evalTime: '5m',
    expect: silent,
  },
  ...held({ alert: 'PostgresWalArchivingFailing', name: 'one failed archive attempt a minute', series: [s('pg_archiver_failed_count', PG0, ramp(0, 1, 20))], evalTime: '20m', expect: fires(PG0, 15) }, '5m'),
  {
    alert: 'PostgresWalArchivingFailing',
    name: 'failures long ago, none in the last 15 minutes',
    series: [s('pg_archiver_failed_count', PG0, `${ramp(0, 1, 3)} ${flat(3, 27)}`)],
    evalTime: '30m',
    expect: silent,
  },
  {
    alert: 'PostgresBackupTooOld',
    name: 'last backup 27 h ago (an older diff backup too)',
    interval: '5m',
    series: [s('pg_backup_last_success_timestamp_seconds', { ...PG0, backup_type: 'full' }, flat(1 * H, 400)), s('pg_backup_last_success_timestamp_seconds', { ...PG0, backup_type: 'diff' }, flat(0, 400))],
    evalTime: '28h',
    expect: fires({}, 27 * H),
  },
  {
    alert: 'PostgresBackupTooOld',
    name: 'full backup 30 h ago, diff backup 25 h ago',
    interval: '5m',
    series: [s('pg_backup_last_success_timestamp_seconds', { ...PG0, backup_type: 'full' }, flat(0, 400)), s('pg_backup_last_success_timestamp_seconds', { ...PG0, backup_type: 'diff' }, flat(5 * H, 400))],
    evalTime: '30h',
    expect: silent,
  },
  ...held(
    { alert: 'PostgresBackupMetricMissing', name: 'no backup timestamp series', series: [s('pg_replication_is_replica', PG0, flat(0, 80))], evalTime: '61m', expect: fires({ job: 'postgres' }, 1) },
    '59m',
  ),
  {
    alert: 'PostgresBackupMetricMissing',
    name: 'backup timestamp present',
    series: [s('pg_backup_last_success_timestamp_seconds', { ...PG0, backup_type: 'full' }, flat(0, 80))],
    evalTime: '70m',
    expect: silent,
  },

  // --- Redis ---
  ...held({ alert: 'RedisClusterNotOk', name: 'cluster_state fail', series: [s('redis_cluster_state', REDIS0, flat(0, 10))], evalTime: '3m', expect: fires(REDIS0, 0) }, '1m'),
  { alert: 'RedisClusterNotOk', name: 'cluster_state ok', series: [s('redis_cluster_state', REDIS0, flat(1, 10))], evalTime: '5m', expect: silent },
  ...held(
    {
      alert: 'RedisClusterSlotsFailed',
      name: 'a whole shard lost: 5461 slots failed, seen by two surviving nodes',
      series: [s('redis_cluster_slots_fail', REDIS0, flat(5461, 10)), s('redis_cluster_slots_fail', REDIS3, flat(5461, 10))],
      evalTime: '2m',
      expect: fires({ namespace: DATA_NS }, 5461),
    },
    '30s',
  ),
  { alert: 'RedisClusterSlotsFailed', name: 'no failed slots', series: [s('redis_cluster_slots_fail', REDIS0, flat(0, 10)), s('redis_cluster_slots_fail', REDIS3, flat(0, 10))], evalTime: '5m', expect: silent },
  ...held(
    {
      alert: 'RedisReplicaMissing',
      name: 'a master without replicas (a replica has none either, as usual)',
      series: [
        s('redis_connected_slaves', REDIS0, flat(0, 20)),
        s('redis_instance_info', { ...REDIS0, role: 'master', redis_version: '7.2.5' }, flat(1, 20)),
        s('redis_connected_slaves', REDIS3, flat(0, 20)),
        s('redis_instance_info', { ...REDIS3, role: 'slave', redis_version: '7.2.5' }, flat(1, 20)),
      ],
      evalTime: '11m',
      expect: fires(REDIS0, 0),
    },
    '9m',
  ),
  {
    alert: 'RedisReplicaMissing',
    name: 'the master has one replica',
    series: [
      s('redis_connected_slaves', REDIS0, flat(1, 20)),
      s('redis_instance_info', { ...REDIS0, role: 'master', redis_version: '7.2.5' }, flat(1, 20)),
      s('redis_connected_slaves', REDIS3, flat(0, 20)),
      s('redis_instance_info', { ...REDIS3, role: 'slave', redis_version: '7.2.5' }, flat(1, 20)),
    ],
    evalTime: '15m',
    expect: silent,
  },

  // --- certificates (expiry timestamps are absolute: "in N days" is counted from the eval time) ---
  ...held({ alert: 'CertificateExpiringSoon', name: 'expires in 13 days', series: [s('certmanager_certificate_expiration_timestamp_seconds', CERT, flat(61 * 60 + 13 * D, 70))], evalTime: '61m', expect: fires(CERT, 13 * D) }, '59m'),
  { alert: 'CertificateExpiringSoon', name: 'expires in 15 days', series: [s('certmanager_certificate_expiration_timestamp_seconds', CERT, flat(2 * H + 15 * D, 130))], evalTime: '2h', expect: silent },
  ...held({ alert: 'CertificateExpiryImminent', name: 'expires in 2 days', series: [s('certmanager_certificate_expiration_timestamp_seconds', CERT, flat(11 * 60 + 2 * D, 20))], evalTime: '11m', expect: fires(CERT, 2 * D) }, '9m'),
  { alert: 'CertificateExpiryImminent', name: 'expires in 4 days', series: [s('certmanager_certificate_expiration_timestamp_seconds', CERT, flat(2 * H + 4 * D, 130))], evalTime: '2h', expect: silent },

  // --- Prometheus and Alertmanager ---
  ...held(
    {
      alert: 'PrometheusTargetDown',
      name: 'a redis_exporter target down (another target up)',
      series: [s('up', REDIS0, flat(0, 15)), s('up', { job: 'backend', namespace: APP_NS, instance: '10.0.1.17:8000' }, flat(1, 15))],
      evalTime: '6m',
      expect: fires(REDIS0, 0),
    },
    '4m',
  ),
  { alert: 'PrometheusTargetDown', name: 'down for 3 minutes, then up', series: [s('up', REDIS0, `${flat(0, 3)} ${flat(1, 12)}`)], evalTime: '10m', expect: silent },
  {
    alert: 'PrometheusRuleEvaluationFailures',
    name: 'one failed evaluation a minute',
    series: [s('prometheus_rule_evaluation_failures_total', { ...PROM, rule_group: '/etc/prometheus/rules/postgres.rules.yaml;postgres' }, ramp(0, 1, 20))],
    evalTime: '20m',
    expect: fires({ ...PROM, rule_group: '/etc/prometheus/rules/postgres.rules.yaml;postgres' }, 10),
  },
  {
    alert: 'PrometheusRuleEvaluationFailures',
    name: 'failures more than 10 minutes ago',
    series: [s('prometheus_rule_evaluation_failures_total', { ...PROM, rule_group: '/etc/prometheus/rules/postgres.rules.yaml;postgres' }, `${ramp(0, 1, 5)} ${flat(5, 15)}`)],
    evalTime: '20m',
    expect: silent,
  },
  {
    alert: 'PrometheusNotificationsFailing',
    name: 'one send error a minute',
    series: [s('prometheus_notifications_errors_total', { ...PROM, alertmanager: 'http://alertmanager-0.alertmanager-headless.monitoring.svc:9093/api/v2/alerts' }, ramp(0, 1, 20))],
    evalTime: '20m',
    expect: fires({ ...PROM, alertmanager: 'http://alertmanager-0.alertmanager-headless.monitoring.svc:9093/api/v2/alerts' }, 10),
  },
  {
    alert: 'PrometheusNotificationsFailing',
    name: 'no send errors',
    series: [s('prometheus_notifications_errors_total', { ...PROM, alertmanager: 'http://alertmanager-0.alertmanager-headless.monitoring.svc:9093/api/v2/alerts' }, flat(0, 20))],
    evalTime: '20m',
    expect: silent,
  },
  {
    alert: 'PrometheusTsdbCompactionsFailing',
    name: 'a compaction failed 2 hours ago',
    series: [s('prometheus_tsdb_compactions_failed_total', PROM, `${flat(0, 300)} ${flat(1, 120)}`)],
    evalTime: '7h',
    expect: fires(PROM, 1),
  },
  {
    alert: 'PrometheusTsdbCompactionsFailing',
    name: 'a compaction failed 7 hours ago',
    series: [s('prometheus_tsdb_compactions_failed_total', PROM, `${flat(0, 60)} ${flat(1, 480)}`)],
    evalTime: '8h',
    expect: silent,
  },
  {
    alert: 'AlertmanagerNotificationsFailing',
    name: 'one failed Slack notification a minute',
    series: [s('alertmanager_notifications_failed_total', { ...AM(1), integration: 'slack' }, ramp(0, 1, 20)), s('alertmanager_notifications_failed_total', { ...AM(1), integration: 'email' }, flat(0, 20))],
    evalTime: '20m',
    expect: fires({ ...AM(1), integration: 'slack' }, 10),
  },
  {
    alert: 'AlertmanagerNotificationsFailing',
    name: 'failures only more than 10 minutes ago',
    series: [s('alertmanager_notifications_failed_total', { ...AM(1), integration: 'slack' }, `${ramp(0, 1, 5)} ${flat(5, 15)}`)],
    evalTime: '20m',
    expect: silent,
  },
  ...held(
    {
      alert: 'AlertmanagerClusterDegraded',
      name: 'alertmanager-2 gone: the others see 2 members',
      series: [s('alertmanager_cluster_members', AM(0), flat(2, 20)), s('alertmanager_cluster_members', AM(1), flat(2, 20))],
      evalTime: '11m',
      expect: fires({}, 2),
    },
    '9m',
  ),
  {
    alert: 'AlertmanagerClusterDegraded',
    name: 'all 3 members see 3',
    series: [0, 1, 2].map((i) => s('alertmanager_cluster_members', AM(i), flat(3, 20))),
    evalTime: '15m',
    expect: silent,
  },

  // --- Watchdog ---
  { alert: 'Watchdog', name: 'fires at once, with no input', series: [], evalTime: '0m', expect: fires({}, 1) },
  { alert: 'Watchdog', name: 'still fires a day later', series: [s('up', PROM, flat(1, 1440))], evalTime: '24h', expect: fires({}, 1) },
];

/** A recording rule's value on a synthetic input (promql_expr_test on the recorded series). */
export interface RecordingCase {
  readonly record: string;
  readonly name: string;
  readonly interval?: string;
  readonly series: readonly InputSeries[];
  readonly evalTime: string;
  readonly expect: readonly ExpectedAlert[];
}

const ERROR_RATIO_WINDOWS = ['5m', '30m', '1h', '6h', '3d'];
export const RECORDING_CASES: readonly RecordingCase[] = [
  ...ERROR_RATIO_WINDOWS.map((w) => ({
    record: `slo:backend_errors:ratio_rate${w}`,
    name: '5xx at 0.2 % for 7 hours',
    series: backendRequests(998, 2, 430),
    evalTime: '7h',
    expect: fires(BACKEND_RESULT, 0.002),
  })),
  { record: 'slo:backend_errors:ratio_rate5m', name: 'no 5xx series yet: 0, not absent', series: backendRequests(1000, 0, 30, '_x30'), evalTime: '20m', expect: fires(BACKEND_RESULT, 0) },
  { record: 'slo:backend_latency_under_threshold:ratio_rate5m', name: '94 % of requests within 0.2 s', series: latency([50, 94, 100, 100, 100, 100, 100], 20), evalTime: '15m', expect: fires(BACKEND_RESULT, 0.94) },
  { record: 'slo:backend_latency_p95:seconds_rate5m', name: '94 % within 0.2 s, all within 0.5 s: p95 = 0.25 s', series: latency([50, 94, 100, 100, 100, 100, 100], 20), evalTime: '15m', expect: fires(BACKEND_RESULT, 0.25) },
];

/** Recording rules of the rendered files without a RECORDING_CASES entry. */
export function uncoveredRecordings(files: Record<string, string>, cases: readonly RecordingCase[] = RECORDING_CASES): string[] {
  const records = Object.values(files).flatMap((text) => (parse(text).groups ?? []).flatMap((g: any) => (g.rules ?? []).filter((r: any) => r.record).map((r: any) => r.record as string)));
  return records.filter((r) => !cases.some((c) => c.record === r));
}

/** How close a recorded value must be (promtool 2.42 compares expression results exactly; rates carry float noise). */
export const RECORDING_TOLERANCE = 1e-9;

/**
 * The `promtool test rules` file for the recording cases: per case, the recorded series exist with exactly the
 * expected labels (`x * 0 + 1`) and their value is within RECORDING_TOLERANCE of the expected one.
 */
export function promtoolRecordingTestFile(ruleFiles: readonly string[], cases: readonly RecordingCase[]): string {
  const tests = cases.map((c) => {
    if (c.expect.length !== 1) throw new Error(`recording case "${c.name}": give exactly one expected series`);
    const [e] = c.expect;
    const sample = (expr: string, value: number) => ({ expr, eval_time: c.evalTime, exp_samples: [{ labels: sel('', e.labels), value }] });
    return {
      name: `${c.record}: ${c.name}`,
      interval: c.interval ?? '1m',
      input_series: c.series.map((x) => ({ series: x.series, values: x.values })),
      promql_expr_test: [
        sample(`${c.record} * 0 + 1`, 1),
        sample(`abs(${c.record} - ${e.value}) < bool ${RECORDING_TOLERANCE}`, 1),
      ],
    };
  });
  return stringify({ rule_files: [...ruleFiles], evaluation_interval: '1m', tests }, { lineWidth: 0 });
}

export interface Coverage {
  readonly missingFiring: string[];
  readonly missingSilent: string[];
  /** Cases naming an alert the rendered files do not have. */
  readonly unknown: string[];
}

/** Every rendered alert needs a firing and a silent case (constant alerts only a firing one). */
export function coverage(alerts: readonly RenderedAlert[], cases: readonly AlertCase[]): Coverage {
  const names = new Set(alerts.map((a) => a.alert));
  const has = (name: string, firing: boolean) => cases.some((c) => c.alert === name && c.expect.length > 0 === firing);
  return {
    missingFiring: [...names].filter((n) => !has(n, true)),
    missingSilent: [...names].filter((n) => !ALWAYS_FIRING.includes(n) && !has(n, false)),
    unknown: [...new Set(cases.map((c) => c.alert))].filter((n) => !names.has(n)),
  };
}

/** Seconds of a Prometheus duration: `1m`, `10m`, `2h`, `1h30m`. */
export function durationSeconds(d: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  const re = /(\d+)(ms|s|m|h|d|w|y)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(d))) {
    total += Number(m[1]) * units[m[2]];
    consumed = re.lastIndex;
  }
  if (consumed !== d.length || d.length === 0) throw new Error(`not a duration: ${d}`);
  return total;
}

/** The `promtool test rules` file for some cases of one alert: every rendered rule file is loaded. */
export function promtoolTestFile(ruleFiles: readonly string[], rule: RenderedAlert, cases: readonly AlertCase[]): string {
  const tests = cases.map((c) => {
    if (c.alert !== rule.alert) throw new Error(`case "${c.name}" is for ${c.alert}, not ${rule.alert}`);
    return {
      name: `${c.alert}: ${c.name}`,
      interval: c.interval ?? '1m',
      input_series: c.series.map((x) => ({ series: x.series, values: x.values })),
      alert_rule_test: [
        {
          eval_time: c.evalTime,
          alertname: c.alert,
          exp_alerts: c.expect.map((e) => ({
            exp_labels: { ...e.labels, ...rule.labels },
            exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expandTemplate(v, e.labels, e.value)])),
          })),
        },
      ],
    };
  });
  return stringify({ rule_files: [...ruleFiles], evaluation_interval: '1m', tests }, { lineWidth: 0 });
}

/** Number of samples a promtool series notation expands to (`a+bxn` = n + 1, `_xn` = n, `_`, `stale`, a number = 1). */
export function sampleCount(values: string): number {
  let n = 0;
  for (const tok of values.trim().split(/\s+/).filter(Boolean)) {
    const m = /^(?:_|-?[0-9.e+-]+[+-][0-9.e+-]+)x(\d+)$/.exec(tok);
    if (m) n += tok.startsWith('_') ? Number(m[1]) : Number(m[1]) + 1;
    else if (tok === '_' || tok === 'stale' || /^[-+]?[0-9.e+-]+$/.test(tok)) n += 1;
    else throw new Error(`cannot count samples of "${tok}"`);
  }
  return n;
}

/** Series that end (samples or `_` placeholders) before the case's eval time: a silent result could be staleness. */
export function shortSeries(c: AlertCase | RecordingCase): string[] {
  const step = durationSeconds(c.interval ?? '1m');
  const end = durationSeconds(c.evalTime);
  return c.series.filter((x) => (sampleCount(x.values) - 1) * step < end).map((x) => `${x.series} ends at ${(sampleCount(x.values) - 1) * step} s, eval at ${end} s`);
}
