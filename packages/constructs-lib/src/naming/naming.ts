import type { EnvironmentConfig } from '../config/schema';
import { appService, PLATFORM_SERVICE_TABLE, type DATABASE_ROLES, type REDIS_ACL_USERS, type ServiceTable } from './services';

/**
 * The naming contract: every identifier that both CloudFormation (infra-aws) and Kubernetes YAML (k8s-manifests)
 * use is computed here, from the environment config, and nowhere else. AWS resources that YAML refers to get these
 * names explicitly (never a CDK-generated physical name).
 */

/** An AWS workload identity bound to exactly one Kubernetes service account (EKS Pod Identity association). */
export interface WorkloadIdentityName {
  /** IAM role name (explicit, so the YAML side can name it). */
  readonly roleName: string;
  readonly roleArn: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /**
   * How the pods get the role's credentials: an EKS Pod Identity association (`pod-identity`), or IAM roles for
   * service accounts (`irsa`: the service account's projected token exchanged with STS AssumeRoleWithWebIdentity,
   * the role trusted by the cluster's IAM OIDC provider). Exactly one per identity; see {@link IRSA_IDENTITY_KEYS}.
   */
  readonly credentials: 'pod-identity' | 'irsa';
  /** The `sub` claim of the service account's token: `system:serviceaccount:<namespace>:<serviceAccount>`. */
  readonly subject: string;
}

/** A Kubernetes Service the platform exposes inside the cluster. */
export interface ServiceName {
  readonly name: string;
  readonly namespace: string;
  /** The main (HTTP or protocol) port. */
  readonly port: number;
  /** Prometheus metrics port, where separate from the main port. */
  readonly metricsPort?: number;
  /** Second protocol port (e.g. OTLP over HTTP). */
  readonly httpPort?: number;
  /** Cluster bus port (Redis). */
  readonly busPort?: number;
  /**
   * `app.kubernetes.io/name` of the pods behind the Service, where it differs from the Service name (one workload
   * behind several Services). Network policies select pods by this. @default name
   */
  readonly workload?: string;
}

/** The keys of the workload identities; each one's policy is defined in constructs-lib/src/aws/identity. */
export const WORKLOAD_IDENTITY_KEYS = ['backup', 'postgres', 'externalSecrets', 'clusterAutoscaler', 'loadBalancerController', 'ebsCsiDriver', 'certManager', 'externalDns'] as const;
export type WorkloadIdentityKey = (typeof WORKLOAD_IDENTITY_KEYS)[number];

/**
 * The identities that use IRSA instead of EKS Pod Identity: the two database identities, because pgBackRest reads
 * Pod Identity credentials (`repo1-s3-key-type=pod-id`) only from 2.58.0, as an experimental feature, and the
 * timescaledb-ha image installs pgBackRest unpinned; `web-id` (IRSA) exists since 2.36 (pgbackrest/pgbackrest
 * src/storage/s3/helper.c, `storageS3KeyTypeWebId`). The Redis snapshot upload shares the backup identity's service
 * account, so it gets IRSA too (the aws CLI reads the same two environment variables).
 */
export const IRSA_IDENTITY_KEYS = ['backup', 'postgres'] as const satisfies readonly WorkloadIdentityKey[];

/**
 * IRSA as EKS runs it (aws/amazon-eks-pod-identity-webhook v0.6.17 pkg/handler/handler.go and pkg/annotations.go):
 * a service account annotated `eks.amazonaws.com/role-arn` makes the webhook add, to every container of a new pod,
 * `AWS_ROLE_ARN` (the annotation) and `AWS_WEB_IDENTITY_TOKEN_FILE` (`<mount>/token`), unless the container already
 * defines either, and a projected service account token volume `aws-iam-token` (audience `sts.amazonaws.com`,
 * 86400 s), unless the pod already has a volume of that name, mounted at
 * `/var/run/secrets/eks.amazonaws.com/serviceaccount` unless the container already mounts it. The render writes the
 * same volume, mount and variables itself (see postgres-cluster.ts), so the pods are the same with or without it.
 */
export const WEB_IDENTITY = {
  roleArnAnnotation: 'eks.amazonaws.com/role-arn',
  /** The `aud` claim STS accepts, and the client id of the cluster's IAM OIDC provider. */
  audience: 'sts.amazonaws.com',
  tokenVolume: 'aws-iam-token',
  tokenMountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount',
  tokenPath: 'token',
  tokenFile: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
  /** The webhook's default (EKS allows at most 24 h); the kubelet refreshes the file at 80 % of it. */
  tokenExpirationSeconds: 86400,
  roleArnEnv: 'AWS_ROLE_ARN',
  tokenFileEnv: 'AWS_WEB_IDENTITY_TOKEN_FILE',
} as const;

