import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runServerStatus } from './runtime';
import { parse, stringify } from 'yaml';
import { renderedConfigMap, renderedObject } from './support';

/**
 * Real-server test: the pod's `render-config` init script, run exactly as rendered (its container paths re-rooted
 * into a scratch directory), turns the `alertmanager-config` ConfigMap into the alertmanager.yml Alertmanager reads,
 * with the SMTP user name from the secret; that file passes `amtool check-config`, and `amtool config routes test`
 * routes a critical backend alert to the `page` receiver (Slack and email) and a warning to `ticket` (email only).
 * The credential files are read by Alertmanager only when it notifies; the test proves the pod mounts them from the
 * ExternalSecret under exactly those paths.
 */
const AMTOOL = 'amtool';
const MONITORING_NS = 'monitoring';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alertmanager-config-'));
const templateText = renderedConfigMap(MONITORING_NS, 'alertmanager-config')['alertmanager.yml'];
const statefulSet = renderedObject(MONITORING_NS, 'StatefulSet', 'alertmanager');
const initContainer = statefulSet.spec.template.spec.initContainers.find((c: any) => c.name === 'render-config');
const mainContainer = statefulSet.spec.template.spec.containers.find((c: any) => c.name === 'alertmanager');
/** A stand-in SES SMTP user name (the shape of an access key id); the real one lives in Secrets Manager `smtp`. */
const SMTP_USERNAME = 'AKIAEXAMPLE000000000';

/**
 * Runs the init container's rendered script as written, under /bin/sh, with its three container paths re-rooted into
 * a scratch directory (the only substitution; printed): the ConfigMap template, the emptyDir and the secret mount.
 */
function runRenderConfig(username: string | undefined): { status: number | null; stderr: string; output?: string } {
  const root = fs.mkdtempSync(path.join(dir, 'pod-'));
  const script: string = initContainer.command[2];
  let local = script;
  for (const m of initContainer.volumeMounts) {
    fs.mkdirSync(path.join(root, m.mountPath), { recursive: true });
    local = local.split(m.mountPath + '/').join(path.join(root, m.mountPath) + '/');
  }
  const mount = (name: string) => path.join(root, initContainer.volumeMounts.find((m: any) => m.name === name).mountPath);
  fs.writeFileSync(path.join(mount('config-template'), 'alertmanager.yml'), templateText);
  if (username !== undefined) fs.writeFileSync(path.join(mount('notifiers'), 'smtp-username'), username);
  const r = spawnSync('/bin/sh', ['-c', local], { encoding: 'utf8', timeout: 30_000 });
  const out = path.join(mount('config'), 'alertmanager.yml');
  return { status: r.status, stderr: r.stderr, output: fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : undefined };
}

const pod = runRenderConfig(SMTP_USERNAME);
if (pod.status !== 0 || !pod.output) throw new Error(`the render-config init container script failed: ${pod.stderr}`);
const renderedText = pod.output;
const rendered: any = parse(renderedText);
const file = path.join(dir, 'alertmanager.yml');
fs.writeFileSync(file, renderedText);

function amtool(args: string[]): { status: number | null; output: string } {
  const r = runServerStatus(AMTOOL, args, { timeoutMs: 60_000 });
  if (r.error) throw new Error(`cannot run ${AMTOOL} (apt-get install prometheus-alertmanager): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The receivers `amtool config routes test` resolves a label set to. */
function route(labels: Record<string, string>, config = file): string[] {
  const r = amtool(['config', 'routes', 'test', `--config.file=${config}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  if (r.status !== 0) throw new Error(`amtool config routes test failed:\n${r.output}`);
  return r.output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('Warning:'))
    .flatMap((l) => l.split(','));
}

/** Integrations of a receiver, e.g. ['slack', 'email']. */
function integrations(receiver: string): string[] {
  const r = (rendered.receivers as any[]).find((x) => x.name === receiver);
  if (!r) throw new Error(`receiver ${receiver} is not in the rendered config`);
  return Object.keys(r)
    .filter((k) => k.endsWith('_configs') && r[k].length > 0)
    .map((k) => k.replace(/_configs$/, ''));
}

