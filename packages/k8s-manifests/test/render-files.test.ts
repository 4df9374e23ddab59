import { ApiObject, Chart } from 'cdk8s';
import { parse } from 'yaml';
import { ENVIRONMENT_INPUTS, loadEnvironment } from '@optibid/constructs-lib';
import { newK8sApp, objectPath, renderChartFiles, renderEnvironmentManifests } from '../src';

describe('renderChartFiles', () => {
  test('one object per file at <namespace|_cluster>/<kind>-<name>.yaml, listed in kustomization.yaml', () => {
    const app = newK8sApp();
    const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
    new ApiObject(chart, 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } });
    new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'a' }, data: { k: 'v' } });
    const files = renderChartFiles([chart]);
    expect([...files.keys()]).toEqual(['_cluster/namespace-a.yaml', 'a/configmap-x.yaml', 'kustomization.yaml']);
    expect(parse(files.get('kustomization.yaml')!).resources).toEqual(['_cluster/namespace-a.yaml', 'a/configmap-x.yaml']);
  });

  test('keys are ordered apiVersion, kind, metadata, then sorted', () => {
    const app = newK8sApp();
    const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
    new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'a', labels: { z: '1', a: '2' } }, data: { b: '1', a: '2' } });
    const text = renderChartFiles([chart]).get('a/configmap-x.yaml')!;
    expect(text.split('\n').filter((l) => /^\S/.test(l))).toEqual(['apiVersion: v1', 'kind: ConfigMap', 'metadata:', 'data:']);
    expect(text.indexOf('a: "2"')).toBeLessThan(text.indexOf('z: "1"'));
  });

  test('two objects that would share a file fail the render', () => {
    const app = newK8sApp();
    const one = new Chart(app, 'one', { disableResourceNameHashes: true });
    const two = new Chart(app, 'two', { disableResourceNameHashes: true });
    for (const c of [one, two]) new ApiObject(c, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup', namespace: 'a' } });
    expect(() => renderChartFiles([one, two])).toThrow('Two objects render to a/configmap-dup.yaml');
  });

  test('objectPath lower-cases the kind', () => {
    expect(objectPath({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } })).toBe('_cluster/clusterrole-r.yaml');
  });
});

describe('environment manifests', () => {
  test.each(ENVIRONMENT_INPUTS.map((e) => e.name))('%s: platform namespaces enforce Pod Security "restricted" (one written exception)', (env) => {
    const files = renderEnvironmentManifests(loadEnvironment(env));
    const namespaces = [...files.entries()].filter(([p]) => p.startsWith('_cluster/namespace-')).map(([, t]) => parse(t));
    expect(namespaces.map((n) => n.metadata.name).sort()).toEqual(['monitoring', 'monitoring-agents', 'optibid', 'optibid-data']);
    for (const ns of namespaces) {
      // The node agents' namespace is the one written exception.
      const level = ns.metadata.name === 'monitoring-agents' ? 'privileged' : 'restricted';
      for (const mode of ['enforce', 'audit', 'warn']) expect(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`]).toBe(level);
      if (level !== 'restricted') expect(ns.metadata.annotations['optibid.io/pod-security-exception'].length).toBeGreaterThan(40);
    }
  });
});
