import {
  formatLabelSelector,
  isEmptySelector,
  labelSelectorProblems,
  matchesLabelSelector,
  matchesNamespace,
  namespaceLabels,
  pinnedNamespaceNames,
  serviceSelector,
} from '../src/selectors';

const labels = { app: 'web', tier: 'frontend', env: 'prod' };

describe('matchesLabelSelector', () => {
  it('an empty selector selects everything, an absent one nothing (metav1.LabelSelectorAsSelector)', () => {
    expect(matchesLabelSelector({}, labels)).toBe(true);
    expect(matchesLabelSelector(undefined, labels)).toBe(false);
    expect(matchesLabelSelector(null, {})).toBe(false);
    expect(isEmptySelector(undefined)).toBe(false);
    expect(matchesLabelSelector({}, {})).toBe(true);
    expect(isEmptySelector({ matchLabels: {}, matchExpressions: [] })).toBe(true);
    expect(isEmptySelector({ matchLabels: { a: 'b' } })).toBe(false);
  });

  it('matchLabels needs every pair', () => {
    expect(matchesLabelSelector({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { app: 'web', tier: 'backend' } }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchLabels: { missing: '' } }, labels)).toBe(false);
  });

  it('In / NotIn / Exists / DoesNotExist', () => {
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'absent', operator: 'In', values: ['x'] }] }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels)).toBe(false);
    // NotIn matches when the key is absent.
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'absent', operator: 'NotIn', values: ['x'] }] }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'absent', operator: 'Exists' }] }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'absent', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels)).toBe(false);
  });

  it('ANDs matchLabels with every expression', () => {
    const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }, { key: 'canary', operator: 'DoesNotExist' }] };
    expect(matchesLabelSelector(sel, labels)).toBe(true);
    expect(matchesLabelSelector(sel, { ...labels, canary: 'true' })).toBe(false);
    expect(matchesLabelSelector(sel, { ...labels, app: 'api' })).toBe(false);
  });

  it('invalid requirements fail closed and are reported', () => {
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'Equals', values: ['prod'] }] }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'In', values: [] }] }, labels)).toBe(false);
    expect(labelSelectorProblems({ matchExpressions: [{ key: 'env', operator: 'Equals', values: ['prod'] }] })[0]).toMatch(/unknown operator "Equals"/);
    expect(labelSelectorProblems({ matchExpressions: [{ key: 'env', operator: 'In', values: [] }] })[0]).toMatch(/at least one value/);
    expect(labelSelectorProblems({ matchExpressions: [{ key: 'env', operator: 'Exists', values: ['x'] }] })[0]).toMatch(/takes no values/);
    expect(labelSelectorProblems({ matchLabels: { a: 'b' } })).toEqual([]);
  });
});

describe('namespace selectors', () => {
  it('every namespace carries kubernetes.io/metadata.name', () => {
    expect(namespaceLabels('optibid', { team: 'app' })).toEqual({ team: 'app', 'kubernetes.io/metadata.name': 'optibid' });
    expect(matchesNamespace({ matchLabels: { 'kubernetes.io/metadata.name': 'optibid' } }, 'optibid')).toBe(true);
    expect(matchesNamespace({ matchLabels: { 'kubernetes.io/metadata.name': 'optibid' } }, 'optibid-data')).toBe(false);
    expect(matchesNamespace({}, 'anything')).toBe(true);
    expect(matchesNamespace({ matchLabels: { team: 'app' } }, 'optibid', { team: 'app' })).toBe(true);
    expect(matchesNamespace({ matchLabels: { team: 'app' } }, 'optibid')).toBe(false);
    // The automatic label cannot be overridden by the namespace's own labels.
    expect(matchesNamespace({ matchLabels: { 'kubernetes.io/metadata.name': 'x' } }, 'optibid', { 'kubernetes.io/metadata.name': 'x' })).toBe(false);
  });

  it('pinnedNamespaceNames reads the names a selector pins', () => {
    expect(pinnedNamespaceNames({ matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } })).toEqual(['kube-system']);
    expect(pinnedNamespaceNames({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['a', 'b'] }] })).toEqual(['a', 'b']);
    expect(pinnedNamespaceNames({ matchLabels: { team: 'x' } })).toBeUndefined();
    expect(pinnedNamespaceNames({})).toBeUndefined();
  });
});

describe('formatLabelSelector', () => {
  it('prints kubectl notation, sorted, * for empty', () => {
    expect(formatLabelSelector({})).toBe('*');
    expect(formatLabelSelector(undefined)).toBe('(none)');
    expect(
      formatLabelSelector({
        matchLabels: { z: '1', a: '2' },
        matchExpressions: [
          { key: 'e', operator: 'In', values: ['y', 'x'] },
          { key: 'f', operator: 'NotIn', values: ['q'] },
          { key: 'g', operator: 'Exists' },
          { key: 'h', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('a=2,z=1,e in (x,y),f notin (q),g,!h');
  });
});

describe('runtime labels and Service selectors', () => {
  it('a selector on a label the process sets at run time matches when one declared value satisfies it', () => {
    const runtime = { role: ['primary', 'replica'] };
    expect(matchesLabelSelector({ matchLabels: { app: 'pg', role: 'primary' } }, { app: 'pg' }, runtime)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { app: 'pg', role: 'standby' } }, { app: 'pg' }, runtime)).toBe(false);
    expect(matchesLabelSelector({ matchLabels: { role: 'primary' } }, { app: 'pg' })).toBe(false);
  });

  it('a Service without selector, or with an empty one, selects no pod', () => {
    expect(serviceSelector(undefined)).toBeUndefined();
    expect(serviceSelector({})).toBeUndefined();
    expect(matchesLabelSelector(serviceSelector({}), { a: 'b' })).toBe(false);
    expect(matchesLabelSelector(serviceSelector({ a: 'b' }), { a: 'b' })).toBe(true);
  });
});
