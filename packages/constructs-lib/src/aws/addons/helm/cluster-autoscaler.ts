import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../../config/schema';
import type { PlatformNames } from '../../../naming/naming';
import { KUBERNETES_VERSIONS } from '../../../versions/kubernetes';
import { installChart } from './install-chart';

/**
 * Cluster autoscaler: discovers the node groups by their tags, keeps the cluster total under
 * `cluster.maxTotalNodes`, balances similar groups across zones. Its image minor matches the control plane.
 */
export function addClusterAutoscaler(scope: Construct, cluster: eks.ICluster, config: EnvironmentConfig, names: PlatformNames): eks.HelmChart {
  const id = names.identities.clusterAutoscaler;
  return installChart(scope, 'ClusterAutoscaler', 'clusterAutoscaler', {
    cluster,
    namespace: id.namespace,
    values: {
      cloudProvider: 'aws',
      awsRegion: config.region,
      autoDiscovery: { clusterName: names.clusterName },
      image: { tag: KUBERNETES_VERSIONS[config.cluster.kubernetesVersion].clusterAutoscalerImageTag },
      rbac: { serviceAccount: { create: true, name: id.serviceAccount } },
      extraArgs: {
        'max-nodes-total': config.cluster.maxTotalNodes,
        'balance-similar-node-groups': true,
        expander: 'least-waste',
        'skip-nodes-with-system-pods': false,
        'skip-nodes-with-local-storage': false,
      },
    },
  });
}
