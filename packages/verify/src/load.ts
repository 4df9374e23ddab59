import * as fs from 'fs';
import * as path from 'path';
import { loadEnvironmentDir } from '@optibid/k8s-manifests/src/gates/load';
import type { CfnTemplate, RenderedEnvironment } from './types';

/** Loads one environment from a dist-like root (`<root>/k8s/<env>`, `<root>/cloudformation/<env>`). */
export function loadRenderedEnvironment(root: string, env: string): RenderedEnvironment {
  const k8sDir = path.join(root, 'k8s', env);
  const cfnDir = path.join(root, 'cloudformation', env);
  if (!fs.existsSync(k8sDir) || !fs.existsSync(cfnDir)) throw new Error(`${root} has no rendered environment "${env}" (expected k8s/${env} and cloudformation/${env}): run npm run synth`);
  const templates: Record<string, CfnTemplate> = {};
  for (const f of fs.readdirSync(cfnDir).filter((f) => f.endsWith('.template.json')).sort()) {
    templates[f.replace(/\.template\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(cfnDir, f), 'utf8'));
  }
  return { name: env, objects: loadEnvironmentDir(k8sDir, env).map((o) => ({ file: o.file, obj: o.obj })), templates };
}

/** The environments rendered under `<root>/k8s`, sorted. */
export function renderedEnvironmentNames(root: string): string[] {
  return fs
    .readdirSync(path.join(root, 'k8s'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}
