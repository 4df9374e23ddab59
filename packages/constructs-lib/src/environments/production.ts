import type { EnvironmentConfigInput } from '../config/schema';
import { DEFAULT_KUBERNETES_VERSION } from '../versions/kubernetes';
import { appImages, REPOSITORY } from './shared';

/**
 * Production: the seed's figures. us-west-2 over three zones, a NAT gateway per zone, two managed node groups of
 * 3-6 nodes each (one per zone at minimum) with the cluster autoscaler capping the total at 10, 100 GB gp3 volumes,
 * the application HPA at 3-10 pods.
 */
export const production: EnvironmentConfigInput = {
  name: 'production',
  tier: 'production',
  // Placeholder account: replace with the production account id before `cdk deploy`.
  account: '333333333333',
  region: 'us-west-2',
  availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
  network: {
    vpcCidr: '10.30.0.0/16',
    publicSubnetCidrs: ['10.30.0.0/24', '10.30.1.0/24', '10.30.2.0/24'],
    // /19 per zone: the VPC CNI gives every pod a VPC address, so the private subnets are sized for pods.
    privateSubnetCidrs: ['10.30.32.0/19', '10.30.64.0/19', '10.30.96.0/19'],
    natGateways: 3,
    flowLogRetentionDays: 365,
  },
  cluster: {
    kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
    endpointAccess: 'public-and-private',
    // Documentation range (RFC 5737): replace with the VPN / CI egress CIDRs that run kubectl.
    publicAccessCidrs: ['203.0.113.0/24'],
    maxTotalNodes: 10,
    nodeGroups: [
      { name: 'general', instanceType: 'm5.xlarge', minSize: 3, maxSize: 6, diskSizeGiB: 100 },
      { name: 'large', instanceType: 'm5.2xlarge', minSize: 3, maxSize: 6, diskSizeGiB: 100 },
    ],
  },
  app: { minReplicas: 3, maxReplicas: 10, ...appImages('333333333333', 'us-west-2') },
  // Placeholder hosted zone id: replace with the real zone before the first deploy.
  ingress: { appHost: 'app.optibid.energy', apiHost: 'api.optibid.energy', dnsZone: { name: 'optibid.energy', hostedZoneId: 'Z0PRODUCTIONZONE01' }, tlsIssuer: 'letsencrypt-production', acmeEmail: 'platform@optibid.energy' },
  database: {
    volumeSizeGiB: 100,
    members: 2,
    synchronousMode: true,
    resources: { requests: { cpu: '1', memory: '8Gi' }, limits: { memory: '8Gi' } },
    pooler: { replicas: 2, serverConnectionsPerReplica: 100 },
    poolingCap: 200,
  },
  redis: { primaries: 3, replicasPerPrimary: 1, resources: { requests: { cpu: '250m', memory: '2Gi' }, limits: { memory: '2Gi' } }, volumeSizeGiB: 20 },
  delivery: REPOSITORY,
  monitoring: {
    prometheus: { replicas: 2, retentionDays: 15, retentionSizeGiB: 40, volumeSizeGiB: 50, resources: { requests: { cpu: '500m', memory: '4Gi' }, limits: { memory: '4Gi' } } },
    alertmanager: { replicas: 3, emailTo: 'oncall@optibid.energy', emailFrom: 'alerts@optibid.energy', smtpHost: 'email-smtp.us-west-2.amazonaws.com', slackChannel: '#optibid-alerts' },
    logging: { host: 'logs.optibid.energy', index: 'optibid-production', bufferSizeGiB: 5 },
    tracing: { retentionDays: 7, volumeSizeGiB: 20 },
  },
  backups: { transitionToInfrequentAccessDays: 30, transitionToGlacierDays: 90, expirationDays: 400 },
  // Placeholder ACM certificate (covers app. and api.optibid.energy): replace with the real ARN before the first deploy.
  edge: { rateLimitPer5Minutes: 2000, certificateArn: 'arn:aws:acm:us-west-2:333333333333:certificate/00000000-0000-4000-8000-000000000003' },
};
