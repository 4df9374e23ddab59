import { k8s } from 'cdk8s-plus-28';
import { intOrStr, quantity } from '../values';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import { PLATFORM_ANNOTATIONS, type PlatformNames } from '../../naming/naming';
import { poolerRollout } from '../../config/database-schema';
import { IMAGES, imageRef } from '../../versions/images';
import { pdbMaxUnavailable } from '../app-workload';
import { recommendedLabels, selectorLabels } from '../labels';
import { egressTo, ingressFrom, metricsFrom, networkPolicy, peer, podsNamed } from '../network-peers';
import { zoneSpread } from '../spread';
import { pgbouncerClients } from '../../naming/services';
import { containerResources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { NamespaceCa } from './cluster-ca';
import { PlatformExternalSecret } from '../external-secrets';
import { scrapeAnnotations } from '../monitoring/scrape';
import { DATA_CONTAINER_RESOURCES } from './resources';
import { PGBOUNCER_EXPORTER_PORT, pgbouncerIni, PG_ROLES } from './postgres-files';
import { configChecksum } from '../config-checksum';

export interface PgBouncerProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
  readonly ca: NamespaceCa;
  readonly priorityClassName: string;
  /** Label value (`app.kubernetes.io/name`) of the PostgreSQL pods it connects to. */
  readonly postgresName: string;
}


/**
 * PgBouncer in transaction mode in front of the primary: `pooler.replicas` pods spread over zones, auth_query for
 * user lookup (only the auth user's password is in a file, rendered by an ExternalSecret), TLS offered to clients,
 * TLS required to the server, pgbouncer_exporter sidecar. Each pod opens at most its share of the pooling cap.
 */
