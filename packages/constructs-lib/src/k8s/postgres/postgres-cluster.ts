import { k8s } from 'cdk8s-plus-28';
import { intOrStr, quantity } from '../values';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { EnvironmentConfig } from '../../config/schema';
import type { PlatformNames } from '../../naming/naming';
import { IMAGES, imageRef } from '../../versions/images';
import { AppLabels, recommendedLabels, selectorLabels } from '../labels';
import { PlatformExternalSecret, SecretKeyRef } from '../external-secrets';
import { apiServerEgress, egressTo, ingressFrom, metricsFrom, networkPolicy, podsNamed } from '../network-peers';
import { zoneSpread } from '../spread';
import { containerResources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { pdbMaxUnavailable } from '../app-workload';
import { NamespaceCa } from './cluster-ca';
import { scrapeAnnotations } from '../monitoring/scrape';
import { DATA_CONTAINER_RESOURCES } from './resources';
import {
  credentialKeys,
  exporterQueries,
  PATRONI_PORT,
  PATRONI_SCOPE,
  patroniConfig,
  PG_PATHS,
  PG_ROLES,
  pgbackrestConf,
  PGBACKREST_TLS_PORT,
  initSql,
  postBootstrapScript,
  postgresShmSizeLimit,
  postgresStartScript,
  pgbackrestServerScript,
  POSTGRES_EXPORTER_PORT,
} from './postgres-files';
import { configChecksum } from '../config-checksum';
import { webIdentityAnnotations, webIdentityEnv, webIdentityMounts, webIdentityVolumes } from './web-identity';

export interface PostgresClusterProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
  readonly ca: NamespaceCa;
  readonly priorityClassName: string;
  /**
   * Label values of the pods that may connect to PostgreSQL on 5432 (the poolers, the role-reconcile Job) and 8432
   * (backup jobs).
   */
  readonly clients: { readonly pooler: string; readonly backupJobs: string; readonly roleReconcile?: string };
}


/** Keys of the container start scripts in the rendered ConfigMaps (postgres-init and postgres-pgbackrest). */
export const POSTGRES_SCRIPTS = { start: 'start.sh', pgbackrestServer: 'pgbackrest-server.sh' } as const;

/** Names of the objects of the cluster, for the other constructs of the data tier. */
export const POSTGRES_OBJECTS = {
  credentials: 'postgres-credentials',
  serverTls: 'postgres-server-tls',
  pgbackrestServerTls: 'pgbackrest-server-tls',
  pgbackrestClientTls: 'pgbackrest-client-tls',
  patroniConfig: 'postgres-patroni',
  init: 'postgres-init',
  pgbackrest: 'postgres-pgbackrest',
  exporter: 'postgres-exporter-queries',
  headless: `${PATRONI_SCOPE}-headless`,
  replicas: `${PATRONI_SCOPE}-replicas`,
} as const;

/**
 * PostgreSQL (TimescaleDB HA image) run by Patroni with Kubernetes as its DCS: a StatefulSet of `database.members`
 * pods spread over zones, each with the pgBackRest TLS server and postgres_exporter as sidecars; read-write,
 * read-only and headless Services; a namespace-scoped Role for Patroni; a PDB; network policies; credentials from
 * ExternalSecrets; configuration as rendered ConfigMaps.
 */
export class PostgresCluster extends Construct {
  readonly labels: AppLabels;
  readonly selector: Record<string, string>;

