/**
 * Every pod the environment runs, grouped by owner: rendered Deployments, StatefulSets, DaemonSets, Jobs, CronJobs
 * (and bare ReplicaSets/Pods), plus the system pods CDK installs (add-ons and charts, see system-components.ts).
 * Per owner: the pod's effective requests (LimitRange defaults applied), replicas at minimum and maximum (HPA bounds
 * for HPA targets), the rolling-update surge, scheduling constraints (nodeSelector, required node affinity,
 * tolerations, topology spread constraints with whenUnsatisfiable: DoNotSchedule).
 */
import type { KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { limitRangeDefaults, podResources, type PodResources } from '../../resources';
import { cronRunsBound, type CronJobRuns, type CronRunsBound } from './cron';
import type { Labels, LabelSelector, NodeSelectorTerm, Toleration } from './selectors';
import { systemInventory } from './system-components';
import { podTemplateRef as podTemplateOf, WORKLOAD_KINDS } from '@optibid/rendered';

export interface SpreadConstraint {
  readonly topologyKey: string;
  readonly maxSkew: number;
  readonly minDomains?: number;
  readonly selector: LabelSelector;
  /** Index in topologySpreadConstraints, for messages. */
  readonly index: number;
}

/** Where a replica count is set, for findings (`<object>` + field). */
export interface FieldRef {
  readonly object: string;
  readonly field: string;
}

export interface PodGroup {
  /** Unique key: the owning object (`Deployment/optibid/backend`) or `<stack>/<id>:<name>` for system pods. */
  readonly key: string;
  /** Short name for tables. */
  readonly name: string;
  readonly kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob' | 'ReplicaSet' | 'Pod';
  readonly namespace: string;
  /** Installed by CDK (add-on or chart), not rendered under dist/k8s. */
  readonly system: boolean;
  readonly labels: Labels;
  readonly res: PodResources;
  /** Pods at minimum scale (HPA minReplicas for HPA targets, else replicas; the counted CronJob runs; Job parallelism). */
  readonly min: number;
  /** Pods at maximum scale before surge (HPA maxReplicas for HPA targets). */
  readonly max: number;
  /** Extra pods a rolling update adds at maximum scale (Deployment maxSurge; 0 for StatefulSets and Jobs). */
  readonly surge: number;
  /** How the surge was derived, for the report. */
  readonly surgeNote: string;
  readonly hpa?: { readonly id: string; readonly min: number; readonly max: number };
  readonly minField: FieldRef;
  readonly maxField: FieldRef;
  /** The pod spec path in the owning object (for container request fields in findings). */
  readonly podSpecPath: string;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly affinityTerms?: readonly NodeSelectorTerm[];
  readonly tolerations: readonly Toleration[];
  readonly spreads: readonly SpreadConstraint[];
  readonly priorityClassName?: string;
  /** A pod with activeDeadlineSeconds (quota scope Terminating). */
  readonly terminating: boolean;
  /** Where figures come from, for system pods. */
  readonly source?: string;
  /** DaemonSets: one extra pod per node during an update (rollingUpdate.maxSurge > 0). */
  readonly daemonSurge?: boolean;
}

export interface WorkloadInventory {
  readonly groups: PodGroup[];
  readonly cron: CronRunsBound;
  /** Things not modelled (unknown charts/add-ons...). */
  readonly notes: string[];
}

/** The pod spec, its metadata and the spec's field path (the shared template reader, shaped for the packing). */
function podSpecOf(o: KubeObject): { spec: any; meta: any; path: string } | undefined {
  const t = podTemplateOf(o);
  return t && { spec: t.template.spec ?? {}, meta: t.template.metadata ?? {}, path: t.path ? `${t.path}.spec` : 'spec' };
}

/** `25%` of `replicas`, rounded up (maxSurge) ; an integer as is. */
export function resolveIntOrPercent(v: unknown, replicas: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)%$/.exec(String(v).trim());
  if (m) {
    const x = (Number(m[1]) * replicas) / 100;
    return roundUp ? Math.ceil(x - 1e-9) : Math.floor(x + 1e-9);
  }
  return Number.isFinite(Number(v)) ? Number(v) : 0;
}


