import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  ALERT_CASES,
  ALWAYS_FIRING,
  coverage,
  promtool,
  promtoolTestFile,
  promtoolVersion,
  promtoolRecordingTestFile,
  RECORDING_CASES,
  RenderedAlert,
  renderedAlerts,
  renderedRuleFiles,
  RULES_CONFIGMAP_FILE,
  shortSeries,
  uncoveredRecordings,
  writeRuleFiles,
} from './promtool-support';
import { REPO } from './support';

/**
 * Real-server test: the Prometheus rules exactly as rendered into dist/ (the `prometheus-rules` ConfigMap, one key
 * per rule file) pass `promtool check rules`, and every alert is proven with `promtool test rules`: it fires with the
 * expected labels and annotations on a synthetic input that breaks its threshold for its `for` duration, and stays
 * silent on one that does not. No substitution is made to the rendered rules.
 */
const files = renderedRuleFiles(); // throws with a clear message when the ConfigMap has not been rendered
const alerts = renderedAlerts(files);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-rules-'));
const ruleFiles = writeRuleFiles(files, dir);
const version = promtoolVersion();
const byAlert = new Map<string, RenderedAlert>(alerts.map((a) => [a.alert, a]));

afterAll(() => {
  const firing = ALERT_CASES.filter((c) => c.expect.length > 0).length;
  console.log(
    `prometheus-rules: ${version}; ${path.relative(REPO, RULES_CONFIGMAP_FILE)}: ${ruleFiles.length} rule files, ${alerts.length} alerts, ` +
      `${ALERT_CASES.length} alert cases (${firing} firing, ${ALERT_CASES.length - firing} silent), ${RECORDING_CASES.length} recording-rule cases; no substitutions.`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the ConfigMap holds <group>.rules.yaml files (Prometheus loads rules/*.yaml) with unique alert names', () => {
  expect(ruleFiles.length).toBeGreaterThan(0);
  for (const f of Object.keys(files)) expect(f).toMatch(/^[a-z0-9-]+\.rules\.yaml$/);
  expect(alerts.length).toBe(byAlert.size);
});

test('promtool check rules passes on every rendered rule file', () => {
  for (const f of ruleFiles) {
    const r = promtool(['check', 'rules', f]);
    expect({ file: path.basename(f), status: r.status, output: r.status === 0 ? '' : r.output }).toEqual({ file: path.basename(f), status: 0, output: '' });
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  }
});

test('every rendered alert has a firing and a silent promtool case (a new alert without cases fails here)', () => {
  expect(coverage(alerts, ALERT_CASES)).toEqual({ missingFiring: [], missingSilent: [], unknown: [] });
  // The exempt ones really are constant.
  for (const name of ALWAYS_FIRING) expect(byAlert.get(name)?.expr).toBe('vector(1)');
});

test('every case feeds its series up to its eval time (silence is never staleness by accident)', () => {
  expect([...ALERT_CASES, ...RECORDING_CASES].flatMap((c) => shortSeries(c).map((x) => `${'alert' in c ? c.alert : c.record}: ${c.name}: ${x}`))).toEqual([]);
});

test('promtool test rules: every recording rule records the expected value', () => {
  expect(uncoveredRecordings(files)).toEqual([]);
  const testFile = path.join(dir, 'test-recording-rules.yaml');
  fs.writeFileSync(testFile, promtoolRecordingTestFile(ruleFiles, RECORDING_CASES));
  const r = promtool(['test', 'rules', testFile], dir);
  if (r.status !== 0) throw new Error(`promtool test rules ${testFile} failed (${RECORDING_CASES.length} cases):\n${r.output}`);
  expect(r.output).toMatch(/SUCCESS/);
});

describe.each([...new Set(ALERT_CASES.map((c) => c.alert))].map((a) => [a]))('%s', (alert) => {
  test('promtool test rules: fires above the threshold, silent below', () => {
    const rule = byAlert.get(alert);
    if (!rule) throw new Error(`${alert} is not in the rendered rule files`);
    const cases = ALERT_CASES.filter((c) => c.alert === alert);
    const testFile = path.join(dir, `test-${alert}.yaml`);
    fs.writeFileSync(testFile, promtoolTestFile(ruleFiles, rule, cases));
    const r = promtool(['test', 'rules', testFile], dir);
    if (r.status !== 0) throw new Error(`promtool test rules ${testFile} failed (${cases.length} cases):\n${r.output}`);
    expect(r.output).toMatch(/SUCCESS/);
  });
});
