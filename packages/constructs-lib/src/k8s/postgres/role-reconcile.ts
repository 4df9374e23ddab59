import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import type { PlatformNames } from '../../naming/naming';
import { ROLE_RECONCILE_JOB } from '../../naming/services';
import { IMAGES, imageRef } from '../../versions/images';
import { contentHash } from '../config-checksum';
import { recommendedLabels, selectorLabels } from '../labels';
import { egressTo, networkPolicy, podsNamed } from '../network-peers';
import { containerResources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { quantity } from '../values';
import { POSTGRES_OBJECTS } from './postgres-cluster';
import { ROLE_RECONCILE_PATHS, roleReconcilePasswordEnv, roleReconcileScript, roleReconcileSql } from './role-reconcile-files';

export interface PostgresRoleReconcileProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
  /** Label value (`app.kubernetes.io/name`) of the PostgreSQL pods; the Job reaches only the primary's. */
  readonly postgresName: string;
}

/**
 * The Job's size. It runs psql for seconds. The data namespace's quota has no line for it: the push deploy runs it
 * after the data tier rolled out, when the pooler's one-pod rollout surge (counted in the quota, sizing/
 * namespace-footprint.ts) is free, and this fits in that pod's share (test/postgres-cluster.test.ts checks it).
 */
export const ROLE_RECONCILE_RESOURCES = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } } as const;

/**
 * The role-reconcile Job: brings the running database to the services table on every deploy (roles, memberships,
 * grants, settings, passwords; role-reconcile-files.ts), where Patroni's post_bootstrap reaches only a new cluster.
 * Rendered as a ConfigMap with the script and SQL, a ServiceAccount without token, the Job and its egress policy (the
 * primary on 5432 only; PostgreSQL's ingress policy admits it, postgres-cluster.ts). The Job's name carries a hash of
 * its pod template and files: a Job's template is immutable, so a changed table is a new Job (the old one is pruned)
 * rather than an apply that fails; an unchanged one is the same Job, re-created after its TTL by the next deploy and
 * run again, which changes nothing.
 */
export class PostgresRoleReconcile extends Construct {
  readonly jobName: string;

  constructor(scope: Construct, id: string, props: PostgresRoleReconcileProps) {
    super(scope, id);
    const { config, names } = props;
    const ns = names.namespaces.data;
    const pg = names.services.postgres;
    const uid = IMAGES.timescaledbHa.uid;
    const labelSet = { name: ROLE_RECONCILE_JOB, instance: `${ROLE_RECONCILE_JOB}-${config.name}`, component: 'database-operations', partOf: names.prefix, version: IMAGES.timescaledbHa.tag };
    const labels = recommendedLabels(labelSet);
    const meta = (name: string) => ({ name, namespace: ns, labels });
    const input = { config, names };

    const files = { [ROLE_RECONCILE_PATHS.script]: roleReconcileScript(input), [ROLE_RECONCILE_PATHS.sql]: roleReconcileSql(input) };
    new k8s.KubeConfigMap(this, 'Files', { metadata: meta(ROLE_RECONCILE_JOB), data: files });
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta(ROLE_RECONCILE_JOB), automountServiceAccountToken: false });

    const secretEnv = (env: string, key: string): k8s.EnvVar => ({ name: env, valueFrom: { secretKeyRef: { name: POSTGRES_OBJECTS.credentials, key } } });
    const spec: k8s.JobSpec = {
      backoffLimit: 3,
      activeDeadlineSeconds: 900,
      // Removed an hour after it finishes (the deploy waits for it right away); the next deploy re-creates it.
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: ROLE_RECONCILE_JOB,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          restartPolicy: 'Never',
          securityContext: restrictedPodSecurityContext(uid),
          containers: [
            {
              name: 'reconcile',
              image: imageRef(IMAGES.timescaledbHa),
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', `${ROLE_RECONCILE_PATHS.dir}/${ROLE_RECONCILE_PATHS.script}`],
              env: [
                // The read-write Service: the primary. Its certificate is checked against the namespace CA.
                { name: 'PGHOST', value: `${pg.name}.${ns}.svc.cluster.local` },
                { name: 'PGPORT', value: String(pg.port) },
                // roles.sql starts in postgres (the cluster's grants) and connects to the application database itself.
                { name: 'PGDATABASE', value: 'postgres' },
                { name: 'PGSSLMODE', value: 'verify-full' },
                { name: 'PGSSLROOTCERT', value: `${ROLE_RECONCILE_PATHS.tls}/ca.crt` },
                { name: 'PGCONNECT_TIMEOUT', value: '10' },
                { name: 'HOME', value: '/tmp' },
                ...roleReconcilePasswordEnv(names.serviceTable).map(({ env, key }) => secretEnv(env, key)),
              ],
              resources: containerResources(ROLE_RECONCILE_RESOURCES),
              securityContext: restrictedContainerSecurityContext(uid),
              volumeMounts: [
                { name: 'files', mountPath: ROLE_RECONCILE_PATHS.dir, readOnly: true },
                { name: 'ca', mountPath: ROLE_RECONCILE_PATHS.tls, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'files', configMap: { name: ROLE_RECONCILE_JOB, defaultMode: 0o555 } },
            // Only the CA certificate of the server's Secret (not its key).
            { name: 'ca', secret: { secretName: POSTGRES_OBJECTS.serverTls, defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { name: 'tmp', emptyDir: { sizeLimit: quantity('16Mi') } },
          ],
        },
      },
    };
    const hash = contentHash({ spec: JSON.stringify(spec) }, files).slice(0, 8);
    this.jobName = `${ROLE_RECONCILE_JOB}-${hash}`;
    new k8s.KubeJob(this, 'Job', { metadata: meta(this.jobName), spec });

    // Out: PostgreSQL on its port, nothing else (PGHOST is the read-write Service, i.e. the primary). The PostgreSQL pods
    // by their name label, not also by Patroni's `role: primary`: that label exists only at run time, so verify's
    // traffic check (which reads the rendered pod templates) could not prove the flow, and it moves on a failover.
    networkPolicy(this, 'EgressPolicy', { metadata: meta(`${ROLE_RECONCILE_JOB}-egress`), selector: selectorLabels(labelSet), egress: [egressTo([podsNamed(props.postgresName)], [pg.port])] });
  }
}
