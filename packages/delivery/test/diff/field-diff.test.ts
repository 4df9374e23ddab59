import { deepEqual, diffValues, formatChange, formatChanges, formatValue, isUnderPath, joinKey } from '../../src/diff/field-diff';

describe('diffValues', () => {
  test('equal values give no changes, whatever the key order', () => {
    expect(diffValues({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toEqual([]);
    expect(deepEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
  });

  test('a changed scalar in an unnamed list is reported by index (old → new)', () => {
    const before = { spec: { ports: [{ port: 8000, protocol: 'TCP' }] } };
    const after = { spec: { ports: [{ port: 8080, protocol: 'TCP' }] } };
    const changes = diffValues(before, after);
    expect(changes).toEqual([{ path: 'spec.ports[0].port', op: 'changed', before: 8000, after: 8080 }]);
    expect(formatChange(changes[0]!)).toBe('spec.ports[0].port: 8000 → 8080');
  });

  test('named lists are matched by name, so an insertion is one change, not a shift', () => {
    const before = { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] };
    const after = { containers: [{ name: 'new', image: 'n:1' }, { name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }] };
    const paths = diffValues(before, after).map(formatChange);
    expect(paths).toEqual(['containers[name=b].image: b:1 → b:2', 'containers[name=new]: added {name: new, image: n:1}']);
  });

  test('scalar lists report the inserted/removed element, not every later index', () => {
    const changes = diffValues({ args: ['--a', '--b', '--c', '--d'] }, { args: ['--a', '--c', '--d', '--e'] });
    expect(changes.map(formatChange)).toEqual(['args[1]: removed (was --b)', 'args[3]: added --e']);
  });

  test('added and removed keys; keys that are not identifiers are quoted', () => {
    const changes = diffValues({ metadata: { annotations: { 'prometheus.io/port': '9090' }, x: 1 } }, { metadata: { annotations: { 'prometheus.io/port': '9091' }, y: 2 } });
    expect(changes.map(formatChange)).toEqual([
      'metadata.annotations["prometheus.io/port"]: "9090" → "9091"',
      'metadata.x: removed (was 1)',
      'metadata.y: added 2',
    ]);
  });

  test('type changes are reported as a change of the whole value', () => {
    expect(diffValues({ a: { b: 1 } }, { a: 'x' }).map(formatChange)).toEqual(['a: {b: 1} → x']);
  });

  test('formatChanges truncates at the limit with a count of the rest', () => {
    const before = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, i]));
    const after = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, i + 1]));
    const lines = formatChanges(diffValues(before, after), 10);
    expect(lines).toHaveLength(11);
    expect(lines[10]).toBe('… and 5 more');
  });
});

describe('helpers', () => {
  test('isUnderPath respects segment boundaries', () => {
    expect(isUnderPath('spec.replicas', 'spec.replicas')).toBe(true);
    expect(isUnderPath('spec.template.spec.containers[name=a].image', 'spec.template.spec.containers[name=a]')).toBe(true);
    expect(isUnderPath('spec.replicasX', 'spec.replicas')).toBe(false);
  });

  test('joinKey and formatValue', () => {
    expect(joinKey('', 'spec')).toBe('spec');
    expect(joinKey('data', 'a.rules.yaml')).toBe('data["a.rules.yaml"]');
    expect(formatValue('8080')).toBe('"8080"');
    expect(formatValue('line1\nline2\n')).toBe('<text, 2 lines>');
    expect(formatValue(undefined)).toBe('(unset)');
    const long = formatValue({ a: 'x'.repeat(50), b: { c: 'y'.repeat(50) } });
    expect(long.length).toBeLessThanOrEqual(80);
  });
});
