/** Shared by the rendered-* tests: they read dist/k8s (the files), never the TypeScript that wrote them. */
import * as path from 'path';
import { loadEnvironmentDir } from '../src/gates/load';
import type { KubeObject } from '../src/gates/types';

export const REPO = path.resolve(__dirname, '../../..');

/** Every object rendered for one environment. */
export const rendered = (env: string): KubeObject[] => loadEnvironmentDir(path.join(REPO, 'dist/k8s', env)).map((o) => o.obj);

/** The object of a kind and name; fails loudly when it was not rendered. */
export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
}
