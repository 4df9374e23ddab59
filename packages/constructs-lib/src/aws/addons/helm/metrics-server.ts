import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../../config/schema';
import type { PlatformNames } from '../../../naming/naming';
import { installChart } from './install-chart';

/** metrics-server: the resource metrics API the HPAs read. Two replicas outside dev so scaling survives a node loss. */
export function addMetricsServer(scope: Construct, cluster: eks.ICluster, config: EnvironmentConfig, names: PlatformNames): eks.HelmChart {
  return installChart(scope, 'MetricsServer', 'metricsServer', {
    cluster,
    namespace: names.namespaces.kubeSystem,
    values: {
      replicas: config.tier === 'dev' ? 1 : 2,
      podDisruptionBudget: { enabled: config.tier !== 'dev', minAvailable: 1 },
    },
  });
}