function spreadsOf(spec: any): SpreadConstraint[] {
  return ((spec?.topologySpreadConstraints ?? []) as any[])
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => c?.whenUnsatisfiable === 'DoNotSchedule' && typeof c?.topologyKey === 'string')
    .map(({ c, index }) => ({ topologyKey: c.topologyKey, maxSkew: Number(c.maxSkew ?? 1), minDomains: c.minDomains === undefined ? undefined : Number(c.minDomains), selector: c.labelSelector, index }));
}


/** Everything that runs pods in the environment. */
export function collectWorkloads(env: RenderedEnvironment): WorkloadInventory {
  const objs = env.objects.map((o) => o.obj);
  const notes: string[] = [];
  const limitRanges = new Map<string, KubeObject[]>();
  for (const o of objs) if (o.kind === 'LimitRange') limitRanges.set(o.metadata.namespace ?? 'default', [...(limitRanges.get(o.metadata.namespace ?? 'default') ?? []), o]);
  const hpas = new Map<string, KubeObject>();
  for (const o of objs) {
    if (o.kind !== 'HorizontalPodAutoscaler') continue;
    const ref = o.spec?.scaleTargetRef ?? {};
    hpas.set(`${o.metadata.namespace ?? 'default'}/${ref.kind}/${ref.name}`, o);
  }

  const groups: PodGroup[] = [];
  const cronRuns: CronJobRuns[] = [];
  const cronGroups: { group: Omit<PodGroup, 'min' | 'max'>; id: string; parallelism: number }[] = [];

  for (const o of objs) {
    if (!(WORKLOAD_KINDS as readonly string[]).includes(o.kind)) continue;
    if (o.kind === 'Pod' && o.metadata?.ownerReferences) continue;
    const ps = podSpecOf(o);
    if (!ps) continue;
    const ns = o.metadata.namespace ?? 'default';
    const id = objectId(o);
    const res = podResources(ps.spec, limitRangeDefaults(limitRanges.get(ns) ?? []));
    const base = {
      key: id,
      name: o.metadata.name,
      kind: o.kind as PodGroup['kind'],
      namespace: ns,
      system: false,
      labels: (ps.meta.labels ?? {}) as Labels,
      res,
      podSpecPath: ps.path,
      nodeSelector: (ps.spec.nodeSelector ?? {}) as Record<string, string>,
      affinityTerms: ps.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as NodeSelectorTerm[] | undefined,
      tolerations: (ps.spec.tolerations ?? []) as Toleration[],
      spreads: spreadsOf(ps.spec),
      priorityClassName: ps.spec.priorityClassName as string | undefined,
      terminating: ps.spec.activeDeadlineSeconds !== undefined || (o.kind === 'Job' && o.spec?.activeDeadlineSeconds !== undefined) || (o.kind === 'CronJob' && o.spec?.jobTemplate?.spec?.activeDeadlineSeconds !== undefined),
    };
    if (o.kind === 'DaemonSet') {
      const ms = o.spec?.updateStrategy?.rollingUpdate?.maxSurge;
      groups.push({ ...base, min: 0, max: 0, surge: 0, surgeNote: 'one pod per node', minField: { object: id, field: 'spec' }, maxField: { object: id, field: 'spec' }, daemonSurge: ms !== undefined && resolveIntOrPercent(ms, 1, true) > 0 });
      continue;
    }
    if (o.kind === 'CronJob') {
      const jt = o.spec?.jobTemplate?.spec ?? {};
      const parallelism = Number(jt.parallelism ?? 1);
      cronRuns.push({
        id,
        schedule: String(o.spec?.schedule ?? ''),
        timeZone: o.spec?.timeZone,
        suspended: o.spec?.suspend === true,
        concurrencyPolicy: (o.spec?.concurrencyPolicy ?? 'Allow') as CronJobRuns['concurrencyPolicy'],
        activeDeadlineSeconds: jt.activeDeadlineSeconds === undefined ? undefined : Number(jt.activeDeadlineSeconds),
      });
      cronGroups.push({ id, parallelism, group: { ...base, surge: 0, surgeNote: 'none (Job pods)', minField: { object: id, field: 'spec.schedule' }, maxField: { object: id, field: 'spec.schedule' } } });
      continue;
    }
    if (o.kind === 'Job') {
      const parallelism = Math.min(Number(o.spec?.parallelism ?? 1), Number(o.spec?.completions ?? Infinity));
      groups.push({ ...base, min: parallelism, max: parallelism, surge: 0, surgeNote: 'none (Job pods; counted as running)', minField: { object: id, field: 'spec.parallelism' }, maxField: { object: id, field: 'spec.parallelism' } });
      continue;
    }
    if (o.kind === 'Pod') {
      groups.push({ ...base, min: 1, max: 1, surge: 0, surgeNote: 'none (bare pod)', minField: { object: id, field: 'spec' }, maxField: { object: id, field: 'spec' } });
      continue;
    }
    const hpa = hpas.get(`${ns}/${o.kind}/${o.metadata.name}`);
    const replicas = o.spec?.replicas === undefined ? 1 : Number(o.spec.replicas);
    let min = replicas;
    let max = replicas;
    let minField: FieldRef = { object: id, field: 'spec.replicas' };
    let maxField: FieldRef = { object: id, field: 'spec.replicas' };
    let hpaRef: PodGroup['hpa'];
    if (hpa) {
      const hid = objectId(hpa);
      min = Number(hpa.spec?.minReplicas ?? 1);
      max = Number(hpa.spec?.maxReplicas ?? min);
      minField = { object: hid, field: 'spec.minReplicas' };
      maxField = { object: hid, field: 'spec.maxReplicas' };
      hpaRef = { id: hid, min, max };
    }
    let surge = 0;
    let surgeNote = 'none';
    if (o.kind === 'Deployment') {
      const strategy = o.spec?.strategy ?? {};
      if (strategy.type === 'Recreate') surgeNote = 'none (strategy Recreate)';
      else {
        const raw = strategy.rollingUpdate?.maxSurge ?? '25%';
        surge = resolveIntOrPercent(raw, max, true);
        surgeNote = `maxSurge ${raw}${strategy.rollingUpdate?.maxSurge === undefined ? ' (default)' : ''} of ${max} → ${surge}`;
      }
    } else if (o.kind === 'StatefulSet') surgeNote = 'none (StatefulSets replace pods in place)';
    groups.push({ ...base, min, max, surge, surgeNote, hpa: hpaRef, minField, maxField });
  }

  const cron = cronRunsBound(cronRuns);
  for (const { id, group, parallelism } of cronGroups) {
    const runs = cron.runs.get(id) ?? 0;
    groups.push({ ...group, min: runs * parallelism, max: runs * parallelism });
  }

  const sys = systemInventory(env);
  for (const u of sys.unknown) notes.push(`${u}: not in the system component table — its pods are not counted`);
  for (const c of sys.components) {
    const key = `${c.replicasObject}:${c.name}`;
    const base = {
      key,
      name: c.name,
      namespace: c.namespace,
      system: true,
      labels: c.labels,
      res: c.res,
      podSpecPath: c.replicasField,
      nodeSelector: {},
      tolerations: c.toleratesAll ? [{ operator: 'Exists' } as Toleration] : [],
      spreads: [],
      terminating: false,
      source: c.source,
      minField: { object: c.replicasObject, field: c.replicasField },
      maxField: { object: c.replicasObject, field: c.replicasField },
    };
    if (c.kind === 'DaemonSet') groups.push({ ...base, kind: 'DaemonSet', min: 0, max: 0, surge: 0, surgeNote: 'one pod per node' });
    else {
      const max = c.maxReplicas ?? c.replicas;
      const surge = resolveIntOrPercent('25%', max, true);
      groups.push({ ...base, kind: 'Deployment', min: c.replicas, max, surge, surgeNote: `maxSurge 25% (Deployment default) of ${max} → ${surge}` });
    }
  }
  return { groups, cron, notes };
}

