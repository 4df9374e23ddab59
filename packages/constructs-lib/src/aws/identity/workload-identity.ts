import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { WorkloadIdentityName } from '../../naming/naming';
import { acknowledge } from '../security/acknowledge';
import type { WorkloadPermissions } from './policies';

export interface WorkloadIdentityProps {
  /** Names from the naming module: role name, namespace, service account. */
  readonly identity: WorkloadIdentityName;
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly account: string;
  /** What the workload may do (see ./policies), with the reasons for any broad grant. */
  readonly permissions: WorkloadPermissions;
  readonly description: string;
}

/**
 * An IAM role with an explicit name, assumable only by EKS Pod Identity for this account and cluster, and the
 * Pod Identity association that binds it to exactly one namespace/service account.
 */
export class WorkloadIdentity extends Construct {
  readonly role: iam.Role;
  readonly association: eks.CfnPodIdentityAssociation;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    const { identity } = props;
    this.role = new iam.Role(this, 'Role', {
      roleName: identity.roleName,
      description: props.description,
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': props.account },
          ArnEquals: { 'aws:SourceArn': props.clusterArn },
        },
      }).withSessionTags(),
      managedPolicies: props.permissions.managedPolicies,
      inlinePolicies: { workload: new iam.PolicyDocument({ statements: props.permissions.statements }) },
    });
    acknowledge(this.role, props.permissions.acknowledgements ?? []);
    this.association = new eks.CfnPodIdentityAssociation(this, 'Association', {
      clusterName: props.clusterName,
      namespace: identity.namespace,
      serviceAccount: identity.serviceAccount,
      roleArn: this.role.roleArn,
    });
  }
}
