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
  /** The cluster's ARN as a literal (naming module), so the trust condition reads as what EKS sends. */
  readonly clusterArn: string;
  readonly account: string;
  /** What the workload may do (see ./policies), with the reasons for any broad grant. */
  readonly permissions: WorkloadPermissions;
  readonly description: string;
}

/**
 * The session tags EKS Pod Identity sets when it assumes a role for a pod (EKS User Guide, "Create IAM role with
 * trust policy required by EKS Pod Identity" and "Enable or disable session tags", pod-id-role.html /
 * pod-id-abac.html): the trust policy is scoped by them, since `aws:SourceArn` is not among the documented keys.
 */
export const POD_IDENTITY_SESSION_TAGS = {
  clusterArn: 'aws:RequestTag/eks-cluster-arn',
  namespace: 'aws:RequestTag/kubernetes-namespace',
  serviceAccount: 'aws:RequestTag/kubernetes-service-account',
} as const;

/**
 * An IAM role with an explicit name, assumable only by EKS Pod Identity for this account, this cluster and exactly
 * the namespace/service account of its association, and that association.
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
          StringEquals: {
            'aws:SourceAccount': props.account,
            [POD_IDENTITY_SESSION_TAGS.clusterArn]: props.clusterArn,
            [POD_IDENTITY_SESSION_TAGS.namespace]: identity.namespace,
            [POD_IDENTITY_SESSION_TAGS.serviceAccount]: identity.serviceAccount,
          },
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
