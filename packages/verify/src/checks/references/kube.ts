/**
 * Reading the rendered Kubernetes objects: pod templates of every workload kind, label selectors, the ConfigMaps
 * and Secrets a pod uses, namespaces. Shared by the `references` and `contract` checks.
 */
import { parse as parseYaml } from 'yaml';
import { isEmptySelector, matchesLabelSelector, namespaceLabels, podTemplateRef, serviceSelector, type LabelSelector, type Labels } from '@optibid/rendered';
import type { KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';

export type { LabelSelector, Labels };
export { isEmptySelector };

/** One pod template: of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, or a bare Pod. */
export interface PodTemplate {
  readonly owner: KubeObject;
  /** `<Kind>/<namespace>/<name>` of the owner. */
  readonly ownerId: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  /** The pod spec. */
  readonly spec: any;
  /** Field path of the pod spec within the owner, e.g. `spec.template.spec` or `spec.jobTemplate.spec.template.spec`. */
  readonly specPath: string;
  /**
   * Labels a process in the pod sets on its own pod at run time, with their possible values (Patroni's role label,
   * declared in the Patroni configuration the pod mounts). A selector on them matches the template.
   */
  readonly runtimeLabels: Readonly<Record<string, readonly string[]>>;
}

/** A container of a pod template, with its field path. */
export interface ContainerRef {
  readonly container: any;
  /** e.g. `spec.template.spec.containers[1]`. */
  readonly path: string;
  readonly init: boolean;
}



/** Index of one environment's objects. Built once per environment object (environments are immutable). */
export interface KubeIndex {
  readonly all: readonly KubeObject[];
  readonly byKind: ReadonlyMap<string, readonly KubeObject[]>;
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  readonly podTemplates: readonly PodTemplate[];
  /** Namespaces rendered in YAML (Namespace objects), by name, with their labels (metadata.name label added). */
  readonly namespaces: ReadonlyMap<string, Labels>;
}

const indexCache = new WeakMap<RenderedEnvironment, KubeIndex>();

export function kubeIndex(env: RenderedEnvironment): KubeIndex {
  let ix = indexCache.get(env);
  if (ix) return ix;
  const all = env.objects.map((o) => o.obj);
  const byKind = new Map<string, KubeObject[]>();
  const byKey = new Map<string, KubeObject>();
  for (const o of all) {
    if (!byKind.has(o.kind)) byKind.set(o.kind, []);
    byKind.get(o.kind)!.push(o);
    byKey.set(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  }
  const get = (kind: string, namespace: string | undefined, name: string) => byKey.get(`${kind}/${namespace ?? ''}/${name}`);
  const podTemplates: PodTemplate[] = [];
  for (const o of all) {
    const t = podTemplateRef(o);
    if (!t || !t.template?.spec) continue;
    const namespace = o.metadata.namespace ?? 'default';
    const spec = t.template.spec;
    podTemplates.push({
      owner: o,
      ownerId: objectId(o),
      namespace,
      labels: t.template.metadata?.labels ?? {},
      annotations: t.template.metadata?.annotations ?? {},
      spec,
      specPath: t.path ? `${t.path}.spec` : 'spec',
      runtimeLabels: runtimeLabelsOf(spec, namespace, get),
    });
  }
  const namespaces = new Map<string, Labels>();
  for (const n of byKind.get('Namespace') ?? []) namespaces.set(n.metadata.name, namespaceLabels(n.metadata.name, n.metadata.labels));
  ix = { all, byKind, get, podTemplates, namespaces };
  indexCache.set(env, ix);
  return ix;
}

export function ofKind(env: RenderedEnvironment, kind: string): readonly KubeObject[] {
  return kubeIndex(env).byKind.get(kind) ?? [];
}

/** Containers and init containers (ephemeral containers have no ports or probes). */
export function containersOf(t: PodTemplate): ContainerRef[] {
  const out: ContainerRef[] = [];
  (t.spec.initContainers ?? []).forEach((c: any, i: number) => out.push({ container: c, path: `${t.specPath}.initContainers[${i}]`, init: true }));
  (t.spec.containers ?? []).forEach((c: any, i: number) => out.push({ container: c, path: `${t.specPath}.containers[${i}]`, init: false }));
  return out;
}

/** The ConfigMaps a pod template mounts or reads (volumes, projected volumes, envFrom, env), by name. */
export function configMapsUsed(t: PodTemplate): Set<string> {
  const names = new Set<string>();
  for (const v of t.spec.volumes ?? []) {
    if (v.configMap?.name) names.add(v.configMap.name);
    for (const s of v.projected?.sources ?? []) if (s.configMap?.name) names.add(s.configMap.name);
  }
  for (const { container: c } of containersOf(t)) {
    for (const e of c.envFrom ?? []) if (e.configMapRef?.name) names.add(e.configMapRef.name);
    for (const e of c.env ?? []) if (e.valueFrom?.configMapKeyRef?.name) names.add(e.valueFrom.configMapKeyRef.name);
  }
  return names;
}

/** The service account a pod runs under (`default` when unset). */
export function serviceAccountOf(t: PodTemplate): string {
  return t.spec.serviceAccountName ?? t.spec.serviceAccount ?? 'default';
}

// ---------------------------------------------------------------------------------------------------------------
// Runtime labels (Patroni)

/**
 * Patroni labels its own pods with its role (`kubernetes.role_label`, default `role`) — the leader value
 * (`leader_label_value`, `primary` since Patroni 4, `master` before), the follower value (`follower_label_value`,
 * default `replica`) and the standby-leader value. Services that select the primary or the replicas rely on it: the
 * values are read from the Patroni configuration (a ConfigMap the pod mounts with a `kubernetes:` section).
 */
function runtimeLabelsOf(spec: any, namespace: string, get: KubeIndex['get']): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const mounted = new Set<string>();
  for (const v of spec.volumes ?? []) {
    if (v.configMap?.name) mounted.add(v.configMap.name);
    for (const s of v.projected?.sources ?? []) if (s.configMap?.name) mounted.add(s.configMap.name);
  }
  for (const name of mounted) {
    const cm = get('ConfigMap', namespace, name);
    for (const text of Object.values<unknown>(cm?.data ?? {})) {
      if (typeof text !== 'string' || !/^kubernetes:/m.test(text) || !/^scope:/m.test(text)) continue;
      let conf: any;
      try {
        conf = parseYaml(text);
      } catch {
        continue;
      }
      const k = conf?.kubernetes;
      if (!k || typeof k !== 'object') continue;
      const label = String(k.role_label ?? 'role');
      const values = k.leader_label_value ? [String(k.leader_label_value)] : ['primary', 'master'];
      values.push(String(k.follower_label_value ?? 'replica'), String(k.standby_leader_label_value ?? values[0]));
      out[label] = [...new Set([...(out[label] ?? []), ...values])];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Selectors

/** Whether a label selector matches a label set (runtime labels may take any of their values, or be absent). */
export const selectorMatches = matchesLabelSelector;

/** A Service's selector (a plain map) as a label selector: absent or empty selects no pod. */
export const mapSelector = serviceSelector;

/** The pod templates of a namespace a selector matches. */
export function podsSelected(env: RenderedEnvironment, namespace: string, sel: LabelSelector | undefined): PodTemplate[] {
  return kubeIndex(env).podTemplates.filter((t) => t.namespace === namespace && selectorMatches(sel, t.labels, t.runtimeLabels));
}

export function describeSelector(sel: LabelSelector | undefined): string {
  if (!sel) return '(none)';
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) parts.push(`${e.key} ${e.operator}${e.values ? ` (${e.values.join(', ')})` : ''}`);
  return parts.length ? parts.join(', ') : '{} (everything)';
}
