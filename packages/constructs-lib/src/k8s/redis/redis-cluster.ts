import { k8s } from 'cdk8s-plus-28';
import { intOrStr, quantity } from '../values';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import { PLATFORM_ANNOTATIONS, type PlatformNames } from '../../naming/naming';
import { IMAGES, imageRef } from '../../versions/images';
import { AppLabels, recommendedLabels, selectorLabels } from '../labels';
import { apiServerEgress, egressTo, ingressFrom, metricsFrom, networkPolicy, peer, podIdentityAgentEgress, podsNamed } from '../network-peers';
import { zoneSpread } from '../spread';
import { redisClients } from '../../naming/services';
import { PlatformExternalSecret, type SecretKeyRef } from '../external-secrets';
import { containerResources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { scrapeAnnotations } from '../monitoring/scrape';
import { aclTemplate, bootstrapScript, redisAuthKeys, REDIS_HEADLESS, REDIS_PATHS, REDIS_USERS, redisConf, redisPodCount, snapshotScript, startScript, zoneTable } from './redis-files';
import { configChecksum, contentHash } from '../config-checksum';
import { REDIS_CONTAINER_RESOURCES } from '../../sizing/container-resources';

export interface RedisClusterProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
  readonly priorityClassName: string;
}

export const REDIS_BOOTSTRAP_NAME = 'redis-bootstrap';
export const REDIS_BACKUP_NAME = 'redis-backup';


/**
 * Redis 8 in cluster mode: one StatefulSet of primaries x (1 + replicas) pods spread over zones, announced by
 * hostname through a headless Service (a restarted pod with a new IP rejoins), nodes.conf and AOF on the volume,
 * ACL users from an ExternalSecret, an idempotent bootstrap Job that forms the cluster zone-aware, a daily RDB
 * backup to S3, redis_exporter, PDB and network policies.
 */
export class RedisCluster extends Construct {
  readonly labels: AppLabels;

