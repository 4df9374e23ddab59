import type { EnvironmentConfigInput } from '../config/schema';
import { DEFAULT_KUBERNETES_VERSION } from '../versions/kubernetes';
import { appImages, REPOSITORY } from './shared';

/** Staging: production's shape (three zones, one node per zone per group) at a smaller size and one NAT gateway. */
export const staging: EnvironmentConfigInput = {
  name: 'staging',
  tier: 'staging',
  // Placeholder account: replace with the staging account id before `cdk deploy`.
  account: '222222222222',
  region: 'us-west-2',
  availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
  network: {
    vpcCidr: '10.20.0.0/16',
    publicSubnetCidrs: ['10.20.0.0/24', '10.20.1.0/24', '10.20.2.0/24'],
    privateSubnetCidrs: ['10.20.32.0/19', '10.20.64.0/19', '10.20.96.0/19'],
    natGateways: 1,
    flowLogRetentionDays: 90,
  },
  cluster: {
    kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
    endpointAccess: 'public-and-private',
    publicAccessCidrs: ['203.0.113.0/24'],
    maxTotalNodes: 8,
    nodeGroups: [
      { name: 'general', instanceType: 'm5.large', minSize: 3, maxSize: 4, diskSizeGiB: 50 },
      { name: 'large', instanceType: 'm5.xlarge', minSize: 3, maxSize: 4, diskSizeGiB: 50 },
    ],
  },
  app: { minReplicas: 2, maxReplicas: 4, ...appImages('222222222222', 'us-west-2') },
  // Placeholder hosted zone id: replace with the real zone before the first deploy.
  ingress: { appHost: 'app.staging.optibid.energy', apiHost: 'api.staging.optibid.energy', dnsZone: { name: 'optibid.energy', hostedZoneId: 'Z0STAGINGZONE00001' }, tlsIssuer: 'letsencrypt-production', acmeEmail: 'platform@optibid.energy' },
  database: {
    volumeSizeGiB: 50,
    members: 2,
    synchronousMode: true,
    resources: { requests: { cpu: '500m', memory: '4Gi' }, limits: { memory: '4Gi' } },
    pooler: { replicas: 2, serverConnectionsPerReplica: 100 },
    poolingCap: 200,
  },
  redis: { primaries: 3, replicasPerPrimary: 1, resources: { requests: { cpu: '100m', memory: '1Gi' }, limits: { memory: '1Gi' } }, volumeSizeGiB: 10 },
  delivery: REPOSITORY,
  monitoring: {
    prometheus: { replicas: 1, retentionDays: 7, retentionSizeGiB: 15, volumeSizeGiB: 20, resources: { requests: { cpu: '250m', memory: '2Gi' }, limits: { memory: '2Gi' } } },
    alertmanager: { replicas: 1, emailTo: 'oncall@optibid.energy', emailFrom: 'alerts@optibid.energy', smtpHost: 'email-smtp.us-west-2.amazonaws.com', slackChannel: '#optibid-staging-alerts' },
    logging: { host: 'logs.optibid.energy', index: 'optibid-staging', bufferSizeGiB: 2 },
    tracing: { retentionDays: 3, volumeSizeGiB: 10 },
  },
  backups: { transitionToInfrequentAccessDays: 30, transitionToGlacierDays: 60, expirationDays: 120 },
  // Placeholder ACM certificate (covers the staging hosts): replace with the real ARN before the first deploy.
  edge: { certificateArn: 'arn:aws:acm:us-west-2:222222222222:certificate/00000000-0000-4000-8000-000000000002' },
};
