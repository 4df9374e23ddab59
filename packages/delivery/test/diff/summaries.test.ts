import { summarizeChange, lineDelta } from '../../src/diff/summaries';
import { describeExprChange, diffRules, extractRules, extractThresholds } from '../../src/diff/rules-diff';
import { clone, deployment, k8s } from './helpers';

describe('workload summary', () => {
  test('replicas, image, resources, env and probe changes read as sentences', () => {
    const before = deployment();
    const after = clone(before);
    after.spec.replicas = 3;
    const c = after.spec.template.spec.containers[0];
    c.image = 'ghcr.io/optibid/backend:1.1.0';
    c.resources.requests.cpu = '250m';
    c.resources.limits.cpu = '1';
    c.env[0].value = 'debug';
    c.env.push({ name: 'FEATURE_X', value: 'on' });
    c.env.splice(1, 1); // DB_PASSWORD removed
    c.readinessProbe.httpGet.path = '/healthz';
    const lines = summarizeChange(k8s(before), k8s(after));
    expect(lines).toEqual([
      'pod template changed: pods are replaced on apply (rollout)',
      'replicas: 2 → 3',
      'container backend: image ghcr.io/optibid/backend:1.0.0 → ghcr.io/optibid/backend:1.1.0',
      'container backend: resources requests.cpu: 100m → 250m',
      'container backend: resources limits.cpu: added "1"',
      'container backend: env FEATURE_X added = on',
      'container backend: env DB_PASSWORD removed',
      'container backend: env LOG_LEVEL: info → debug',
      'container backend: readinessProbe.httpGet.path: /ready → /healthz',
    ]);
  });

  test('paths a kind summary does not cover are still listed', () => {
    const before = deployment();
    const after = clone(before);
    after.spec.template.spec.containers[0].ports[0].containerPort = 8080;
    after.metadata.labels = { team: 'a' };
    const lines = summarizeChange(k8s(before), k8s(after));
    expect(lines).toContain('spec.template.spec.containers[name=backend].ports[name=http].containerPort: 8000 → 8080');
    expect(lines).toContain('metadata.labels: added {team: a}');
  });

  test('added and removed containers, and env from secrets', () => {
    const before = deployment();
    const after = clone(before);
    after.spec.template.spec.containers.push({ name: 'sidecar', image: 'envoy:1.30' });
    after.spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.key = 'db-password-v2';
    const lines = summarizeChange(k8s(before), k8s(after));
    expect(lines).toContain('container sidecar added (image envoy:1.30)');
    expect(lines).toContain('container backend: env DB_PASSWORD: secret backend-secrets/db-password → secret backend-secrets/db-password-v2');
    expect(lines.some((l) => l.startsWith('spec.template.spec.containers'))).toBe(false);
  });

  test('CronJob pod spec is found under jobTemplate', () => {
    const cron = (image: string) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup', namespace: 'optibid-data' },
      spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'backup', image }] } } } } },
    });
    expect(summarizeChange(k8s(cron('pgbackrest:2.53')), k8s(cron('pgbackrest:2.54')))).toEqual(['container backup: image pgbackrest:2.53 → pgbackrest:2.54']);
  });

  test('HPA min/max', () => {
    const hpa = (min: number, max: number) => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'backend', namespace: 'optibid' },
      spec: { minReplicas: min, maxReplicas: max },
    });
    expect(summarizeChange(k8s(hpa(2, 10)), k8s(hpa(3, 10)))).toEqual(['minReplicas: 2 → 3']);
    expect(summarizeChange(k8s(hpa(2, 10)), k8s(hpa(2, 6)))).toEqual(['maxReplicas: 10 → 6']);
  });

  test('Secret values are never shown, only the keys', () => {
    const secret = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, data });
    const lines = summarizeChange(k8s(secret({ password: 'aHVudGVyMg==', user: 'YQ==' })), k8s(secret({ password: 'c2VjcmV0', token: 'dA==' })));
    expect(lines).toEqual(['data key password changed (value not shown)', 'data key token added (value not shown)', 'data key user removed']);
    expect(lines.join('\n')).not.toMatch(/aHVudGVyMg|c2VjcmV0|dA==/);
  });

  test('generic objects list changed paths, truncated after 10', () => {
    const svc = (ports: number[]) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n' }, spec: { ports: ports.map((port) => ({ port })) } });
    expect(summarizeChange(k8s(svc([8000])), k8s(svc([8080])))).toEqual(['spec.ports[0].port: 8000 → 8080']);
    const many = summarizeChange(k8s(svc(Array.from({ length: 14 }, (_, i) => i))), k8s(svc(Array.from({ length: 14 }, (_, i) => i + 100))));
    expect(many).toHaveLength(11);
    expect(many[10]).toBe('… and 4 more');
  });
});

