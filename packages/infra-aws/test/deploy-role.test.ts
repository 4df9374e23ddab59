import { ENVIRONMENT_INPUTS } from '@optibid/constructs-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { buildEnvironment, resourcesOf } from './support';

/** CI's way in: GitHub OIDC, one repository and GitHub environment, no long-lived keys. */
// Every environment's cluster stack creates one (dev's included): iterate the index, so a new environment is covered.
describe.each(ENVIRONMENT_INPUTS.map((e) => e.name))('%s deploy role', (env) => {
  const built = buildEnvironment(env);
  const { names } = built;
  const { cluster } = built.templates;

  test('only jobs of this repository in this GitHub environment may assume it, through the GitHub OIDC provider', () => {
    const [[, role]] = resourcesOf(cluster, 'AWS::IAM::Role').filter(([, r]) => r.Properties.RoleName === names.delivery.deployRoleName);
    const [statement] = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(statement.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(statement.Condition).toEqual({
      StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': `repo:optibid/platform:environment:${env}` },
    });
    expect(role.Properties.MaxSessionDuration).toBe(10800);
    cluster.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] });
  });

  test('it may assume the CDK bootstrap roles and describe its own cluster, nothing else', () => {
    const policies = resourcesOf(cluster, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles).includes('GithubDeployRole'));
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.map((s: any) => [s.Action, s.Resource])).toEqual([
      [['sts:AssumeRole', 'sts:TagSession'], `arn:aws:iam::${names.account}:role/cdk-hnb659fds-*-role-${names.account}-${names.region}`],
      ['eks:DescribeCluster', names.clusterArn],
    ]);
  });

  test('it is mapped into the cluster (cluster admin: applies create namespaces, ClusterRoles, CRD objects), and no IAM user or access key exists', () => {
    cluster.hasResourceProperties('AWS::EKS::AccessEntry', {
      KubernetesGroups: [names.access.deployGroup],
      PrincipalArn: Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('GithubDeployRole'), 'Arn'] }),
      AccessPolicies: [Match.objectLike({ PolicyArn: Match.stringLikeRegexp('AmazonEKSClusterAdminPolicy') })],
    });
    for (const t of Object.values(built.templates)) {
      t.resourceCountIs('AWS::IAM::AccessKey', 0);
      t.resourceCountIs('AWS::IAM::User', 0);
    }
  });
});