  constructor(scope: Construct, id: string, props: RedisClusterProps) {
    super(scope, id);
    const { config, names } = props;
    const ns = names.namespaces.data;
    const svc = names.services.redis;
    const r = config.redis;
    const uid = IMAGES.redis.uid;
    const pods = redisPodCount(config);
    this.labels = { name: svc.name, instance: `${svc.name}-${config.name}`, component: 'cache', partOf: names.prefix, version: IMAGES.redis.tag };
    const labels = recommendedLabels(this.labels);
    const selector = selectorLabels(this.labels);
    const meta = (name: string, l = labels) => ({ name, namespace: ns, labels: l });
    const input = { config, names };
    const headlessDomain = `${REDIS_HEADLESS}.${ns}.svc.cluster.local`;
    const nodes = Array.from({ length: pods }, (_, i) => `${svc.name}-${i}.${headlessDomain}:${svc.port}`).join(' ');

    const configData = { 'redis.conf': redisConf(input), 'start.sh': startScript(input), 'bootstrap.sh': bootstrapScript(), 'snapshot.sh': snapshotScript(), 'zones.txt': zoneTable(config) };
    new k8s.KubeConfigMap(this, 'Config', { metadata: meta('redis-config'), data: configData });
    // ACL users and the replication password, rendered in the cluster from Secrets Manager.
    new PlatformExternalSecret(this, 'Auth', {
      name: 'redis-auth',
      namespace: ns,
      labels,
      names,
      keys: redisAuthKeys(names.serviceTable).map(({ key, from }) => ({ key, from: from as SecretKeyRef['from'], property: 'password' })),
      template: {
        'users.acl': aclTemplate(names.serviceTable),
        'replication.conf': 'masterauth "{{ .replication }}"\n',
        DEFAULT_PASSWORD: '{{ .default }}',
        EXPORTER_PASSWORD: '{{ .exporter }}',
        REPLICATION_PASSWORD: '{{ .replication }}',
      },
    });

    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta(svc.name), automountServiceAccountToken: false });
    const port = (name: string, p: number, appProtocol: string) => ({ name, port: p, targetPort: intOrStr(name), protocol: 'TCP', appProtocol });
    new k8s.KubeService(this, 'Headless', {
      metadata: meta(REDIS_HEADLESS),
      spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector, ports: [port('redis', svc.port, 'redis'), port('cluster-bus', svc.busPort!, 'tcp')] },
    });
    new k8s.KubeService(this, 'Client', {
      metadata: meta(svc.name),
      spec: { type: 'ClusterIP', selector, ports: [port('redis', svc.port, 'redis'), port('metrics', svc.metricsPort!, 'http')] },
    });

    const tcpProbe = (period: number, failures = 3) => ({ tcpSocket: { port: intOrStr('redis') }, periodSeconds: period, failureThreshold: failures, timeoutSeconds: 2 });
    new k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: meta(svc.name),
      spec: {
        serviceName: REDIS_HEADLESS,
        replicas: pods,
        selector: { matchLabels: selector },
        // All nodes start together: a cluster node needs its peers, not its predecessors.
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: {
          metadata: { labels, annotations: { ...scrapeAnnotations(svc.metricsPort!), ...configChecksum(configData) } },
          spec: {
            serviceAccountName: svc.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            priorityClassName: props.priorityClassName,
            terminationGracePeriodSeconds: 30,
            securityContext: restrictedPodSecurityContext(uid),
            topologySpreadConstraints: zoneSpread(selector, 'ScheduleAnyway'),
            containers: [
              {
                name: 'redis',
                image: imageRef(IMAGES.redis),
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/sh', `${REDIS_PATHS.config}/start.sh`],
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
                ],
                ports: [
                  { name: 'redis', containerPort: svc.port, protocol: 'TCP' },
                  { name: 'cluster-bus', containerPort: svc.busPort!, protocol: 'TCP' },
                ],
                resources: containerResources(r.resources),
                securityContext: restrictedContainerSecurityContext(uid),
                startupProbe: tcpProbe(5, 30),
                livenessProbe: tcpProbe(10, 3),
                readinessProbe: tcpProbe(5, 2),
                volumeMounts: [
                  { name: 'data', mountPath: REDIS_PATHS.data },
                  { name: 'config', mountPath: REDIS_PATHS.config, readOnly: true },
                  { name: 'acl', mountPath: REDIS_PATHS.acl, readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
              {
                name: 'exporter',
                image: imageRef(IMAGES.redisExporter),
                imagePullPolicy: 'IfNotPresent',
                env: [
                  { name: 'REDIS_ADDR', value: `redis://localhost:${svc.port}` },
                  { name: 'REDIS_USER', value: REDIS_USERS.exporter },
                  { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'EXPORTER_PASSWORD' } } },
                  { name: 'REDIS_EXPORTER_WEB_LISTEN_ADDRESS', value: `:${svc.metricsPort}` },
                ],
                ports: [{ name: 'metrics', containerPort: svc.metricsPort!, protocol: 'TCP' }],
                resources: containerResources(REDIS_CONTAINER_RESOURCES.exporter),
                securityContext: restrictedContainerSecurityContext(IMAGES.redisExporter.uid),
                readinessProbe: { httpGet: { path: '/health', port: intOrStr('metrics'), scheme: 'HTTP' }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: '/health', port: intOrStr('metrics'), scheme: 'HTTP' }, periodSeconds: 20 },
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: 'redis-config' } },
              { name: 'acl', secret: { secretName: 'redis-auth', defaultMode: 0o440, items: [{ key: 'users.acl', path: 'users.acl' }, { key: 'replication.conf', path: 'replication.conf' }] } },
              { name: 'tmp', emptyDir: { sizeLimit: quantity('64Mi') } },
            ],
          },
        },
        volumeClaimTemplates: [
          { metadata: { name: 'data', labels }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: names.storage.storageClass, resources: { requests: { storage: quantity(`${r.volumeSizeGiB}Gi`) } } } },
        ],
      },
    });
    // One node at a time: with a replica per primary a drain never takes a shard's both copies.
    // Voluntary evictions one pod at a time (two at once could be a shard's primary and its replica). A zone loss
    // takes every pod of one zone, which the zone-aware bootstrap makes safe: a shard's copies sit in different zones.
    const zones = config.availabilityZones.length;
    const zoneLoss =
      r.replicasPerPrimary > 0 && zones > 1
        ? { annotations: { [PLATFORM_ANNOTATIONS.zoneLossTolerance]: String(Math.ceil(pods / zones)), [PLATFORM_ANNOTATIONS.zoneLossReason]: "bootstrap.sh places each shard's primary and replicas in different zones" } }
        : {};
    new k8s.KubePodDisruptionBudget(this, 'Pdb', { metadata: { ...meta(svc.name), ...zoneLoss }, spec: { selector: { matchLabels: selector }, maxUnavailable: intOrStr(1) } });

    // Helper pods (bootstrap, backup) run redis-cli from the same image with the default user's password.
    const jobLabelSet = (name: string) => ({ ...this.labels, name, instance: `${name}-${config.name}`, component: 'cache-operations' });
    const cliContainer = (name: string, script: string, env: k8s.EnvVar[], mounts: k8s.VolumeMount[] = []): k8s.Container => ({
      name,
      image: imageRef(IMAGES.redis),
      imagePullPolicy: 'IfNotPresent',
      command: ['/bin/sh', `${REDIS_PATHS.config}/${script}`],
      env: [{ name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'DEFAULT_PASSWORD' } } }, ...env],
      resources: containerResources(REDIS_CONTAINER_RESOURCES.job),
      securityContext: restrictedContainerSecurityContext(uid),
      volumeMounts: [{ name: 'config', mountPath: REDIS_PATHS.config, readOnly: true }, { name: 'tmp', mountPath: '/tmp' }, ...mounts],
    });
    const baseVolumes: k8s.Volume[] = [{ name: 'config', configMap: { name: 'redis-config' } }, { name: 'tmp', emptyDir: { sizeLimit: quantity('64Mi') } }];
    const podCommon = { automountServiceAccountToken: false, enableServiceLinks: false, restartPolicy: 'Never', securityContext: restrictedPodSecurityContext(uid) };

    const bootstrapSpec: k8s.JobSpec = {
      backoffLimit: 10,
      activeDeadlineSeconds: 1800,
      // Removed an hour after it finishes; the next apply recreates it and it confirms the cluster is formed.
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: recommendedLabels(jobLabelSet(REDIS_BOOTSTRAP_NAME)) },
        spec: {
          ...podCommon,
          serviceAccountName: svc.name,
          containers: [cliContainer('bootstrap', 'bootstrap.sh', [{ name: 'NODES', value: nodes }, { name: 'REPLICAS', value: String(r.replicasPerPrimary) }])],
          volumes: baseVolumes,
        },
      },
    };
    // A Job's pod template is immutable: the name carries a hash of it (and of the script), so a changed Job is a
    // new object (the old one is pruned) instead of an apply that fails with "field is immutable".
    const bootstrapHash = contentHash({ spec: JSON.stringify(bootstrapSpec), script: configData['bootstrap.sh'] }).slice(0, 8);
    new k8s.KubeJob(this, 'Bootstrap', {
      metadata: meta(`${REDIS_BOOTSTRAP_NAME}-${bootstrapHash}`, recommendedLabels(jobLabelSet(REDIS_BOOTSTRAP_NAME))),
      spec: bootstrapSpec,
    });

    // Daily backup: RDB snapshots from replicas (init container), then upload with the backup identity.
    const backupLabels = recommendedLabels(jobLabelSet(REDIS_BACKUP_NAME));
    const prefix = `s3://${names.backup.bucketName}/${names.backup.redisPrefix}`;
    new k8s.KubeCronJob(this, 'Backup', {
      metadata: meta(REDIS_BACKUP_NAME, backupLabels),
      spec: {
        schedule: r.backupSchedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 5,
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: 3600,
            ttlSecondsAfterFinished: 7 * 86400,
            template: {
              metadata: { labels: backupLabels },
              spec: {
                ...podCommon,
                serviceAccountName: names.identities.backup.serviceAccount,
                initContainers: [
                  cliContainer('snapshot', 'snapshot.sh', [
                    { name: 'SEED', value: `${svc.name}-0.${headlessDomain}:${svc.port}` },
                    { name: 'REPLICATION_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'REPLICATION_PASSWORD' } } },
                  ], [{ name: 'backup', mountPath: '/backup' }]),
                ],
                containers: [
                  {
                    name: 'upload',
                    image: imageRef(IMAGES.awsCli),
                    imagePullPolicy: 'IfNotPresent',
                    command: ['/bin/sh', '-c', `set -eu; stamp=$(date -u +%Y-%m-%dT%H%M%SZ); aws s3 cp /backup "${prefix}/$stamp/" --recursive --sse aws:kms --sse-kms-key-id "${names.kms.backups}" --only-show-errors; echo "uploaded to ${prefix}/$stamp/"`],
                    env: [{ name: 'AWS_REGION', value: config.region }, { name: 'HOME', value: '/tmp' }],
                    resources: containerResources(REDIS_CONTAINER_RESOURCES.job),
                    securityContext: restrictedContainerSecurityContext(IMAGES.awsCli.uid),
                    volumeMounts: [{ name: 'backup', mountPath: '/backup', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
                  },
                ],
                volumes: [...baseVolumes, { name: 'backup', emptyDir: { sizeLimit: quantity(`${Math.ceil(r.volumeSizeGiB * r.primaries)}Gi`) } }],
              },
            },
          },
        },
      },
    });

    // Network: clients (backend, helper jobs) on 6379; the cluster bus only between Redis pods; metrics from monitoring.
    // The application services with a Redis user (services table).
    const clients = redisClients(names.serviceTable).map((s) => peer({ namespace: names.namespaces.app, service: s.name, ports: [] }, ns));
    const self = { podSelector: { matchLabels: selector } };
    networkPolicy(this, 'IngressPolicy', {
      metadata: meta(`${svc.name}-ingress`),
      selector,
      ingress: [
        ingressFrom([...clients, podsNamed(REDIS_BOOTSTRAP_NAME), podsNamed(REDIS_BACKUP_NAME)], [svc.port]),
        ingressFrom([self], [svc.port, svc.busPort!]),
        metricsFrom(names.namespaces.monitoring, svc.metricsPort!),
      ],
    });
    networkPolicy(this, 'EgressPolicy', { metadata: meta(`${svc.name}-egress`), selector, egress: [egressTo([self], [svc.port, svc.busPort!])] });
    // The helper jobs reach Redis; the backup also S3 (HTTPS) with its Pod Identity credentials.
    for (const [name, extra] of [[REDIS_BOOTSTRAP_NAME, []], [REDIS_BACKUP_NAME, [apiServerEgress(), podIdentityAgentEgress()]]] as const) {
      networkPolicy(this, `${name}-egress`, {
        metadata: meta(`${name}-egress`, recommendedLabels(jobLabelSet(name))),
        selector: selectorLabels(jobLabelSet(name)),
        egress: [egressTo([self], [svc.port]), ...extra],
      });
    }
  }
}
