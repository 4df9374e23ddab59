/**
 * Workload kinds and their pod templates, for every reader of rendered objects (policy, references, capacity,
 * contract, traffic).
 * Objects are parsed YAML, so every field is optional and may have the wrong type: read defensively.
 */
import { asArray, isRecord, namespaceOf, type KubeObject, type RenderedObject } from './objects';

export interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  seccompProfile?: { type?: string; localhostProfile?: string };
  appArmorProfile?: { type?: string; localhostProfile?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string; level?: string };
  windowsOptions?: { hostProcess?: boolean };
  capabilities?: { add?: string[]; drop?: string[] };
  sysctls?: { name?: string; value?: string }[];
  [k: string]: unknown;
}

export interface Probe {
  httpGet?: { port?: number | string; path?: string };
  tcpSocket?: { port?: number | string };
  grpc?: { port?: number };
  exec?: { command?: string[] };
  [k: string]: unknown;
}

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
}

export interface Container {
  name?: string;
  image?: string;
  ports?: ContainerPort[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: SecurityContext;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  [k: string]: unknown;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: ({ name?: string } & Record<string, unknown>)[];
  securityContext?: SecurityContext;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  [k: string]: unknown;
}

/** One pod template (or bare Pod) with the object that owns it. */
export interface PodTemplate {
  /** The workload (or Pod) the template belongs to: findings are reported against it. */
  readonly owner: RenderedObject;
  /** Namespace of the owner (`default` when unset, as the API server would do). */
  readonly namespace: string;
  /** Labels of the pods the template creates. */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: PodSpec;
  /** Dotted path of the pod spec inside the owner, e.g. `spec.template.spec`, `spec` for a Pod. */
  readonly specPath: string;
}

/** Where each workload kind keeps its pod template (an empty path: the object is the pod). */
export const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  Pod: [],
};

/** Kinds that carry a pod template (what runs pods), in the order readers list them. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'] as const;

/** Kinds that run forever (as opposed to Jobs that complete). */
export const LONG_RUNNING_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);



function stringMap(x: unknown): Record<string, string> {
  if (!isRecord(x)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(x)) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}


/** The pod template of one object, or undefined when it is not a workload (or has no template). */
export function podTemplateOf(owner: RenderedObject): PodTemplate | undefined {
  const path = POD_TEMPLATE_PATHS[owner.obj.kind];
  if (!path) return undefined;
  let template: unknown = owner.obj;
  for (const key of path) template = isRecord(template) ? template[key] : undefined;
  if (!isRecord(template) || !isRecord(template.spec)) return undefined;
  const metadata = isRecord(template.metadata) ? template.metadata : {};
  return {
    owner,
    namespace: namespaceOf(owner.obj),
    labels: stringMap(metadata.labels),
    annotations: stringMap(metadata.annotations),
    spec: template.spec as PodSpec,
    specPath: [...path, 'spec'].join('.'),
  };
}

/** Every pod template of the object set, in object order. */
export function podTemplates(objects: readonly RenderedObject[]): PodTemplate[] {
  const out: PodTemplate[] = [];
  for (const o of objects) {
    const t = podTemplateOf(o);
    if (t) out.push(t);
  }
  return out;
}

export type ContainerType = 'container' | 'initContainer' | 'ephemeralContainer';

export interface ContainerRef {
  readonly container: Container;
  readonly type: ContainerType;
  /** Human name for messages, e.g. `container "backend"`, `initContainer "migrate"`. */
  readonly ref: string;
}

const CONTAINER_FIELDS: readonly [keyof PodSpec, ContainerType][] = [
  ['containers', 'container'],
  ['initContainers', 'initContainer'],
  ['ephemeralContainers', 'ephemeralContainer'],
];

