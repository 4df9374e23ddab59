import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../../config/schema';
import type { PlatformNames } from '../../../naming/naming';
import { installChart } from './install-chart';

/**
 * external-dns: the Route 53 records of the public hosts. The ALB exists only once the load balancer controller has
 * created it at run time, so its records cannot come from CloudFormation; external-dns writes an alias record to the
 * ALB for each host of the edge Ingress (its `external-dns.alpha.kubernetes.io/hostname` annotation).
 *
 * Scope, as flags of external-dns v0.21.0 (pkg/apis/externaldns/types.go): only Ingresses of class `alb` (the NGINX
 * Ingresses report no public address), only the environment's public zone (`--zone-id-filter`, `domainFilters`,
 * `--aws-zone-type=public`), and a TXT ownership registry with the environment's owner id, so two environments
 * never take over each other's records. Production is `upsert-only` (never deletes a record); other tiers `sync`.
 * Credentials: EKS Pod Identity (aws-sdk-go-v2 config v1.32 in v0.21.0's go.mod reads the container credentials).
 */
export function addExternalDns(scope: Construct, cluster: eks.ICluster, config: EnvironmentConfig, names: PlatformNames): eks.HelmChart {
  const id = names.identities.externalDns;
  const zone = config.ingress.dnsZone;
  return installChart(scope, 'ExternalDns', 'externalDns', {
    cluster,
    namespace: id.namespace,
    release: names.ingress.externalDnsRelease,
    values: {
      provider: { name: 'aws' },
      serviceAccount: { create: true, name: id.serviceAccount },
      sources: ['ingress'],
      domainFilters: [zone.name],
      policy: config.tier === 'production' ? 'upsert-only' : 'sync',
      registry: 'txt',
      txtOwnerId: names.ingress.externalDnsOwnerId,
      interval: '1m',
      extraArgs: [`--ingress-class=${names.ingress.albClass}`, `--zone-id-filter=${zone.hostedZoneId}`, '--aws-zone-type=public'],
      // Route 53 is global, but the SDK needs a region to sign with.
      env: [{ name: 'AWS_REGION', value: config.region }],
      resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    },
  });
}