const rulesFile = (threshold: string, extra = '') => `groups:
  - name: backend-latency
    rules:
      - record: slo:backend_latency_p95:seconds_rate5m
        expr: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{le="0.2"}[5m])))
      - alert: BackendLatencyP95High
        expr: slo:backend_latency_p95:seconds_rate5m > ${threshold}
        for: 5m
        labels:
          severity: critical
${extra}`;

const configMap = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prometheus-rules', namespace: 'monitoring' }, data });

describe('ConfigMap and Prometheus rules', () => {
  test('thresholds are extracted from comparisons, not from label matchers', () => {
    expect(extractThresholds('rate(x{le="0.2"}[5m]) > 0.0144 and y <= 3')).toEqual(['> 0.0144', '<= 3']);
    expect(describeExprChange('x > 2', 'x > 1.5')).toBe('threshold > 2 → > 1.5');
    expect(describeExprChange('x > 2', 'y > 2')).toBe('expr x > 2 → y > 2 (thresholds: > 2 → > 2)');
  });

  test('alerts and records added, removed and changed (with old → new threshold)', () => {
    const before = extractRules(rulesFile('2'))!;
    const after = extractRules(
      rulesFile(
        '1.5',
        `      - alert: BackendDown
        expr: up{job="backend"} == 0
        for: 1m
        labels:
          severity: critical
`,
      ).replace(/      - record: slo:backend_latency_p95:seconds_rate5m\n.*\n/, ''),
    )!;
    expect(diffRules(before, after)).toEqual([
      'alert BackendDown (group backend-latency) added: up{job="backend"} == 0, for 1m, severity critical',
      'record slo:backend_latency_p95:seconds_rate5m (group backend-latency) removed',
      'alert BackendLatencyP95High (group backend-latency) changed: threshold > 2 → > 1.5',
    ]);
  });

  test('a ConfigMap summary names the changed data keys and the rule changes', () => {
    const before = configMap({ 'backend-latency.rules.yaml': rulesFile('2'), 'notes.txt': 'a\nb\n' });
    const after = configMap({ 'backend-latency.rules.yaml': rulesFile('2').replace('severity: critical', 'severity: warning'), 'other.txt': 'x\n' });
    expect(summarizeChange(k8s(before), k8s(after))).toEqual([
      'data key backend-latency.rules.yaml changed (+1 −1 lines)',
      'data key notes.txt removed',
      'data key other.txt added (1 line)',
      '  alert BackendLatencyP95High (group backend-latency) changed: label severity critical → warning',
    ]);
  });

  test('structured config keys list the paths that changed inside them', () => {
    const before = configMap({ 'prometheus.yml': 'scrape_configs:\n  - job_name: a\n    scrape_interval: 30s\n' });
    const after = configMap({ 'prometheus.yml': 'scrape_configs:\n  - job_name: a\n    scrape_interval: 15s\n  - job_name: b\n' });
    expect(summarizeChange(k8s(before), k8s(after))).toEqual([
      'data key prometheus.yml changed (+2 −1 lines)',
      '  prometheus.yml: scrape_configs[job_name=a].scrape_interval: 30s → 15s',
      '  prometheus.yml: scrape_configs[job_name=b]: added {job_name: b}',
    ]);
  });

  test('lineDelta counts added and removed lines', () => {
    expect(lineDelta('a\nb\nc', 'a\nc\nd\ne')).toEqual({ added: 2, removed: 1 });
  });
});
