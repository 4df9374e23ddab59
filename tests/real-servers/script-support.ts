/**
 * Running the rendered data-tier shell scripts (read from dist/, as the kubelet mounts them) under /bin/sh against
 * stub programs on PATH that record how they were called.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadRenderedEnvironment, type KubeObject } from '@optibid/rendered';
import { dataNamespace, DIST, ENV } from './support';

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
  const objects = loadRenderedEnvironment(DIST, env).objects.map((o) => o.obj).filter((o) => o.metadata.namespace === ns);
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

/**
 * The file a container sees at `file` when it comes from a ConfigMap volume mounted as a directory: its text and mode
 * (the item's mode, else the volume's defaultMode, else 0644). undefined when no ConfigMap volume provides it.
 */
export function mountedFile(tier: RenderedDataTier, pod: any, container: any, file: string): { text: string; mode: number; configMap: string; key: string } | undefined {
  for (const m of container.volumeMounts ?? []) {
    if (m.subPath || path.posix.dirname(file) !== m.mountPath) continue;
    const v = (pod.volumes ?? []).find((x: any) => x.name === m.name);
    if (!v?.configMap) continue;
    const base = path.posix.basename(file);
    const item = (v.configMap.items as any[] | undefined)?.find((i) => i.path === base);
    if (v.configMap.items && !item) continue;
    const key = item?.key ?? base;
    const text = tier.configMapData(v.configMap.name)[key];
    if (text === undefined) continue;
    return { text, mode: item?.mode ?? v.configMap.defaultMode ?? 0o644, configMap: v.configMap.name, key };
  }
  return undefined;
}

/** The script a container's command runs: `[script]` (executable file) or `['/bin/sh', script]`. */
export function commandScript(tier: RenderedDataTier, pod: any, container: any): { text: string; mode: number; configMap: string; key: string; file: string } {
  const cmd: string[] = container.command ?? [];
  const file = cmd[0] === '/bin/sh' && cmd.length === 2 ? cmd[1] : cmd.length === 1 ? cmd[0] : undefined;
  if (!file) throw new Error(`container ${container.name} does not run a script file: ${JSON.stringify(cmd)}`);
  const f = mountedFile(tier, pod, container, file);
  if (!f) throw new Error(`container ${container.name}: ${file} is not a file of a mounted ConfigMap`);
  if (cmd.length === 1 && (f.mode & 0o111) === 0) throw new Error(`container ${container.name}: ${file} is executed directly but mounted with mode ${f.mode.toString(8)}`);
  return { ...f, file };
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