/** How a platform secret gets its value. */
export type SecretSpec =
  /** A generated password, stored as JSON {"username", "password"}. */
  | { readonly kind: 'password'; readonly username: string; readonly description: string }
  /** A generated random key, stored as JSON {"value"}. */
  | { readonly kind: 'key'; readonly description: string }
  /** Created empty of real values; an operator writes the listed JSON keys (see docs/runbooks/secrets.md). */
  | { readonly kind: 'placeholder'; readonly keys: readonly string[]; readonly description: string };

/**
 * The tag on every platform secret listing the JSON keys its value holds (space-separated): written by the data stack,
 * read by verify's contract check, which refuses an ExternalSecret `remoteRef.property` the secret does not hold.
 */
export const SECRET_KEYS_TAG = 'optibid.io/secret-keys';

/** The JSON keys a platform secret's value holds. */
export function secretKeys(spec: SecretSpec): readonly string[] {
  return spec.kind === 'password' ? ['username', 'password'] : spec.kind === 'key' ? ['value'] : spec.keys;
}

/**
 * Annotation keys the render writes and other tools read back from dist/ (the verify checks, reviewers).
 * - configChecksum: on pod templates, the sha256 of the ConfigMaps the pods use (a change rolls them).
 * - zoneLossTolerance / zoneLossReason: on a PodDisruptionBudget, how many of its pods a zone loss may take by design
 *   (beyond the voluntary-eviction budget), and why.
 */
export const PLATFORM_ANNOTATIONS = {
  configChecksum: 'optibid.io/config-sha256',
  zoneLossTolerance: 'optibid.io/zone-loss-tolerance',
  zoneLossReason: 'optibid.io/zone-loss-reason',
  /**
   * On the PgBouncer Deployment: the pooling cap (`database.poolingCap`), the most server connections all its pods
   * may hold on PostgreSQL at once, rollout surge included. verify's `connection-budget` rule reads it back and
   * checks it against the rendered max_connections and the rendered pgbouncer.ini.
   */
  poolingCap: 'optibid.io/pooling-cap',
} as const;

/**
 * Annotation external-dns reads an Ingress's hosts from (besides spec.rules[].host): kubernetes-sigs/external-dns
 * v0.21.0 source/annotations/annotations.go (HostnameKey = AnnotationKeyPrefix + "hostname"). The edge Ingress writes it, verify's dns-records rule reads it.
 */
export const EXTERNAL_DNS_HOSTNAME_ANNOTATION = 'external-dns.alpha.kubernetes.io/hostname';

/** Secrets that are not a database role's or a Redis user's (those come from the services table). */
const OTHER_SECRETS = {
  'app/secret-key': { kind: 'key', description: 'Backend SECRET_KEY' },
  'app/jwt-secret-key': { kind: 'key', description: 'Backend JWT_SECRET_KEY' },
  'grafana/admin': { kind: 'password', username: 'admin', description: 'Grafana admin' },
  sso: { kind: 'placeholder', keys: ['oidc_client_secret'], description: 'Enterprise SSO (OIDC) client secret' },
  sentry: { kind: 'placeholder', keys: ['dsn'], description: 'Sentry DSN of the backend' },
  logging: { kind: 'placeholder', keys: ['username', 'password'], description: 'Credentials Fluent Bit ships logs to Elasticsearch/OpenSearch with' },
  stripe: { kind: 'placeholder', keys: ['secret_key', 'publishable_key', 'webhook_secret'], description: 'Stripe API keys' },
  smtp: { kind: 'placeholder', keys: ['host', 'port', 'username', 'password', 'from'], description: 'SMTP relay for Alertmanager and the backend' },
  slack: { kind: 'placeholder', keys: ['webhook_url'], description: 'Slack incoming webhook for Alertmanager' },
} as const satisfies Record<string, SecretSpec>;

/** The secrets of a services table: one password per database role, then one per Redis user, in table order. */
export function tableSecrets(table: ServiceTable): Record<string, SecretSpec> {
  return Object.fromEntries([
    ...table.databaseRoles.map((r) => [r.secret, { kind: 'password', username: r.role, description: r.description }] as const),
    ...table.redisUsers.map((u) => [u.secret, { kind: 'password', username: u.user, description: u.description }] as const),
  ]);
}

/** The secrets of a table and the others, in the order the data stack creates them. */
export function platformSecrets(table: ServiceTable): Record<string, SecretSpec> {
  return { ...tableSecrets(table), ...OTHER_SECRETS };
}

