import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Alertmanager,
  dashboardFiles,
  FluentBit,
  Grafana,
  Jaeger,
  KubeStateMetrics,
  NodeExporter,
  platformRuleGroups,
  PRIORITY_CLASSES,
  Prometheus,
  renderRuleFiles,
} from '@optibid/constructs-lib/k8s';
import type { PlatformChartProps } from './chart-props';

/**
 * Observability: Prometheus (rules as data), Alertmanager, Grafana (provisioned dashboards), Jaeger,
 * kube-state-metrics, and the node agents (node-exporter, Fluent Bit) in their own namespace.
 */
export class MonitoringChart extends Chart {
  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config, names } = props;
    const namespaces = { app: names.namespaces.app, data: names.namespaces.data, monitoring: names.namespaces.monitoring };
    const common = { config, names, priorityClassName: PRIORITY_CLASSES.platform.name };
    const slo = config.monitoring.slo;
    const ruleFiles = renderRuleFiles(platformRuleGroups({ runbookBase: names.delivery.runbookBase, namespaces, availabilitySlo: slo.availability, latency: { sliSeconds: slo.latencySeconds, pageSeconds: slo.latencyPageSeconds }, alertmanagerReplicas: config.monitoring.alertmanager.replicas, postgresMembers: config.database.members }));
    new Prometheus(this, 'Prometheus', { ...common, ruleFiles });
    new Alertmanager(this, 'Alertmanager', common);
    new Grafana(this, 'Grafana', { ...common, dashboards: dashboardFiles({ namespaces, availabilitySlo: slo.availability, latencySliSeconds: slo.latencySeconds }) });
    new Jaeger(this, 'Jaeger', common);
    new KubeStateMetrics(this, 'KubeStateMetrics', common);
    new NodeExporter(this, 'NodeExporter', common);
    new FluentBit(this, 'FluentBit', common);
  }
}