  constructor(scope: Construct, id: string, props: PostgresClusterProps) {
    super(scope, id);
    const { config, names } = props;
    const ns = names.namespaces.data;
    const svc = names.services.postgres;
    const db = config.database;
    const uid = IMAGES.timescaledbHa.uid;
    this.labels = { name: svc.name, instance: `${svc.name}-${config.name}`, component: 'database', partOf: names.prefix, version: IMAGES.timescaledbHa.tag };
    const labels = recommendedLabels(this.labels);
    const selector = (this.selector = selectorLabels(this.labels));
    const meta = (name: string) => ({ name, namespace: ns, labels });
    const input = { config, names };

    // Configuration files (read back from dist/ by the real-server tests).
    // YAML 1.1 output: Patroni reads it with PyYAML, which would take a bare `on`/`off` for a boolean.
    const files = {
      [POSTGRES_OBJECTS.patroniConfig]: { 'patroni.yml': stringify(patroniConfig(input), { lineWidth: 0, version: '1.1' }) },
      [POSTGRES_OBJECTS.init]: { 'init.sql': initSql(input), 'post-bootstrap.sh': postBootstrapScript(names.serviceTable), [POSTGRES_SCRIPTS.start]: postgresStartScript() },
      [POSTGRES_OBJECTS.pgbackrest]: { 'pgbackrest.conf': pgbackrestConf(input, 'database'), [POSTGRES_SCRIPTS.pgbackrestServer]: pgbackrestServerScript() },
      [POSTGRES_OBJECTS.exporter]: { 'queries.yaml': exporterQueries() },
    };
    new k8s.KubeConfigMap(this, 'PatroniConfig', { metadata: meta(POSTGRES_OBJECTS.patroniConfig), data: files[POSTGRES_OBJECTS.patroniConfig] });
    new k8s.KubeConfigMap(this, 'Init', { metadata: meta(POSTGRES_OBJECTS.init), data: files[POSTGRES_OBJECTS.init] });
    new k8s.KubeConfigMap(this, 'Pgbackrest', { metadata: meta(POSTGRES_OBJECTS.pgbackrest), data: files[POSTGRES_OBJECTS.pgbackrest] });
    new k8s.KubeConfigMap(this, 'ExporterQueries', { metadata: meta(POSTGRES_OBJECTS.exporter), data: files[POSTGRES_OBJECTS.exporter] });

    // Credentials: every password from Secrets Manager, one key per role of the services table (credentialKeys).
    new PlatformExternalSecret(this, 'Credentials', {
      name: POSTGRES_OBJECTS.credentials,
      namespace: ns,
      labels,
      names,
      keys: credentialKeys(names.serviceTable).map(({ key, from }) => ({ key, from: from as SecretKeyRef['from'], property: 'password' })),
    });

    // TLS: PostgreSQL server certificate (clients: PgBouncer, replicas) and the pgBackRest server certificate.
    const headlessDns = `${POSTGRES_OBJECTS.headless}.${ns}.svc.cluster.local`;
    props.ca.certificate('ServerTls', {
      name: POSTGRES_OBJECTS.serverTls,
      dnsNames: [`${svc.name}.${ns}.svc`, `${svc.name}.${ns}.svc.cluster.local`, `${POSTGRES_OBJECTS.replicas}.${ns}.svc.cluster.local`, `*.${headlessDns}`],
      usages: ['server auth'],
    });
    props.ca.certificate('PgbackrestServerTls', { name: POSTGRES_OBJECTS.pgbackrestServerTls, dnsNames: [`*.${headlessDns}`], usages: ['server auth'] });

    // Patroni's Kubernetes DCS: ConfigMaps for leader lock and config, pod labels for the role. Namespace-scoped.
    const sa = names.identities.postgres.serviceAccount;
    // IRSA: the role ARN for the EKS pod identity webhook; the pgBackRest containers also get it explicitly (./web-identity).
    const irsa = names.identities.postgres;
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { ...meta(sa), annotations: webIdentityAnnotations(irsa) }, automountServiceAccountToken: true });
    // Verbs Patroni 4.0.7's Kubernetes DCS calls with use_endpoints false (patroni/dcs/kubernetes.py; observed by
    // tests/real-servers/patroni-kubernetes.test.ts against an API stub that enforces this Role): `patronictl remove`
    // deletes the cluster's ConfigMaps with delete_collection_namespaced_config_map, i.e. `deletecollection`.
    new k8s.KubeRole(this, 'PatroniRole', {
      metadata: meta('patroni'),
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'patch', 'update', 'watch', 'delete', 'deletecollection'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'PatroniRoleBinding', {
      metadata: meta('patroni'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'patroni' },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
    });

    const port = (name: string, p: number, appProtocol = 'tcp') => ({ name, port: p, targetPort: intOrStr(name), protocol: 'TCP', appProtocol });
    new k8s.KubeService(this, 'ReadWrite', {
      metadata: meta(svc.name),
      spec: { type: 'ClusterIP', selector: { ...selector, role: 'primary' }, ports: [port('postgresql', svc.port)] },
    });
    new k8s.KubeService(this, 'ReadOnly', {
      metadata: meta(POSTGRES_OBJECTS.replicas),
      spec: { type: 'ClusterIP', selector: { ...selector, role: 'replica' }, ports: [port('postgresql', svc.port)] },
    });
    new k8s.KubeService(this, 'Headless', {
      metadata: meta(POSTGRES_OBJECTS.headless),
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector,
        ports: [port('postgresql', svc.port), port('patroni', PATRONI_PORT, 'http'), port('pgbackrest', PGBACKREST_TLS_PORT, 'tls'), port('metrics', POSTGRES_EXPORTER_PORT, 'http')],
      },
    });

    const podEnv: k8s.EnvVar[] = [
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'PATRONI_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'PATRONI_KUBERNETES_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'PATRONI_RESTAPI_CONNECT_ADDRESS', value: `$(POD_IP):${PATRONI_PORT}` },
      { name: 'PATRONI_POSTGRESQL_CONNECT_ADDRESS', value: `$(POD_IP):${svc.port}` },
      { name: 'PGBACKREST_CONFIG', value: `/etc/pgbackrest/pgbackrest.conf` },
      { name: 'PGHOST', value: PG_PATHS.socket },
      // start.sh, pg_ctl and psql in the container: the data directory of patroni.yml (postgresql.data_dir).
      { name: 'PGDATA', value: PG_PATHS.data },
      // archive-push and replica restore (Patroni passes its environment, less PATRONI_*, to postgres and so to
      // archive_command: patroni/postgresql/postmaster.py PostmasterProcess.start).
      ...webIdentityEnv(irsa),
    ];
    const configMount = (name: string, path: string) => ({ name, mountPath: path, readOnly: true });
    const dataMount = { name: 'data', mountPath: PG_PATHS.volume };
    const common = { imagePullPolicy: 'IfNotPresent', securityContext: restrictedContainerSecurityContext(uid) };

    new k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: meta(svc.name),
      spec: {
        serviceName: POSTGRES_OBJECTS.headless,
        replicas: db.members,
        selector: { matchLabels: selector },
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: {
          metadata: { labels: { ...labels, 'cluster-name': PATRONI_SCOPE }, annotations: { ...scrapeAnnotations(POSTGRES_EXPORTER_PORT), ...configChecksum(...Object.values(files)) } },
          spec: {
            serviceAccountName: sa,
            // Patroni calls the Kubernetes API (its DCS); the token is mounted for that.
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            priorityClassName: props.priorityClassName,
            terminationGracePeriodSeconds: 60,
            // OnRootMismatch: kubelet changes ownership and mode recursively only when the volume root does not already
            // match fsGroup (kubernetes/kubernetes pkg/volume/volume_linux.go skipPermissionChange/requiresPermissionChange);
            // without it every mount re-applies g+rwx and setgid to PGDATA, which PostgreSQL then refuses (start.sh).
            securityContext: { ...restrictedPodSecurityContext(uid), fsGroupChangePolicy: 'OnRootMismatch' },
            topologySpreadConstraints: zoneSpread(selector, 'DoNotSchedule'),
            containers: [
              {
                ...common,
                name: 'postgres',
                image: imageRef(IMAGES.timescaledbHa),
                // Not the image's entrypoint: start.sh (ConfigMap postgres-init) restores PGDATA's mode, watches the
                // certificate and execs Patroni.
                command: [`${PG_PATHS.initDir}/${POSTGRES_SCRIPTS.start}`],
                ports: [
                  { name: 'postgresql', containerPort: svc.port, protocol: 'TCP' },
                  { name: 'patroni', containerPort: PATRONI_PORT, protocol: 'TCP' },
                ],
                env: podEnv,
                envFrom: [{ secretRef: { name: POSTGRES_OBJECTS.credentials } }],
                resources: containerResources(db.resources),
                startupProbe: { httpGet: { path: '/liveness', port: intOrStr('patroni'), scheme: 'HTTP' }, periodSeconds: 10, failureThreshold: 60, timeoutSeconds: 5 },
                livenessProbe: { httpGet: { path: '/liveness', port: intOrStr('patroni'), scheme: 'HTTP' }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
                readinessProbe: { httpGet: { path: '/readiness', port: intOrStr('patroni'), scheme: 'HTTP' }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 3 },
                volumeMounts: [
                  dataMount,
                  { name: 'run', mountPath: PG_PATHS.socket },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'shm', mountPath: PG_PATHS.shm },
                  configMount('patroni-config', '/etc/patroni'),
                  configMount('init', PG_PATHS.initDir),
                  configMount('pgbackrest-config', '/etc/pgbackrest'),
                  configMount('server-tls', PG_PATHS.serverTls),
                  ...webIdentityMounts(irsa),
                ],
              },
              {
                ...common,
                name: 'pgbackrest',
                image: imageRef(IMAGES.timescaledbHa),
                // The TLS server, reloaded (SIGHUP) when its certificate Secret changes.
                command: ['/bin/sh', `/etc/pgbackrest/${POSTGRES_SCRIPTS.pgbackrestServer}`],
                ports: [{ name: 'pgbackrest', containerPort: PGBACKREST_TLS_PORT, protocol: 'TCP' }],
                env: [{ name: 'PGBACKREST_CONFIG', value: '/etc/pgbackrest/pgbackrest.conf' }, ...webIdentityEnv(irsa)],
                resources: containerResources(DATA_CONTAINER_RESOURCES.pgbackrestSidecar),
                readinessProbe: { tcpSocket: { port: intOrStr('pgbackrest') }, periodSeconds: 10 },
                livenessProbe: { tcpSocket: { port: intOrStr('pgbackrest') }, periodSeconds: 20, failureThreshold: 3 },
                volumeMounts: [dataMount, { name: 'run', mountPath: PG_PATHS.socket }, { name: 'tmp', mountPath: '/tmp' }, configMount('pgbackrest-config', '/etc/pgbackrest'), configMount('pgbackrest-tls', PG_PATHS.pgbackrestTls), ...webIdentityMounts(irsa)],
              },
              {
                imagePullPolicy: 'IfNotPresent',
                securityContext: restrictedContainerSecurityContext(IMAGES.postgresExporter.uid),
                name: 'exporter',
                image: imageRef(IMAGES.postgresExporter),
                args: ['--extend.query-path=/etc/exporter/queries.yaml', `--web.listen-address=:${POSTGRES_EXPORTER_PORT}`],
                ports: [{ name: 'metrics', containerPort: POSTGRES_EXPORTER_PORT, protocol: 'TCP' }],
                env: [
                  { name: 'DATA_SOURCE_URI', value: `localhost:${svc.port}/${names.database.name}?sslmode=require` },
                  { name: 'DATA_SOURCE_USER', value: PG_ROLES.monitoring },
                  { name: 'DATA_SOURCE_PASS', valueFrom: { secretKeyRef: { name: POSTGRES_OBJECTS.credentials, key: 'MONITORING_PASSWORD' } } },
                ],
                resources: containerResources(DATA_CONTAINER_RESOURCES.postgresExporter),
                readinessProbe: { httpGet: { path: '/', port: intOrStr('metrics'), scheme: 'HTTP' }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: '/', port: intOrStr('metrics'), scheme: 'HTTP' }, periodSeconds: 20 },
                volumeMounts: [configMount('exporter-queries', '/etc/exporter')],
              },
            ],
            volumes: [
              { name: 'run', emptyDir: { sizeLimit: quantity('16Mi') } },
              { name: 'tmp', emptyDir: { sizeLimit: quantity('1Gi') } },
              { name: 'patroni-config', configMap: { name: POSTGRES_OBJECTS.patroniConfig } },
              { name: 'init', configMap: { name: POSTGRES_OBJECTS.init, defaultMode: 0o555 } },
              { name: 'pgbackrest-config', configMap: { name: POSTGRES_OBJECTS.pgbackrest } },
              { name: 'exporter-queries', configMap: { name: POSTGRES_OBJECTS.exporter } },
              // PostgreSQL refuses a key readable by others: 0640, group = fsGroup.
              { name: 'server-tls', secret: { secretName: POSTGRES_OBJECTS.serverTls, defaultMode: 0o440 } },
              { name: 'pgbackrest-tls', secret: { secretName: POSTGRES_OBJECTS.pgbackrestServerTls, defaultMode: 0o440 } },
              // PostgreSQL's dynamic shared memory (postgresShmSizeLimit): counted in the postgres container's memory limit.
              { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: quantity(postgresShmSizeLimit(db)) } },
              ...webIdentityVolumes(irsa),
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: names.storage.storageClass,
              resources: { requests: { storage: quantity(`${db.volumeSizeGiB}Gi`) } },
            },
          },
        ],
      },
    });

    new k8s.KubePodDisruptionBudget(this, 'Pdb', {
      metadata: meta(svc.name),
      spec: { selector: { matchLabels: selector }, maxUnavailable: intOrStr(pdbMaxUnavailable(db.members)) },
    });

    // Network: PostgreSQL from the poolers and the other members; pgBackRest from the backup jobs; metrics from
    // monitoring. Out: the other members, the Kubernetes API (Patroni's DCS), S3 and the Pod Identity agent.
    const self = { podSelector: { matchLabels: selector } };
    networkPolicy(this, 'IngressPolicy', {
      metadata: meta(`${svc.name}-ingress`),
      selector,
      ingress: [
        ingressFrom([podsNamed(props.clients.pooler), ...(props.clients.roleReconcile ? [podsNamed(props.clients.roleReconcile)] : [])], [svc.port]),
        ingressFrom([self], [svc.port, PATRONI_PORT]),
        ingressFrom([podsNamed(props.clients.backupJobs)], [svc.port, PGBACKREST_TLS_PORT]),
        metricsFrom(names.namespaces.monitoring, POSTGRES_EXPORTER_PORT),
      ],
    });
    networkPolicy(this, 'EgressPolicy', {
      metadata: meta(`${svc.name}-egress`),
      selector,
      egress: [
        egressTo([self], [svc.port, PATRONI_PORT]),
        // Kubernetes API (control-plane ENIs in the VPC), S3 (gateway endpoint) and STS (web-id credentials): HTTPS.
        // No Pod Identity agent: the database identity is IRSA (./web-identity.ts).
        apiServerEgress(),
      ],
    });
  }
}
