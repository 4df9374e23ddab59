import { Duration } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { HELM_CHARTS, HelmChartKey } from '../../../versions/charts';

/** Everything a chart add-on needs to know; one object so every add-on file has the same signature. */
export interface ChartInstallOptions {
  readonly cluster: eks.ICluster;
  readonly namespace: string;
  /** @default the chart name */
  readonly release?: string;
  readonly values: Record<string, unknown>;
}

/**
 * Installs one chart from the version table (helm upgrade --install through the kubectl provider) with `wait`
 * and `atomic`: a chart that does not become ready fails the deployment and rolls back.
 */
export function installChart(scope: Construct, id: string, key: HelmChartKey, opts: ChartInstallOptions): eks.HelmChart {
  const pin = HELM_CHARTS[key];
  return new eks.HelmChart(scope, id, {
    cluster: opts.cluster,
    repository: pin.repository,
    chart: pin.chart,
    version: pin.version,
    release: opts.release ?? pin.chart,
    namespace: opts.namespace,
    createNamespace: true,
    values: opts.values,
    wait: true,
    atomic: true,
    timeout: Duration.minutes(15),
  });
}
