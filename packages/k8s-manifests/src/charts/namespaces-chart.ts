import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { EnvironmentConfig, PlatformNames } from '@optibid/constructs-lib';
import { PlatformNamespace } from '@optibid/constructs-lib/k8s';

export interface NamespacesChartProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
}

/** The platform's own namespaces (application, data, monitoring), all Pod Security "restricted". */
export class NamespacesChart extends Chart {
  constructor(scope: Construct, id: string, props: NamespacesChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { names, config } = props;
    const labels = { 'app.kubernetes.io/part-of': names.prefix, 'app.kubernetes.io/managed-by': 'cdk8s', 'optibid.io/environment': config.name };
    for (const [key, ns] of [['App', names.namespaces.app], ['Data', names.namespaces.data], ['Monitoring', names.namespaces.monitoring]] as const) {
      new PlatformNamespace(this, key, { name: ns, labels: { ...labels, 'app.kubernetes.io/name': ns } });
    }
  }
}
