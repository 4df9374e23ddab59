import type { EnvironmentConfigInput } from '../config/schema';
import { DEFAULT_KUBERNETES_VERSION } from '../versions/kubernetes';
import { appImages, REPOSITORY } from './shared';

/** Dev: small and cheap. One NAT gateway, one small node group, single replicas. Not highly available. */
export const dev: EnvironmentConfigInput = {
  name: 'dev',
  tier: 'dev',
  // Placeholder account: replace with the dev account id before `cdk deploy`.
  account: '111111111111',
  region: 'us-west-2',
  availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
  network: {
    vpcCidr: '10.10.0.0/16',
    publicSubnetCidrs: ['10.10.0.0/24', '10.10.1.0/24', '10.10.2.0/24'],
    privateSubnetCidrs: ['10.10.32.0/20', '10.10.48.0/20', '10.10.64.0/20'],
    natGateways: 1,
    flowLogRetentionDays: 30,
  },
  cluster: {
    kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
    endpointAccess: 'public-and-private',
    publicAccessCidrs: ['203.0.113.0/24'],
    maxTotalNodes: 4,
    // Two nodes minimum: the platform's minimum footprint (36 pods incl. system add-ons) does not fit one m5.large (npm run verify, capacity).
    nodeGroups: [{ name: 'general', instanceType: 'm5.large', minSize: 2, maxSize: 3, diskSizeGiB: 40 }],
  },
  app: { minReplicas: 1, maxReplicas: 3, ...appImages('111111111111', 'us-west-2') },
  // Placeholder hosted zone id: replace with the real zone before the first deploy.
  ingress: { appHost: 'app.dev.optibid.energy', apiHost: 'api.dev.optibid.energy', dnsZone: { name: 'optibid.energy', hostedZoneId: 'Z0DEVZONE000000001' }, tlsIssuer: 'letsencrypt-staging', acmeEmail: 'platform@optibid.energy' },
  database: {
    volumeSizeGiB: 20,
    members: 1,
    synchronousMode: false,
    resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '1Gi' } },
    pooler: { replicas: 1, serverConnectionsPerReplica: 50 },
    poolingCap: 50,
    // Above the 44 a 1Gi member holds at the work_mem floor: accepted for dev, whose load never runs 50 sorting queries at once.
    poolingCapOverBudgetReason: 'dev runs one 1Gi member under test load only: 50 concurrent sorting queries never happen there',
  },
  redis: { primaries: 3, replicasPerPrimary: 0, resources: { requests: { cpu: '100m', memory: '1Gi' }, limits: { memory: '1Gi' } }, volumeSizeGiB: 5 },
  delivery: REPOSITORY,
  monitoring: {
    prometheus: { replicas: 1, retentionDays: 3, retentionSizeGiB: 8, volumeSizeGiB: 10, resources: { requests: { cpu: '100m', memory: '1Gi' }, limits: { memory: '1Gi' } } },
    alertmanager: { replicas: 1, emailTo: 'dev-team@optibid.energy', emailFrom: 'alerts@optibid.energy', smtpHost: 'email-smtp.us-west-2.amazonaws.com', slackChannel: '#optibid-dev-alerts' },
    logging: { host: 'logs.optibid.energy', index: 'optibid-dev', bufferSizeGiB: 1 },
    tracing: { retentionDays: 2, volumeSizeGiB: 5 },
  },
  backups: { transitionToInfrequentAccessDays: 30, transitionToGlacierDays: 60, expirationDays: 90 },
};
