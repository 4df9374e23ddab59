import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { IMAGES, imageRef } from '../../versions/images';
import { PlatformExternalSecret } from '../external-secrets';
import { egressTo, ingressFrom, networkPolicy } from '../network-peers';
import { containerResources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { MONITORING_CONTAINER_RESOURCES } from './resources';
import { component, intOrStr, MonitoringProps, podsOf, quantity } from './common';
import { scrapeAnnotations } from './scrape';
import { configChecksum } from '../config-checksum';

export interface GrafanaProps extends MonitoringProps {
  /** Dashboard files (`<uid>.json` -> JSON). */
  readonly dashboards: Record<string, string>;
}

/**
 * Grafana, stateless by choice: datasources and dashboards are provisioned from ConfigMaps (the rendered JSON is the
 * source of truth, reviewed in the diff), its database is an emptyDir, so a restart loses nothing that matters and
 * no PVC pins it to a zone. Admin password from an ExternalSecret; anonymous access off.
 */
export class Grafana extends Construct {
  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    const { names } = props;
    const svc = names.services.grafana;
    const ns = names.namespaces.monitoring;
    const c = component(props, svc.name, 'monitoring', IMAGES.grafana.tag, ns);
    const uid = IMAGES.grafana.uid;
    const s = names.services;

    const datasources = {
      apiVersion: 1,
      datasources: [
        { name: 'Prometheus', uid: 'prometheus', type: 'prometheus', access: 'proxy', url: `http://${s.prometheus.name}.${ns}.svc:${s.prometheus.port}`, isDefault: true, editable: false, jsonData: { timeInterval: '30s' } },
        { name: 'Jaeger', uid: 'jaeger', type: 'jaeger', access: 'proxy', url: `http://${s.tracingQuery.name}.${ns}.svc:${s.tracingQuery.port}`, editable: false },
      ],
    };
    const providers = { apiVersion: 1, providers: [{ name: 'optibid', folder: 'OptiBid', type: 'file', disableDeletion: true, allowUiUpdates: false, options: { path: '/var/lib/grafana-dashboards' } }] };
    const provisioning = { 'datasources.yaml': stringify(datasources, { lineWidth: 0 }), 'dashboards.yaml': stringify(providers, { lineWidth: 0 }) };
    new k8s.KubeConfigMap(this, 'Provisioning', { metadata: c.meta('grafana-provisioning'), data: provisioning });
    new k8s.KubeConfigMap(this, 'Dashboards', { metadata: c.meta('grafana-dashboards'), data: props.dashboards });
    new PlatformExternalSecret(this, 'Admin', {
      name: 'grafana-admin',
      namespace: ns,
      labels: c.labels,
      names,
      keys: [
        { key: 'GF_SECURITY_ADMIN_USER', from: 'grafana/admin', property: 'username' },
        { key: 'GF_SECURITY_ADMIN_PASSWORD', from: 'grafana/admin', property: 'password' },
      ],
    });
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: c.meta(), automountServiceAccountToken: false });
    const probe = { httpGet: { path: '/api/health', port: intOrStr('http'), scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 };
    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: c.meta(),
      spec: {
        replicas: 1,
        selector: { matchLabels: c.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: intOrStr(0), maxSurge: intOrStr(1) } },
        template: {
          metadata: { labels: c.labels, annotations: { ...scrapeAnnotations(svc.port), ...configChecksum(provisioning, props.dashboards) } },
          spec: {
            serviceAccountName: svc.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            priorityClassName: props.priorityClassName,
            securityContext: restrictedPodSecurityContext(uid),
            containers: [
              {
                name: 'grafana',
                image: imageRef(IMAGES.grafana),
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'http', containerPort: svc.port, protocol: 'TCP' }],
                envFrom: [{ secretRef: { name: 'grafana-admin' } }],
                env: [
                  { name: 'GF_AUTH_ANONYMOUS_ENABLED', value: 'false' },
                  { name: 'GF_AUTH_BASIC_ENABLED', value: 'true' },
                  { name: 'GF_USERS_ALLOW_SIGN_UP', value: 'false' },
                  { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
                  { name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' },
                  { name: 'GF_SECURITY_COOKIE_SECURE', value: 'true' },
                  { name: 'GF_SECURITY_DISABLE_GRAVATAR', value: 'true' },
                  { name: 'GF_PATHS_DATA', value: '/var/lib/grafana' },
                  { name: 'GF_PATHS_PROVISIONING', value: '/etc/grafana/provisioning' },
                ],
                resources: containerResources(MONITORING_CONTAINER_RESOURCES.grafana),
                securityContext: restrictedContainerSecurityContext(uid),
                readinessProbe: probe,
                livenessProbe: { ...probe, periodSeconds: 20 },
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/grafana' },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'provisioning', mountPath: '/etc/grafana/provisioning/datasources/datasources.yaml', subPath: 'datasources.yaml', readOnly: true },
                  { name: 'provisioning', mountPath: '/etc/grafana/provisioning/dashboards/dashboards.yaml', subPath: 'dashboards.yaml', readOnly: true },
                  { name: 'dashboards', mountPath: '/var/lib/grafana-dashboards', readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'data', emptyDir: { sizeLimit: quantity('1Gi') } },
              { name: 'tmp', emptyDir: { sizeLimit: quantity('64Mi') } },
              { name: 'provisioning', configMap: { name: 'grafana-provisioning' } },
              { name: 'dashboards', configMap: { name: 'grafana-dashboards' } },
            ],
          },
        },
      },
    });
    new k8s.KubeService(this, 'Service', { metadata: c.meta(), spec: { type: 'ClusterIP', selector: c.selector, ports: [{ name: 'http', port: svc.port, targetPort: intOrStr('http'), protocol: 'TCP', appProtocol: 'http' }] } });
    // Reached by operators through `kubectl port-forward` (not exposed); scraped by Prometheus.
    networkPolicy(this, 'Ingress', { metadata: c.meta(`${svc.name}-ingress`), selector: c.selector, ingress: [ingressFrom([podsOf(s.prometheus.name)], [svc.port])] });
    networkPolicy(this, 'Egress', {
      metadata: c.meta(`${svc.name}-egress`),
      selector: c.selector,
      egress: [
        egressTo([podsOf(s.prometheus.name)], [s.prometheus.port]),
        egressTo([podsOf(s.alertmanager.name)], [s.alertmanager.port]),
        egressTo([podsOf(s.tracingQuery.workload!)], [s.tracingQuery.port]),
      ],
    });
  }
}
