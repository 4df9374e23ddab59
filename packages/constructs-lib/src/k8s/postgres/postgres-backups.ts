import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import type { PlatformNames } from '../../naming/naming';
import { IMAGES, imageRef } from '../../versions/images';
import { recommendedLabels, selectorLabels } from '../labels';
import { apiServerEgress, egressTo, networkPolicy, podsNamed } from '../network-peers';
import { containerResources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { NamespaceCa } from './cluster-ca';
import { DATA_CONTAINER_RESOURCES } from './resources';
import { POSTGRES_OBJECTS } from './postgres-cluster';
import { PG_PATHS, PG_ROLES, pgbackrestConf, PGBACKREST_STANZA, PGBACKREST_TLS_PORT, pitrRestoreScript } from './postgres-files';
import { memoryBytes } from '../../util/quantity';
import { webIdentityAnnotations, webIdentityEnv, webIdentityMounts, webIdentityVolumes } from './web-identity';

export interface PostgresBackupsProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
  readonly ca: NamespaceCa;
  /** `app.kubernetes.io/name` of the PostgreSQL pods. */
  readonly postgresName: string;
}

/** Label value of the backup and restore job pods (PostgreSQL's network policy admits it). */
export const POSTGRES_BACKUP_NAME = 'postgres-backup';
/** The standing claim a point-in-time restore writes into (no volume exists until a restore runs). */
export const RESTORE_CLAIM = 'postgres-restore';
/** Key of the point-in-time restore script in the ConfigMap postgres-backup-config (mounted at /etc/pgbackrest). */
export const PITR_RESTORE_SCRIPT = 'pitr-restore.sh';

/**
 * Scheduled pgBackRest backups (weekly full, daily differential by default) as CronJobs that reach the current
 * primary's data directory through the pgBackRest TLS server sidecars (mutual TLS; nobody needs pods/exec), record
 * success for the "last backup" metric, and a suspended restore CronJob used as the point-in-time-recovery template.
 */
