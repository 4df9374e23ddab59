import { App, Tags } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { availabilityZoneContext, EnvironmentConfig, platformNames } from '@optibid/constructs-lib';
import { ClusterStack } from './stacks/cluster-stack';
import { DataStack } from './stacks/data-stack';
import { EdgeStack } from './stacks/edge-stack';
import { NetworkStack } from './stacks/network-stack';
import { FEATURE_FLAGS } from './feature-flags';

/** The stacks of one environment, in deployment order. */
export interface EnvironmentStacks {
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly edge: EdgeStack;
  readonly cluster: ClusterStack;
}

/**
 * Adds one environment's stacks to an app. Stack names come from the naming module, so
 * `cdk deploy 'optibid-production-*'` selects one environment.
 */
export function addEnvironmentStacks(app: App, config: EnvironmentConfig): EnvironmentStacks {
  const names = platformNames(config);
  const common = {
    config,
    names,
    env: { account: config.account, region: config.region },
    // Deleting a production stack must be a deliberate two-step act.
    terminationProtection: config.tier === 'production',
    analyticsReporting: false,
  };
  const network = new NetworkStack(app, names.stacks.network, { ...common, stackName: names.stacks.network, description: `${names.prefix}: VPC, subnets, NAT, flow logs, endpoints` });
  const data = new DataStack(app, names.stacks.data, { ...common, stackName: names.stacks.data, description: `${names.prefix}: backup bucket, KMS, Secrets Manager` });
  const edge = new EdgeStack(app, names.stacks.edge, { ...common, stackName: names.stacks.edge, description: `${names.prefix}: WAF web ACL` });
  const cluster = new ClusterStack(app, names.stacks.cluster, {
    ...common,
    stackName: names.stacks.cluster,
    description: `${names.prefix}: EKS cluster, node groups, add-ons, workload identities`,
    vpc: network.vpc,
    backupKey: data.backupKey,
    webAclArn: edge.webAclArn,
  });
  for (const stack of [network, data, edge, cluster]) {
    Tags.of(stack).add('optibid.io/environment', config.name);
    Tags.of(stack).add('optibid.io/managed-by', 'aws-cdk');
  }
  return { network, data, edge, cluster };
}

export interface BuildAwsAppOptions {
  readonly outdir?: string;
  /**
   * Reference asset sources in place instead of copying them into the cloud assembly. Templates are identical;
   * only `cdk deploy` needs staged assets, so the render turns staging off for speed.
   * @default false
   */
  readonly disableAssetStaging?: boolean;
  /**
   * CDK's built-in CloudFormation schema validation at synth. It costs ~2 s for all environments, so the render
   * turns it off and the synth-assertion tests run it on every stack instead.
   * @default true
   */
  readonly cloudFormationValidation?: boolean;
}

/**
 * Throws when synthesis left an error annotation or an unanswered context lookup: either would put dummy values
 * into a template that `cdk deploy` then rejects, so the render must fail loudly instead.
 */
export function assertCleanAssembly(assembly: CloudAssembly): void {
  const problems: string[] = [];
  for (const stack of assembly.stacks) {
    for (const m of stack.messages) if (m.level === 'error') problems.push(`${m.id}: ${String(m.entry.data)}`);
  }
  for (const missing of assembly.manifest.missing ?? []) problems.push(`context lookup '${missing.key}' is not answered by committed context`);
  if (problems.length) throw new Error(`CDK synthesis reported errors:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/** An app with every given environment's stacks. */
export function buildAwsApp(configs: readonly EnvironmentConfig[], opts: BuildAwsAppOptions = {}): { app: App; environments: Record<string, EnvironmentStacks> } {
  const app = new App({
    outdir: opts.outdir,
    builtinCloudFormationValidation: opts.cloudFormationValidation ?? true,
    context: {
      ...FEATURE_FLAGS,
      ...(opts.disableAssetStaging ? { 'aws:cdk:disable-asset-staging': true } : {}),
      // Keep templates free of machine paths and CDK build metadata: byte-identical renders.
      'aws:cdk:enable-path-metadata': false,
      'aws:cdk:enable-asset-metadata': false,
      // Answers CDK's zone lookups from the committed table: synthesis needs no credentials and no network.
      ...Object.assign({}, ...configs.map((c) => availabilityZoneContext(c.account, c.region))),
    },
  });
  const environments: Record<string, EnvironmentStacks> = {};
  for (const c of configs) environments[c.name] = addEnvironmentStacks(app, c);
  return { app, environments };
}
