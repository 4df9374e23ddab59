import { resources } from '../../src/checks/policy/resources';
import { compareQuantities, parseExactQuantity as parseQuantity } from '@optibid/rendered';
import { compliantSet, expectClean, expectFinding, ref, withContainer, withObject } from './policy-support';

const check = resources;
const DEPLOY = ref('Deployment', 'backend');

describe('parseQuantity', () => {
  const value = (q: unknown) => {
    const p = parseQuantity(q);
    return p === undefined ? undefined : Number(p.num) / Number(p.den);
  };

  test.each<[unknown, number]>([
    ['1', 1],
    [2, 2],
    ['0.5', 0.5],
    ['.5', 0.5],
    [0.25, 0.25],
    ['500m', 0.5],
    ['250m', 0.25],
    ['100n', 1e-7],
    ['1k', 1000],
    ['1M', 1e6],
    ['1G', 1e9],
    ['1T', 1e12],
    ['1Ki', 1024],
    ['1Mi', 1024 ** 2],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['2Ti', 2 * 1024 ** 4],
    ['1e3', 1000],
    ['1E-3', 0.001],
  ])('%p is %p', (q, expected) => {
    expect(value(q)).toBeCloseTo(expected, 12);
  });

  test.each(['', 'abc', '1 Gi', '1gi', '1KB', '1.2.3', 'Mi', null, undefined, {}])('%p is not a quantity', (q) => {
    expect(parseQuantity(q)).toBeUndefined();
  });

  test('equal values in different notations compare equal, exactly', () => {
    expect(compareQuantities(parseQuantity('0.1')!, parseQuantity('100m')!)).toBe(0);
    expect(compareQuantities(parseQuantity('1Gi')!, parseQuantity('1073741824')!)).toBe(0);
    expect(compareQuantities(parseQuantity('1G')!, parseQuantity('1Gi')!)).toBe(-1);
    expect(compareQuantities(parseQuantity('1.5')!, parseQuantity('1499m')!)).toBe(1);
  });
});

describe('resources', () => {
  test('a compliant set passes, without limits.cpu', () => {
    expectClean(check, compliantSet());
  });

  test('limits.cpu is allowed when it is at least requests.cpu', () => {
    expectClean(check, withContainer((c) => (c.resources.limits.cpu = '0.25')));
    expectClean(check, withContainer((c) => (c.resources.limits.cpu = 1)));
  });

  test.each([
    ['requests', 'cpu'],
    ['requests', 'memory'],
    ['limits', 'memory'],
  ] as const)('a container without %s.%s is a finding', (section, resource) => {
    expectFinding(check, withContainer((c) => delete c.resources[section][resource]), DEPLOY, `container "backend": resources.${section}.${resource} is required`);
  });

  test.each([
    ['requests', 'cpu'],
    ['requests', 'memory'],
    ['limits', 'memory'],
  ] as const)('an init container without %s.%s is a finding', (section, resource) => {
    expectFinding(check, withContainer((c) => delete c.resources[section][resource], 'initContainers'), DEPLOY, `initContainer "migrate": resources.${section}.${resource} is required`);
  });

  test('a container without any resources has three findings', () => {
    const findings = check.run(withContainer((c) => delete c.resources));
    expect(findings.map((f) => f.message)).toEqual([
      'container "backend": resources.requests.cpu is required (every container declares requests.cpu, requests.memory and limits.memory)',
      'container "backend": resources.requests.memory is required (every container declares requests.cpu, requests.memory and limits.memory)',
      'container "backend": resources.limits.memory is required (every container declares requests.cpu, requests.memory and limits.memory)',
    ]);
  });

  test('CronJob containers need resources too', () => {
    const set = withObject(compliantSet(), 'CronJob', 'report', (c) => delete c.spec.jobTemplate.spec.template.spec.containers[0].resources.requests.cpu);
    expectFinding(check, set, ref('CronJob', 'report'), 'container "report": resources.requests.cpu is required');
  });

  test('requests.memory above limits.memory is a finding', () => {
    expectFinding(check, withContainer((c) => (c.resources.requests.memory = '1Gi')), DEPLOY, 'container "backend": resources.requests.memory (1Gi) exceeds resources.limits.memory (512Mi)', 'requests must be <= limits');
  });

  test('requests.cpu above limits.cpu is a finding, across notations', () => {
    expectFinding(check, withContainer((c) => (c.resources.limits.cpu = '0.2')), DEPLOY, 'resources.requests.cpu (250m) exceeds resources.limits.cpu (0.2)');
  });

  test('an init container with requests above limits is a finding', () => {
    expectFinding(check, withContainer((c) => (c.resources.limits.memory = '128Mi'), 'initContainers'), DEPLOY, 'initContainer "migrate": resources.requests.memory (256Mi) exceeds');
  });

  test('requests equal to limits pass (Guaranteed QoS), in different notations', () => {
    expectClean(check, withContainer((c) => (c.resources = { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '1000m', memory: '0.5Gi' } })));
  });

  test('an invalid quantity is a finding', () => {
    expectFinding(check, withContainer((c) => (c.resources.limits.memory = '512MB')), DEPLOY, 'container "backend": resources.limits.memory "512MB" is not a valid Kubernetes quantity');
  });
});
