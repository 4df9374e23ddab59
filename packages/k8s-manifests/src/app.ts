import { EnvironmentConfig, platformNames } from '@optibid/constructs-lib';
import { NamespacesChart } from './charts/namespaces-chart';
import { newK8sApp, renderChartFiles } from './render-files';

/**
 * Builds one environment's charts and returns its rendered files (relative to dist/k8s/<env>/).
 * Pure: nothing is written here.
 */
export function renderEnvironmentManifests(config: EnvironmentConfig): Map<string, string> {
  const app = newK8sApp();
  const names = platformNames(config);
  const charts = [new NamespacesChart(app, 'namespaces', { config, names })];
  return renderChartFiles(charts);
}
