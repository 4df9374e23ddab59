import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ENVIRONMENT_INPUTS } from '@optibid/constructs-lib';
import { CONFIG_CHECKSUM_ANNOTATION, configChecksum } from '@optibid/constructs-lib/k8s';
import type { KubeObject } from '@optibid/rendered';
import { find, rendered, renderedFiles, REPO } from './rendered-support';

/** The monitoring tier as rendered (in memory, read back from the YAML files the render writes). */
const prod = rendered('production');
const ENVIRONMENT_NAMES = ENVIRONMENT_INPUTS.map((e) => e.name);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (objects: KubeObject[]): Rule[] =>
  Object.values(find(objects, 'ConfigMap', 'prometheus-rules').data as Record<string, string>).flatMap((text) => parse(text).groups.flatMap((g: any) => g.rules as Rule[]));
const alerts = rules(prod).filter((r) => r.alert);
const alert = (name: string) => {
  const a = alerts.find((r) => r.alert === name);
  if (!a) throw new Error(`alert ${name} not rendered`);
  return a;
};
const record = (name: string) => rules(prod).find((r) => r.record === name)!;

describe("the seed's thresholds, as rendered in production's rule files", () => {
  test('5xx ratio above 0.1 % (and the 99.9 % budget behind the burn rates: 14.4x = 1.44 %, 6x = 0.6 %, 1x = 0.1 %)', () => {
    expect(alert('BackendHigh5xxRatio').expr).toMatch(/> 0\.001$/);
    expect(alert('BackendErrorBudgetBurnFast').expr).toBe('slo:backend_errors:ratio_rate1h > 0.0144 and slo:backend_errors:ratio_rate5m > 0.0144');
    expect(alert('BackendErrorBudgetBurnMedium').expr).toBe('slo:backend_errors:ratio_rate6h > 0.006 and slo:backend_errors:ratio_rate30m > 0.006');
    expect(alert('BackendErrorBudgetBurnSlow').expr).toBe('slo:backend_errors:ratio_rate3d > 0.001 and slo:backend_errors:ratio_rate6h > 0.001');
    expect([alert('BackendErrorBudgetBurnFast'), alert('BackendErrorBudgetBurnMedium'), alert('BackendErrorBudgetBurnSlow')].map((a) => a.labels?.severity)).toEqual(['critical', 'critical', 'warning']);
  });

  test('p95 latency: SLI against 200 ms, page above 2 s', () => {
    expect(record('slo:backend_latency_p95:seconds_rate5m').expr).toMatch(/^histogram_quantile\(0\.95, /);
    expect(record('slo:backend_latency_under_threshold:ratio_rate5m').expr).toContain('le="0.2"');
    expect(alert('BackendLatencyP95AboveSli').expr).toMatch(/> 0\.2$/);
    expect(alert('BackendLatencyP95High').expr).toMatch(/> 2$/);
    expect(alert('BackendLatencyP95High').labels?.severity).toBe('critical');
  });

  test('connection pool above 80 %, container memory above 80 % of its limit, volume above 90 %', () => {
    expect(alert('PgBouncerPoolSaturation').expr).toMatch(/> 0\.8$/);
    expect(alert('KubeContainerMemoryNearLimit').expr).toMatch(/kube_pod_container_resource_limits\{[^}]*resource="memory"\}\) > 0\.8$/);
    expect(alert('KubePersistentVolumeUsageHigh').expr).toMatch(/kubelet_volume_stats_used_bytes\{[^}]*\} \/ kubelet_volume_stats_capacity_bytes\{[^}]*\} > 0\.9$/);
  });

  test('backup older than 26 h; certificates expiring in under 14 days; HPA at max for 15 minutes', () => {
    expect(alert('PostgresBackupTooOld').expr).toMatch(/> 26 \* 3600$/);
    expect(alert('CertificateExpiringSoon').expr).toMatch(/< 14 \* 86400$/);
    expect((alert('KubeHpaMaxedOut') as any).for).toBe('15m');
  });

  test('every alert carries severity, summary, description and a runbook_url', () => {
    for (const a of alerts) {
      expect({ alert: a.alert, severity: a.labels?.severity }).toEqual({ alert: a.alert, severity: expect.stringMatching(/^(critical|warning|none)$/) });
      for (const k of ['summary', 'description', 'runbook_url']) expect({ alert: a.alert, [k]: a.annotations?.[k] }).toEqual({ alert: a.alert, [k]: expect.stringMatching(/\S/) });
    }
  });
});

