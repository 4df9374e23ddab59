import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { PLATFORM_VERSION, platformOwnedNamespaces } from '@optibid/constructs-lib';
import { AcmeClusterIssuers, AwsClusterSecretStore, EncryptedGp3StorageClass, OperatorRbac, PlatformPriorityClasses, recommendedLabels } from '@optibid/constructs-lib/k8s';
import type { PlatformChartProps } from './chart-props';

/**
 * Cluster-scoped objects: the default encrypted StorageClass, PriorityClasses, the Let's Encrypt ClusterIssuers,
 * the ClusterSecretStore on Secrets Manager, and the operators' RBAC.
 */
export class ClusterChart extends Chart {
  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config, names } = props;
    const labels = (name: string, component: string) => recommendedLabels({ name, instance: `${name}-${config.name}`, component, partOf: names.prefix, version: PLATFORM_VERSION });

    new EncryptedGp3StorageClass(this, 'StorageClass', {
      name: names.storage.storageClass,
      provisioner: names.storage.csiProvisioner,
      kmsKeyId: names.kms.ebsAliasArn,
      labels: labels(names.storage.storageClass, 'storage'),
    });
    new PlatformPriorityClasses(this, 'Priorities', { labels: labels('priority-classes', 'scheduling') });
    new AcmeClusterIssuers(this, 'Issuers', {
      issuers: names.certificates.clusterIssuers,
      email: config.ingress.acmeEmail,
      region: config.region,
      hostedZoneId: config.ingress.dnsZone.hostedZoneId,
      dnsZone: config.ingress.dnsZone.name,
      labels: labels('cluster-issuers', 'certificates'),
    });
    new AwsClusterSecretStore(this, 'SecretStore', {
      name: names.externalSecrets.clusterSecretStore,
      region: config.region,
      namespaces: platformOwnedNamespaces(names.namespaces),
      labels: labels(names.externalSecrets.clusterSecretStore, 'secrets'),
    });
    new OperatorRbac(this, 'OperatorRbac', {
      groups: { admins: names.access.adminGroup, readOnly: names.access.readOnlyGroup, onCall: names.access.onCallGroup },
      onCallNamespaces: [names.namespaces.app, names.namespaces.data],
      prefix: config.project,
      labels: labels('operator-rbac', 'access'),
    });
  }
}
