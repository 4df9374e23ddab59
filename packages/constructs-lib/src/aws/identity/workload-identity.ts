import { CfnJson } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { WEB_IDENTITY, type WorkloadIdentityName } from '../../naming/naming';
import { acknowledge } from '../security/acknowledge';
import type { WorkloadPermissions } from './policies';

export interface WorkloadIdentityProps {
  /** Names from the naming module: role name, namespace, service account, and how the pods get credentials. */
  readonly identity: WorkloadIdentityName;
  readonly clusterName: string;
  /** The cluster's ARN as a literal (naming module), so the trust condition reads as what EKS sends. */
  readonly clusterArn: string;
  readonly account: string;
  /** What the workload may do (see ./policies), with the reasons for any broad grant. */
  readonly permissions: WorkloadPermissions;
  readonly description: string;
  /**
   * The cluster's IAM OIDC provider (`cluster.openIdConnectProvider`): required for an IRSA identity
   * (`identity.credentials === 'irsa'`), unused otherwise.
   */
  readonly oidcProvider?: iam.IOpenIdConnectProvider;
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
 * An IAM role with an explicit name for exactly one namespace/service account, with one credential path:
 * - `pod-identity`: assumable only by EKS Pod Identity for this account, this cluster and exactly the namespace and
 *   service account of its association, and that association;
 * - `irsa`: assumable only through `sts:AssumeRoleWithWebIdentity` with a token of the cluster's IAM OIDC provider
 *   whose `sub` is exactly `system:serviceaccount:<namespace>:<serviceAccount>` and whose `aud` is
 *   `sts.amazonaws.com` (StringEquals, EKS User Guide "Assign IAM roles to Kubernetes service accounts",
 *   associate-service-account-role.html); no association. The issuer is known only once the cluster exists, so the
 *   condition keys go through CfnJson, as aws-cdk-lib's own eks.ServiceAccount does for IRSA.
 */
export class WorkloadIdentity extends Construct {
  readonly role: iam.Role;
  /** The Pod Identity association (`pod-identity` identities only). */
  readonly association?: eks.CfnPodIdentityAssociation;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    const { identity } = props;
    this.role = new iam.Role(this, 'Role', {
      roleName: identity.roleName,
      description: props.description,
      assumedBy: identity.credentials === 'irsa' ? this.webIdentityPrincipal(props) : podIdentityPrincipal(props),
      managedPolicies: props.permissions.managedPolicies,
      inlinePolicies: { workload: new iam.PolicyDocument({ statements: props.permissions.statements }) },
    });
    acknowledge(this.role, props.permissions.acknowledgements ?? []);
    if (identity.credentials === 'pod-identity') {
      this.association = new eks.CfnPodIdentityAssociation(this, 'Association', {
        clusterName: props.clusterName,
        namespace: identity.namespace,
        serviceAccount: identity.serviceAccount,
        roleArn: this.role.roleArn,
      });
    }
  }

  private webIdentityPrincipal(props: WorkloadIdentityProps): iam.IPrincipal {
    const provider = props.oidcProvider;
    if (!provider) throw new Error(`IRSA identity ${props.identity.roleName} needs the cluster's OIDC provider`);
    const issuer = provider.openIdConnectProviderIssuer;
    const conditions = new CfnJson(this, 'TrustConditions', {
      value: { [`${issuer}:sub`]: props.identity.subject, [`${issuer}:aud`]: WEB_IDENTITY.audience },
    });
    return new iam.OpenIdConnectPrincipal(provider, { StringEquals: conditions });
  }
}

function podIdentityPrincipal(props: WorkloadIdentityProps): iam.IPrincipal {
  return new iam.ServicePrincipal('pods.eks.amazonaws.com', {
    conditions: {
      StringEquals: {
        'aws:SourceAccount': props.account,
        [POD_IDENTITY_SESSION_TAGS.clusterArn]: props.clusterArn,
        [POD_IDENTITY_SESSION_TAGS.namespace]: props.identity.namespace,
        [POD_IDENTITY_SESSION_TAGS.serviceAccount]: props.identity.serviceAccount,
      },
    },
  }).withSessionTags();
}
