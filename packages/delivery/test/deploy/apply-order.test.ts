import * as path from 'path';
import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import { namespaceOrder, parseManifestPath, planApplyOrder, removedClusterObjects, workloadsOf } from '../../src/deploy/apply-order';
import { listTree } from '../../src/deploy/dist-tree';
import { REPO_ROOT } from './stand-ins';

const names = platformNames(loadEnvironment('production'));
const order = namespaceOrder(names.namespaces);
const listing = listTree(path.join(REPO_ROOT, 'dist/k8s/production'));

describe('apply order (pure, from a dist tree listing)', () => {
  test('the order comes from the naming contract: data, app, monitoring, monitoring agents', () => {
    expect(order).toEqual(['optibid-data', 'optibid', 'monitoring', 'monitoring-agents']);
  });

  test('the rendered production tree: _cluster, then ExternalSecrets per namespace, then one step per namespace', () => {
    const plan = planApplyOrder(listing, order);
    expect(plan.cluster?.files).toContain('_cluster/namespace-optibid.yaml');
    expect(plan.cluster?.files.every((f) => f.startsWith('_cluster/'))).toBe(true);
    expect(plan.namespaces.map((n) => n.namespace)).toEqual(order);
    expect(plan.externalSecrets.map((e) => e.namespace)).toEqual(order);
    expect(plan.externalSecrets.find((e) => e.namespace === 'optibid')?.files).toEqual(['optibid/externalsecret-backend-secrets.yaml']);
    expect(plan.ignored).toEqual(['kustomization.yaml']);
    // Every file is applied exactly once by a step (the ExternalSecrets again by their namespace's ApplySet).
    const applied = [...(plan.cluster?.files ?? []), ...plan.namespaces.flatMap((n) => n.files)];
    expect(applied.sort()).toEqual(listing.filter((f) => f !== 'kustomization.yaml'));
    const data = plan.namespaces[0];
    expect(data.workloads.map((w) => `${w.kind}/${w.name}`)).toEqual(['statefulset/postgres', 'statefulset/redis', 'deployment/pgbouncer']);
    expect(plan.namespaces[3].workloads.map((w) => w.kind)).toEqual(['daemonset', 'daemonset']);
  });

  test('a namespace directory missing from the contract is applied after the known ones; absent ones are skipped', () => {
    const plan = planApplyOrder(['zeta/deployment-z.yaml', 'optibid/deployment-backend.yaml', 'alpha/service-a.yaml', '_cluster/namespace-zeta.yaml'], order);
    expect(plan.namespaces.map((n) => n.namespace)).toEqual(['optibid', 'alpha', 'zeta']);
    expect(plan.externalSecrets).toEqual([]);
  });

  test('kind and name come from <dir>/<kind>-<name>.yaml (names may contain dashes)', () => {
    expect(parseManifestPath('optibid-data/cronjob-postgres-backup-full.yaml')).toEqual({ path: 'optibid-data/cronjob-postgres-backup-full.yaml', dir: 'optibid-data', kind: 'cronjob', name: 'postgres-backup-full' });
    expect(parseManifestPath('kustomization.yaml')).toBeUndefined();
    expect(workloadsOf('x', ['x/job-a.yaml', 'x/cronjob-b.yaml', 'x/deployment-c.yaml'])).toEqual([{ namespace: 'x', kind: 'deployment', name: 'c' }]);
  });

  test('cluster-scoped objects that left dist/ are listed (for deletion by hand), by kind and name', () => {
    const previous = ['dist/k8s/production/_cluster/namespace-optibid.yaml', 'dist/k8s/production/_cluster/clusterrole-old-reader.yaml'];
    expect(removedClusterObjects(previous, ['_cluster/namespace-optibid.yaml']).map((m) => `${m.kind}/${m.name}`)).toEqual(['clusterrole/old-reader']);
  });
});
