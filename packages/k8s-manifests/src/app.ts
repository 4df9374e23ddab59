import { EnvironmentConfig, platformNames, type ServiceTable } from '@optibid/constructs-lib';
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
export function renderEnvironmentManifests(config: EnvironmentConfig, table?: ServiceTable): Map<string, string> {
  const app = newK8sApp();
  // `table`: another services table (a test's, with a row more) to render from in memory; the platform's by default.
  const names = platformNames(config, table);
  const props = { config, names };
  const charts = [new ClusterChart(app, 'cluster', props), new NamespacesChart(app, 'namespaces', props), new AppChart(app, 'app', props), new DataChart(app, 'data', props), new MonitoringChart(app, 'monitoring', props)];
  return renderChartFiles(charts);
}
