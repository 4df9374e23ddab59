import { parse } from 'yaml';
import {
  AlertRule,
  BURN_RATES,
  ERROR_RATIO_WINDOWS,
  isAlert,
  platformRuleGroups,
  RecordingRule,
  renderRuleFiles,
  RuleContext,
  THRESHOLDS,
} from '../src/k8s/monitoring/rules';

const ctx: RuleContext = {
  runbookBase: 'https://github.com/optibid/platform/blob/main/docs/runbooks',
  namespaces: { app: 'optibid', data: 'optibid-data', monitoring: 'monitoring' },
  availabilitySlo: 0.999,
  latency: { sliSeconds: 0.2, pageSeconds: 2 },
  alertmanagerReplicas: 3,
};
const groups = platformRuleGroups(ctx);
const alerts = groups.flatMap((g) => g.rules.filter(isAlert));
const recordings = groups.flatMap((g) => g.rules.filter((r): r is RecordingRule => !isAlert(r)));
const byName = (rules: AlertRule[]) => new Map(rules.map((a) => [a.alert, a]));
const alert = (name: string, rules = alerts): AlertRule => {
  const a = byName(rules).get(name);
  if (!a) throw new Error(`no alert ${name}`);
  return a;
};
const record = (name: string, gs = groups): RecordingRule => {
  const r = gs.flatMap((g) => g.rules.filter((x): x is RecordingRule => !isAlert(x))).find((x) => x.record === name);
  if (!r) throw new Error(`no recording rule ${name}`);
  return r;
};

/** The alert catalogue: severity and `for` of every alert (a new alert must be added here). */
const CATALOGUE: Record<string, { severity: string; for?: string; runbook: string }> = {
  BackendErrorBudgetBurnFast: { severity: 'critical', for: '2m', runbook: 'slo' },
  BackendErrorBudgetBurnMedium: { severity: 'critical', for: '15m', runbook: 'slo' },
  BackendErrorBudgetBurnSlow: { severity: 'warning', for: '1h', runbook: 'slo' },
  BackendHigh5xxRatio: { severity: 'warning', for: '10m', runbook: 'slo' },
  BackendLatencyP95High: { severity: 'critical', for: '5m', runbook: 'slo' },
  BackendLatencyP95AboveSli: { severity: 'warning', for: '30m', runbook: 'slo' },
  KubeContainerMemoryNearLimit: { severity: 'warning', for: '15m', runbook: 'kubernetes' },
  KubePersistentVolumeUsageHigh: { severity: 'critical', for: '5m', runbook: 'kubernetes' },
  KubePodCrashLooping: { severity: 'warning', for: '10m', runbook: 'kubernetes' },
  KubeDeploymentReplicasMismatch: { severity: 'warning', for: '15m', runbook: 'kubernetes' },
  KubeStatefulSetReplicasMismatch: { severity: 'warning', for: '15m', runbook: 'kubernetes' },
  KubeHpaMaxedOut: { severity: 'warning', for: '15m', runbook: 'kubernetes' },
  KubeNodeNotReady: { severity: 'critical', for: '5m', runbook: 'kubernetes' },
  PgBouncerPoolSaturation: { severity: 'warning', for: '10m', runbook: 'postgres' },
  PostgresReplicationLag: { severity: 'warning', for: '5m', runbook: 'postgres' },
  PostgresPrimaryMissing: { severity: 'critical', for: '1m', runbook: 'postgres' },
  PostgresWalArchivingFailing: { severity: 'critical', for: '5m', runbook: 'postgres' },
  PostgresBackupTooOld: { severity: 'critical', runbook: 'postgres' },
  PostgresBackupMetricMissing: { severity: 'warning', for: '1h', runbook: 'postgres' },
  RedisClusterNotOk: { severity: 'critical', for: '2m', runbook: 'redis' },
  RedisClusterSlotsFailed: { severity: 'critical', for: '1m', runbook: 'redis' },
  RedisReplicaMissing: { severity: 'warning', for: '10m', runbook: 'redis' },
  CertificateExpiringSoon: { severity: 'warning', for: '1h', runbook: 'platform' },
  CertificateExpiryImminent: { severity: 'critical', for: '10m', runbook: 'platform' },
  PrometheusTargetDown: { severity: 'warning', for: '5m', runbook: 'platform' },
  PrometheusRuleEvaluationFailures: { severity: 'critical', runbook: 'platform' },
  PrometheusNotificationsFailing: { severity: 'warning', runbook: 'platform' },
  PrometheusTsdbCompactionsFailing: { severity: 'warning', runbook: 'platform' },
  AlertmanagerNotificationsFailing: { severity: 'critical', runbook: 'platform' },
  AlertmanagerClusterDegraded: { severity: 'warning', for: '10m', runbook: 'platform' },
  Watchdog: { severity: 'none', runbook: 'platform' },
};

