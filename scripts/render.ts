/**
 * The render: every environment's CloudFormation templates and Kubernetes YAML, built in one process and held in
 * memory (renderFiles: the PR gate checks it there), then written to a staging directory and swapped into place
 * only when everything succeeded (renderAll: a failed render leaves the target exactly as it was).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigValidationError, ENVIRONMENT_INPUTS, kubernetesMinor, EnvironmentConfig, EnvironmentConfigInput, loadEnvironments, renderArgoCd } from '@optibid/constructs-lib';
import { COMPOSE_ENVIRONMENT, renderCompose } from '@optibid/constructs-lib/compose';
import { DIST_DIRS, filesUnder, KUSTOMIZATION_FILE, loadRenderedTemplates, renderedEnvironment, TEMPLATE_SUFFIX, type RenderedEnvironment } from '@optibid/rendered';
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
  /**
   * The committed render whose control-plane versions bound the new ones (EKS cannot downgrade a cluster).
   * @default the repository's dist/; false skips the check
   */
  readonly committed?: string | false;
  readonly inputs?: readonly EnvironmentConfigInput[];
  /** The environment the local docker compose stack (`compose/`) is rendered from, when the list contains it. @default dev */
  readonly composeEnvironment?: string;
}

/** The literal `Version` of the AWS::EKS::Cluster in a committed environment's templates, if any. */
export function committedControlPlaneVersion(dist: string, env: string): { version: string; file: string } | undefined {
  for (const { template, file } of loadRenderedTemplates(dist, env).values()) {
    for (const r of Object.values(template.Resources ?? {})) {
      if (r.Type === 'AWS::EKS::Cluster' && typeof r.Properties?.Version === 'string') return { version: r.Properties.Version, file };
    }
  }
  return undefined;
}

/**
 * EKS cannot downgrade a control plane (UpdateClusterVersion upgrades one minor at a time): a config whose
 * `cluster.kubernetesVersion` is below the committed render's is refused, naming the field and both versions.
 */
function assertNoControlPlaneDowngrade(configs: readonly EnvironmentConfig[], committed: string): void {
  const minor = (v: string) => kubernetesMinor(v) ?? NaN;
  const errors = configs.flatMap((c) => {
    const was = committedControlPlaneVersion(committed, c.name);
    if (!was || !(minor(c.cluster.kubernetesVersion) < minor(was.version))) return [];
    return [
      new ConfigValidationError(c.name, [
        {
          field: 'cluster.kubernetesVersion',
          message: `${c.cluster.kubernetesVersion} is a downgrade from ${was.version}, the control plane of the committed render (${path.relative(REPO_ROOT, was.file)}): EKS cannot downgrade a cluster (it upgrades one minor at a time)`,
        },
      ]),
    ];
  });
  if (errors.length) throw ConfigValidationError.combine(errors);
}

/**
 * Validates every environment first (a ConfigValidationError lists every violation; nothing is rendered), then
 * renders all of them in memory. Only the CDK cloud assembly is written (to `cdkOut`, outside dist/).
 */
export function renderFiles(opts: RenderOptions = {}): RenderResult {
  const configs = loadEnvironments(opts.inputs ?? ENVIRONMENT_INPUTS);
  if (opts.committed !== false) assertNoControlPlaneDowngrade(configs, opts.committed ?? path.join(REPO_ROOT, 'dist'));
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
  files.set(RENDER_MARKER, markerText(files.keys()));
  return { summaries: rendered.map((r) => r.summary), files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), environments };
}

/**
 * The file every render writes at the top of its output, listing what it wrote: a later render replaces a folder only
 * when it holds this file and nothing it does not list (so no command deletes what the render did not write).
 */
export const RENDER_MARKER = '.optibid-render.json';

/** A target the render refuses to write into (it names the folder and why; nothing was written). */
export class RenderTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderTargetError';
  }
}

function markerText(files: Iterable<string>): string {
  const listed = [...files].filter((f) => f !== RENDER_MARKER).sort();
  return `${JSON.stringify({ writtenBy: 'npm run synth (scripts/render.ts): this folder is replaced whole by the next render', files: listed }, null, 2)}\n`;
}


