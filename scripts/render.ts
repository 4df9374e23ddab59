/**
 * The render: every environment's CloudFormation templates and Kubernetes YAML, built in one process, written to a
 * staging directory and swapped into place only when everything succeeded (a failed render leaves the target
 * exactly as it was).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENT_INPUTS, EnvironmentConfig, EnvironmentConfigInput, loadEnvironments, renderArgoCd } from '@optibid/constructs-lib';
import { COMPOSE_ENVIRONMENT, renderCompose } from '@optibid/constructs-lib/compose';
import { buildReports } from '@optibid/verify';
import { assertCleanAssembly, buildAwsApp } from '@optibid/infra-aws';
import { renderEnvironmentManifests } from '@optibid/k8s-manifests';

export const REPO_ROOT = path.resolve(__dirname, '..');

export interface EnvironmentSummary {
  readonly environment: string;
  readonly stacks: number;
  readonly resources: number;
  readonly k8sObjects: Record<string, number>;
  readonly seconds: number;
}

/** Writes rendered files (relative path -> content) under `dir`. */
function writeFiles(dir: string, files: ReadonlyMap<string, string>): void {
  for (const [rel, content] of files) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

/**
 * Renders one environment into `<stage>/cloudformation/<env>`, `<stage>/k8s/<env>` and `<stage>/argocd/<env>` (the
 * Argo CD Application and AppProject: applied to the Argo CD instance, so outside the kustomization of k8s/<env>).
 */
function renderEnvironment(config: EnvironmentConfig, stage: string, cdkOut: string): EnvironmentSummary {
  const t0 = process.hrtime.bigint();
  const outdir = path.join(cdkOut, config.name);
  fs.rmSync(outdir, { recursive: true, force: true });
  const { app, environments } = buildAwsApp([config], { outdir, disableAssetStaging: true, cloudFormationValidation: false });
  const assembly = app.synth();
  assertCleanAssembly(assembly);
  const cfnDir = path.join(stage, 'cloudformation', config.name);
  fs.mkdirSync(cfnDir, { recursive: true });
  let resources = 0;
  const stacks = Object.values(environments[config.name]);
  for (const stack of stacks) {
    const artifact = assembly.getStackByName(stack.stackName);
    resources += Object.keys(artifact.template.Resources ?? {}).length;
    fs.copyFileSync(artifact.templateFullPath, path.join(cfnDir, `${stack.stackName}.template.json`));
  }

  const k8sDir = path.join(stage, 'k8s', config.name);
  const k8sObjects: Record<string, number> = {};
  for (const [rel, content] of renderEnvironmentManifests(config)) {
    const file = path.join(k8sDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    if (rel !== 'kustomization.yaml') {
      const kind = /^kind: (\S+)$/m.exec(content)?.[1] ?? 'unknown';
      k8sObjects[kind] = (k8sObjects[kind] ?? 0) + 1;
    }
  }
  writeFiles(path.join(stage, 'argocd', config.name), renderArgoCd(config));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { environment: config.name, stacks: stacks.length, resources, k8sObjects, seconds };
}

/**
 * Validates every environment first (nothing is written when one is invalid), renders all of them into a staging
 * directory beside `target`, then swaps it in. The local docker compose stack (`compose/`) is rendered from the
 * environment named `composeEnvironment` (default dev) when the list contains it.
 */
export function renderAll(target: string, opts: { cdkOut?: string; inputs?: readonly EnvironmentConfigInput[]; composeEnvironment?: string } = {}): EnvironmentSummary[] {
  const configs = loadEnvironments(opts.inputs ?? ENVIRONMENT_INPUTS);
  const parent = path.dirname(path.resolve(target));
  fs.mkdirSync(parent, { recursive: true });
  const stage = fs.mkdtempSync(path.join(parent, '.render-'));
  const cdkOut = opts.cdkOut ?? path.join(REPO_ROOT, 'cdk.out', 'render');
  try {
    const summaries = configs.map((c) => renderEnvironment(c, stage, cdkOut));
    const composeConfig = configs.find((c) => c.name === (opts.composeEnvironment ?? COMPOSE_ENVIRONMENT));
    if (composeConfig) writeFiles(path.join(stage, 'compose'), renderCompose(composeConfig));
    // The verify reports (capacity, cost, traffic) are a pure function of the rendered tree: rendered with it, so a
    // change that moves them shows in the reviewed diff (findings fail `npm run verify`, not the render).
    writeFiles(path.join(stage, 'reports'), buildReports(stage));
    const old = `${stage}-old`;
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(stage, target);
    fs.rmSync(old, { recursive: true, force: true });
    return summaries;
  } catch (err) {
    fs.rmSync(stage, { recursive: true, force: true });
    throw err;
  }
}

export function formatSummary(s: EnvironmentSummary): string {
  const kinds = Object.entries(s.k8sObjects)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const objects = Object.values(s.k8sObjects).reduce((a, b) => a + b, 0);
  return `${s.environment.padEnd(11)} cloudformation: ${s.stacks} stacks, ${s.resources} resources | k8s: ${objects} objects (${kinds}) | ${s.seconds.toFixed(2)} s`;
}