afterAll(() => {
  const v = amtool(['--version']).output.split('\n')[0];
  console.log(`alertmanager-config: ${v}; alertmanager.yml produced by running the rendered render-config init script (substitutions: its container paths re-rooted under a scratch dir; smtp-username = ${SMTP_USERNAME}), then checked and routed.`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('amtool check-config passes on the rendered alertmanager.yml', () => {
  const r = amtool(['check-config', file]);
  expect({ status: r.status, output: r.status === 0 ? '' : r.output }).toEqual({ status: 0, output: '' });
  expect(r.output).toMatch(/SUCCESS/);
  expect(r.output).toMatch(/1 inhibit rules/);
});

test('the SMTP login is the user name from the smtp secret, never the From address (SES user names are access key ids)', () => {
  expect(rendered.global.smtp_auth_username).toBe(SMTP_USERNAME);
  expect(renderedText).not.toContain('__SMTP_AUTH_USERNAME__');
  // Alertmanager reads the file the init container wrote, not the ConfigMap template.
  const configArg = mainContainer.args.find((a: string) => a.startsWith('--config.file='));
  const mount = mainContainer.volumeMounts.find((m: any) => configArg.slice('--config.file='.length).startsWith(`${m.mountPath}/`));
  expect(mount?.name).toBe('config');
  expect(initContainer.volumeMounts.find((m: any) => m.name === 'config')).toMatchObject({ mountPath: mount.mountPath });
  expect(statefulSet.spec.template.spec.volumes.find((v: any) => v.name === 'config').emptyDir).toBeDefined();
});

test.each([
  ['missing', undefined],
  ['empty', ''],
  ['not a login (a line break and a quote would break the YAML)', 'AKIA\nx"'],
])('the pod does not start when the user name is %s, and says which secret key', (_what, username) => {
  const r = runRenderConfig(username);
  expect(r.status).not.toBe(0);
  expect(r.output).toBeUndefined();
  if (username !== undefined) expect(r.stderr).toMatch(/smtp\.username/);
});

test('the check can fail: a route to an undefined receiver is rejected', () => {
  const broken = structuredClone(rendered);
  broken.route.routes[1].receiver = 'pager-that-does-not-exist';
  const bad = path.join(dir, 'broken.yml');
  fs.writeFileSync(bad, stringify(broken));
  const r = amtool(['check-config', bad]);
  expect(r.status).not.toBe(0);
  expect(r.output).toMatch(/undefined receiver "pager-that-does-not-exist"/);
});

test('a critical backend alert pages: Slack and email', () => {
  const receivers = route({ alertname: 'BackendErrorBudgetBurnFast', severity: 'critical', namespace: 'optibid-app', service: 'backend' });
  expect(receivers).toEqual(['page']);
  expect(integrations('page').sort()).toEqual(['email', 'slack']);
});

test('a warning becomes a ticket: email only', () => {
  const receivers = route({ alertname: 'BackendErrorBudgetBurnSlow', severity: 'warning', namespace: 'optibid-app', service: 'backend' });
  expect(receivers).toEqual(['ticket']);
  expect(integrations('ticket')).toEqual(['email']);
});

test('the Watchdog goes to its own receiver (never pages), whatever its severity', () => {
  expect(route({ alertname: 'Watchdog', severity: 'none' })).toEqual(['watchdog']);
  expect(route({ alertname: 'Watchdog', severity: 'critical' })).toEqual(['watchdog']);
});

test('critical inhibits warning of the same alert in the same namespace', () => {
  expect(rendered.inhibit_rules).toEqual([{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname', 'namespace'] }]);
});

test('credentials are files from the ExternalSecret, never inline values', () => {
  const slack = (rendered.receivers as any[]).flatMap((r) => r.slack_configs ?? []);
  expect(slack.length).toBeGreaterThan(0);
  for (const s of slack) {
    expect(s.api_url).toBeUndefined();
    expect(s.api_url_file).toMatch(/^\/etc\/alertmanager\/secrets\//);
  }
  expect(rendered.global.smtp_auth_password).toBeUndefined();
  expect(rendered.global.slack_api_url).toBeUndefined();
  const files = [rendered.global.smtp_auth_password_file, ...slack.map((s) => s.api_url_file), `${path.dirname(rendered.global.smtp_auth_password_file)}/smtp-username`];

  const sts = statefulSet;
  const container = mainContainer;
  const volumes: Record<string, any> = Object.fromEntries(sts.spec.template.spec.volumes.map((v: any) => [v.name, v]));
  const es = renderedObject(MONITORING_NS, 'ExternalSecret', 'alertmanager-notifiers');
  const keys = es.spec.data.map((d: any) => d.secretKey);
  for (const f of files) {
    const mount = container.volumeMounts.find((m: any) => f.startsWith(`${m.mountPath}/`));
    expect({ file: f, secret: volumes[mount?.name]?.secret?.secretName }).toEqual({ file: f, secret: es.spec.target.name });
    expect(keys).toContain(path.basename(f));
  }
});
