import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IMAGES, imageRef } from '../../versions/images';
import { egressTo, ingressFrom, networkPolicy, podsIn } from '../network-peers';
import { PlatformExternalSecret } from '../external-secrets';
import { containerResources } from '../pod-security';
import { MONITORING_CONTAINER_RESOURCES } from './resources';
import { component, intOrStr, MonitoringProps } from './common';
import { scrapeAnnotations } from './scrape';
import { configChecksum } from '../config-checksum';

/** Every node, including tainted ones, runs the agents. */
const EVERYWHERE: k8s.Toleration[] = [{ operator: 'Exists' }];

/**
 * node-exporter: host metrics (CPU, memory, disks, network) from every node. It needs the host's network and
 * process namespaces and read-only host paths, which Pod Security "restricted" forbids: it runs in the
 * `monitoring-agents` namespace, the platform's one exception, still as a non-root user with no capabilities.
 */
export class NodeExporter extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { names } = props;
    const svc = names.services.nodeExporter;
    const ns = names.namespaces.monitoringAgents;
    const c = component(props, svc.name, 'monitoring-agent', IMAGES.nodeExporter.tag, ns);
    const uid = IMAGES.nodeExporter.uid;
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: c.meta(), automountServiceAccountToken: false });
    const host = (name: string, path: string) => ({ name, hostPath: { path, type: 'Directory' } });
    new k8s.KubeDaemonSet(this, 'DaemonSet', {
      metadata: c.meta(),
      spec: {
        selector: { matchLabels: c.selector },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: intOrStr('10%') } },
        template: {
          metadata: { labels: c.labels, annotations: scrapeAnnotations(svc.port) },
          spec: {
            serviceAccountName: svc.name,
            automountServiceAccountToken: false,
            hostNetwork: true,
            hostPid: true,
            priorityClassName: 'system-node-critical',
            tolerations: EVERYWHERE,
            securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'node-exporter',
                image: imageRef(IMAGES.nodeExporter),
                imagePullPolicy: 'IfNotPresent',
                args: ['--path.procfs=/host/proc', '--path.sysfs=/host/sys', '--path.rootfs=/host/root', `--web.listen-address=:${svc.port}`, '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/containerd/.+|var/lib/kubelet/.+)($|/)'],
                ports: [{ name: 'metrics', containerPort: svc.port, protocol: 'TCP' }],
                resources: containerResources(MONITORING_CONTAINER_RESOURCES.nodeExporter),
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: uid },
                readinessProbe: { httpGet: { path: '/', port: intOrStr('metrics'), scheme: 'HTTP' }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: '/', port: intOrStr('metrics'), scheme: 'HTTP' }, periodSeconds: 20 },
                volumeMounts: [
                  { name: 'proc', mountPath: '/host/proc', readOnly: true },
                  { name: 'sys', mountPath: '/host/sys', readOnly: true },
                  { name: 'root', mountPath: '/host/root', readOnly: true, mountPropagation: 'HostToContainer' },
                ],
              },
            ],
            volumes: [host('proc', '/proc'), host('sys', '/sys'), host('root', '/')],
          },
        },
      },
    });
  }
}

export interface FluentBitOptions {
  /** Fluent Bit's own HTTP metrics port. */
  readonly metricsPort: number;
}

/**
 * Fluent Bit: tails every container log on the node, adds Kubernetes metadata, ships to Elasticsearch/OpenSearch
 * over TLS with credentials from an ExternalSecret. Chunks are buffered on the node's disk (filesystem storage,
 * capped at `monitoring.logging.bufferSizeGiB`): a log-store outage loses nothing until that cap is reached. Reading
 * /var/log/pods needs root and host paths: it runs in `monitoring-agents` (the documented exception).
 */
