import type { KubeObject } from './types';

/** Kinds that carry a pod template (what runs pods). */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'] as const;

/** A pod template as the checks read it: the owner's template (metadata + spec) and its field path. */
export interface PodTemplateRef {
  readonly template: { readonly metadata?: KubeObject['metadata'] | Record<string, any>; readonly spec?: any };
  /** Field path of the template within the object: `spec.template`, `spec.jobTemplate.spec.template`, or `` (a Pod). */
  readonly path: string;
}

/** The pod template of a workload object (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod). */
export function podTemplateOf(obj: KubeObject): PodTemplateRef | undefined {
  switch (obj.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return obj.spec?.template ? { template: obj.spec.template, path: 'spec.template' } : undefined;
    case 'CronJob':
      return obj.spec?.jobTemplate?.spec?.template ? { template: obj.spec.jobTemplate.spec.template, path: 'spec.jobTemplate.spec.template' } : undefined;
    case 'Pod':
      return { template: { metadata: obj.metadata, spec: obj.spec }, path: '' };
    default:
      return undefined;
  }
}
