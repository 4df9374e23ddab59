import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { promtool, promtoolVersion } from './promtool-support';
import { renderedConfigMap, renderedObject, Substitutions } from './support';

/**
 * Real-server test: `promtool check config` on prometheus.yml exactly as rendered into the `prometheus-config`
 * ConfigMap. Debian's promtool is built without Kubernetes service discovery, so each `kubernetes_sd_configs` block
 * becomes an equivalent `static_configs` block (one loopback target); the files the pod reads from its mounts (the
 * rule files, the service-account token and CA) are written under a scratch root and the absolute paths re-rooted
 * there. Relabeling, scrape settings, alerting and the rule files themselves are checked as rendered.
 */
const MONITORING_NS = 'monitoring';
const subs = new Substitutions();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-config-'));
const version = promtoolVersion();

/** The rendered config, before any substitution. */
const rendered: any = parse(renderedConfigMap(MONITORING_NS, 'prometheus-config')['prometheus.yml']);

/** Absolute paths in the config that the pod gets from a mount: re-rooted under `root`. */
function reroot(p: string, root: string): string {
  return path.join(root, p);
}

/**
 * The config promtool can check here, plus the files it points at. Every change is recorded in `subs`.
 */
function checkableConfig(config: any, root: string): { config: any; files: Record<string, string> } {
  const out = structuredClone(config);
  const files: Record<string, string> = {};
  // Rule files: the rendered rules ConfigMap is what the pod mounts at the rule_files glob's directory.
  const rules = renderedConfigMap(MONITORING_NS, 'prometheus-rules');
  out.rule_files = (out.rule_files ?? []).map((glob: string) => {
    const dirOfGlob = path.dirname(glob);
    for (const [name, text] of Object.entries(rules)) files[reroot(path.join(dirOfGlob, name), root)] = text;
    subs.add(`rule_files ${glob} re-rooted under the scratch directory, holding the ${Object.keys(rules).length} files of the rendered prometheus-rules ConfigMap`);
    return reroot(glob, root);
  });
  for (const job of out.scrape_configs ?? []) {
    if (job.kubernetes_sd_configs) {
      const roles = job.kubernetes_sd_configs.map((sd: any) => sd.role).join(', ');
      delete job.kubernetes_sd_configs;
      job.static_configs = [{ targets: ['127.0.0.1:9'] }];
      subs.add(`job ${job.job_name}: kubernetes_sd_configs (role ${roles}) -> static_configs [127.0.0.1:9] (Kubernetes SD is compiled out of Debian's promtool)`);
    }
    const cred = job.authorization?.credentials_file;
    if (cred) {
      job.authorization.credentials_file = reroot(cred, root);
      files[job.authorization.credentials_file] = 'stand-in-service-account-token\n';
      subs.add(`${cred} (the pod's service-account token) -> a stand-in file under the scratch directory`);
    }
    const ca = job.tls_config?.ca_file;
    if (ca) {
      job.tls_config = { ...job.tls_config, ca_file: reroot(ca, root) };
      files[job.tls_config.ca_file] = '';
      subs.add(`${ca} (the pod's cluster CA) -> an empty stand-in file under the scratch directory`);
    }
  }
  return { config: out, files };
}

function check(config: any, name: string): { status: number | null; output: string } {
  const root = fs.mkdtempSync(path.join(dir, `${name}-`));
  const { config: checkable, files } = checkableConfig(config, root);
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  const file = path.join(root, 'prometheus.yml');
  fs.writeFileSync(file, stringify(checkable, { lineWidth: 0 }));
  return promtool(['check', 'config', file]);
}

afterAll(() => {
  subs.report(`prometheus-config (${version})`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('promtool check config passes on the rendered prometheus.yml (SD swapped, mounts re-rooted) and loads every rule file', () => {
  const r = check(rendered, 'rendered');
  expect({ status: r.status, output: r.status === 0 ? '' : r.output }).toEqual({ status: 0, output: '' });
  expect(r.output).toMatch(/SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/);
  const ruleFiles = Object.keys(renderedConfigMap(MONITORING_NS, 'prometheus-rules'));
  for (const f of ruleFiles) expect(r.output).toContain(`${f}`);
  expect(r.output).not.toMatch(/FAILED/);
});

test('the check can fail: a broken relabel action and an unknown field are rejected', () => {
  const badAction = structuredClone(rendered);
  badAction.scrape_configs[0].relabel_configs[0].action = 'keepp';
  const r1 = check(badAction, 'bad-action');
  expect(r1.status).not.toBe(0);
  expect(r1.output).toMatch(/unknown relabel action/);

  const unknownField = structuredClone(rendered);
  unknownField.global.scrape_intervall = '30s';
  const r2 = check(unknownField, 'unknown-field');
  expect(r2.status).not.toBe(0);
  expect(r2.output).toMatch(/field scrape_intervall not found/);
});

test('the swap covers every discovery block: pods, endpoint slices, kube-state-metrics and the nodes (kubelet, cAdvisor)', () => {
  const sd = (rendered.scrape_configs as any[]).filter((j) => j.kubernetes_sd_configs).map((j) => `${j.job_name}:${j.kubernetes_sd_configs.map((s: any) => s.role).join(',')}`);
  expect(sd).toEqual(['kubernetes-pods:pod', 'kubernetes-service-endpoints:endpointslice', 'kube-state-metrics:pod', 'kubelet:node', 'cadvisor:node']);
  // No job carries static targets of its own: after the swap, static_configs are only the stand-ins.
  expect((rendered.scrape_configs as any[]).filter((j) => j.static_configs)).toEqual([]);
});

test('the pod mounts what the config reads: rule files at the rule_files directory, the config at --config.file', () => {
  const sts = renderedObject(MONITORING_NS, 'StatefulSet', 'prometheus');
  const container = sts.spec.template.spec.containers.find((c: any) => c.name === 'prometheus');
  const mounts: Record<string, string> = Object.fromEntries(container.volumeMounts.map((m: any) => [m.mountPath, m.name]));
  const volumes: Record<string, any> = Object.fromEntries(sts.spec.template.spec.volumes.map((v: any) => [v.name, v]));
  for (const glob of rendered.rule_files) expect(volumes[mounts[path.dirname(glob)]]?.configMap?.name).toBe('prometheus-rules');
  const configFile = container.args.find((a: string) => a.startsWith('--config.file=')).split('=')[1];
  expect(volumes[mounts[configFile]]?.configMap?.name).toBe('prometheus-config');
});
