/**
 * Prints what a CI deploy job needs to know about one environment, computed by the naming module (workflows never
 * type an ARN or a cluster name): `node -r ts-node/register scripts/ci/environment-outputs.ts --env staging`.
 * Inside GitHub Actions the lines are also appended to $GITHUB_OUTPUT, so later steps read
 * `steps.<id>.outputs.role_arn` etc.
 */
import * as fs from 'fs';
import { KUBERNETES_VERSIONS, loadEnvironment, platformNames } from '@optibid/constructs-lib';

export function environmentOutputs(env: string): Record<string, string> {
  const config = loadEnvironment(env);
  const names = platformNames(config);
  return {
    environment: config.name,
    account: config.account,
    region: config.region,
    cluster_name: names.clusterName,
    cluster_arn: names.clusterArn,
    role_arn: names.delivery.deployRoleArn,
    github_environment: names.delivery.githubEnvironment,
    kubectl_version: KUBERNETES_VERSIONS[config.cluster.kubernetesVersion].kubectlClientVersion,
    stacks: Object.values(names.stacks).join(' '),
  };
}

function main(argv: string[]): number {
  const i = argv.indexOf('--env');
  const env = i >= 0 ? argv[i + 1] : undefined;
  if (!env) {
    console.error('usage: environment-outputs.ts --env <dev|staging|production>');
    return 2;
  }
  const lines = Object.entries(environmentOutputs(env)).map(([k, v]) => `${k}=${v}`);
  console.log(lines.join('\n'));
  if (process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, `${lines.join('\n')}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
