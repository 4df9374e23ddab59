import { stringify } from 'yaml';
import { checkKustomization } from '../../src/checks/schema/kustomization';
import { parseRenderedFiles } from '@optibid/rendered';

const CM = (name: string, ns = 'a') => stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { k: 'v' } });


/** An environment folder's files: path -> contents (objects are stringified). */
function envDir(files: Record<string, string | object>): Map<string, string> {
  return new Map(Object.entries(files).map(([file, content]) => [file, typeof content === 'string' ? content : stringify(content)]));
}

const run = (files: Map<string, string>) => checkKustomization(files, 'dev', parseRenderedFiles('dev', files)).map((f) => `${f.file} (${f.object}): ${f.message}`);

describe('checkKustomization', () => {
  test('every file listed, every listed file present: no finding', () => {
    const dir = envDir({ 'a/configmap-x.yaml': CM('x'), 'a/configmap-y.yaml': CM('y'), 'kustomization.yaml': { resources: ['a/configmap-x.yaml', 'a/configmap-y.yaml'] } });
    expect(run(dir)).toEqual([]);
  });

  test('an unlisted file and a listed file that does not exist are reported', () => {
    const dir = envDir({ 'a/configmap-x.yaml': CM('x'), 'a/configmap-y.yaml': CM('y'), 'kustomization.yaml': { resources: ['a/configmap-x.yaml', 'a/configmap-z.yaml'] } });
    expect(run(dir)).toEqual([
      'a/configmap-z.yaml (-): listed in kustomization.yaml but does not exist',
      'a/configmap-y.yaml (ConfigMap/a/y): not listed in kustomization.yaml resources: `kubectl apply -k` would skip it',
    ]);
  });

  test('a missing kustomization.yaml and duplicates are reported', () => {
    expect(run(envDir({ 'a/configmap-x.yaml': CM('x') }))).toEqual([
      'kustomization.yaml (-): missing: every environment (and every directory listed in resources) needs a kustomization.yaml',
      'a/configmap-x.yaml (ConfigMap/a/x): not listed in kustomization.yaml resources: `kubectl apply -k` would skip it',
    ]);
    const dup = envDir({ 'a/configmap-x.yaml': CM('x'), 'kustomization.yaml': { resources: ['a/configmap-x.yaml', './a/configmap-x.yaml'] } });
    expect(run(dup)).toEqual(['kustomization.yaml (-): lists ./a/configmap-x.yaml twice (kustomize rejects duplicate resources)']);
  });

  test('a listed directory counts through its own kustomization', () => {
    const dir = envDir({
      'a/configmap-x.yaml': CM('x'),
      'a/kustomization.yaml': { resources: ['configmap-x.yaml'] },
      'b/configmap-y.yaml': CM('y', 'b'),
      'kustomization.yaml': { resources: ['a', 'b'] },
    });
    expect(run(dir)).toEqual([
      'b/kustomization.yaml (-): missing: every environment (and every directory listed in resources) needs a kustomization.yaml',
      'b/configmap-y.yaml (ConfigMap/b/y): not listed in kustomization.yaml resources: `kubectl apply -k` would skip it',
    ]);
  });
});
