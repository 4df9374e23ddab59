import { compareTrees } from '../../src/diff/compare';
import { parseK8sTree } from '../../src/diff/k8s-objects';

const hpa = (apiVersion: string) => `apiVersion: ${apiVersion}\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: backend\n  namespace: optibid\nspec:\n  minReplicas: 2\n  maxReplicas: 6\n`;

describe('parseK8sTree', () => {
  test('objects are keyed by group/kind/namespace/name from the YAML; the kustomization is skipped', () => {
    const parsed = parseK8sTree(
      new Map([
        ['dist/k8s/dev/optibid/horizontalpodautoscaler-backend.yaml', hpa('autoscaling/v2')],
        ['dist/k8s/dev/_cluster/namespace-optibid.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: optibid\n'],
        ['dist/k8s/dev/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n'],
        ['dist/cloudformation/dev/x.template.json', '{}'],
      ]),
    );
    expect([...parsed.envs.get('dev')!.keys()].sort()).toEqual(['autoscaling/HorizontalPodAutoscaler/optibid/backend', 'core/Namespace/_cluster/optibid']);
    expect(parsed.problems).toEqual([]);
  });

  test('unparseable files and objects without a name are reported, not fatal', () => {
    const parsed = parseK8sTree(
      new Map([
        ['dist/k8s/dev/optibid/bad.yaml', 'apiVersion: v1\nkind: [unclosed\n'],
        ['dist/k8s/dev/optibid/anon.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n'],
      ]),
    );
    expect(parsed.problems).toEqual([expect.stringContaining('anon.yaml: ConfigMap without metadata.name'), expect.stringContaining('bad.yaml: YAML parse error')]);
  });
});

describe('compareTrees identity', () => {
  test('a renamed file with the same object is not a change; an apiVersion bump is a change, not add + remove', () => {
    const before = new Map([['dist/k8s/dev/optibid/hpa-old-name.yaml', hpa('autoscaling/v2beta2')]]);
    const renamed = new Map([['dist/k8s/dev/optibid/horizontalpodautoscaler-backend.yaml', hpa('autoscaling/v2beta2')]]);
    expect(compareTrees(before, renamed).envs[0]!.k8s).toEqual({ added: [], changed: [], removed: [] });
    const bumped = new Map([['dist/k8s/dev/optibid/horizontalpodautoscaler-backend.yaml', hpa('autoscaling/v2')]]);
    const k = compareTrees(before, bumped).envs[0]!.k8s;
    expect(k.added).toEqual([]);
    expect(k.removed).toEqual([]);
    expect(k.changed).toEqual([expect.objectContaining({ name: 'HorizontalPodAutoscaler optibid/backend', lines: ['apiVersion: autoscaling/v2beta2 → autoscaling/v2'] })]);
  });

  test('formatting-only edits are not changes', () => {
    const a = new Map([['dist/k8s/dev/n/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata: {a: "1"}\n']]);
    const b = new Map([['dist/k8s/dev/n/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: n\n  name: c\ndata:\n  a: "1"\n']]);
    expect(compareTrees(a, b).envs[0]!.k8s.changed).toEqual([]);
  });
});