export class PostgresBackups extends Construct {
  constructor(scope: Construct, id: string, props: PostgresBackupsProps) {
    super(scope, id);
    const { config, names } = props;
    const ns = names.namespaces.data;
    const uid = IMAGES.timescaledbHa.uid;
    const b = config.database.backups;
    const labelSet = { name: POSTGRES_BACKUP_NAME, instance: `${POSTGRES_BACKUP_NAME}-${config.name}`, component: 'database-backup', partOf: names.prefix, version: IMAGES.timescaledbHa.tag };
    const labels = recommendedLabels(labelSet);
    const meta = (name: string) => ({ name, namespace: ns, labels });
    const sa = names.identities.backup.serviceAccount;

    props.ca.certificate('ClientTls', { name: POSTGRES_OBJECTS.pgbackrestClientTls, commonName: 'pgbackrest-client', usages: ['client auth'] });
    new k8s.KubeConfigMap(this, 'Config', {
      metadata: meta('postgres-backup-config'),
      data: {
        'pgbackrest.conf': pgbackrestConf({ config, names }, 'backup-job'),
        'restore.conf': pgbackrestConf({ config, names }, 'restore'),
        // The restore job runs PostgreSQL itself (to finish the recovery): shared_buffers at 25 % of its memory limit.
        [PITR_RESTORE_SCRIPT]: pitrRestoreScript({ config, names }, { sharedBuffers: `${Math.floor((memoryBytes(DATA_CONTAINER_RESOURCES.backupJob.limits.memory) * 0.25) / 2 ** 20)}MB`, restoreClaim: RESTORE_CLAIM }),
      },
    });
    // The backup identity's service account: IRSA binds it to the backup role (S3 bucket + KMS key); no API token.
    const irsa = names.identities.backup;
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { ...meta(sa), annotations: webIdentityAnnotations(irsa) }, automountServiceAccountToken: false });

    const rw = `${names.services.postgres.name}.${ns}.svc.cluster.local`;
    const record = (type: string) =>
      `psql "host=${rw} port=${names.services.postgres.port} dbname=${names.database.name} user=${PG_ROLES.backup} sslmode=verify-full sslrootcert=${PG_PATHS.pgbackrestTls}/ca.crt" -v ON_ERROR_STOP=1 -c "SELECT monitoring.record_backup('${type}')"`;
    const backupScript = (type: 'full' | 'diff') =>
      [
        'set -eu',
        // Idempotent: creates the stanza on the first run, verifies it afterwards.
        `pgbackrest --stanza=${PGBACKREST_STANZA} stanza-create`,
        `pgbackrest --stanza=${PGBACKREST_STANZA} --type=${type} backup`,
        `pgbackrest --stanza=${PGBACKREST_STANZA} info`,
        record(type),
      ].join('\n');

    const podSpec = (command: string | string[], opts: { config: string; withData?: boolean }): k8s.PodSpec => ({
      serviceAccountName: sa,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      // The restore claim becomes a member's data volume: kubelet must not re-apply g+rwx,setgid to it on every mount
      // (kubernetes/kubernetes pkg/volume/volume_linux.go; see the StatefulSet in postgres-cluster.ts).
      securityContext: opts.withData ? { ...restrictedPodSecurityContext(uid), fsGroupChangePolicy: 'OnRootMismatch' } : restrictedPodSecurityContext(uid),
      containers: [
        {
          name: 'pgbackrest',
          image: imageRef(IMAGES.timescaledbHa),
          imagePullPolicy: 'IfNotPresent',
          command: Array.isArray(command) ? command : ['/bin/sh', '-c', command],
          env: [
            { name: 'PGBACKREST_CONFIG', value: `/etc/pgbackrest/${opts.config}` },
            { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: POSTGRES_OBJECTS.credentials, key: 'BACKUP_PASSWORD' } } },
            ...webIdentityEnv(irsa),
          ],
          resources: containerResources(DATA_CONTAINER_RESOURCES.backupJob),
          securityContext: restrictedContainerSecurityContext(uid),
          volumeMounts: [
            { name: 'config', mountPath: '/etc/pgbackrest', readOnly: true },
            { name: 'tls', mountPath: PG_PATHS.pgbackrestTls, readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
            ...(opts.withData ? [{ name: 'restore', mountPath: PG_PATHS.volume }] : []),
            ...webIdentityMounts(irsa),
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: 'postgres-backup-config' } },
        { name: 'tls', secret: { secretName: POSTGRES_OBJECTS.pgbackrestClientTls, defaultMode: 0o440 } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
        ...(opts.withData ? [{ name: 'restore', persistentVolumeClaim: { claimName: RESTORE_CLAIM } }] : []),
        // The STS token is a projected volume: it needs no automountServiceAccountToken (that is the API token).
        ...webIdentityVolumes(irsa),
      ],
    });

    const cronJob = (cid: string, name: string, schedule: string, command: string | string[], extra: { suspend?: boolean; withData?: boolean; config: string; deadline: number }) =>
      new k8s.KubeCronJob(this, cid, {
        metadata: meta(name),
        spec: {
          schedule,
          timeZone: 'Etc/UTC',
          suspend: extra.suspend ?? false,
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: 3600,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 5,
          jobTemplate: {
            spec: {
              backoffLimit: 2,
              activeDeadlineSeconds: extra.deadline,
              ttlSecondsAfterFinished: 7 * 86400,
              template: { metadata: { labels }, spec: podSpec(command, extra) },
            },
          },
        },
      });
    cronJob('Full', 'postgres-backup-full', b.fullSchedule, backupScript('full'), { config: 'pgbackrest.conf', deadline: 6 * 3600 });
    cronJob('Diff', 'postgres-backup-diff', b.differentialSchedule, backupScript('diff'), { config: 'pgbackrest.conf', deadline: 3 * 3600 });

    // Point-in-time recovery template: never scheduled (suspended); run it with
    // `kubectl create job --from=cronjob/postgres-pitr-restore` after setting PITR_TARGET (docs/runbooks/postgres.md).
    // The script (pitrRestoreScript) restores, replays to the target with plain PostgreSQL and promotes, so that the
    // result survives being started by Patroni (which would drop the recovery target).
    const restore = ['/bin/sh', `/etc/pgbackrest/${PITR_RESTORE_SCRIPT}`];
    cronJob('PitrRestore', 'postgres-pitr-restore', '0 0 1 1 *', restore, { suspend: true, withData: true, config: 'restore.conf', deadline: 4 * 3600 });
    new k8s.KubePersistentVolumeClaim(this, 'RestoreClaim', {
      metadata: meta(RESTORE_CLAIM),
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: names.storage.storageClass,
        resources: { requests: { storage: k8s.Quantity.fromString(`${config.database.volumeSizeGiB}Gi`) } },
      },
    });

    networkPolicy(this, 'EgressPolicy', {
      metadata: meta(`${POSTGRES_BACKUP_NAME}-egress`),
      selector: selectorLabels(labelSet),
      egress: [
        egressTo([podsNamed(props.postgresName)], [PGBACKREST_TLS_PORT, names.services.postgres.port]),
        // S3 through the gateway endpoint, STS for the web-id credentials (IRSA: no Pod Identity agent).
        apiServerEgress(),
      ],
    });
  }
}
