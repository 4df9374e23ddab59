import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../../config/schema';
import type { PlatformNames } from '../../../naming/naming';
import { installChart } from './install-chart';

/**
 * External Secrets Operator: its service account is the one the `externalSecrets` Pod Identity association binds,
 * so it reads exactly the platform's Secrets Manager secrets.
 */
export function addExternalSecrets(scope: Construct, cluster: eks.ICluster, config: EnvironmentConfig, names: PlatformNames): eks.HelmChart {
  const id = names.identities.externalSecrets;
  return installChart(scope, 'ExternalSecrets', 'externalSecrets', {
    cluster,
    namespace: id.namespace,
    values: {
      installCRDs: true,
      replicaCount: config.tier === 'dev' ? 1 : 2,
      leaderElect: true,
      serviceAccount: { create: true, name: id.serviceAccount },
    },
  });
}
