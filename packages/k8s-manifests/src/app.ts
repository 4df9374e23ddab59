import { EnvironmentConfig, platformNames } from '@optibid/constructs-lib';
import { AppChart } from './charts/app-chart';
import { ClusterChart } from './charts/cluster-chart';
import { DataChart } from './charts/data-chart';
import { MonitoringChart } from './charts/monitoring-chart';
import { NamespacesChart } from './charts/namespaces-chart';
import { newK8sApp, renderChartFiles } from './render-files';

/**
 * Builds one environment's charts and returns its rendered files (relative to dist/k8s/<env>/).
 * Pure: nothing is written here.
 */
export function renderEnvironmentManifests(config: EnvironmentConfig): Map<string, string> {
  const app = newK8sApp();
  const names = platformNames(config);
  const props = { config, names };
  const charts = [new ClusterChart(app, 'cluster', props), new NamespacesChart(app, 'namespaces', props), new AppChart(app, 'app', props), new DataChart(app, 'data', props), new MonitoringChart(app, 'monitoring', props)];
  return renderChartFiles(charts);
}
