import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { IMAGES, imageRef } from '../../versions/images';
import { apiServerEgress, egressTo, ingressFrom, networkPolicy } from '../network-peers';
import { zoneSpread } from '../spread';
import { containerResources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { scrapeAnnotations } from './scrape';
import { component, inNamespace, intOrStr, MonitoringProps, podsOf, quantity } from './common';
import { PROMETHEUS_RULES_DIR, prometheusConfig } from './prometheus-config';
import { JAEGER_METRICS_PORT } from './jaeger';
import { PGBOUNCER_EXPORTER_PORT, POSTGRES_EXPORTER_PORT } from '../postgres/postgres-files';
import { configChecksum } from '../config-checksum';

/** Metrics ports of the controllers CDK installs (their charts add the scrape annotations). */
export const CONTROLLER_METRICS_PORTS = { certManager: 9402, nginxIngress: 9113, externalSecrets: 8080 } as const;

export interface PrometheusProps extends MonitoringProps {
  /** Rule files (`<group>.rules.yaml` -> YAML). */
  readonly ruleFiles: Record<string, string>;
}

/**
 * Prometheus: a StatefulSet of `monitoring.prometheus.replicas` identical scrapers (HA by duplication), persistent
 * TSDB with time and size retention, Kubernetes service discovery with a read-only ClusterRole, the rule files.
 */
export class Prometheus extends Construct {
  constructor(scope: Construct, id: string, props: PrometheusProps) {
    super(scope, id);
    const { config, names } = props;
    const svc = names.services.prometheus;
    const p = config.monitoring.prometheus;
    const ns = names.namespaces.monitoring;
    const c = component(props, svc.name, 'monitoring', IMAGES.prometheus.tag, ns);
    const uid = IMAGES.prometheus.uid;

    const configData = { 'prometheus.yml': stringify(prometheusConfig(props), { lineWidth: 0 }) };
    new k8s.KubeConfigMap(this, 'Config', { metadata: c.meta('prometheus-config'), data: configData });
    new k8s.KubeConfigMap(this, 'Rules', { metadata: c.meta('prometheus-rules'), data: props.ruleFiles });

    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: c.meta(), automountServiceAccountToken: true });
    // Discovery and kubelet scraping: read-only, cluster-wide (the one ClusterRole a workload of ours holds).
    new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: `${names.prefix}-prometheus`, labels: c.labels },
      rules: [
        { apiGroups: [''], resources: ['nodes', 'nodes/metrics', 'services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        { nonResourceUrLs: ['/metrics', '/metrics/cadvisor'], verbs: ['get'] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: `${names.prefix}-prometheus`, labels: c.labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${names.prefix}-prometheus` },
      subjects: [{ kind: 'ServiceAccount', name: svc.name, namespace: ns }],
    });

    const httpProbe = (path: string, period: number, failures: number) => ({ httpGet: { path, port: intOrStr('web'), scheme: 'HTTP' }, periodSeconds: period, failureThreshold: failures, timeoutSeconds: 5 });
    new k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: c.meta(),
      spec: {
        serviceName: `${svc.name}-headless`,
        replicas: p.replicas,
        selector: { matchLabels: c.selector },
        podManagementPolicy: 'Parallel',
        template: {
          metadata: { labels: c.labels, annotations: { ...scrapeAnnotations(svc.port), ...configChecksum(configData, props.ruleFiles) } },
          spec: {
            serviceAccountName: svc.name,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            priorityClassName: props.priorityClassName,
            terminationGracePeriodSeconds: 120,
            securityContext: restrictedPodSecurityContext(uid),
            topologySpreadConstraints: zoneSpread(c.selector, 'none'),
            containers: [
              {
                name: 'prometheus',
                image: imageRef(IMAGES.prometheus),
                imagePullPolicy: 'IfNotPresent',
                args: [
                  '--config.file=/etc/prometheus/prometheus.yml',
                  '--storage.tsdb.path=/prometheus',
                  `--storage.tsdb.retention.time=${p.retentionDays}d`,
                  `--storage.tsdb.retention.size=${p.retentionSizeGiB}GB`,
                  '--web.enable-lifecycle',
                  `--web.listen-address=:${svc.port}`,
                ],
                env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                ports: [{ name: 'web', containerPort: svc.port, protocol: 'TCP' }],
                resources: containerResources(p.resources),
                securityContext: restrictedContainerSecurityContext(uid),
                startupProbe: httpProbe('/-/ready', 10, 60),
                readinessProbe: httpProbe('/-/ready', 10, 3),
                livenessProbe: httpProbe('/-/healthy', 15, 4),
                volumeMounts: [
                  { name: 'data', mountPath: '/prometheus' },
                  { name: 'config', mountPath: '/etc/prometheus/prometheus.yml', subPath: 'prometheus.yml', readOnly: true },
                  { name: 'rules', mountPath: PROMETHEUS_RULES_DIR, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: 'prometheus-config' } },
              { name: 'rules', configMap: { name: 'prometheus-rules' } },
            ],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data', labels: c.labels }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: names.storage.storageClass, resources: { requests: { storage: quantity(`${p.volumeSizeGiB}Gi`) } } } }],
      },
    });
    const web = [{ name: 'web', port: svc.port, targetPort: intOrStr('web'), protocol: 'TCP', appProtocol: 'http' }];
    new k8s.KubeService(this, 'Service', { metadata: c.meta(), spec: { type: 'ClusterIP', selector: c.selector, ports: web } });
    new k8s.KubeService(this, 'Headless', { metadata: c.meta(`${svc.name}-headless`), spec: { clusterIp: 'None', selector: c.selector, ports: web } });
    new k8s.KubePodDisruptionBudget(this, 'Pdb', { metadata: c.meta(), spec: { selector: { matchLabels: c.selector }, maxUnavailable: intOrStr(1) } });

    // Only Grafana (and Prometheus itself, for self-scraping across replicas) reaches the API; operators use port-forward.
    networkPolicy(this, 'Ingress', { metadata: c.meta(`${svc.name}-ingress`), selector: c.selector, ingress: [ingressFrom([podsOf(names.services.grafana.name), podsOf(svc.name)], [svc.port])] });
    // Scraping reaches every namespace's metrics ports and the kubelets; alerts go to the Alertmanagers.
    networkPolicy(this, 'Egress', {
      metadata: c.meta(`${svc.name}-egress`),
      selector: c.selector,
      egress: [
        egressTo([{ namespaceSelector: {} }], metricsPorts(props)),
        egressTo([{ ipBlock: { cidr: config.network.vpcCidr } }], [10250, names.services.nodeExporter.port]),
        egressTo([podsOf(names.services.alertmanager.name)], [names.services.alertmanager.port]),
        // Kubernetes API (service discovery).
        apiServerEgress(),
        egressTo([inNamespace(ns)], [svc.port]),
      ],
    });
  }
}

/** Every metrics port the platform's pods expose (NetworkPolicy egress of the scrapers). */
export function metricsPorts({ names }: MonitoringProps): number[] {
  const s = names.services;
  const ports = [...names.serviceTable.appServices.map((x) => x.metricsPort), POSTGRES_EXPORTER_PORT, PGBOUNCER_EXPORTER_PORT, s.redis.metricsPort, s.alertmanager.port, s.grafana.port, s.kubeStateMetrics.port, s.fluentBit.port, JAEGER_METRICS_PORT, ...Object.values(CONTROLLER_METRICS_PORTS)];
  return [...new Set(ports.filter((p): p is number => typeof p === 'number'))].sort((a, b) => a - b);
}