/**
 * Whether the render may replace `target`: absent, an empty folder, or a previous render holding only the files its
 * marker lists. Throws a RenderTargetError naming the rule otherwise.
 */
export function assertReplaceableTarget(target: string): void {
  if (!fs.existsSync(target)) return;
  if (!fs.statSync(target).isDirectory()) throw new RenderTargetError(`${target} is a file, not a folder: the render writes only into an empty folder or a previous render. Nothing was written.`);
  // Only the top level is read before the marker is found: a folder that is not a render (the repository, a home
  // directory) is refused without walking it.
  const top = fs.readdirSync(target);
  if (top.length === 0) return;
  const markerFile = path.join(target, RENDER_MARKER);
  if (!fs.existsSync(markerFile)) {
    throw new RenderTargetError(
      `${target} is not empty and was not written by a render (no ${RENDER_MARKER}): the render writes only into an empty folder or a previous render, ` +
        `and would have replaced ${top.length} entr${top.length === 1 ? 'y' : 'ies'} such as ${top.sort().slice(0, 3).join(', ')}. Nothing was written.`,
    );
  }
  const present = filesUnder(target);
  let listed: Set<string>;
  try {
    listed = new Set((JSON.parse(fs.readFileSync(markerFile, 'utf8')) as { files: string[] }).files);
  } catch (err) {
    throw new RenderTargetError(`${markerFile} cannot be read (${(err as Error).message}): not replacing ${target}. Nothing was written.`);
  }
  const foreign = present.filter((f) => f !== RENDER_MARKER && !listed.has(f));
  if (foreign.length) {
    throw new RenderTargetError(
      `${target} holds ${foreign.length} file(s) the render did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}): move them out first; the render replaces the whole folder. Nothing was written.`,
    );
  }
}

/** Staging folders of renders that were killed (they hold the marker, written first) beside `target`. */
function removeAbandonedStages(parent: string): void {
  for (const e of fs.readdirSync(parent, { withFileTypes: true })) {
    if (e.isDirectory() && /^\.render-[A-Za-z0-9]{6}(-old)?$/.test(e.name) && fs.existsSync(path.join(parent, e.name, RENDER_MARKER))) fs.rmSync(path.join(parent, e.name), { recursive: true, force: true });
  }
}

/**
 * Renders every environment (renderFiles), writes the files to a staging directory beside `target`, then swaps it
 * in: a failed or interrupted render leaves the target exactly as it was and no staging folder behind. `target`
 * must be absent, empty, or a previous render (assertReplaceableTarget): checked before anything is rendered.
 */
export function renderAll(target: string, opts: RenderOptions = {}): EnvironmentSummary[] {
  const resolved = path.resolve(target);
  assertReplaceableTarget(resolved);
  const { summaries, files } = renderFiles(opts);
  const parent = path.dirname(resolved);
  fs.mkdirSync(parent, { recursive: true });
  removeAbandonedStages(parent);
  const stage = fs.mkdtempSync(path.join(parent, '.render-'));
  // mkdtemp makes it 0700; the render is a normal folder.
  fs.chmodSync(stage, 0o755);
  const old = `${stage}-old`;
  // SIGINT/SIGTERM while the files are written or swapped: remove the staging folder, then die of the signal.
  const onSignal = (signal: NodeJS.Signals) => {
    fs.rmSync(stage, { recursive: true, force: true });
    if (fs.existsSync(old) && !fs.existsSync(resolved)) fs.renameSync(old, resolved);
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // The marker first: a staging folder left by a kill -9 is recognised (and removed) by the next render.
    fs.writeFileSync(path.join(stage, RENDER_MARKER), files.get(RENDER_MARKER)!);
    writeFiles(stage, files);
    assertReplaceableTarget(resolved);
    if (fs.existsSync(resolved)) fs.renameSync(resolved, old);
    fs.renameSync(stage, resolved);
    fs.rmSync(old, { recursive: true, force: true });
    return summaries;
  } catch (err) {
    fs.rmSync(stage, { recursive: true, force: true });
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
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