/** The secret keys of the platform's services table (database roles, Redis users). */
type TableSecretKey = (typeof DATABASE_ROLES)[number]['secret'] | (typeof REDIS_ACL_USERS)[number]['secret'];
export type PlatformSecretKey = TableSecretKey | keyof typeof OTHER_SECRETS;

/**
 * The platform's Secrets Manager secrets, by key; the secret name is `<project>/<env>/<key>`. The database roles'
 * and Redis users' come from the services table (./services.ts), in its order, the others after them.
 */
export const PLATFORM_SECRETS = platformSecrets(PLATFORM_SERVICE_TABLE) as Readonly<Record<PlatformSecretKey, SecretSpec>>;

/** Minimal config slice the names depend on (lets the schema check name lengths before the config is complete). */
export type NamingInput = Pick<EnvironmentConfig, 'project' | 'name' | 'account' | 'region'>;

/** The EKS managed node group of a group of the config: `<project>-<environment>-<group>`. */
export function nodegroupName(cfg: Pick<EnvironmentConfig, 'project' | 'name'>, group: string): string {
  return `${cfg.project}-${cfg.name}-${group}`;
}

/** S3 bucket names are global and at most 63 characters: account and region make this one unique. */
export function backupBucketName(cfg: NamingInput): string {
  return `${cfg.project}-${cfg.name}-backups-${cfg.account}-${cfg.region}`;
}

/** Server access logs of the backup bucket (SSE-S3: S3 access logging cannot deliver to an SSE-KMS bucket). */
export function backupLogBucketName(cfg: NamingInput): string {
  return `${cfg.project}-${cfg.name}-backup-logs-${cfg.account}-${cfg.region}`;
}

/** The namespaces of the platform, by role: the only namespaces network policies may name. */
export function platformNamespaceNames(project: string) {
  return {
    /** The application (backend, frontend). */
    app: project,
    /** PostgreSQL, PgBouncer, Redis and their backups. */
    data: `${project}-data`,
    monitoring: 'monitoring',
    /** Node-level agents (node-exporter, Fluent Bit): the one namespace with a Pod Security exception. */
    monitoringAgents: 'monitoring-agents',
    ingress: 'nginx-ingress',
    externalSecrets: 'external-secrets',
    certManager: 'cert-manager',
    /** external-dns: the public hosts' Route 53 records, from the edge Ingress. */
    externalDns: 'external-dns',
    kubeSystem: 'kube-system',
  } as const;
}

/**
 * The namespaces the platform renders and owns (dist/k8s/<env>/<namespace>/), in dependency order: data first (the
 * app needs the database and Redis), then the app, then monitoring and its node agents. Deploys apply them in this
 * order; the ClusterSecretStore admits exactly these.
 */
export function platformOwnedNamespaces(namespaces: ReturnType<typeof platformNamespaceNames>): string[] {
  return [namespaces.data, namespaces.app, namespaces.monitoring, namespaces.monitoringAgents];
}

/**
 * All shared names of one environment. `table` is the services table the names (secrets, application services,
 * database roles) come from: the platform's, or one a test or tool builds (a row more) to render from in memory.
 */
