import { noSecretData } from '../../src/checks/policy/no-secret-data';
import type { KubeObject } from '@optibid/rendered';
import { compliantSet, expectClean, expectFinding, NS, recommendedLabels, ref, withExtra } from './policy-support';

const check = noSecretData;
const SECRET = ref('Secret', 'db');

function secret(extra: Record<string, unknown> = {}, apiVersion = 'v1'): KubeObject {
  return { apiVersion, kind: 'Secret', metadata: { name: 'db', namespace: NS, labels: recommendedLabels('db', 'secret') }, type: 'Opaque', ...extra };
}

describe('no-secret-data', () => {
  test('no Secret at all passes', () => {
    expectClean(check, compliantSet());
  });

  test.each([
    ['without data', {}],
    ['with empty data and stringData', { data: {}, stringData: {} }],
    ['with null data', { data: null }],
  ])('a Secret %s passes', (_name, extra) => {
    expectClean(check, withExtra(compliantSet(), secret(extra)));
  });

  test('a Secret with data is a finding naming the keys, not the values', () => {
    const f = expectFinding(check, withExtra(compliantSet(), secret({ data: { password: 'aHVudGVyMg==', user: 'YWRtaW4=' } })), SECRET, 'data carries key(s) password, user', 'ExternalSecret');
    expect(f.message).not.toContain('aHVudGVyMg==');
  });

  test('a Secret with stringData is a finding', () => {
    expectFinding(check, withExtra(compliantSet(), secret({ stringData: { token: 'x' } })), SECRET, 'stringData carries key(s) token');
  });

  test('a Secret with both has two findings', () => {
    expect(check.run(withExtra(compliantSet(), secret({ data: { a: 'eA==' }, stringData: { b: 'y' } }))).map((f) => f.message.split(' ')[0])).toEqual(['data', 'stringData']);
  });

  test('a non-map data is a finding', () => {
    expectFinding(check, withExtra(compliantSet(), secret({ data: 'c2VjcmV0' })), SECRET, 'data is set');
  });

  test('an object of kind Secret from another API group is not a core Secret', () => {
    expectClean(check, withExtra(compliantSet(), secret({ data: { a: 'b' } }, 'example.com/v1')));
  });
});
