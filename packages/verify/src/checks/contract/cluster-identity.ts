/**
 * `cluster-identity`: the cluster name, region and account that what is applied to the cluster uses are those of
 * the templates (`AWS::EKS::Cluster` `Name`; the region of the subnets' availability zones, else of the templates'
 * ARNs; the account of the templates' ARNs).
 *
 * Read from the YAML: the Prometheus `global.external_labels.cluster`; container `--cluster-name` arguments and
 * `CLUSTER_NAME`/`EKS_CLUSTER_NAME`/`AWS_REGION`/`AWS_DEFAULT_REGION` environment values; ConfigMap entries named
 * `clusterName`/`cluster-name`/`cluster_name`/`CLUSTER_NAME`/`AWS_REGION`/`AWS_DEFAULT_REGION`; the Route 53 region
 * of (Cluster)Issuer DNS-01 solvers; and the region and account of every ARN in any rendered object.
 * Read from the cluster template: the chart values `clusterName`, `autoDiscovery.clusterName`, `region`,
 * `awsRegion`, and the ARNs in chart values and applied manifests. With the cluster autoscaler installed, every node
 * group carries the discovery tags `k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<cluster>`.
 * (The External Secrets store region is checked by `external-secrets`, the backup region by `backup-target`.)
 */
import { parse as parseYaml } from 'yaml';
import type { Finding, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { eksClusters, helmCharts, kubernetesManifests, resourceId, resolvedProperties, resources, templatesAccount, templatesRegion } from '../../cfn';
import { containersOf, kubeIndex, ofKind } from '../references/kube';
import { type MakeFinding } from '../../rule-set';

const RULE = 'cluster-identity';
const ARN = /arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:[^\s"',]*/g;
const NAME_KEYS = new Set(['clusterName', 'cluster-name', 'cluster_name', 'CLUSTER_NAME', 'EKS_CLUSTER_NAME']);
const REGION_KEYS = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION']);

function walk(v: unknown, visit: (s: string, path: string) => void, path: string): void {
  if (typeof v === 'string') visit(v, path);
  else if (Array.isArray(v)) v.forEach((x, i) => walk(x, visit, `${path}[${i}]`));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, visit, /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${JSON.stringify(k)}]`);
}

export function clusterIdentity(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const out: Finding[] = [];
  const clusters = eksClusters(env);
  const cluster = clusters.length === 1 ? clusters[0].name : undefined;
  const region = templatesRegion(env);
  const account = templatesAccount(env);
  const want = `the templates' ${cluster ? `cluster ${cluster}` : 'cluster'}`;
  const name = (object: string, field: string, value: unknown, what: string) => {
    if (cluster && value !== undefined && String(value) !== cluster) out.push(f(RULE, object, field, `${what} is ${JSON.stringify(value)}, but ${want} (AWS::EKS::Cluster Name) is ${cluster}`));
  };
  const inRegion = (object: string, field: string, value: unknown, what: string) => {
    if (region && value !== undefined && String(value) !== region) out.push(f(RULE, object, field, `${what} is ${JSON.stringify(value)}, but the templates deploy to ${region}`));
  };
  const arns = (object: string, root: unknown, prefix: string) =>
    walk(
      root,
      (s, path) => {
        for (const m of s.matchAll(ARN)) {
          const [arn, , r, a] = m;
          if (r && region && r !== region) out.push(f(RULE, object, `${prefix}${path}`, `ARN ${arn} is in region ${r}, but the templates deploy to ${region}`));
          if (a && account && a !== account) out.push(f(RULE, object, `${prefix}${path}`, `ARN ${arn} is in account ${a}, but the templates deploy to account ${account}`));
        }
      },
      '',
    );

  for (const { obj } of env.objects) arns(objectId(obj), obj, '');

  for (const cm of ofKind(env, 'ConfigMap')) {
    for (const [key, text] of Object.entries<unknown>(cm.data ?? {})) {
      const field = `data[${JSON.stringify(key)}]`;
      if (NAME_KEYS.has(key)) name(objectId(cm), field, text, `ConfigMap entry ${key}`);
      if (REGION_KEYS.has(key)) inRegion(objectId(cm), field, text, `ConfigMap entry ${key}`);
      if (typeof text === 'string' && /^scrape_configs:/m.test(text) && /external_labels:/.test(text)) {
        let conf: any;
        try {
          conf = parseYaml(text);
        } catch {
          continue;
        }
        const label = conf?.global?.external_labels?.cluster;
        if (label !== undefined) name(objectId(cm), field, label, 'the Prometheus external label cluster (global.external_labels.cluster)');
      }
    }
  }

  for (const t of kubeIndex(env).podTemplates) {
    for (const { container, path } of containersOf(t)) {
      ['command', 'args'].forEach((k) => {
        const list: string[] = container[k] ?? [];
        list.forEach((a, i) => {
          const eq = /^--?cluster[-_]name=(.+)$/.exec(a);
          if (eq) name(t.ownerId, `${path}.${k}[${i}]`, eq[1], `container ${container.name} argument --cluster-name`);
          if (/^--?cluster[-_]name$/.test(a) && list[i + 1] !== undefined) name(t.ownerId, `${path}.${k}[${i + 1}]`, list[i + 1], `container ${container.name} argument --cluster-name`);
        });
      });
      (container.env ?? []).forEach((e: any, i: number) => {
        if (e.value === undefined) return;
        if (NAME_KEYS.has(e.name)) name(t.ownerId, `${path}.env[${i}].value`, e.value, `container ${container.name} env ${e.name}`);
        if (REGION_KEYS.has(e.name)) inRegion(t.ownerId, `${path}.env[${i}].value`, e.value, `container ${container.name} env ${e.name}`);
      });
    }
  }

  for (const iss of [...ofKind(env, 'ClusterIssuer'), ...ofKind(env, 'Issuer')]) {
    (iss.spec?.acme?.solvers ?? []).forEach((s: any, i: number) => {
      if (s.dns01?.route53?.region !== undefined) inRegion(objectId(iss), `spec.acme.solvers[${i}].dns01.route53.region`, s.dns01.route53.region, 'the Route 53 region of the DNS-01 solver');
    });
  }

  for (const c of helmCharts(env)) {
    const v = c.values ?? {};
    const id = resourceId(c);
    name(id, 'Properties.Values', v.clusterName, `chart ${c.release} value clusterName`);
    name(id, 'Properties.Values', v.autoDiscovery?.clusterName, `chart ${c.release} value autoDiscovery.clusterName`);
    inRegion(id, 'Properties.Values', v.region, `chart ${c.release} value region`);
    inRegion(id, 'Properties.Values', v.awsRegion, `chart ${c.release} value awsRegion`);
    arns(id, v, 'Properties.Values.');
  }
  for (const m of kubernetesManifests(env)) arns(resourceId(m), m.objects, 'Properties.Manifest');

  const autoscaler = helmCharts(env).find((c) => c.chart === 'cluster-autoscaler');
  if (autoscaler) {
    const discovered = autoscaler.values?.autoDiscovery?.clusterName ?? cluster;
    for (const ng of resources(env, 'AWS::EKS::Nodegroup')) {
      const tags = resolvedProperties(env, ng).Tags ?? {};
      const missing = ['k8s.io/cluster-autoscaler/enabled', `k8s.io/cluster-autoscaler/${discovered}`].filter((t) => tags[t] === undefined);
      if (missing.length) out.push(f(RULE, resourceId(ng), 'Properties.Tags', `node group lacks the tag(s) ${missing.join(', ')}: the cluster autoscaler (${resourceId(autoscaler)}, autoDiscovery.clusterName ${discovered}) will not discover it`));
    }
  }
  return out;
}
