/**
 * Test support: the committed production render, and copies of it that a test breaks on purpose (each rule's
 * failing case feeds a broken manifest set and asserts the finding).
 */
import * as path from 'path';
import { ENVIRONMENT_INPUTS } from '@optibid/constructs-lib';
import { loadRenderedEnvironment } from '@optibid/rendered';
import type { CfnTemplate, KubeObject, RenderedEnvironment } from '../src/types';

export const DIST = path.resolve(__dirname, '../../../dist');

/** Every environment of the environments index (a new environment is covered by every test that iterates this). */
export const ENVIRONMENTS: readonly string[] = ENVIRONMENT_INPUTS.map((e) => e.name);

const cache = new Map<string, RenderedEnvironment>();
/** The committed render of one environment (loaded once per test file). */
export function rendered(env = 'production'): RenderedEnvironment {
  if (!cache.has(env)) cache.set(env, loadRenderedEnvironment(DIST, env));
  return cache.get(env)!;
}

/** An environment as a test may break it: objects without their `env` are given it back. */
export interface MutableEnvironment {
  name: string;
  objects: { env?: string; file: string; obj: KubeObject }[];
  templates: Record<string, CfnTemplate>;
  k8sFiles: Map<string, string>;
}

/** A deep copy of an environment, changed by `mutate` (objects and templates are plain JSON). */
export function broken(mutate: (env: MutableEnvironment) => void, env = 'production'): RenderedEnvironment {
  const copy = structuredClone(rendered(env)) as unknown as MutableEnvironment;
  mutate(copy);
  return { ...copy, objects: copy.objects.map((o) => ({ env: copy.name, ...o })) };
}

/** The one object of a kind and name (fails loudly when absent). */
export function find(env: { objects: readonly { obj: KubeObject }[] }, kind: string, name: string, namespace?: string): KubeObject {
  const o = env.objects.find((x) => x.obj.kind === kind && x.obj.metadata.name === name && (namespace === undefined || x.obj.metadata.namespace === namespace));
  if (!o) throw new Error(`${kind}/${namespace ?? '*'}/${name} not in the render`);
  return o.obj;
}
