import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface PlatformNamespaceProps {
  readonly name: string;
  /**
   * Pod Security Standards level enforced, audited and warned on.
   * @default 'restricted'
   */
  readonly podSecurity?: 'restricted' | 'baseline' | 'privileged';
  /** Required when podSecurity is not 'restricted': why this namespace needs the exception. */
  readonly exceptionReason?: string;
  readonly labels?: Record<string, string>;
}

/** A Namespace with Pod Security Standards labels (restricted unless a written reason says otherwise). */
export class PlatformNamespace extends Construct {
  readonly namespace: ApiObject;

  constructor(scope: Construct, id: string, props: PlatformNamespaceProps) {
    super(scope, id);
    const level = props.podSecurity ?? 'restricted';
    if (level !== 'restricted' && !props.exceptionReason) {
      throw new Error(`Namespace '${props.name}': podSecurity '${level}' needs an exceptionReason`);
    }
    this.namespace = new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: props.name,
        labels: {
          ...props.labels,
          'pod-security.kubernetes.io/enforce': level,
          'pod-security.kubernetes.io/audit': level,
          'pod-security.kubernetes.io/warn': level,
        },
        ...(props.exceptionReason ? { annotations: { 'optibid.io/pod-security-exception': props.exceptionReason } } : {}),
      },
    });
  }
}
