import * as path from 'path';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { IMAGES, imageRef } from '../../versions/images';
import { egressTo, ingressFrom, networkPolicy } from '../network-peers';
import { zoneSpread } from '../spread';
import { PlatformExternalSecret } from '../external-secrets';
import { containerResources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { ALERTMANAGER_CONFIG_PATHS, ALERTMANAGER_SECRET_DIR, ALERTMANAGER_SECRET_FILES, alertmanagerConfig, alertmanagerConfigRenderScript } from './alertmanager-config';
import { MONITORING_CONTAINER_RESOURCES } from './resources';
import { component, intOrStr, MonitoringProps, podsOf, quantity } from './common';
import { ALERTMANAGER_HEADLESS } from './prometheus-config';
import { scrapeAnnotations } from './scrape';
import { configChecksum } from '../config-checksum';

/**
 * Alertmanager: `monitoring.alertmanager.replicas` clustered pods (gossip on the bus port de-duplicates
 * notifications), configuration as a ConfigMap, Slack webhook and SMTP password as files from an ExternalSecret.
 */
export class Alertmanager extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config, names } = props;
    const svc = names.services.alertmanager;
    const ns = names.namespaces.monitoring;
    const replicas = config.monitoring.alertmanager.replicas;
    const c = component(props, svc.name, 'monitoring', IMAGES.alertmanager.tag, ns);
    const uid = IMAGES.alertmanager.uid;

    const configData = { 'alertmanager.yml': stringify(alertmanagerConfig(props), { lineWidth: 0 }) };
    new k8s.KubeConfigMap(this, 'Config', { metadata: c.meta('alertmanager-config'), data: configData });
    new PlatformExternalSecret(this, 'Notifiers', {
      name: 'alertmanager-notifiers',
      namespace: ns,
      labels: c.labels,
      names,
      keys: [
        { key: ALERTMANAGER_SECRET_FILES.slackWebhookUrl, from: 'slack', property: 'webhook_url' },
        { key: ALERTMANAGER_SECRET_FILES.smtpPassword, from: 'smtp', property: 'password' },
        { key: ALERTMANAGER_SECRET_FILES.smtpUsername, from: 'smtp', property: 'username' },
      ],
    });
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: c.meta(), automountServiceAccountToken: false });
    const peers = Array.from({ length: replicas }, (_, i) => `--cluster.peer=${svc.name}-${i}.${ALERTMANAGER_HEADLESS}.${ns}.svc:${svc.busPort}`);
    const probe = (path: string) => ({ httpGet: { path, port: intOrStr('web'), scheme: 'HTTP' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 3 });
    new k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: c.meta(),
      spec: {
        serviceName: ALERTMANAGER_HEADLESS,
        replicas,
        selector: { matchLabels: c.selector },
        podManagementPolicy: 'Parallel',
        template: {
          metadata: { labels: c.labels, annotations: { ...scrapeAnnotations(svc.port), ...configChecksum(configData) } },
          spec: {
            serviceAccountName: svc.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            priorityClassName: props.priorityClassName,
            securityContext: restrictedPodSecurityContext(uid),
            topologySpreadConstraints: zoneSpread(c.selector, 'none'),
            // The SMTP user name comes from the secret (see SMTP_USERNAME_PLACEHOLDER): rendered into an emptyDir.
            initContainers: [
              {
                name: 'render-config',
                image: imageRef(IMAGES.alertmanager),
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/sh', '-c', alertmanagerConfigRenderScript()],
                resources: containerResources(MONITORING_CONTAINER_RESOURCES.alertmanager),
                securityContext: restrictedContainerSecurityContext(uid),
                volumeMounts: [
                  { name: 'config-template', mountPath: path.posix.dirname(ALERTMANAGER_CONFIG_PATHS.template), readOnly: true },
                  { name: 'config', mountPath: path.posix.dirname(ALERTMANAGER_CONFIG_PATHS.rendered) },
                  { name: 'notifiers', mountPath: ALERTMANAGER_SECRET_DIR, readOnly: true },
                ],
              },
            ],
            containers: [
              {
                name: 'alertmanager',
                image: imageRef(IMAGES.alertmanager),
                imagePullPolicy: 'IfNotPresent',
                args: [
                  `--config.file=${ALERTMANAGER_CONFIG_PATHS.rendered}`,
                  '--storage.path=/alertmanager',
                  `--web.listen-address=:${svc.port}`,
                  `--cluster.listen-address=0.0.0.0:${svc.busPort}`,
                  '--cluster.advertise-address=$(POD_IP):' + svc.busPort,
                  ...(replicas > 1 ? peers : []),
                ],
                env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
                ports: [
                  { name: 'web', containerPort: svc.port, protocol: 'TCP' },
                  { name: 'mesh-tcp', containerPort: svc.busPort!, protocol: 'TCP' },
                  { name: 'mesh-udp', containerPort: svc.busPort!, protocol: 'UDP' },
                ],
                resources: containerResources(MONITORING_CONTAINER_RESOURCES.alertmanager),
                securityContext: restrictedContainerSecurityContext(uid),
                readinessProbe: probe('/-/ready'),
                livenessProbe: probe('/-/healthy'),
                volumeMounts: [
                  { name: 'data', mountPath: '/alertmanager' },
                  { name: 'config', mountPath: path.posix.dirname(ALERTMANAGER_CONFIG_PATHS.rendered), readOnly: true },
                  { name: 'notifiers', mountPath: ALERTMANAGER_SECRET_DIR, readOnly: true },
                ],
              },
            ],
            volumes: [
              // Silences and the notification log are gossiped between replicas; a restarted pod re-learns them.
              { name: 'data', emptyDir: { sizeLimit: quantity('256Mi') } },
              { name: 'config-template', configMap: { name: 'alertmanager-config' } },
              { name: 'config', emptyDir: { medium: 'Memory', sizeLimit: quantity('1Mi') } },
              { name: 'notifiers', secret: { secretName: 'alertmanager-notifiers', defaultMode: 0o440 } },
            ],
          },
        },
      },
    });
    new k8s.KubeService(this, 'Service', { metadata: c.meta(), spec: { type: 'ClusterIP', selector: c.selector, ports: [{ name: 'web', port: svc.port, targetPort: intOrStr('web'), protocol: 'TCP', appProtocol: 'http' }] } });
    new k8s.KubeService(this, 'Headless', {
      metadata: c.meta(ALERTMANAGER_HEADLESS),
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector: c.selector,
        ports: [
          { name: 'web', port: svc.port, targetPort: intOrStr('web'), protocol: 'TCP', appProtocol: 'http' },
          { name: 'mesh-tcp', port: svc.busPort!, targetPort: intOrStr('mesh-tcp'), protocol: 'TCP', appProtocol: 'tcp' },
          { name: 'mesh-udp', port: svc.busPort!, targetPort: intOrStr('mesh-udp'), protocol: 'UDP', appProtocol: 'udp' },
        ],
      },
    });
    new k8s.KubePodDisruptionBudget(this, 'Pdb', { metadata: c.meta(), spec: { selector: { matchLabels: c.selector }, maxUnavailable: intOrStr(1) } });

    const mesh = [
      { protocol: 'TCP', port: intOrStr(svc.busPort!) },
      { protocol: 'UDP', port: intOrStr(svc.busPort!) },
    ];
    networkPolicy(this, 'Ingress', {
      metadata: c.meta(`${svc.name}-ingress`),
      selector: c.selector,
      ingress: [ingressFrom([podsOf(names.services.prometheus.name), podsOf(names.services.grafana.name)], [svc.port]), ingressFrom([{ podSelector: { matchLabels: c.selector } }], mesh)],
    });
    // Out: only the notifiers (SMTP submission, Slack over HTTPS) outside the VPC, and the peers.
    networkPolicy(this, 'Egress', {
      metadata: c.meta(`${svc.name}-egress`),
      selector: c.selector,
      egress: [egressTo([{ ipBlock: { cidr: '0.0.0.0/0', except: [config.network.vpcCidr] } }], [443, config.monitoring.alertmanager.smtpPort]), egressTo([{ podSelector: { matchLabels: c.selector } }], mesh)],
    });
  }
}
