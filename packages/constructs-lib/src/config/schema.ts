import { z } from 'zod';
import { cidrContains, cidrsOverlap, CidrRange, parseCidr } from '../util/cidr';
import { INSTANCE_FAMILIES, INSTANCE_TYPES } from '../versions/instance-types';
import { KUBERNETES_VERSIONS } from '../versions/kubernetes';
import { REGION_AVAILABILITY_ZONES } from '../versions/regions';
import { backupBucketName, backupLogBucketName, nodegroupName, platformNamespaceNames } from '../naming/naming';
import { appSchema, authSchema, checkAppRules, ingressSchema, meshSchema } from './app-schema';
import { checkDatabaseRules, databaseSchema } from './database-schema';
import { checkRedisRules, redisSchema } from './redis-schema';
import { checkMonitoringRules, monitoringSchema } from './monitoring-schema';
import { appWorkloadFootprints, namespaceRequirement } from '../sizing/namespace-footprint';
import { deliverySchema } from './delivery-schema';

/**
 * The environment config schema. Every rule lives here, so `validateEnvironmentConfig` can list every violation,
 * field by field, before anything is built or written.
 */

/** RFC 1123 label: what Kubernetes requires of namespace and object names (63 characters at most). */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = (max = 63) =>
  z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .regex(DNS1123_LABEL, { message: 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit' });

const cidr = z.string().superRefine((value, ctx) => {
  const parsed = parseCidr(value);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: `malformed CIDR: ${parsed}` });
});

/**
 * A VPC or subnet block: AWS allows netmasks from /16 to /28 for both (Amazon VPC User Guide, "VPC CIDR blocks":
 * "The allowed block size is between a /16 netmask (65,536 IP addresses) and /28 netmask (16 IP addresses)").
 */
const vpcBlock = cidr.superRefine((value, ctx) => {
  const parsed = parseCidr(value);
  if (typeof parsed !== 'string' && (parsed.prefix < 16 || parsed.prefix > 28)) ctx.addIssue({ code: 'custom', message: `${value}: AWS allows VPC and subnet blocks from /16 to /28 (got /${parsed.prefix})` });
});

/** EKS managed node group names: at most 63 characters (EKS CreateNodegroup, nodegroupName). */
export const EKS_NODEGROUP_NAME_MAX = 63;

const REGION_RE = /^(us|eu|ap|ca|sa|me|af|il|mx)(-gov)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d$/;

/** Retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export const TIERS = ['dev', 'staging', 'production'] as const;

const nodeGroupSchema = z
  .object({
    /** Node group name, also the value of the `optibid.io/node-group` node label. */
    name: dnsLabel(40),
    /** EC2 instance type; its family must be one of {@link INSTANCE_FAMILIES}. */
    instanceType: z.string(),
    minSize: z.number().int().min(0),
    maxSize: z.number().int().min(1),
    /** @default minSize */
    desiredSize: z.number().int().min(0).optional(),
    /** Root volume size (gp3, encrypted). @default 100 */
    diskSizeGiB: z.number().int().min(20).max(16384).default(100),
  })
  .strict();