export function platformNames(cfg: EnvironmentConfig, table: ServiceTable = PLATFORM_SERVICE_TABLE) {
  const prefix = `${cfg.project}-${cfg.name}`;
  const arn = (service: string, resource: string, region = cfg.region) => `arn:aws:${service}:${region}:${cfg.account}:${resource}`;
  const roleArn = (roleName: string) => `arn:aws:iam::${cfg.account}:role/${roleName}`;

  const namespaces = platformNamespaceNames(cfg.project);

  const irsa: readonly string[] = IRSA_IDENTITY_KEYS;
  const identity = (key: string, namespace: string, serviceAccount: string, identityKey: WorkloadIdentityKey): WorkloadIdentityName => {
    const roleName = `${prefix}-${key}`;
    const credentials = irsa.includes(identityKey) ? 'irsa' : 'pod-identity';
    return { roleName, roleArn: roleArn(roleName), namespace, serviceAccount, credentials, subject: `system:serviceaccount:${namespace}:${serviceAccount}` };
  };
  const identities: Record<WorkloadIdentityKey, WorkloadIdentityName> = {
    /** Scheduled database and Redis backups (CronJobs). */
    backup: identity('backup', namespaces.data, 'backup', 'backup'),
    /** The PostgreSQL pods: WAL archive-push and replica restore from the same repository. */
    postgres: identity('postgres-wal', namespaces.data, 'postgres', 'postgres'),
    externalSecrets: identity('external-secrets', namespaces.externalSecrets, 'external-secrets', 'externalSecrets'),
    clusterAutoscaler: identity('cluster-autoscaler', namespaces.kubeSystem, 'cluster-autoscaler', 'clusterAutoscaler'),
    loadBalancerController: identity('aws-load-balancer-controller', namespaces.kubeSystem, 'aws-load-balancer-controller', 'loadBalancerController'),
    // The EBS CSI managed add-on creates this service account itself; the name is fixed by the add-on.
    ebsCsiDriver: identity('ebs-csi-driver', namespaces.kubeSystem, 'ebs-csi-controller-sa', 'ebsCsiDriver'),
    // DNS-01 challenges in the environment's Route 53 zone (works behind the ALB, no HTTP path to open).
    certManager: identity('cert-manager', namespaces.certManager, 'cert-manager', 'certManager'),
    // Route 53 records of the public hosts, pointing at the ALB the load balancer controller creates at run time.
    externalDns: identity('external-dns', namespaces.externalDns, 'external-dns', 'externalDns'),
  };

  const secretName = (key: string) => `${cfg.project}/${cfg.name}/${key}`;
  const secrets = Object.fromEntries(
    Object.keys(platformSecrets(table)).map((k) => [
      k,
      {
        name: secretName(k),
        // Secrets Manager appends "-" and six random characters to every secret ARN.
        arnPattern: arn('secretsmanager', `secret:${secretName(k)}-??????`),
      },
    ]),
  ) as Record<PlatformSecretKey, { name: string; arnPattern: string }>;

  const appServiceName = (name: string): ServiceName => {
    const s = appService(table, name);
    return { name: s.name, namespace: namespaces.app, port: s.port, metricsPort: s.metricsPort };
  };
  const backend = appServiceName('backend');
  const backendRole = appService(table, backend.name).database;
  if (backendRole === undefined) throw new Error('services table: the backend has no database role');

  const bucketName = backupBucketName(cfg);
  const kmsAlias = (purpose: string) => `alias/${prefix}-${purpose}`;

  return {
    prefix,
    clusterName: prefix,
    region: cfg.region,
    account: cfg.account,
    stacks: {
      network: `${prefix}-network`,
      data: `${prefix}-data`,
      edge: `${prefix}-edge`,
      cluster: `${prefix}-cluster`,
    },
    namespaces,
    /**
     * In-cluster services. Pods of a service carry `app.kubernetes.io/name: <name>`: network policies select them
     * by that label, so later tiers must keep it.
     */
    services: {
      backend,
      frontend: { name: 'frontend', namespace: namespaces.app, port: 3000 },
      postgres: { name: 'postgres', namespace: namespaces.data, port: 5432 },
      pgbouncer: { name: 'pgbouncer', namespace: namespaces.data, port: 6432 },
      /** Redis cluster: client port, cluster bus on port + 10000, redis_exporter metrics. */
      redis: { name: 'redis', namespace: namespaces.data, port: 6379, busPort: 16379, metricsPort: 9121 },
      /** OpenTelemetry collector of the tracing backend (OTLP gRPC and HTTP). */
      tracing: { name: 'jaeger-collector', namespace: namespaces.monitoring, port: 4317, httpPort: 4318, workload: 'jaeger' },
      tracingQuery: { name: 'jaeger-query', namespace: namespaces.monitoring, port: 16686, workload: 'jaeger' },
      prometheus: { name: 'prometheus', namespace: namespaces.monitoring, port: 9090 },
      /** Alertmanager API; cluster gossip on busPort (TCP and UDP). */
      alertmanager: { name: 'alertmanager', namespace: namespaces.monitoring, port: 9093, busPort: 9094 },
      grafana: { name: 'grafana', namespace: namespaces.monitoring, port: 3000 },
      kubeStateMetrics: { name: 'kube-state-metrics', namespace: namespaces.monitoring, port: 8080 },
      nodeExporter: { name: 'node-exporter', namespace: namespaces.monitoringAgents, port: 9100 },
      fluentBit: { name: 'fluent-bit', namespace: namespaces.monitoringAgents, port: 2020 },
    } satisfies Record<string, ServiceName>,
    /** The application services of the services table (backend first), by name. */
    appServices: Object.fromEntries(table.appServices.map((s) => [s.name, appServiceName(s.name)])) as Readonly<Record<string, ServiceName>>,
    /** The services table these names were computed from (roles, Redis users, application services). */
    serviceTable: table,
    database: { name: cfg.project, appRole: backendRole },
    identities,
    secrets,
    backup: {
      bucketName,
      bucketArn: `arn:aws:s3:::${bucketName}`,
      logBucketName: backupLogBucketName(cfg),
      postgresPrefix: 'postgres',
      redisPrefix: 'redis',
      accessLogPrefix: 'access-logs/',
    },
    kms: {
      eksSecrets: kmsAlias('eks-secrets'),
      backups: kmsAlias('backups'),
      ebs: kmsAlias('ebs'),
      logs: kmsAlias('logs'),
      /** EBS CSI accepts an alias ARN as kmsKeyId, so the StorageClass never needs the random key id. */
      ebsAliasArn: arn('kms', kmsAlias('ebs')),
    },
    storage: {
      /** The default StorageClass (YAML): gp3, encrypted with the `ebs` key. */
      storageClass: 'gp3-encrypted',
      csiProvisioner: 'ebs.csi.aws.com',
    },
    ingress: {
      /** IngressClass the application Ingresses use (F5 NGINX Ingress Controller). */
      nginxClass: 'nginx',
      nginxRelease: 'nginx-ingress',
      /** Service the chart creates for release `nginx-ingress` (release name + "-controller"). */
      nginxControllerService: 'nginx-ingress-controller',
      /** IngressClass of the AWS Load Balancer Controller; the edge Ingress (ALB + WAF) uses it. */
      albClass: 'alb',
      albIngressName: 'edge',
      wafAclName: `${prefix}-edge`,
      /**
       * external-dns: publishes the hosts of the edge Ingress only (`--ingress-class=alb`); the TXT registry records
       * carry this owner id, so two environments (or clusters) never take over each other's records.
       */
      externalDnsRelease: 'external-dns',
      externalDnsOwnerId: prefix,
      /** TLS secret of the application hosts, issued by cert-manager. */
      tlsSecret: `${cfg.project}-tls`,
    },
    certificates: {
      clusterIssuers: { 'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory', 'letsencrypt-production': 'https://acme-v02.api.letsencrypt.org/directory' },
    },
    externalSecrets: {
      clusterSecretStore: 'aws-secrets-manager',
    },
    access: {
      adminRoleName: `${prefix}-eks-admin`,
      readOnlyRoleName: `${prefix}-eks-read-only`,
      onCallRoleName: `${prefix}-eks-on-call`,
      adminGroup: `${cfg.project}:admins`,
      /** Group of the CI deploy role (GitHub OIDC). */
      deployGroup: `${cfg.project}:deployers`,
      readOnlyGroup: `${cfg.project}:read-only`,
      onCallGroup: `${cfg.project}:on-call`,
    },
    nodes: {
      /** Label on every node naming its managed node group. */
      groupLabel: `${cfg.project}.io/node-group`,
      nodegroupName: (group: string) => nodegroupName(cfg, group),
      launchTemplateName: (group: string) => `${prefix}-${group}`,
    },
    logs: {
      flowLogGroup: `/${cfg.project}/${cfg.name}/vpc-flow-logs`,
    },
    /** The cluster's ARN: also the kube context name `aws eks update-kubeconfig` writes, which deploys check. */
    clusterArn: arn('eks', `cluster/${prefix}`),
    delivery: deliveryNames(cfg, prefix, roleArn),
  };
}