/** The containers of a pod spec, of the requested types (all by default), in declaration order. */
export function containersOf(spec: PodSpec, types: readonly ContainerType[] = ['container', 'initContainer', 'ephemeralContainer']): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const [field, type] of CONTAINER_FIELDS) {
    if (!types.includes(type)) continue;
    asArray<Container>(spec[field]).forEach((c, i) => {
      if (!isRecord(c)) return;
      out.push({ container: c, type, ref: `${type} "${c.name ?? `#${i}`}"` });
    });
  }
  return out;
}

/** A pod template by its owner's field path: the template (metadata + spec) and where it sits (`spec.template`...). */
export interface PodTemplateRef {
  readonly template: { readonly metadata?: KubeObject['metadata'] | Record<string, any>; readonly spec?: any };
  /** Field path of the template within the object: `spec.template`, `spec.jobTemplate.spec.template`, or `` (a Pod). */
  readonly path: string;
}

/** The pod template of a workload object and its field path, read through POD_TEMPLATE_PATHS. */
export function podTemplateRef(obj: KubeObject): PodTemplateRef | undefined {
  const keys = POD_TEMPLATE_PATHS[obj.kind];
  if (!keys) return undefined;
  if (keys.length === 0) return { template: { metadata: obj.metadata, spec: obj.spec }, path: '' };
  let template: unknown = obj;
  for (const key of keys) template = isRecord(template) ? template[key] : undefined;
  return isRecord(template) ? { template, path: keys.join('.') } : undefined;
}

/** A file a container sees through a ConfigMap volume mounted as a directory. */
export interface MountedConfigMapFile {
  readonly text: string;
  /** The item's mode, else the volume's defaultMode, else 0644 (the kubelet's default). */
  readonly mode: number;
  readonly configMap: string;
  readonly key: string;
}

/**
 * The file a container sees at `file` when a ConfigMap volume mounted as a directory provides it (subPath mounts
 * excepted), or undefined. `configMapData` gives a ConfigMap's `data` by name (of the pod's namespace).
 */
export function mountedConfigMapFile(configMapData: (name: string) => Record<string, string> | undefined, pod: PodSpec, container: Container, file: string): MountedConfigMapFile | undefined {
  for (const m of asArray<{ name?: string; mountPath?: string; subPath?: string }>(container.volumeMounts)) {
    if (m.subPath || posixDirname(file) !== m.mountPath) continue;
    const v = asArray<any>(pod.volumes).find((x) => x?.name === m.name);
    if (!isRecord(v?.configMap)) continue;
    const base = file.slice(file.lastIndexOf('/') + 1);
    const items = v.configMap.items as { key: string; path: string; mode?: number }[] | undefined;
    const item = items?.find((i) => i.path === base);
    if (items && !item) continue;
    const key = item?.key ?? base;
    const text = configMapData(v.configMap.name)?.[key];
    if (text === undefined) continue;
    return { text, mode: item?.mode ?? v.configMap.defaultMode ?? 0o644, configMap: v.configMap.name, key };
  }
  return undefined;
}

/** The script a container's command runs (`[script]`, an executable file, or `['/bin/sh', script]`), as mounted. */
export function containerCommandScript(configMapData: (name: string) => Record<string, string> | undefined, pod: PodSpec, container: Container): MountedConfigMapFile & { readonly file: string } {
  const cmd = asArray<string>(container.command);
  const file = cmd[0] === '/bin/sh' && cmd.length === 2 ? cmd[1] : cmd.length === 1 ? cmd[0] : undefined;
  if (!file) throw new Error(`container ${container.name} does not run a script file: ${JSON.stringify(cmd)}`);
  const f = mountedConfigMapFile(configMapData, pod, container, file);
  if (!f) throw new Error(`container ${container.name}: ${file} is not a file of a mounted ConfigMap`);
  if (cmd.length === 1 && (f.mode & 0o111) === 0) throw new Error(`container ${container.name}: ${file} is executed directly but mounted with mode ${f.mode.toString(8)}`);
  return { ...f, file };
}

function posixDirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : p.slice(0, i);
}