export const environmentConfigSchema = z
  .object({
    /** Environment name: part of every physical name. */
    name: dnsLabel(20),
    /** Which rule set applies: staging and production must be highly available. */
    tier: z.enum(TIERS),
    /** Product prefix of every physical name. @default 'optibid' */
    project: dnsLabel(12).default('optibid'),
    /** Target AWS account (12 digits). */
    account: z.string().regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account id' }),
    /** Target AWS region, e.g. us-west-2. */
    region: z.string().regex(REGION_RE, { message: 'must be an AWS region name such as us-west-2' }),
    /** Availability zones the VPC spans, in order; subnet CIDR lists follow this order. */
    availabilityZones: z.array(z.string()).min(1).max(6),
    network: z
      .object({
        vpcCidr: vpcBlock,
        /** One public subnet per AZ, same order as availabilityZones. */
        publicSubnetCidrs: z.array(vpcBlock),
        /** One private subnet per AZ, same order as availabilityZones. */
        privateSubnetCidrs: z.array(vpcBlock),
        /** NAT gateways: 1 (cheap, one AZ is a single point of egress) up to one per AZ. */
        natGateways: z.number().int().min(1),
        /** Retention of the VPC flow log group in days. @default 90 */
        flowLogRetentionDays: z.number().int().refine((d) => LOG_RETENTION_DAYS.includes(d), { message: `must be a CloudWatch Logs retention period (${LOG_RETENTION_DAYS.join(', ')})` }).default(90),
      })
      .strict(),
    cluster: z
      .object({
        /** EKS control-plane version; must have a kubectl layer in the version table. */
        kubernetesVersion: z.string(),
        /** `public-and-private` keeps kubectl from CI working; `private` closes the public endpoint. */
        endpointAccess: z.enum(['public-and-private', 'private']).default('public-and-private'),
        /** CIDRs allowed to reach the public endpoint (ignored when private). */
        publicAccessCidrs: z.array(cidr).min(1),
        /**
         * Why a production API endpoint is open to the whole internet (0.0.0.0/0): required, and reviewed in the
         * diff, when production's publicAccessCidrs contains it; refused otherwise.
         * @default none (production's endpoint may not be open to 0.0.0.0/0)
         */
        openPublicAccessReason: z.string().min(20, { message: 'must say why in at least 20 characters' }).optional(),
        /** IAM principals that may assume the cluster admin / read-only roles. @default the account root */
        trustedPrincipalArns: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@\/-]+|user\/[\w+=,.@\/-]+)$/, { message: 'must be an IAM root, role or user ARN' })).default([]),
        /** Upper bound on the total node count, enforced by the cluster autoscaler (--max-nodes-total). */
        maxTotalNodes: z.number().int().min(1),
        nodeGroups: z.array(nodeGroupSchema).min(1),
      })
      .strict(),
    /** The application workloads (backend, frontend): scaling, images, resources. */
    app: appSchema,
    /** Public hosts, TLS and edge limits of the application Ingress. */
    ingress: ingressSchema,
    /** Authentication and authorization policy the backend enforces (seed story 3). */
    auth: authSchema.default(authSchema.parse({})),
    /** Service-mesh readiness switch. */
    mesh: meshSchema,
    /** The PostgreSQL tier (Patroni + PgBouncer + pgBackRest). */
    database: databaseSchema,
    /** Redis in cluster mode (sessions and cache). */
    redis: redisSchema,
    /** Prometheus, Alertmanager, logs and traces. */
    monitoring: monitoringSchema,
    /** The repository, branch and GitHub environment that deliver this environment. */
    delivery: deliverySchema,
    backups: z
      .object({
        /** Days before backups move to S3 Standard-IA. @default 30 */
        transitionToInfrequentAccessDays: z.number().int().min(30).default(30),
        /** Days before backups move to Glacier Flexible Retrieval. @default 90 */
        transitionToGlacierDays: z.number().int().min(1).default(90),
        /** Days before backups expire. */
        expirationDays: z.number().int().min(1),
      })
      .strict(),
    edge: z
      .object({
        /** Requests per 5 minutes from one IP before the WAF rate rule blocks it. @default 2000 */
        rateLimitPer5Minutes: z.number().int().min(100).max(2_000_000_000).default(2000),
        /**
         * ACM certificate for the public ALB. Without one the ALB listens on HTTP only (fine for dev, not for
         * production traffic).
         * @default none
         */
        certificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, { message: 'must be an ACM certificate ARN' }).optional(),
      })
      .strict()
      .default({ rateLimitPer5Minutes: 2000 }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const ha = cfg.tier !== 'dev';

    // Public traffic must be HTTPS outside dev: without a certificate the ALB would listen on plain HTTP only.
    const cert = cfg.edge.certificateArn;
    if (ha && !cert) issue(['edge', 'certificateArn'], `is required for tier ${cfg.tier}: without an ACM certificate the public ALB listens on HTTP only`);
    if (cert) {
      const [, , , region, account] = cert.split(':');
      if (region !== cfg.region) issue(['edge', 'certificateArn'], `is in region ${region}; the ALB needs a certificate in ${cfg.region}`);
      if (account !== cfg.account) issue(['edge', 'certificateArn'], `belongs to account ${account}, not the environment's account ${cfg.account}`);
    }

    // Names derived from the config must fit AWS limits (S3 bucket names: 63 characters).
    for (const bucket of [backupBucketName(cfg), backupLogBucketName(cfg)]) {
      if (bucket.length > 63) issue(['name'], `project + name are too long: the bucket name '${bucket}' has ${bucket.length} characters (S3 allows 63)`);
    }

    // Availability zones: belong to the region, unique, and 3+ where we promise zone-loss survival.
    const regionZones = REGION_AVAILABILITY_ZONES[cfg.region];
    if (!regionZones) issue(['region'], `region ${cfg.region} is not in the committed zone table (supported: ${Object.keys(REGION_AVAILABILITY_ZONES).join(', ')})`);
    cfg.availabilityZones.forEach((az, i) => {
      if (regionZones && !regionZones.includes(az)) issue(['availabilityZones', i], `'${az}' is not an availability zone of region ${cfg.region} (${regionZones.join(', ')})`);
    });
    if (new Set(cfg.availabilityZones).size !== cfg.availabilityZones.length) issue(['availabilityZones'], 'must not repeat a zone');
    if (ha && cfg.availabilityZones.length < 3) issue(['availabilityZones'], `tier '${cfg.tier}' needs at least 3 availability zones to survive losing one (got ${cfg.availabilityZones.length})`);

    // Network: one subnet per AZ per tier, inside the VPC, no overlaps.
    const azCount = cfg.availabilityZones.length;
    const net = cfg.network;
    const vpc = parseCidr(net.vpcCidr);
    const subnets: { path: (string | number)[]; range: CidrRange }[] = [];
    for (const key of ['publicSubnetCidrs', 'privateSubnetCidrs'] as const) {
      if (net[key].length !== azCount) issue(['network', key], `must list one CIDR per availability zone (${azCount}), got ${net[key].length}`);
      net[key].forEach((c, i) => {
        const r = parseCidr(c);
        if (typeof r === 'string') return; // already reported by the field schema
        if (typeof vpc !== 'string' && !cidrContains(vpc, r)) issue(['network', key, i], `${c} is outside the VPC CIDR ${net.vpcCidr}`);
        if (r.prefix > 28) issue(['network', key, i], `${c} is smaller than /28, the smallest subnet AWS allows`);
        subnets.push({ path: ['network', key, i], range: r });
      });
    }
    for (let i = 0; i < subnets.length; i++) {
      for (let j = i + 1; j < subnets.length; j++) {
        if (cidrsOverlap(subnets[i].range, subnets[j].range)) {
          issue(subnets[j].path, `${subnets[j].range.cidr} overlaps ${subnets[i].range.cidr} (${subnets[i].path.join('.')})`);
        }
      }
    }
    if (net.natGateways > azCount) issue(['network', 'natGateways'], `must be at most the number of availability zones (${azCount}), got ${net.natGateways}`);

    // Cluster.
    const c = cfg.cluster;
    if (!(c.kubernetesVersion in KUBERNETES_VERSIONS)) {
      issue(['cluster', 'kubernetesVersion'], `'${c.kubernetesVersion}' has no kubectl layer in the version table (supported: ${Object.keys(KUBERNETES_VERSIONS).join(', ')})`);
    }
    const names = new Set<string>();
    let minSum = 0;
    // The production control plane is not open to the internet by accident (EKS allows it: it is the default).
    const open = c.endpointAccess !== 'private' && c.publicAccessCidrs.some((x) => x.trim() === '0.0.0.0/0');
    if (cfg.tier === 'production' && open && !c.openPublicAccessReason) {
      issue(['cluster', 'publicAccessCidrs'], `the production API endpoint is open to 0.0.0.0/0: list the networks that run kubectl (CI, VPN), make it private, or say why in cluster.openPublicAccessReason`);
    }
    if (c.openPublicAccessReason && !open) issue(['cluster', 'openPublicAccessReason'], 'is set, but the endpoint is not open to 0.0.0.0/0: remove it');
    c.nodeGroups.forEach((g, i) => {
      const p = ['cluster', 'nodeGroups', i];
      const family = g.instanceType.split('.')[0];
      if (!INSTANCE_FAMILIES.includes(family)) issue([...p, 'instanceType'], `unknown instance type family '${family}' (known: ${INSTANCE_FAMILIES.join(', ')})`);
      else if (!(g.instanceType in INSTANCE_TYPES)) issue([...p, 'instanceType'], `unknown instance type '${g.instanceType}' (known in family ${family}: ${Object.keys(INSTANCE_TYPES).filter((t) => t.startsWith(family + '.')).join(', ')})`);
      if (g.minSize > g.maxSize) issue([...p, 'minSize'], `minSize (${g.minSize}) must not exceed maxSize (${g.maxSize})`);
      if (g.desiredSize !== undefined && (g.desiredSize < g.minSize || g.desiredSize > g.maxSize)) issue([...p, 'desiredSize'], `desiredSize (${g.desiredSize}) must lie between minSize (${g.minSize}) and maxSize (${g.maxSize})`);
      if (ha && g.minSize < azCount) issue([...p, 'minSize'], `tier '${cfg.tier}' needs at least one node per availability zone: minSize (${g.minSize}) must be >= ${azCount}`);
      if (names.has(g.name)) issue([...p, 'name'], `duplicate node group name '${g.name}'`);
      const physical = nodegroupName(cfg, g.name);
      if (physical.length > EKS_NODEGROUP_NAME_MAX) issue([...p, 'name'], `the EKS node group name '${physical}' has ${physical.length} characters: EKS allows at most ${EKS_NODEGROUP_NAME_MAX} (shorten the group or the environment name)`);
      names.add(g.name);
      minSum += g.minSize;
    });
    if (minSum > c.maxTotalNodes) issue(['cluster', 'maxTotalNodes'], `node group minimums sum to ${minSum}, above the cluster cap maxTotalNodes (${c.maxTotalNodes})`);
    if (c.maxTotalNodes < 1) issue(['cluster', 'maxTotalNodes'], 'must be at least 1');

    // Application scaling.
    if (cfg.app.minReplicas > cfg.app.maxReplicas) issue(['app', 'minReplicas'], `minReplicas (${cfg.app.minReplicas}) must not exceed maxReplicas (${cfg.app.maxReplicas})`);
    if (ha && cfg.app.minReplicas < 2) issue(['app', 'minReplicas'], `tier '${cfg.tier}' needs at least 2 replicas so a drain never takes the service down`);

    // Application, ingress and auth policy.
    let requirement: ReturnType<typeof namespaceRequirement> | undefined;
    try {
      requirement = namespaceRequirement(appWorkloadFootprints(cfg));
    } catch {
      requirement = undefined; // a malformed quantity, already reported on its field
    }
    checkAppRules(cfg, Object.values(platformNamespaceNames(cfg.project)), requirement, issue);

    // PostgreSQL: the pooling invariant and HA shape.
    checkDatabaseRules(cfg.database, cfg.tier, issue);
    try {
      checkRedisRules(cfg.redis, cfg.tier, cfg.availabilityZones.length, issue);
    } catch {
      // a malformed memory quantity, already reported on its field
    }

    checkMonitoringRules(cfg.monitoring, cfg.tier, issue);

    // Backups: lifecycle transitions must happen in order and before expiry.
    const b = cfg.backups;
    if (b.transitionToInfrequentAccessDays >= b.transitionToGlacierDays) issue(['backups', 'transitionToGlacierDays'], `must be after transitionToInfrequentAccessDays (${b.transitionToInfrequentAccessDays})`);
    if (b.transitionToGlacierDays >= b.expirationDays) issue(['backups', 'expirationDays'], `must be after transitionToGlacierDays (${b.transitionToGlacierDays})`);
  });

/** What an environment file writes (defaults may be omitted). */
export type EnvironmentConfigInput = z.input<typeof environmentConfigSchema>;
/** A validated environment config, defaults filled in. */
export type EnvironmentConfig = z.output<typeof environmentConfigSchema>;
export type NodeGroupConfig = EnvironmentConfig['cluster']['nodeGroups'][number];
