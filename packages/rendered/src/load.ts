/**
 * The loader of the rendered output: one environment's Kubernetes objects and CloudFormation templates, from dist/
 * or from the in-memory files a render produces (so unit tests read exactly what the render would write).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { cloudFormationDir, DIST_DIRS, k8sDir, KUSTOMIZATION_FILE, TEMPLATE_SUFFIX } from './layout';
import type { KubeObject, RenderedObject } from './objects';

/** One CloudFormation template: `Resources` by logical id (plus whatever else the template holds). */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: any; DependsOn?: unknown; [k: string]: unknown }>;
  Outputs?: Record<string, unknown>;
  [k: string]: unknown;
}

/** One environment as rendered: dist/k8s/<env> and dist/cloudformation/<env>. */
export interface RenderedEnvironment {
  readonly name: string;
  /** Every Kubernetes object with its file, relative to dist/k8s/<env>/ (kustomization.yaml excluded). */
  readonly objects: readonly RenderedObject[];
  /** Templates by stack name (file name without `.template.json`). */
  readonly templates: Readonly<Record<string, CfnTemplate>>;
  /** Every file of dist/k8s/<env> (objects and kustomization.yaml), relative path → text, as written or rendered. */
  readonly k8sFiles: ReadonlyMap<string, string>;
}

/** A rendered file that cannot be read: names the file (the caller reports it, never a stack trace). */
export class RenderedReadError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'RenderedReadError';
  }
}

/** The objects of one YAML file (every document that is not empty). */
export function parseObjects(env: string, file: string, text: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new RenderedReadError(file, doc.errors[0].message);
    const obj = doc.toJS() as KubeObject | null;
    if (obj) out.push({ env, file, obj });
  }
  return out;
}

/** The objects of rendered files (relative path → YAML, as the render returns them), kustomization.yaml excluded. */
export function parseRenderedFiles(env: string, files: ReadonlyMap<string, string>): RenderedObject[] {
  return [...files.entries()]
    .filter(([rel]) => rel.endsWith('.yaml') && path.posix.basename(rel) !== KUSTOMIZATION_FILE)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([rel, text]) => parseObjects(env, rel, text));
}

/**
 * Every file under a folder, relative with `/` separators, each directory's entries in name order (localeCompare,
 * the order the loader has always read objects in); [] when the folder does not exist.
 */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  if (fs.existsSync(dir)) walk('');
  return out;
}

/** Every `*.yaml` file under a folder (filesUnder's order). */
export function yamlFilesUnder(dir: string): string[] {
  return filesUnder(dir).filter((f) => f.endsWith('.yaml'));
}

/** Reads every object of one environment folder (dist/k8s/<env>), kustomization.yaml excluded. */
export function loadK8sDir(dir: string, env = path.basename(dir)): RenderedObject[] {
  return yamlFilesUnder(dir)
    .filter((rel) => path.posix.basename(rel) !== KUSTOMIZATION_FILE)
    .flatMap((rel) => parseObjects(env, rel, fs.readFileSync(path.join(dir, rel), 'utf8')));
}


/**
 * One environment from its files: dist/k8s/<env> (relative path → YAML) and its templates by stack name (text).
 * The same function serves dist/ on disk and a render held in memory.
 */
export function renderedEnvironment(name: string, k8sFiles: ReadonlyMap<string, string>, templateTexts: ReadonlyMap<string, string>): RenderedEnvironment {
  const templates: Record<string, CfnTemplate> = {};
  for (const [stack, text] of [...templateTexts].sort(([a], [b]) => a.localeCompare(b))) {
    try {
      templates[stack] = JSON.parse(text);
    } catch (err) {
      throw new RenderedReadError(`${DIST_DIRS.cloudformation}/${name}/${stack}${TEMPLATE_SUFFIX}`, (err as Error).message);
    }
  }
  return { name, objects: parseRenderedFiles(name, k8sFiles), templates, k8sFiles };
}

/** The template texts of one environment folder (dist/cloudformation/<env>), by stack name, in name order. */
function templateTextsUnder(cDir: string): Map<string, string> {
  return new Map(
    fs
      .readdirSync(cDir)
      .filter((f) => f.endsWith(TEMPLATE_SUFFIX))
      .sort()
      .map((f) => [f.slice(0, -TEMPLATE_SUFFIX.length), fs.readFileSync(path.join(cDir, f), 'utf8')] as const),
  );
}

/**
 * One environment's CloudFormation templates only (no YAML parsed), by stack name, with each file's path;
 * an empty map when the environment was never rendered.
 */
export function loadRenderedTemplates(dist: string, env: string): Map<string, { template: CfnTemplate; file: string }> {
  const cDir = cloudFormationDir(dist, env);
  const out = new Map<string, { template: CfnTemplate; file: string }>();
  if (!fs.existsSync(cDir)) return out;
  for (const [stack, text] of templateTextsUnder(cDir)) {
    const file = path.join(cDir, `${stack}${TEMPLATE_SUFFIX}`);
    try {
      out.set(stack, { template: JSON.parse(text), file });
    } catch (err) {
      throw new RenderedReadError(file, (err as Error).message);
    }
  }
  return out;
}

/** Loads one environment from a dist-like root (`<root>/k8s/<env>`, `<root>/cloudformation/<env>`). */
export function loadRenderedEnvironment(dist: string, env: string): RenderedEnvironment {
  const kDir = k8sDir(dist, env);
  const cDir = cloudFormationDir(dist, env);
  if (!fs.existsSync(kDir) || !fs.existsSync(cDir)) throw new Error(`${dist} has no rendered environment "${env}" (expected k8s/${env} and cloudformation/${env}): run npm run synth`);
  const k8sFiles = new Map(yamlFilesUnder(kDir).map((rel) => [rel, fs.readFileSync(path.join(kDir, rel), 'utf8')] as const));
  const templates = templateTextsUnder(cDir);
  try {
    return renderedEnvironment(env, k8sFiles, templates);
  } catch (err) {
    // Name the file as it sits in dist/.
    if (err instanceof RenderedReadError && !path.isAbsolute(err.file)) throw new RenderedReadError(err.file.startsWith(`${DIST_DIRS.cloudformation}/`) ? path.join(dist, err.file) : path.join(kDir, err.file), err.reason);
    throw err;
  }
}

/** The environments rendered under `<dist>/k8s`, sorted. Throws when there is no such folder. */
export function renderedEnvironmentNames(dist: string): string[] {
  return fs
    .readdirSync(path.join(dist, DIST_DIRS.k8s), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Every environment under dist/k8s, by name: objects only. */
export function loadRenderedK8s(k8sRoot: string): Map<string, RenderedObject[]> {
  const envs = new Map<string, RenderedObject[]>();
  for (const e of fs.readdirSync(k8sRoot, { withFileTypes: true }).filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    envs.set(e.name, loadK8sDir(path.join(k8sRoot, e.name), e.name));
  }
  return envs;
}
