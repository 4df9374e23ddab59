/**
 * The render: every environment's CloudFormation templates and Kubernetes YAML, built in one process and held in
 * memory (renderFiles: the PR gate checks it there), then written to a staging directory and swapped into place
 * only when everything succeeded (renderAll: a failed render leaves the target exactly as it was).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENT_INPUTS, EnvironmentConfig, EnvironmentConfigInput, loadEnvironments, renderArgoCd } from '@optibid/constructs-lib';
import { COMPOSE_ENVIRONMENT, renderCompose } from '@optibid/constructs-lib/compose';
import { DIST_DIRS, KUSTOMIZATION_FILE, renderedEnvironment, TEMPLATE_SUFFIX, type RenderedEnvironment } from '@optibid/rendered';
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

/** One environment's files, relative to dist/: cloudformation/<env>/, k8s/<env>/, argocd/<env>/. */
interface RenderedEnvironmentFiles {
  readonly summary: EnvironmentSummary;
  readonly files: Map<string, string>;
  readonly environment: RenderedEnvironment;
}

/**
 * Renders one environment in memory: its CloudFormation templates (the CDK cloud assembly goes to `cdkOut`, as
 * `cdk synth` writes it), its Kubernetes YAML, and its Argo CD Application and AppProject (applied to the Argo CD
 * instance, so outside the kustomization of k8s/<env>).
 */
function renderEnvironment(config: EnvironmentConfig, cdkOut: string): RenderedEnvironmentFiles {
  const t0 = process.hrtime.bigint();
  const outdir = path.join(cdkOut, config.name);
  fs.rmSync(outdir, { recursive: true, force: true });
  const { app, environments } = buildAwsApp([config], { outdir, disableAssetStaging: true, cloudFormationValidation: false });
  const assembly = app.synth();
  assertCleanAssembly(assembly);
  const files = new Map<string, string>();
  const templates = new Map<string, string>();
  let resources = 0;
  const stacks = Object.values(environments[config.name]);
  for (const stack of stacks) {
    const artifact = assembly.getStackByName(stack.stackName);
    resources += Object.keys(artifact.template.Resources ?? {}).length;
    const text = fs.readFileSync(artifact.templateFullPath, 'utf8');
    templates.set(stack.stackName, text);
    files.set(path.posix.join(DIST_DIRS.cloudformation, config.name, `${stack.stackName}${TEMPLATE_SUFFIX}`), text);
  }

  const k8sFiles = renderEnvironmentManifests(config);
  const k8sObjects: Record<string, number> = {};
  for (const [rel, content] of k8sFiles) {
    files.set(path.posix.join(DIST_DIRS.k8s, config.name, rel), content);
    if (rel !== KUSTOMIZATION_FILE) {
      const kind = /^kind: (\S+)$/m.exec(content)?.[1] ?? 'unknown';
      k8sObjects[kind] = (k8sObjects[kind] ?? 0) + 1;
    }
  }
  for (const [rel, content] of renderArgoCd(config)) files.set(path.posix.join(DIST_DIRS.argocd, config.name, rel), content);
  const environment = renderedEnvironment(config.name, k8sFiles, templates);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { summary: { environment: config.name, stacks: stacks.length, resources, k8sObjects, seconds }, files, environment };
}

export interface RenderResult {
  readonly summaries: EnvironmentSummary[];
  /** Every file of dist/, relative path (`/`-separated) → content. */
  readonly files: Map<string, string>;
  /** The rendered environments as every check reads them (parsed once, shared by the reports and the gate). */
  readonly environments: RenderedEnvironment[];
}

export interface RenderOptions {
  readonly cdkOut?: string;
  readonly inputs?: readonly EnvironmentConfigInput[];
  /** The environment the local docker compose stack (`compose/`) is rendered from, when the list contains it. @default dev */
  readonly composeEnvironment?: string;
}

/**
 * Validates every environment first (a ConfigValidationError lists every violation; nothing is rendered), then
 * renders all of them in memory. Only the CDK cloud assembly is written (to `cdkOut`, outside dist/).
 */
export function renderFiles(opts: RenderOptions = {}): RenderResult {
  const configs = loadEnvironments(opts.inputs ?? ENVIRONMENT_INPUTS);
  const cdkOut = opts.cdkOut ?? path.join(REPO_ROOT, 'cdk.out', 'render');
  const rendered = configs.map((c) => renderEnvironment(c, cdkOut));
  const files = new Map<string, string>();
  for (const r of rendered) for (const [rel, content] of r.files) files.set(rel, content);
  const composeConfig = configs.find((c) => c.name === (opts.composeEnvironment ?? COMPOSE_ENVIRONMENT));
  if (composeConfig) for (const [rel, content] of renderCompose(composeConfig)) files.set(path.posix.join(DIST_DIRS.compose, rel), content);
  const environments = rendered.map((r) => r.environment);
  // The verify reports (capacity, cost, traffic) are a pure function of the rendered tree: rendered with it, so a
  // change that moves them shows in the reviewed diff (findings fail `npm run verify`, not the render).
  for (const [rel, content] of buildReports(environments)) files.set(path.posix.join(DIST_DIRS.reports, rel), content);
  return { summaries: rendered.map((r) => r.summary), files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), environments };
}

/**
 * Renders every environment (renderFiles), writes the files to a staging directory beside `target`, then swaps it
 * in: a failed render leaves the target exactly as it was.
 */
export function renderAll(target: string, opts: RenderOptions = {}): EnvironmentSummary[] {
  const { summaries, files } = renderFiles(opts);
  const parent = path.dirname(path.resolve(target));
  fs.mkdirSync(parent, { recursive: true });
  const stage = fs.mkdtempSync(path.join(parent, '.render-'));
  try {
    writeFiles(stage, files);
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