/** GitHub delivery: the repository, the deploy role CI assumes through OIDC, and Argo CD's source. */
function deliveryNames(cfg: EnvironmentConfig, prefix: string, roleArn: (name: string) => string) {
  const d = cfg.delivery;
  const githubEnvironment = d.githubEnvironment ?? cfg.name;
  const deployRoleName = `${prefix}-github-deploy`;
  return {
    repository: d.repository,
    branch: d.branch,
    repositoryUrl: `https://github.com/${d.repository}.git`,
    /** Where alert runbook_url annotations point (docs/runbooks/ on the tracked branch). */
    runbookBase: `https://github.com/${d.repository}/blob/${d.branch}/docs/runbooks`,
    githubEnvironment,
    oidcProviderUrl: 'https://token.actions.githubusercontent.com',
    oidcProviderArn: `arn:aws:iam::${cfg.account}:oidc-provider/token.actions.githubusercontent.com`,
    /** The `sub` claim of a job that runs in the GitHub environment (only such jobs may assume the role). */
    oidcSubject: `repo:${d.repository}:environment:${githubEnvironment}`,
    deployRoleName,
    deployRoleArn: roleArn(deployRoleName),
    /** Rendered manifests for this environment, relative to the repository root. */
    manifestsPath: `dist/k8s/${cfg.name}`,
    argoApplication: prefix,
  };
}

export type PlatformNames = ReturnType<typeof platformNames>;
