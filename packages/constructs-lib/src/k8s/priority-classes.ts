import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

/**
 * Priority tiers: data and platform pods must never be preempted by an application scale-out, and application
 * pods never preempt each other (they wait for the cluster autoscaler instead).
 */
export const PRIORITY_CLASSES = {
  /** PostgreSQL, PgBouncer, Redis. */
  data: { name: 'optibid-data-critical', value: 1_000_000, preempts: true, description: 'Databases and their poolers: never preempted by application pods.' },
  /** Monitoring, logging, ingress. */
  platform: { name: 'optibid-platform', value: 500_000, preempts: true, description: 'Platform services (monitoring, ingress): above the application.' },
  /** Backend, frontend. */
  app: { name: 'optibid-app', value: 100_000, preempts: false, description: 'Application workloads: never preempt anything; wait for the cluster autoscaler.' },
} as const;

export class PlatformPriorityClasses extends Construct {
  constructor(scope: Construct, id: string, props: { readonly labels: Record<string, string> }) {
    super(scope, id);
    for (const [key, pc] of Object.entries(PRIORITY_CLASSES)) {
      new k8s.KubePriorityClass(this, key, {
        metadata: { name: pc.name, labels: props.labels },
        value: pc.value,
        globalDefault: false,
        preemptionPolicy: pc.preempts ? 'PreemptLowerPriority' : 'Never',
        description: pc.description,
      });
    }
  }
}
