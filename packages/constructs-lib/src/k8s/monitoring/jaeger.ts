import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { IMAGES, imageRef } from '../../versions/images';
import { ingressFrom, networkPolicy } from '../network-peers';
import { containerResources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { MONITORING_CONTAINER_RESOURCES } from './resources';
import { component, intOrStr, MonitoringProps, podsOf, quantity } from './common';
import { scrapeAnnotations } from './scrape';
import { configChecksum } from '../config-checksum';
import { JAEGER_HEALTH_PORT, JAEGER_METRICS_PORT, jaegerConfig } from './jaeger-config';

export { JAEGER_METRICS_PORT } from './jaeger-config';

/**
 * Jaeger v2 (collector with OTLP gRPC/HTTP receivers + query UI in one process). Storage: Badger on a persistent
 * gp3 volume, spans kept `monitoring.tracing.retentionDays` days: no Elasticsearch/Cassandra to run, at the cost of
 * a single replica (Badger is single-writer); tracing is diagnostic, so a short outage of it loses only traces.
 */
export class Jaeger extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config, names } = props;
    const ns = names.namespaces.monitoring;
    const c = component(props, names.services.tracing.workload!, 'tracing', IMAGES.jaeger.tag, ns);
    const uid = IMAGES.jaeger.uid;
    const collector = names.services.tracing;
    const query = names.services.tracingQuery;
    const t = config.monitoring.tracing;
    const storage = { badger: { directories: { keys: '/badger/keys', values: '/badger/values' }, ephemeral: false, ttl: { spans: `${t.retentionDays * 24}h` } } };
    const configData = { 'jaeger.yaml': stringify(jaegerConfig(names, storage), { lineWidth: 0 }) };
    new k8s.KubeConfigMap(this, 'Config', { metadata: c.meta('jaeger-config'), data: configData });
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: c.meta(), automountServiceAccountToken: false });
    const health = { httpGet: { path: '/status', port: intOrStr('health'), scheme: 'HTTP' }, periodSeconds: 10, failureThreshold: 3 };
    new k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: c.meta(),
      spec: {
        serviceName: 'jaeger',
        replicas: 1,
        selector: { matchLabels: c.selector },
        template: {
          metadata: { labels: c.labels, annotations: { ...scrapeAnnotations(JAEGER_METRICS_PORT), ...configChecksum(configData) } },
          spec: {
            serviceAccountName: 'jaeger',
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            priorityClassName: props.priorityClassName,
            securityContext: restrictedPodSecurityContext(uid),
            containers: [
              {
                name: 'jaeger',
                image: imageRef(IMAGES.jaeger),
                imagePullPolicy: 'IfNotPresent',
                args: ['--config', '/etc/jaeger/jaeger.yaml'],
                ports: [
                  { name: 'otlp-grpc', containerPort: collector.port, protocol: 'TCP' },
                  { name: 'otlp-http', containerPort: collector.httpPort!, protocol: 'TCP' },
                  { name: 'query', containerPort: query.port, protocol: 'TCP' },
                  { name: 'metrics', containerPort: JAEGER_METRICS_PORT, protocol: 'TCP' },
                  { name: 'health', containerPort: JAEGER_HEALTH_PORT, protocol: 'TCP' },
                ],
                resources: containerResources(MONITORING_CONTAINER_RESOURCES.jaeger),
                securityContext: restrictedContainerSecurityContext(uid),
                readinessProbe: health,
                livenessProbe: { ...health, periodSeconds: 20 },
                volumeMounts: [
                  { name: 'data', mountPath: '/badger' },
                  { name: 'config', mountPath: '/etc/jaeger', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: 'jaeger-config' } },
              { name: 'tmp', emptyDir: { sizeLimit: quantity('64Mi') } },
            ],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data', labels: c.labels }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: names.storage.storageClass, resources: { requests: { storage: quantity(`${t.volumeSizeGiB}Gi`) } } } }],
      },
    });
    new k8s.KubeService(this, 'Collector', {
      metadata: c.meta(collector.name),
      spec: {
        type: 'ClusterIP',
        selector: c.selector,
        ports: [
          { name: 'otlp-grpc', port: collector.port, targetPort: intOrStr('otlp-grpc'), protocol: 'TCP', appProtocol: 'grpc' },
          { name: 'otlp-http', port: collector.httpPort!, targetPort: intOrStr('otlp-http'), protocol: 'TCP', appProtocol: 'http' },
        ],
      },
    });
    new k8s.KubeService(this, 'Query', { metadata: c.meta(query.name), spec: { type: 'ClusterIP', selector: c.selector, ports: [{ name: 'query', port: query.port, targetPort: intOrStr('query'), protocol: 'TCP', appProtocol: 'http' }] } });
    networkPolicy(this, 'Ingress', {
      metadata: c.meta('jaeger-ingress'),
      selector: c.selector,
      ingress: [
        // The application services of the services table export traces (OTEL_EXPORTER_OTLP_ENDPOINT).
        ingressFrom(names.serviceTable.appServices.map((s) => podsOf(s.name, names.namespaces.app)), [collector.port, collector.httpPort!]),
        ingressFrom([podsOf(names.services.grafana.name)], [query.port]),
        ingressFrom([podsOf(names.services.prometheus.name)], [JAEGER_METRICS_PORT]),
      ],
    });
  }
}
