import { deepEqual, diffValues, formatChange, formatChanges, formatValue, isUnderPath, joinKey } from '../../src/diff/field-diff';
import { helmValueChanges } from '../../src/diff/cloudformation';
import { summarizeConfigMap } from '../../src/diff/summaries';
import { k8s } from './helpers';

describe('diffValues', () => {
  test('equal values give no changes, whatever the key order', () => {
    expect(diffValues({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toEqual([]);
    expect(deepEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
  });

  test('a changed scalar in an unnamed list is reported by index (old → new)', () => {
    const before = { spec: { ports: [{ port: 8000, protocol: 'TCP' }] } };
    const after = { spec: { ports: [{ port: 8080, protocol: 'TCP' }] } };
    const changes = diffValues(before, after);
    expect(changes).toEqual([{ path: 'spec.ports[0].port', op: 'changed', before: 8000, after: 8080 }]);
    expect(formatChange(changes[0]!)).toBe('spec.ports[0].port: 8000 → 8080');
  });

  test('named lists are matched by name, so an insertion is one change, not a shift', () => {
    const before = { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] };
    const after = { containers: [{ name: 'new', image: 'n:1' }, { name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }] };
    const paths = diffValues(before, after).map(formatChange);
    expect(paths).toEqual(['containers[name=b].image: b:1 → b:2', 'containers[name=new]: added {name: new, image: n:1}']);
  });

  test('scalar lists report the inserted/removed element, not every later index', () => {
    const changes = diffValues({ args: ['--a', '--b', '--c', '--d'] }, { args: ['--a', '--c', '--d', '--e'] });
    expect(changes.map(formatChange)).toEqual(['args[1]: removed (was --b)', 'args[3]: added --e']);
  });

  test('added and removed keys; keys that are not identifiers are quoted', () => {
    const changes = diffValues({ metadata: { annotations: { 'prometheus.io/port': '9090' }, x: 1 } }, { metadata: { annotations: { 'prometheus.io/port': '9091' }, y: 2 } });
    expect(changes.map(formatChange)).toEqual([
      'metadata.annotations["prometheus.io/port"]: "9090" → "9091"',
      'metadata.x: removed (was 1)',
      'metadata.y: added 2',
    ]);
  });

  test('type changes are reported as a change of the whole value', () => {
    expect(diffValues({ a: { b: 1 } }, { a: 'x' }).map(formatChange)).toEqual(['a: {b: 1} → x']);
  });

  test('formatChanges truncates at the limit with a count of the rest', () => {
    const before = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, i]));
    const after = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, i + 1]));
    const lines = formatChanges(diffValues(before, after), 10);
    expect(lines).toHaveLength(11);
    expect(lines[10]).toBe('… and 5 more');
  });
});

describe('helpers', () => {
  test('isUnderPath respects segment boundaries', () => {
    expect(isUnderPath('spec.replicas', 'spec.replicas')).toBe(true);
    expect(isUnderPath('spec.template.spec.containers[name=a].image', 'spec.template.spec.containers[name=a]')).toBe(true);
    expect(isUnderPath('spec.replicasX', 'spec.replicas')).toBe(false);
  });

  test('joinKey and formatValue', () => {
    expect(joinKey('', 'spec')).toBe('spec');
    expect(joinKey('data', 'a.rules.yaml')).toBe('data["a.rules.yaml"]');
    expect(formatValue('8080')).toBe('"8080"');
    expect(formatValue('line1\nline2\n')).toBe('<text, 2 lines>');
    expect(formatValue(undefined)).toBe('(unset)');
    const long = formatValue({ a: 'x'.repeat(50), b: { c: 'y'.repeat(50) } });
    expect(long.length).toBeLessThanOrEqual(80);
  });
});

