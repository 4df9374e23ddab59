import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../../config/schema';
import type { PlatformNames } from '../../../naming/naming';
import { installChart } from './install-chart';

/** cert-manager with its CRDs (kept on uninstall so certificates survive a chart removal). */
export function addCertManager(scope: Construct, cluster: eks.ICluster, config: EnvironmentConfig, names: PlatformNames): eks.HelmChart {
  return installChart(scope, 'CertManager', 'certManager', {
    cluster,
    namespace: names.namespaces.certManager,
    values: {
      crds: { enabled: true, keep: true },
      // The service account the certManager Pod Identity association binds (Route 53 DNS-01).
      serviceAccount: { create: true, name: names.identities.certManager.serviceAccount },
      replicaCount: config.tier === 'dev' ? 1 : 2,
      podDisruptionBudget: { enabled: config.tier !== 'dev', minAvailable: 1 },
    },
  });
}
