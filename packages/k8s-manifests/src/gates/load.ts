import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import type { RenderedObject } from './types';

/** Reads every `*.yaml` object of one environment folder (dist/k8s/<env>), kustomization.yaml excluded. */
export function loadEnvironmentDir(dir: string, env = path.basename(dir)): RenderedObject[] {
  const out: RenderedObject[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.yaml') && e.name !== 'kustomization.yaml') {
        for (const doc of parseAllDocuments(fs.readFileSync(p, 'utf8'))) {
          if (doc.errors.length) throw new Error(`${p}: ${doc.errors[0].message}`);
          const obj = doc.toJS();
          if (obj) out.push({ env, file: path.relative(dir, p), obj });
        }
      }
    }
  };
  walk(dir);
  return out;
}

/** Every environment under dist/k8s, by name. */
export function loadRenderedK8s(root: string): Map<string, RenderedObject[]> {
  const envs = new Map<string, RenderedObject[]>();
  for (const e of fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    envs.set(e.name, loadEnvironmentDir(path.join(root, e.name), e.name));
  }
  return envs;
}
