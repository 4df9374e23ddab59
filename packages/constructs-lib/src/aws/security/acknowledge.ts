import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A cdk-nag finding accepted on purpose, with the reason a reviewer reads. */
export interface Acknowledgement {
  /** Rule id, optionally with the finding, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  readonly reason: string;
}

/** Acknowledges findings on a construct and its children (CDK's native validation acknowledgements). */
export function acknowledge(scope: IConstruct, acks: readonly Acknowledgement[]): void {
  for (const a of acks) {
    if (a.reason.trim().length < 20) throw new Error(`Acknowledgement of ${a.id} on ${scope.node.path} needs a specific reason`);
    Validations.of(scope).acknowledge({ id: a.id, reason: a.reason });
  }
}
