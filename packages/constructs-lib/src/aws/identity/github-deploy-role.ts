import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { PlatformNames } from '../../naming/naming';
import { acknowledge } from '../security/acknowledge';

export interface GithubDeployRoleProps {
  readonly names: PlatformNames;
  /**
   * Create the account's GitHub OIDC provider here (IAM holds one per URL and account); otherwise reference the
   * existing one by ARN.
   * @default true
   */
  readonly createOidcProvider?: boolean;
}

/** CDK's default bootstrap qualifier: the bootstrap roles are `cdk-hnb659fds-<purpose>-role-<account>-<region>`. */
export const CDK_BOOTSTRAP_QUALIFIER = 'hnb659fds';

/**
 * The role CI deploys with: GitHub Actions jobs of exactly this repository and GitHub environment assume it through
 * OIDC (no long-lived keys). It may assume the CDK bootstrap roles (which hold the CloudFormation permissions) and
 * describe the cluster; its Kubernetes rights come from the cluster access entry the cluster grants it.
 */
export class GithubDeployRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: GithubDeployRoleProps) {
    super(scope, id);
    const d = props.names.delivery;
    const issuer = d.oidcProviderUrl.replace(/^https:\/\//, '');
    const providerArn =
      props.createOidcProvider === false
        ? d.oidcProviderArn
        : new iam.OidcProviderNative(this, 'GithubOidc', {
            url: d.oidcProviderUrl,
            clientIds: ['sts.amazonaws.com'],
            // Retained: other stacks of the account may trust the same provider.
            removalPolicy: RemovalPolicy.RETAIN,
          }).oidcProviderArn;
    this.role = new iam.Role(this, 'Role', {
      roleName: d.deployRoleName,
      description: `GitHub Actions deploys of ${d.repository} (environment ${d.githubEnvironment})`,
      // A deploy (node-group rolls, every rollout, a rollback) can outlast an hour: credentials must not expire mid-way.
      maxSessionDuration: Duration.hours(3),
      assumedBy: new iam.WebIdentityPrincipal(providerArn, {
        StringEquals: { [`${issuer}:aud`]: 'sts.amazonaws.com', [`${issuer}:sub`]: d.oidcSubject },
      }),
    });
    const { account, region } = props.names;
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCdkBootstrapRoles',
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        resources: [`arn:aws:iam::${account}:role/cdk-${CDK_BOOTSTRAP_QUALIFIER}-*-role-${account}-${region}`],
      }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'Kubeconfig', actions: ['eks:DescribeCluster'], resources: [props.names.clusterArn] }));
    acknowledge(this.role, [
      {
        id: `AwsSolutions-IAM5[Resource::arn:aws:iam::${account}:role/cdk-${CDK_BOOTSTRAP_QUALIFIER}-*-role-${account}-${region}]`,
        reason: 'cdk deploy assumes the four CDK bootstrap roles of this account and region (deploy, file/image publishing, lookup); the wildcard is only their purpose.',
      },
    ]);
  }
}
