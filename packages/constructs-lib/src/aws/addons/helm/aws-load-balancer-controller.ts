import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../../config/schema';
import type { PlatformNames } from '../../../naming/naming';
import { installChart } from './install-chart';

/**
 * AWS Load Balancer Controller: turns the `alb` Ingress into an ALB (with the WAF web ACL). Region and VPC are set
 * explicitly because IMDSv2 hop limit 1 keeps pods from discovering them.
 */
export function addAwsLoadBalancerController(scope: Construct, cluster: eks.ICluster, config: EnvironmentConfig, names: PlatformNames, vpcId: string): eks.HelmChart {
  const id = names.identities.loadBalancerController;
  return installChart(scope, 'AwsLoadBalancerController', 'awsLoadBalancerController', {
    cluster,
    namespace: id.namespace,
    values: {
      clusterName: names.clusterName,
      region: config.region,
      vpcId,
      replicaCount: config.tier === 'dev' ? 1 : 2,
      serviceAccount: { create: true, name: id.serviceAccount },
      createIngressClassResource: true,
      ingressClass: names.ingress.albClass,
      enableServiceMutatorWebhook: false,
    },
  });
}
