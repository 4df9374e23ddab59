/**
 * Running the rendered data-tier shell scripts (read from dist/, as the kubelet mounts them) under /bin/sh against
 * stub programs on PATH that record how they were called.
 */
import * as fs from 'fs';
import * as path from 'path';
import { containerCommandScript, type KubeObject } from '@optibid/rendered';
import { dataNamespace, ENV, renderedEnvironmentOf } from './support';

/** The rendered PostgreSQL pod of an environment (the StatefulSet of the data namespace), read from dist/. */
export interface RenderedDataTier {
  readonly objects: readonly KubeObject[];
  find(kind: string, name: string): KubeObject;
  configMapData(name: string): Record<string, string>;
  readonly pod: any;
  container(name: string): any;
}

export function renderedDataTier(env = ENV, statefulSet = 'postgres'): RenderedDataTier {
  const ns = dataNamespace(env);
  const objects = renderedEnvironmentOf(env).objects.map((o) => structuredClone(o.obj)).filter((o) => o.metadata.namespace === ns);
  const find = (kind: string, name: string) => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`no ${kind} ${ns}/${name} rendered for ${env}`);
    return o;
  };
  const pod = find('StatefulSet', statefulSet).spec.template.spec;
  const container = (name: string) => {
    const c = pod.containers.find((x: any) => x.name === name);
    if (!c) throw new Error(`no container ${name}`);
    return c;
  };
  return { objects, find, configMapData: (name) => find('ConfigMap', name).data as Record<string, string>, pod, container };
}

/** The script a container's command runs, as the kubelet mounts it (the one reader: @optibid/rendered). */
export function commandScript(tier: RenderedDataTier, pod: any, container: any): ReturnType<typeof containerCommandScript> {
  return containerCommandScript((name) => tier.configMapData(name), pod, container);
}

/** A directory of stub programs: each records `<name> <args...>` in `log`, then runs `body` (POSIX sh, $LOG set). */
export function stubBin(dir: string, log: string, stubs: Record<string, string>): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(stubs)) {
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\nLOG='${log}'\necho "${name} $*" >> "$LOG"\n${body}\n`, { mode: 0o755 });
  }
  return bin;
}

export function writeScript(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode: 0o755 });
  return file;
}
