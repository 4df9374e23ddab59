import { ENVIRONMENT_INPUTS } from '../src/environments';
import { validateEnvironmentConfig } from '../src/config/validate';
import { HELM_CHARTS, MANAGED_ADDON_VERSIONS, MANAGED_ADDONS } from '../src/versions/charts';
import { INSTANCE_TYPES } from '../src/versions/instance-types';
import { DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSIONS, SUPPORT_CALENDAR_CHECKED } from '../src/versions/kubernetes';
import { KUBECTL_LAYERS } from '../src/aws/cluster/kubectl-layer';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const versions = Object.keys(KUBERNETES_VERSIONS);

describe('Kubernetes versions', () => {
  it('have managed add-on versions for exactly the versions with a kubectl layer', () => {
    expect(Object.keys(MANAGED_ADDON_VERSIONS).sort()).toEqual([...versions].sort());
  });

  it("keeps '1.28' selectable", () => {
    expect(KUBERNETES_VERSIONS).toHaveProperty(['1.28']);
    expect(MANAGED_ADDON_VERSIONS).toHaveProperty(['1.28']);
  });

  it('defaults to 1.35 or 1.36, in standard support on the date the calendar was checked', () => {
    expect(['1.35', '1.36']).toContain(DEFAULT_KUBERNETES_VERSION);
    expect(SUPPORT_CALENDAR_CHECKED).toMatch(ISO_DATE);
    const spec = KUBERNETES_VERSIONS[DEFAULT_KUBERNETES_VERSION];
    expect(spec).toBeDefined();
    expect(spec.standardSupportEnds > SUPPORT_CALENDAR_CHECKED).toBe(true);
  });

  it.each(versions)('%s has a consistent support calendar, layer package and autoscaler tag', (v) => {
    const spec = KUBERNETES_VERSIONS[v];
    expect(v).toMatch(/^1\.\d+$/);
    expect(spec.standardSupportEnds).toMatch(ISO_DATE);
    expect(spec.extendedSupportEnds).toMatch(ISO_DATE);
    expect(spec.extendedSupportEnds > spec.standardSupportEnds).toBe(true);
    expect(spec.kubectlLayerPackage).toBe(`@aws-cdk/lambda-layer-kubectl-v${v.split('.')[1]}`);
    expect(spec.clusterAutoscalerImageTag).toMatch(new RegExp(`^v${v.replace('.', '\\.')}\\.\\d+$`));
    expect(KUBECTL_LAYERS[spec.kubectlLayerPackage]).toBeInstanceOf(Function); // the AWS side has the layer construct
  });

  it.each(ENVIRONMENT_INPUTS.map((e) => [e.name, e] as const))('environment %s uses a version in the table', (_name, input) => {
    expect(versions).toContain(input.cluster.kubernetesVersion);
    expect(versions).toContain(validateEnvironmentConfig(input).cluster.kubernetesVersion);
  });
});

describe('managed add-ons', () => {
  const cases = versions.flatMap((v) => MANAGED_ADDONS.map((addon) => [v, addon] as const));

  it.each(cases)('%s %s has an exact eksbuild version', (v, addon) => {
    expect(MANAGED_ADDON_VERSIONS[v][addon]).toMatch(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
  });

  it.each(versions)('%s lists exactly the managed add-ons', (v) => {
    expect(Object.keys(MANAGED_ADDON_VERSIONS[v]).sort()).toEqual([...MANAGED_ADDONS].sort());
  });

  it.each(versions)("kube-proxy's minor equals the control-plane minor for %s", (v) => {
    const m = /^v(\d+\.\d+)\./.exec(MANAGED_ADDON_VERSIONS[v]['kube-proxy']);
    expect(m?.[1]).toBe(v);
  });
});

describe('Helm charts', () => {
  const RANGE_OR_TAG = /[\^~*]|(^|\.)x($|\.)|latest|\s|[<>=|]/i;

  it.each(Object.entries(HELM_CHARTS))('%s is pinned to an exact version', (_key, chart) => {
    expect(chart.version).not.toMatch(RANGE_OR_TAG);
    expect(chart.version).toMatch(/^v?\d+\.\d+\.\d+$/);
    expect(chart.appVersion).not.toMatch(RANGE_OR_TAG);
    expect(chart.chart).toMatch(/^[a-z0-9-]+$/);
    expect(chart.repository).toMatch(/^https:\/\//);
  });

  it('the range detector catches ranges and tags', () => {
    for (const bad of ['^1.2.3', '~1.2.3', '1.x', '1.2.x', '*', 'latest', '>=1.0.0']) expect(bad).toMatch(RANGE_OR_TAG);
    for (const good of ['1.2.3', 'v1.21.2', '9.59.0']) expect(good).not.toMatch(RANGE_OR_TAG);
  });
});

describe('instance types', () => {
  it.each(Object.entries(INSTANCE_TYPES))('%s has positive integer figures', (_type, spec) => {
    for (const n of [spec.vcpu, spec.memoryGiB, spec.maxPods]) {
      expect(Number.isInteger(n)).toBe(true);
      expect(n).toBeGreaterThan(0);
    }
  });

  it('names every type family.size', () => {
    for (const t of Object.keys(INSTANCE_TYPES)) expect(t).toMatch(/^[a-z][a-z0-9]*\.[a-z0-9]+$/);
  });

  it.each(ENVIRONMENT_INPUTS.map((e) => [e.name, e] as const))('environment %s only uses listed instance types', (_name, input) => {
    for (const g of input.cluster.nodeGroups) expect(Object.keys(INSTANCE_TYPES)).toContain(g.instanceType);
  });
});
