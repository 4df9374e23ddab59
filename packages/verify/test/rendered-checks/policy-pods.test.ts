import { containersOf, podTemplates } from '@optibid/rendered';
import { isEmptySelector, matchesLabelSelector as selectorMatches } from '@optibid/rendered';
import type { KubeObject } from '@optibid/rendered';
import { compliantSet, rendered } from './policy-support';

const spec = (name: string) => ({ containers: [{ name, image: `${name}:1` }] });
const template = (name: string) => ({ metadata: { labels: { app: name } }, spec: spec(name) });

describe('podTemplates', () => {
  test('extracts the template of every workload kind, with namespace, labels, owner and spec path', () => {
    const objs: KubeObject[] = [
      ...['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].map((kind) => ({ apiVersion: 'apps/v1', kind, metadata: { name: kind.toLowerCase(), namespace: 'a' }, spec: { template: template(kind) } })),
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cron', namespace: 'b' }, spec: { jobTemplate: { spec: { template: template('CronJob') } } } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pod', labels: { app: 'Pod' }, annotations: { a: 'b' } }, spec: spec('Pod') },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'a' }, spec: { selector: { app: 'x' } } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'broken', namespace: 'a' }, spec: {} },
    ];
    const templates = podTemplates(objs.map(rendered));
    expect(templates.map((t) => [t.owner.obj.kind, t.namespace, t.labels.app, t.specPath, t.spec.containers?.[0].name])).toEqual([
      ['Deployment', 'a', 'Deployment', 'spec.template.spec', 'Deployment'],
      ['StatefulSet', 'a', 'StatefulSet', 'spec.template.spec', 'StatefulSet'],
      ['DaemonSet', 'a', 'DaemonSet', 'spec.template.spec', 'DaemonSet'],
      ['ReplicaSet', 'a', 'ReplicaSet', 'spec.template.spec', 'ReplicaSet'],
      ['Job', 'a', 'Job', 'spec.template.spec', 'Job'],
      ['CronJob', 'b', 'CronJob', 'spec.jobTemplate.spec.template.spec', 'CronJob'],
      ['Pod', 'default', 'Pod', 'spec', 'Pod'],
    ]);
    expect(templates[6].annotations).toEqual({ a: 'b' });
  });

  test('the compliant fixture has the Deployment and the CronJob', () => {
    expect(podTemplates(compliantSet()).map((t) => t.owner.obj.kind)).toEqual(['Deployment', 'CronJob']);
  });
});

describe('containersOf', () => {
  test('lists containers, init and ephemeral containers with a readable reference', () => {
    const s = { containers: [{ name: 'a' }, {}], initContainers: [{ name: 'i' }], ephemeralContainers: [{ name: 'e' }] };
    expect(containersOf(s).map((c) => c.ref)).toEqual(['container "a"', 'container "#1"', 'initContainer "i"', 'ephemeralContainer "e"']);
    expect(containersOf(s, ['initContainer']).map((c) => c.type)).toEqual(['initContainer']);
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'backend', tier: 'api' };
  test.each<[unknown, boolean]>([
    [{}, true],
    [{ matchLabels: {} }, true],
    [{ matchLabels: { app: 'backend' } }, true],
    [{ matchLabels: { app: 'backend', tier: 'api' } }, true],
    [{ matchLabels: { app: 'backend', tier: 'web' } }, false],
    [{ matchLabels: { zone: 'a' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['api', 'web'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['api'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    [{ matchLabels: { app: 'backend' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, false],
    [undefined, false],
    [null, false],
  ])('%j selects %j', (selector, expected) => {
    expect(selectorMatches(selector as never, labels)).toBe(expected);
  });

  test('isEmptySelector', () => {
    expect(isEmptySelector({})).toBe(true);
    expect(isEmptySelector({ matchLabels: {}, matchExpressions: [] })).toBe(true);
    expect(isEmptySelector({ matchLabels: { a: 'b' } })).toBe(false);
    expect(isEmptySelector(undefined)).toBe(false);
  });
});