describe('runbooks', () => {
  /** GitHub's heading anchor: lower-case, punctuation dropped, spaces to dashes. */
  const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');

  test('every runbook_url points at a file in docs/runbooks/ with a "## <AlertName>" section', () => {
    const broken: string[] = [];
    for (const a of alerts) {
      const m = /\/docs\/runbooks\/([a-z0-9-]+\.md)#([a-z0-9_-]+)$/.exec(a.annotations!.runbook_url);
      if (!m) {
        broken.push(`${a.alert}: ${a.annotations!.runbook_url} is not a docs/runbooks/<file>.md#<anchor> link`);
        continue;
      }
      const file = path.join(REPO, 'docs/runbooks', m[1]);
      if (!fs.existsSync(file)) {
        broken.push(`${a.alert}: docs/runbooks/${m[1]} does not exist`);
        continue;
      }
      const headings = fs.readFileSync(file, 'utf8').split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => l.replace(/^#+ /, ''));
      const matching = headings.filter((h) => slug(h) === m[2]);
      if (matching.length !== 1) broken.push(`${a.alert}: docs/runbooks/${m[1]} has ${matching.length} headings with anchor #${m[2]} (want exactly 1)`);
      else if (matching[0] !== a.alert) broken.push(`${a.alert}: the section of docs/runbooks/${m[1]}#${m[2]} is titled "${matching[0]}", not the alert name`);
    }
    expect(broken).toEqual([]);
  });

  test('the slug rule is GitHub\'s', () => {
    expect(slug('BackendErrorBudgetBurnFast')).toBe('backenderrorbudgetburnfast');
    expect(slug('Point-in-time restore (into a new volume)')).toBe('point-in-time-restore-into-a-new-volume');
  });
});

/** What a leaked credential looks like in a rendered file. */
const SECRET_PATTERNS: readonly (readonly [string, RegExp])[] = [
  ['Slack webhook URL', /hooks\.slack\.com\/services\//],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  // A config key such as `password: xyz` or `auth_token = xyz` with a literal value on the same line (`*_file` keys
  // are fine, and so is a mapping key such as `serviceAccountToken:` whose value starts on the next line).
  ['inline credential value', /^\s*-?\s*[\w.-]*(?:password|passwd|token|api_key|secret_key)\s*[:=][ \t]*["']?[^\s"'$]{6,}/im],
];
const leaks = (text: string) => SECRET_PATTERNS.filter(([, re]) => re.test(text)).map(([what]) => what);

describe('secrets stay out of the rendered files', () => {
  test('the detector finds leaks and passes file references', () => {
    expect(leaks('api_url: https://hooks.slack.com/services/T000/B000/XXXX')).toEqual(['Slack webhook URL']);
    expect(leaks('global:\n  smtp_auth_password: hunter2hunter2')).toEqual(['inline credential value']);
    expect(leaks('auth_token = abcdefgh')).toEqual(['inline credential value']);
    expect(leaks('smtp_auth_password_file: /etc/alertmanager/secrets/smtp-password\npassword: ${PGPASSWORD}')).toEqual([]);
    expect(leaks('  - serviceAccountToken:\n      audience: sts.amazonaws.com')).toEqual([]);
  });

  test.each(ENVIRONMENT_NAMES.map((e) => [e]))('%s: Alertmanager reads the Slack webhook and SMTP password from files; nothing inline', (env) => {
    const am = parse(find(rendered(env), 'ConfigMap', 'alertmanager-config').data['alertmanager.yml']);
    const text = JSON.stringify(am);
    for (const inline of ['"api_url"', '"slack_api_url"', '"smtp_auth_password"', '"smtp_auth_secret"', '"auth_password"']) expect(text).not.toContain(inline);
    expect(am.global.smtp_auth_password_file).toMatch(/^\/etc\/alertmanager\/secrets\//);
  });

  test.each(ENVIRONMENT_NAMES.map((e) => [e]))('%s: the SMTP login comes from the smtp secret (SES user names are access key ids, never the From address)', (env) => {
    const objs = rendered(env);
    const am = parse(find(objs, 'ConfigMap', 'alertmanager-config').data['alertmanager.yml']);
    const [host] = String(am.global.smtp_smarthost).split(':');
    const user = String(am.global.smtp_auth_username ?? '');
    // Alertmanager 0.28 sends no AUTH with an empty user name, and SES refuses the From address as a login.
    expect({ host, user, isFromAddress: user === am.global.smtp_from || user.includes('@') && /^email-smtp\./.test(host) }).toMatchObject({ isFromAddress: false });
    expect(user).not.toBe('');
    // The user name is a placeholder the init container fills from the ExternalSecret key mapped from smtp.username.
    const sts = find(objs, 'StatefulSet', 'alertmanager');
    const init = (sts.spec.template.spec.initContainers ?? []).find((c: any) => c.name === 'render-config');
    expect(init?.command?.join(' ') ?? '').toContain(user);
    const es = find(objs, 'ExternalSecret', 'alertmanager-notifiers');
    const entry = es.spec.data.find((d: any) => d.remoteRef.property === 'username');
    expect(entry?.remoteRef.key).toMatch(/\/smtp$/);
    expect(init.command.join(' ')).toContain(`/${entry.secretKey}`);
  });

  test('no webhook URL, password or private key in any rendered Kubernetes file of any environment', () => {
    const offenders: string[] = [];
    for (const env of ENVIRONMENT_NAMES) {
      for (const [rel, text] of renderedFiles(env)) for (const what of leaks(text)) offenders.push(`${env}/${rel}: ${what}`);
    }
    expect(offenders).toEqual([]);
  });

  test('no Secret object carries data (ExternalSecrets render them in the cluster)', () => {
    for (const env of ENVIRONMENT_NAMES) expect(rendered(env).filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('a config change rolls the pods that mount it', () => {
  const cases: [kind: string, name: string, ns: string, configMaps: string[]][] = [
    ['StatefulSet', 'prometheus', 'monitoring', ['prometheus-config', 'prometheus-rules']],
    ['StatefulSet', 'alertmanager', 'monitoring', ['alertmanager-config']],
    ['Deployment', 'grafana', 'monitoring', ['grafana-provisioning', 'grafana-dashboards']],
    ['StatefulSet', 'jaeger', 'monitoring', ['jaeger-config']],
    ['DaemonSet', 'fluent-bit', 'monitoring-agents', ['fluent-bit-config']],
    ['Deployment', 'pgbouncer', 'optibid-data', ['pgbouncer-config']],
    ['StatefulSet', 'redis', 'optibid-data', ['redis-config']],
  ];

  test.each(cases)('%s/%s carries the sha256 of the ConfigMaps it mounts', (kind, name, ns, configMaps) => {
    const workload = prod.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === ns)!;
    const data = configMaps.map((cm) => prod.find((o) => o.kind === 'ConfigMap' && o.metadata.name === cm && o.metadata.namespace === ns)!.data);
    expect(workload.spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION]).toBe(configChecksum(...data)[CONFIG_CHECKSUM_ANNOTATION]);
    const mounted = workload.spec.template.spec.volumes.filter((v: any) => v.configMap).map((v: any) => v.configMap.name);
    expect(mounted.sort()).toEqual([...configMaps].sort());
  });

  test('Deployment/backend carries the sha256 of its environment ConfigMap (envFrom) and its auth policy (volume)', () => {
    const backend = find(prod, 'Deployment', 'backend');
    const data = ['backend-config', 'auth-policy'].map((cm) => find(prod, 'ConfigMap', cm).data);
    expect(backend.spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION]).toBe(configChecksum(...data)[CONFIG_CHECKSUM_ANNOTATION]);
  });

  test('the hash moves with any key or value, and not with key order', () => {
    const base = configChecksum({ a: '1', b: '2' })[CONFIG_CHECKSUM_ANNOTATION];
    expect(configChecksum({ b: '2', a: '1' })[CONFIG_CHECKSUM_ANNOTATION]).toBe(base);
    expect(configChecksum({ a: '1', b: '3' })[CONFIG_CHECKSUM_ANNOTATION]).not.toBe(base);
    expect(configChecksum({ a: '1', c: '2' })[CONFIG_CHECKSUM_ANNOTATION]).not.toBe(base);
    expect(configChecksum({ a: '1' }, { b: '2' })[CONFIG_CHECKSUM_ANNOTATION]).not.toBe(base);
  });
});
