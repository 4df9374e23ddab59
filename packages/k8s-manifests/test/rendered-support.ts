/**
 * Shared by the rendered-* tests: they render each environment in memory (the charts of src/, exactly the files
 * `npm run synth` would write) and read the result back through @optibid/rendered, the one reader of rendered YAML.
 * They never read the committed dist/: a change to the TypeScript fails here whether or not dist/ was re-rendered
 * (the one drift test, scripts/test/render.test.ts, proves dist/ equals a fresh render).
 */
import * as path from 'path';
import { loadEnvironment } from '@optibid/constructs-lib';
import { parseRenderedFiles, type KubeObject, type RenderedObject } from '@optibid/rendered';
import { renderEnvironmentManifests } from '../src';

export const REPO = path.resolve(__dirname, '../../..');

/** Renders are slow (a whole cdk8s app): one per environment per test file (jest gives every file its own modules). */
const renders = new Map<string, { files: Map<string, string>; objects: RenderedObject[] }>();
function render(env: string) {
  let r = renders.get(env);
  if (!r) {
    const files = renderEnvironmentManifests(loadEnvironment(env));
    r = { files, objects: parseRenderedFiles(env, files) };
    renders.set(env, r);
  }
  return r;
}

/** The files the render of one environment writes under dist/k8s/<env> (relative path → YAML, kustomization.yaml included). */
export const renderedFiles = (env: string): ReadonlyMap<string, string> => render(env).files;

/** Every object rendered for one environment, with its file. */
export const renderedObjects = (env: string): readonly RenderedObject[] => render(env).objects;

/** Every object rendered for one environment. */
export const rendered = (env: string): KubeObject[] => render(env).objects.map((o) => o.obj);

/** The object of a kind and name; fails loudly when it was not rendered. */
export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
}
