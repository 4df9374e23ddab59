import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IMAGES, imageRef } from '../../versions/images';
import { apiServerEgress, ingressFrom, networkPolicy } from '../network-peers';
import { containerResources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { MONITORING_CONTAINER_RESOURCES } from './resources';
import { component, intOrStr, MonitoringProps, podsOf } from './common';

const TELEMETRY_PORT = 8081;
/** Name of the metrics port: the Prometheus job keeps only this port of the kube-state-metrics pods. */
export const KUBE_STATE_METRICS_PORT_NAME = 'http-metrics';
const LISTED = ['configmaps', 'nodes', 'pods', 'services', 'serviceaccounts', 'resourcequotas', 'replicationcontrollers', 'limitranges', 'persistentvolumeclaims', 'persistentvolumes', 'namespaces', 'endpoints'];

/**
 * kube-state-metrics: object state as metrics (replicas, HPA bounds, container limits, pod phases) for the
 * alerts. One replica (two would duplicate every series); list/watch only, and not on Secrets.
 */
export class KubeStateMetrics extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { names } = props;
    const svc = names.services.kubeStateMetrics;
    const ns = names.namespaces.monitoring;
    const c = component(props, svc.name, 'monitoring', IMAGES.kubeStateMetrics.tag, ns);
    const uid = IMAGES.kubeStateMetrics.uid;
    const lw = ['list', 'watch'];
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: c.meta(), automountServiceAccountToken: true });
    new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: `${names.prefix}-kube-state-metrics`, labels: c.labels },
      rules: [
        { apiGroups: [''], resources: LISTED, verbs: lw },
        { apiGroups: ['apps'], resources: ['statefulsets', 'daemonsets', 'deployments', 'replicasets'], verbs: lw },
        { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: lw },
        { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: lw },
        { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: lw },
        { apiGroups: ['storage.k8s.io'], resources: ['storageclasses', 'volumeattachments'], verbs: lw },
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies', 'ingresses'], verbs: lw },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: lw },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: `${names.prefix}-kube-state-metrics`, labels: c.labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${names.prefix}-kube-state-metrics` },
      subjects: [{ kind: 'ServiceAccount', name: svc.name, namespace: ns }],
    });
    const resources = ['configmaps', 'cronjobs', 'daemonsets', 'deployments', 'endpoints', 'horizontalpodautoscalers', 'ingresses', 'jobs', 'leases', 'limitranges', 'namespaces', 'networkpolicies', 'nodes', 'persistentvolumeclaims', 'persistentvolumes', 'poddisruptionbudgets', 'pods', 'replicasets', 'resourcequotas', 'services', 'statefulsets', 'storageclasses'];
    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: c.meta(),
      spec: {
        replicas: 1,
        selector: { matchLabels: c.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: intOrStr(0), maxSurge: intOrStr(1) } },
        template: {
          metadata: { labels: c.labels },
          spec: {
            serviceAccountName: svc.name,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            priorityClassName: props.priorityClassName,
            securityContext: restrictedPodSecurityContext(uid),
            containers: [
              {
                name: 'kube-state-metrics',
                image: imageRef(IMAGES.kubeStateMetrics),
                imagePullPolicy: 'IfNotPresent',
                args: [`--port=${svc.port}`, `--telemetry-port=${TELEMETRY_PORT}`, `--resources=${resources.join(',')}`, '--metric-labels-allowlist=pods=[app.kubernetes.io/name,app.kubernetes.io/component]'],
                ports: [
                  { name: KUBE_STATE_METRICS_PORT_NAME, containerPort: svc.port, protocol: 'TCP' },
                  { name: 'telemetry', containerPort: TELEMETRY_PORT, protocol: 'TCP' },
                ],
                resources: containerResources(MONITORING_CONTAINER_RESOURCES.kubeStateMetrics),
                securityContext: restrictedContainerSecurityContext(uid),
                readinessProbe: { httpGet: { path: '/readyz', port: intOrStr('telemetry'), scheme: 'HTTP' }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: '/livez', port: intOrStr(KUBE_STATE_METRICS_PORT_NAME), scheme: 'HTTP' }, periodSeconds: 20 },
              },
            ],
          },
        },
      },
    });
    new k8s.KubeService(this, 'Service', { metadata: c.meta(), spec: { type: 'ClusterIP', selector: c.selector, ports: [{ name: KUBE_STATE_METRICS_PORT_NAME, port: svc.port, targetPort: intOrStr(KUBE_STATE_METRICS_PORT_NAME), protocol: 'TCP', appProtocol: 'http' }] } });
    networkPolicy(this, 'Ingress', { metadata: c.meta(`${svc.name}-ingress`), selector: c.selector, ingress: [ingressFrom([podsOf(names.services.prometheus.name)], [svc.port])] });
    networkPolicy(this, 'Egress', { metadata: c.meta(`${svc.name}-egress`), selector: c.selector, egress: [apiServerEgress()] });
  }
}