describe('readability of long values (issue 15)', () => {
  test('an image reference is never cut in the middle: repository, tag and digest are all shown', () => {
    const a = `123456789012.dkr.ecr.us-west-2.amazonaws.com/optibid/backend:1.4.2@sha256:${'a'.repeat(64)}`;
    const b = `123456789012.dkr.ecr.us-west-2.amazonaws.com/optibid/backend:1.4.3@sha256:${'b'.repeat(64)}`;
    expect(formatChange({ path: 'spec.template.spec.containers[name=backend].image', op: 'changed', before: a, after: b })).toBe(`spec.template.spec.containers[name=backend].image: ${a} → ${b}`);
  });

  test('a number changed inside a long string or a multi-line text is shown with its line and context', () => {
    const dash = (n: number) => `{\n  "title": "API errors",\n  "expr": "sum(rate(http_requests_total{status=~\\"5..\\"}[5m])) / sum(rate(http_requests_total[5m])) * 100 > ${n}",\n  "unit": "percent"\n}\n`;
    expect(formatChange({ path: 'data["api.json"]', op: 'changed', before: dash(80), after: dash(85) })).toBe(
      'data["api.json"]: line 3: "…ts_total[5m])) * 100 > 80\\"," → "…ts_total[5m])) * 100 > 85\\","',
    );
    const long = (n: number) => `--storage.tsdb.retention.size=40GB --storage.tsdb.retention.time=${n}d --web.enable-lifecycle --web.route-prefix=/`;
    expect(formatChange({ path: 'args[0]', op: 'changed', before: long(15), after: long(30) })).toBe('args[0]: "…age.tsdb.retention.time=15d --web.enable-lifecycle…" → "…age.tsdb.retention.time=30d --web.enable-lifecycle…"');
  });

  test('ExternalSecret data items are matched by secretKey: an inserted key and a remoteRef change read as themselves', () => {
    const item = (secretKey: string, key: string) => ({ secretKey, remoteRef: { key, property: 'password' } });
    const changes = diffValues({ data: [item('A', 'x/a'), item('B', 'x/b')] }, { data: [item('NEW', 'x/new'), item('A', 'x/a'), item('B', 'x/b2')] });
    expect(changes.map(formatChange).sort()).toEqual(['data[secretKey=B].remoteRef.key: x/b → x/b2', 'data[secretKey=NEW]: added {secretKey: NEW, remoteRef: {key: x/new, property: password}}']);
  });
});

describe('Helm values and ConfigMap scripts, key by key (issue 15)', () => {
  test('a changed Helm values key is listed as a path, not as one JSON string', () => {
    const chart = (values: object) => ({ Resources: { CertManager: { Type: 'Custom::AWSCDK-EKS-HelmChart', Properties: { Chart: 'cert-manager', Values: JSON.stringify(values) } } } });
    expect(helmValueChanges(chart({ replicaCount: 2, crds: { enabled: true } }), chart({ replicaCount: 3, crds: { enabled: true }, webhook: { timeoutSeconds: 30 } }))).toEqual([
      'Helm values of CertManager (cert-manager): replicaCount: 2 → 3',
      'Helm values of CertManager (cert-manager): webhook: added {timeoutSeconds: 30}',
    ]);
  });

  test('a script key of a ConfigMap shows the changed line, and an added key is named', () => {
    const cm = (data: Record<string, string>) => k8s({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'scripts', namespace: 'optibid-data' }, data });
    const lines = summarizeConfigMap(cm({ 'start.sh': '#!/bin/sh\nset -eu\nTLS_WATCH_SECONDS=30\nexec patroni\n' }), cm({ 'start.sh': '#!/bin/sh\nset -eu\nTLS_WATCH_SECONDS=10\nexec patroni\n', 'new.sh': '#!/bin/sh\n' })).lines;
    expect(lines).toEqual(['data key new.sh added (1 line)', 'data key start.sh changed (+1 −1 lines)', '  start.sh: line 3: "TLS_WATCH_SECONDS=30" → "TLS_WATCH_SECONDS=10"']);
  });
});
