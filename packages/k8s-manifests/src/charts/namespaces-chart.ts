import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { appWorkloadFootprints, dataWorkloadFootprints, monitoringWorkloadFootprints, namespaceRequirement, PLATFORM_VERSION } from '@optibid/constructs-lib';
import { ISTIO_INJECTION_LABELS, MONITORING_CONTAINER_RESOURCES, PlatformNamespace } from '@optibid/constructs-lib/k8s';
import type { PlatformChartProps } from './chart-props';

/**
 * The platform's own namespaces with their baseline: Pod Security "restricted", default-deny network policies plus
 * DNS, and (where something runs) a ResourceQuota and LimitRange sized by the namespace-footprint rule.
 */
export class NamespacesChart extends Chart {
  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config, names } = props;
    const common = { partOf: names.prefix, version: PLATFORM_VERSION };
    const mesh = config.mesh.istio ? ISTIO_INJECTION_LABELS : undefined;
    const app = config.app;
    const smallest = app.frontend.resources;

    new PlatformNamespace(this, 'App', {
      name: names.namespaces.app,
      labels: { ...common, component: 'application' },
      requirement: namespaceRequirement(appWorkloadFootprints(config)),
      quotaOverride: app.quota,
      containerDefaults: { requestCpu: smallest.requests.cpu, requestMemory: smallest.requests.memory, limitMemory: smallest.limits.memory },
      extraLabels: mesh,
    });
    const backupJob = dataWorkloadFootprints(config).find((w) => w.name === 'backup-jobs')!.resources;
    new PlatformNamespace(this, 'Data', {
      name: names.namespaces.data,
      labels: { ...common, component: 'data' },
      requirement: namespaceRequirement(dataWorkloadFootprints(config)),
      containerDefaults: { requestCpu: backupJob.requests.cpu, requestMemory: backupJob.requests.memory, limitMemory: backupJob.limits.memory },
      extraLabels: mesh,
    });
    const alertmanager = MONITORING_CONTAINER_RESOURCES.alertmanager;
    new PlatformNamespace(this, 'Monitoring', {
      name: names.namespaces.monitoring,
      labels: { ...common, component: 'monitoring' },
      requirement: namespaceRequirement(monitoringWorkloadFootprints(config)),
      containerDefaults: { requestCpu: alertmanager.requests.cpu, requestMemory: alertmanager.requests.memory, limitMemory: alertmanager.limits.memory },
    });
    new PlatformNamespace(this, 'MonitoringAgents', {
      name: names.namespaces.monitoringAgents,
      labels: { ...common, component: 'monitoring-agent' },
      podSecurity: 'privileged',
      exceptionReason:
        'node-exporter needs the host network, PID namespace and read-only host paths; Fluent Bit reads /var/log/pods as root. Nothing else may run here: both run without privilege escalation and with all capabilities dropped (Fluent Bit keeps DAC_READ_SEARCH).',
    });
  }
}