export class PgBouncer extends Construct {
  constructor(scope: Construct, id: string, props: PgBouncerProps) {
    super(scope, id);
    const { config, names } = props;
    const ns = names.namespaces.data;
    const svc = names.services.pgbouncer;
    const p = config.database.pooler;
    const uid = IMAGES.pgbouncer.uid;
    const labelSet = { name: svc.name, instance: `${svc.name}-${config.name}`, component: 'database-pooler', partOf: names.prefix, version: IMAGES.pgbouncer.tag };
    const labels = recommendedLabels(labelSet);
    const selector = selectorLabels(labelSet);
    const meta = (name: string) => ({ name, namespace: ns, labels });
    const ini = pgbouncerIni({ config, names });

    new k8s.KubeConfigMap(this, 'Config', { metadata: meta('pgbouncer-config'), data: { 'pgbouncer.ini': ini } });
    // userlist.txt holds only the auth_query user; ESO renders it from Secrets Manager (never in git or dist/).
    new PlatformExternalSecret(this, 'AuthFile', {
      name: 'pgbouncer-auth',
      namespace: ns,
      labels,
      names,
      keys: [
        { key: 'password', from: 'postgres/pooler', property: 'password' },
        { key: 'monitoring', from: 'postgres/monitoring', property: 'password' },
      ],
      // The auth_query user, and the exporter's user for the admin console (auth_query does not serve it).
      template: { 'userlist.txt': `"${PG_ROLES.pooler}" "{{ .password }}"\n"${PG_ROLES.monitoring}" "{{ .monitoring }}"\n`, MONITORING_PASSWORD: '{{ .monitoring }}' },
    });
    const tlsSecret = props.ca.certificate('Tls', {
      name: 'pgbouncer-tls',
      dnsNames: [`${svc.name}.${ns}.svc`, `${svc.name}.${ns}.svc.cluster.local`],
      usages: ['server auth'],
    });

    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta(svc.name), automountServiceAccountToken: false });
    // Rollout within the connection budget: (replicas + maxSurge) x max_db_connections <= poolingCap (schema rule,
    // verify connection-budget). With the default maxSurge 0 / maxUnavailable 1 a rollout replaces one pod at a time:
    // every pod keeps its full share of the cap, the other pods keep serving (at least one in production, in another
    // zone), and with a zone already lost the rollout waits rather than stopping the last running pod (it never
    // exceeds maxUnavailable, the PDB's budget too). Surging instead (maxSurge 1) would need per-pod connections of
    // cap / (replicas + 1), a third less pool for every transaction all the time, to serve the minutes of a rollout.
    const rollout = poolerRollout(p);
    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { ...meta(svc.name), annotations: { [PLATFORM_ANNOTATIONS.poolingCap]: String(config.database.poolingCap) } },
      spec: {
        replicas: p.replicas,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: intOrStr(rollout.maxUnavailable), maxSurge: intOrStr(rollout.maxSurge) } },
        template: {
          metadata: { labels, annotations: { ...scrapeAnnotations(PGBOUNCER_EXPORTER_PORT), ...configChecksum({ 'pgbouncer.ini': ini }) } },
          spec: {
            serviceAccountName: svc.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            priorityClassName: props.priorityClassName,
            terminationGracePeriodSeconds: 40,
            securityContext: restrictedPodSecurityContext(uid),
            topologySpreadConstraints: zoneSpread(selector, 'ScheduleAnyway'),
            containers: [
              {
                name: 'pgbouncer',
                image: imageRef(IMAGES.pgbouncer),
                imagePullPolicy: 'IfNotPresent',
                command: ['pgbouncer', '/etc/pgbouncer/pgbouncer.ini'],
                ports: [{ name: 'pgbouncer', containerPort: svc.port, protocol: 'TCP' }],
                resources: containerResources(DATA_CONTAINER_RESOURCES.pgbouncer),
                securityContext: restrictedContainerSecurityContext(uid),
                readinessProbe: { tcpSocket: { port: intOrStr('pgbouncer') }, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: intOrStr('pgbouncer') }, periodSeconds: 10, failureThreshold: 3 },
                // Drain: SIGTERM makes PgBouncer stop accepting and finish transactions (safe shutdown).
                lifecycle: { preStop: { exec: { command: ['sleep', '10'] } } },
                volumeMounts: [
                  { name: 'config', mountPath: '/etc/pgbouncer/pgbouncer.ini', subPath: 'pgbouncer.ini', readOnly: true },
                  { name: 'auth', mountPath: '/etc/pgbouncer/auth', readOnly: true },
                  { name: 'tls', mountPath: '/etc/pgbouncer/tls', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
              {
                name: 'exporter',
                image: imageRef(IMAGES.pgbouncerExporter),
                imagePullPolicy: 'IfNotPresent',
                args: [`--web.listen-address=:${PGBOUNCER_EXPORTER_PORT}`, `--pgBouncer.connectionString=postgres://${PG_ROLES.monitoring}:$(MONITORING_PASSWORD)@localhost:${svc.port}/pgbouncer?sslmode=disable`],
                env: [{ name: 'MONITORING_PASSWORD', valueFrom: { secretKeyRef: { name: 'pgbouncer-auth', key: 'MONITORING_PASSWORD' } } }],
                ports: [{ name: 'metrics', containerPort: PGBOUNCER_EXPORTER_PORT, protocol: 'TCP' }],
                resources: containerResources(DATA_CONTAINER_RESOURCES.pgbouncerExporter),
                securityContext: restrictedContainerSecurityContext(IMAGES.pgbouncerExporter.uid),
                readinessProbe: { httpGet: { path: '/', port: intOrStr('metrics'), scheme: 'HTTP' }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: '/', port: intOrStr('metrics'), scheme: 'HTTP' }, periodSeconds: 20 },
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: 'pgbouncer-config' } },
              { name: 'auth', secret: { secretName: 'pgbouncer-auth', defaultMode: 0o440, items: [{ key: 'userlist.txt', path: 'userlist.txt' }] } },
              { name: 'tls', secret: { secretName: tlsSecret, defaultMode: 0o440 } },
              { name: 'tmp', emptyDir: { sizeLimit: quantity('64Mi') } },
            ],
          },
        },
      },
    });
    new k8s.KubeService(this, 'Service', {
      metadata: meta(svc.name),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [
          { name: 'pgbouncer', port: svc.port, targetPort: intOrStr('pgbouncer'), protocol: 'TCP', appProtocol: 'tcp' },
          { name: 'metrics', port: PGBOUNCER_EXPORTER_PORT, targetPort: intOrStr('metrics'), protocol: 'TCP', appProtocol: 'http' },
        ],
      },
    });
    new k8s.KubePodDisruptionBudget(this, 'Pdb', { metadata: meta(svc.name), spec: { selector: { matchLabels: selector }, maxUnavailable: intOrStr(pdbMaxUnavailable(p.replicas)) } });

    // The application services whose database role logs in through PgBouncer (services table).
    const clientPods = pgbouncerClients(names.serviceTable).map((s) => peer({ namespace: names.namespaces.app, service: s.name, ports: [] }, ns));
    networkPolicy(this, 'IngressPolicy', { metadata: meta(`${svc.name}-ingress`), selector, ingress: [ingressFrom(clientPods, [svc.port]), metricsFrom(names.namespaces.monitoring, PGBOUNCER_EXPORTER_PORT)] });
    networkPolicy(this, 'EgressPolicy', { metadata: meta(`${svc.name}-egress`), selector, egress: [egressTo([podsNamed(props.postgresName)], [names.services.postgres.port])] });
  }
}