describe('platform alerting rules', () => {
  test('every alert: allowed severity (none only for the Watchdog), summary, description, runbook link', () => {
    for (const a of alerts) {
      expect({ alert: a.alert, severity: ['critical', 'warning', 'none'].includes(a.labels.severity) }).toEqual({ alert: a.alert, severity: true });
      if (a.labels.severity === 'none') expect(a.alert).toBe('Watchdog');
      expect(a.annotations.summary.trim().length).toBeGreaterThan(10);
      expect(a.annotations.description.trim().length).toBeGreaterThan(10);
      expect(a.annotations.runbook_url.startsWith(`${ctx.runbookBase}/`)).toBe(true);
      expect(a.annotations.runbook_url).toMatch(new RegExp(`/(slo|kubernetes|postgres|redis|platform)\\.md#${a.alert.toLowerCase()}$`));
      expect(a.expr.trim()).not.toBe('');
    }
  });

  test('alert, recording rule and group names are unique', () => {
    const names = alerts.map((a) => a.alert);
    expect(new Set(names).size).toBe(names.length);
    const records = recordings.map((r) => r.record);
    expect(new Set(records).size).toBe(records.length);
    const groupNames = groups.map((g) => g.name);
    expect(new Set(groupNames).size).toBe(groupNames.length);
  });

  test('PostgresReplicaNotStreaming exists where there are replicas, expecting members - 1 of them', () => {
    const find = (members: number) => platformRuleGroups({ ...ctx, postgresMembers: members }).flatMap((g) => g.rules.filter(isAlert)).find((a) => a.alert === 'PostgresReplicaNotStreaming');
    expect(find(1)).toBeUndefined();
    expect(find(2)?.expr).toBe('max(pg_replication_streaming_replicas{job="postgres"}) < 1');
    expect(find(3)?.expr).toBe('max(pg_replication_streaming_replicas{job="postgres"}) < 2');
    expect(find(3)?.labels.severity).toBe('warning');
  });

  test('the catalogue: every alert with its severity, for and runbook file, and nothing else', () => {
    const got = Object.fromEntries(alerts.map((a) => [a.alert, { severity: a.labels.severity, ...(a.for ? { for: a.for } : {}), runbook: /\/([a-z]+)\.md#/.exec(a.annotations.runbook_url)?.[1] }]));
    expect(got).toEqual(CATALOGUE);
  });

  test('the seed thresholds live in one constants object', () => {
    expect(THRESHOLDS).toMatchObject({ errorRatio: 0.001, latencyQuantile: 0.95, poolUsage: 0.8, memory: 0.8, volume: 0.9, replicationLagSeconds: 30, backupAgeHours: 26, certDays: 14, certCriticalDays: 3 });
    expect(Object.values(BURN_RATES).map((b) => [b.factor, b.longWindow, b.shortWindow, b.severity])).toEqual([
      [14.4, '1h', '5m', 'critical'],
      [6, '6h', '30m', 'critical'],
      [1, '3d', '6h', 'warning'],
    ]);
  });

  test('the seed thresholds appear in the rendered expressions', () => {
    expect(alert('BackendHigh5xxRatio').expr).toBe('slo:backend_errors:ratio_rate5m > 0.001');
    expect(alert('BackendHigh5xxRatio').annotations.summary).toContain('0.1 %');
    expect(alert('BackendLatencyP95High').expr).toBe('slo:backend_latency_p95:seconds_rate5m > 2');
    expect(alert('BackendLatencyP95AboveSli').expr).toBe('slo:backend_latency_p95:seconds_rate5m > 0.2');
    expect(record('slo:backend_latency_p95:seconds_rate5m').expr).toMatch(/^histogram_quantile\(0\.95, sum by \(job, namespace, le\) \(rate\(http_request_duration_seconds_bucket\{job="backend",namespace="optibid"\}\[5m\]\)\)\)$/);
    expect(record('slo:backend_latency_under_threshold:ratio_rate5m').expr).toContain('http_request_duration_seconds_bucket{job="backend",namespace="optibid",le="0.2"}[5m]');
    expect(record('slo:backend_latency_under_threshold:ratio_rate5m').expr).toContain('le="+Inf"');
    expect(alert('PgBouncerPoolSaturation').expr).toMatch(/ > 0\.8$/);
    expect(alert('KubeContainerMemoryNearLimit').expr).toMatch(/ > 0\.8$/);
    expect(alert('KubePersistentVolumeUsageHigh').expr).toBe('kubelet_volume_stats_used_bytes{job="kubelet"} / kubelet_volume_stats_capacity_bytes{job="kubelet"} > 0.9');
    expect(alert('PostgresReplicationLag').expr).toBe('pg_replication_lag_seconds{job="postgres"} > 30');
    expect(alert('PostgresBackupTooOld').expr).toBe('time() - max(pg_backup_last_success_timestamp_seconds{job="postgres"}) > 26 * 3600');
    expect(alert('CertificateExpiringSoon').expr).toContain('< 14 * 86400');
    expect(alert('CertificateExpiryImminent').expr).toContain('< 3 * 86400');
    expect(alert('AlertmanagerClusterDegraded').expr).toBe('min(alertmanager_cluster_members{job="alertmanager"}) < 3');
    // The threshold follows the environment's replica count (a single-replica dev Alertmanager is not degraded).
    const single = platformRuleGroups({ ...ctx, alertmanagerReplicas: 1 }).flatMap((g) => g.rules.filter(isAlert));
    expect(single.find((a) => a.alert === 'AlertmanagerClusterDegraded')!.expr).toBe('min(alertmanager_cluster_members{job="alertmanager"}) < 1');
    expect(alert('Watchdog').expr).toBe('vector(1)');
  });

  test('multi-window multi-burn-rate alerts: factor x (1 - SLO) on the long and the short window', () => {
    expect(alert('BackendErrorBudgetBurnFast').expr).toBe('slo:backend_errors:ratio_rate1h > 0.0144 and slo:backend_errors:ratio_rate5m > 0.0144');
    expect(alert('BackendErrorBudgetBurnMedium').expr).toBe('slo:backend_errors:ratio_rate6h > 0.006 and slo:backend_errors:ratio_rate30m > 0.006');
    expect(alert('BackendErrorBudgetBurnSlow').expr).toBe('slo:backend_errors:ratio_rate3d > 0.001 and slo:backend_errors:ratio_rate6h > 0.001');
  });

  test('the error ratio is recorded over every burn-rate window: 5xx / all requests of the backend in the app namespace', () => {
    expect(ERROR_RATIO_WINDOWS).toEqual(['5m', '30m', '1h', '6h', '3d']);
    for (const w of ERROR_RATIO_WINDOWS) {
      const { expr } = record(`slo:backend_errors:ratio_rate${w}`);
      expect(expr).toContain(`rate(http_requests_total{job="backend",namespace="optibid",status="5xx"}[${w}])`);
      expect(expr).toContain(`rate(http_requests_total{job="backend",namespace="optibid"}[${w}])`);
      expect(expr.match(/\[(\w+)\]/g)).toEqual([`[${w}]`, `[${w}]`, `[${w}]`]);
    }
  });

  test('thresholds follow the context (no magic literals): another SLO, latency, namespace and runbook base', () => {
    const other = platformRuleGroups({ ...ctx, runbookBase: 'https://example.org/rb/', namespaces: { ...ctx.namespaces, app: 'shop' }, availabilitySlo: 0.995, latency: { sliSeconds: 0.3, pageSeconds: 1 } });
    const oAlerts = other.flatMap((g) => g.rules.filter(isAlert));
    expect(alert('BackendErrorBudgetBurnFast', oAlerts).expr).toBe('slo:backend_errors:ratio_rate1h > 0.072 and slo:backend_errors:ratio_rate5m > 0.072');
    expect(alert('BackendErrorBudgetBurnMedium', oAlerts).expr).toContain('> 0.03 and');
    expect(alert('BackendErrorBudgetBurnSlow', oAlerts).expr).toContain('> 0.005 and');
    expect(alert('BackendLatencyP95High', oAlerts).expr).toBe('slo:backend_latency_p95:seconds_rate5m > 1');
    expect(alert('BackendLatencyP95AboveSli', oAlerts).expr).toBe('slo:backend_latency_p95:seconds_rate5m > 0.3');
    expect(record('slo:backend_latency_under_threshold:ratio_rate5m', other).expr).toContain('namespace="shop",le="0.3"');
    expect(record('slo:backend_errors:ratio_rate5m', other).expr).not.toContain('"optibid"');
    expect(alert('Watchdog', oAlerts).annotations.runbook_url).toBe('https://example.org/rb/platform.md#watchdog');
    // Whole-second latency thresholds use the Python client's `le` format.
    const whole = platformRuleGroups({ ...ctx, latency: { sliSeconds: 1, pageSeconds: 5 } });
    expect(record('slo:backend_latency_under_threshold:ratio_rate5m', whole).expr).toContain('le="1.0"');
  });

  test('renderRuleFiles: one parseable file per group, <group>.rules.yaml = { groups: [group] }, stable order', () => {
    const files = renderRuleFiles(groups);
    expect(Object.keys(files)).toEqual(groups.map((g) => `${g.name}.rules.yaml`));
    for (const g of groups) {
      const text = files[`${g.name}.rules.yaml`];
      expect(parse(text)).toEqual(JSON.parse(JSON.stringify({ groups: [g] })));
      // lineWidth 0: long expressions are never folded, every line is a `key: value` (or a list item of one).
      expect(text.split('\n').filter((l) => l !== '' && !/^\s*(-\s+)?[A-Za-z_]+:(\s|$)/.test(l))).toEqual([]);
    }
    expect(renderRuleFiles(platformRuleGroups(ctx))).toEqual(files);
    expect(() => renderRuleFiles([groups[0], groups[0]])).toThrow(/duplicate/);
  });
});