export class FluentBit extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config, names } = props;
    const svc = names.services.fluentBit;
    const ns = names.namespaces.monitoringAgents;
    const c = component(props, svc.name, 'monitoring-agent', IMAGES.fluentBit.tag, ns);
    const log = config.monitoring.logging;
    // Writable paths must lie in the one writable mount, /var/fluent-bit (hostPath DirectoryOrCreate creates only that leaf).
    // - DB is a file: fluent-bit v4.0.3 plugins/in_tail/tail_config.c:338-345 opens it through src/flb_sqldb.c:77
    //   (sqlite3_open), which creates no parent directory; a failed open fails the input's init and the process exits.
    //   So the DB sits directly in the mounted directory, not in a subdirectory.
    // - storage.path is a directory chunkio creates recursively: lib/chunkio/src/chunkio.c:53-61 (check_root_path ->
    //   cio_os_mkpath) and lib/chunkio/src/cio_os.c:53-133 (mkdir -p via dirname recursion on Linux), so /var/fluent-bit/buffer is fine.
    const conf = `[SERVICE]
    Flush                     5
    Log_Level                 info
    HTTP_Server               On
    HTTP_Listen               0.0.0.0
    HTTP_Port                 ${svc.port}
    Health_Check              On
    storage.path              /var/fluent-bit/buffer
    storage.sync              normal
    storage.checksum          off
    storage.backlog.mem_limit 50M

[INPUT]
    Name              tail
    Tag               kube.*
    Path              /var/log/containers/*.log
    multiline.parser  cri
    DB                /var/fluent-bit/tail.db
    Mem_Buf_Limit     50MB
    Skip_Long_Lines   On
    Refresh_Interval  10
    storage.type      filesystem

[FILTER]
    Name                kubernetes
    Match               kube.*
    Kube_URL            https://kubernetes.default.svc:443
    Merge_Log           On
    Keep_Log            Off
    K8S-Logging.Exclude On
    Labels              On
    Annotations         Off

[OUTPUT]
    Name                     es
    Match                    kube.*
    Host                     ${log.host}
    Port                     ${log.port}
    tls                      On
    tls.verify               On
    HTTP_User                \${LOG_USERNAME}
    HTTP_Passwd              \${LOG_PASSWORD}
    Logstash_Format          On
    Logstash_Prefix          ${log.index}
    Suppress_Type_Name       On
    Replace_Dots             On
    Retry_Limit              False
    storage.total_limit_size ${log.bufferSizeGiB}G
`;
    new k8s.KubeConfigMap(this, 'Config', { metadata: c.meta('fluent-bit-config'), data: { 'fluent-bit.conf': conf } });
    new PlatformExternalSecret(this, 'Credentials', {
      name: 'fluent-bit-output',
      namespace: ns,
      labels: c.labels,
      names,
      keys: [
        { key: 'LOG_USERNAME', from: 'logging', property: 'username' },
        { key: 'LOG_PASSWORD', from: 'logging', property: 'password' },
      ],
    });
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: c.meta(), automountServiceAccountToken: true });
    new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: `${names.prefix}-fluent-bit`, labels: c.labels },
      rules: [{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }],
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: `${names.prefix}-fluent-bit`, labels: c.labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${names.prefix}-fluent-bit` },
      subjects: [{ kind: 'ServiceAccount', name: svc.name, namespace: ns }],
    });
    const host = (name: string, path: string, type: string) => ({ name, hostPath: { path, type } });
    new k8s.KubeDaemonSet(this, 'DaemonSet', {
      metadata: c.meta(),
      spec: {
        selector: { matchLabels: c.selector },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: intOrStr('10%') } },
        template: {
          metadata: { labels: c.labels, annotations: { ...scrapeAnnotations(svc.port, '/api/v2/metrics/prometheus'), ...configChecksum({ 'fluent-bit.conf': conf }) } },
          spec: {
            serviceAccountName: svc.name,
            automountServiceAccountToken: true,
            priorityClassName: 'system-node-critical',
            tolerations: EVERYWHERE,
            terminationGracePeriodSeconds: 30,
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'fluent-bit',
                image: imageRef(IMAGES.fluentBit),
                imagePullPolicy: 'IfNotPresent',
                args: ['--config=/fluent-bit/etc/custom/fluent-bit.conf'],
                envFrom: [{ secretRef: { name: 'fluent-bit-output' } }],
                ports: [{ name: 'http', containerPort: svc.port, protocol: 'TCP' }],
                resources: containerResources(MONITORING_CONTAINER_RESOURCES.fluentBit),
                // Root to read the kubelet's log files; nothing else: no privilege escalation, no capabilities.
                securityContext: { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['DAC_READ_SEARCH'] } },
                readinessProbe: { httpGet: { path: '/api/v1/health', port: intOrStr('http'), scheme: 'HTTP' }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: '/', port: intOrStr('http'), scheme: 'HTTP' }, periodSeconds: 20 },
                volumeMounts: [
                  { name: 'varlog', mountPath: '/var/log', readOnly: true },
                  { name: 'state', mountPath: '/var/fluent-bit' },
                  { name: 'config', mountPath: '/fluent-bit/etc/custom', readOnly: true },
                ],
              },
            ],
            volumes: [host('varlog', '/var/log', 'Directory'), host('state', '/var/fluent-bit', 'DirectoryOrCreate'), { name: 'config', configMap: { name: 'fluent-bit-config' } }],
          },
        },
      },
    });
    // Metrics from Prometheus only; out to the log store and the Kubernetes API (metadata) on 443/the store's port.
    networkPolicy(this, 'Ingress', { metadata: c.meta(`${svc.name}-ingress`), selector: c.selector, ingress: [ingressFrom([podsIn(names.namespaces.monitoring, names.services.prometheus.name)], [svc.port])] });
    networkPolicy(this, 'Egress', { metadata: c.meta(`${svc.name}-egress`), selector: c.selector, egress: [egressTo([], [...new Set([443, log.port])])] });
  }
}
