import { containerResources, cpuMillis, limitRangeDefaults, memoryBytes, parseQuantity, podResources, storageBytes } from '../src/resources';

describe('quantities', () => {
  test('CPU in millicores, rounded up', () => {
    expect(cpuMillis('250m')).toBe(250);
    expect(cpuMillis('1')).toBe(1000);
    expect(cpuMillis(2)).toBe(2000);
    expect(cpuMillis('1.5')).toBe(1500);
    expect(cpuMillis('0.1')).toBe(100);
    expect(cpuMillis('100u')).toBe(1);
    expect(cpuMillis('1e-1')).toBe(100);
  });
  test('memory and storage in bytes, binary and decimal suffixes', () => {
    expect(memoryBytes('512Mi')).toBe(512 * 2 ** 20);
    expect(memoryBytes('1Gi')).toBe(2 ** 30);
    expect(memoryBytes('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(memoryBytes('1G')).toBe(1e9);
    expect(memoryBytes('100k')).toBe(100_000);
    expect(memoryBytes(1024)).toBe(1024);
    expect(memoryBytes('128974848')).toBe(128974848);
    expect(storageBytes('100Gi')).toBe(100 * 2 ** 30);
    expect(parseQuantity('1Ki')).toBe(1024);
  });
  test('malformed quantities throw', () => {
    expect(() => cpuMillis('abc')).toThrow(/not a Kubernetes quantity/);
    expect(() => memoryBytes('10MB')).toThrow(/not a Kubernetes quantity/);
    expect(() => memoryBytes('')).toThrow();
  });
});

describe('container requests and limits', () => {
  test('a limit without a request is the request (API defaulting)', () => {
    const c = containerResources({ name: 'x', resources: { limits: { cpu: '500m', memory: '1Gi' } } });
    expect(c).toMatchObject({ cpuMillis: 500, memoryBytes: 2 ** 30, limitsCpuMillis: 500, limitsMemoryBytes: 2 ** 30 });
  });
  test('LimitRange defaults fill what the container leaves out', () => {
    const d = limitRangeDefaults([{ spec: { limits: [{ type: 'Container', default: { memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '256Mi' } }] } }]);
    expect(containerResources({ name: 'x' }, d)).toMatchObject({ cpuMillis: 100, memoryBytes: 256 * 2 ** 20, limitsCpuMillis: undefined, limitsMemoryBytes: 512 * 2 ** 20 });
    expect(containerResources({ name: 'x', resources: { requests: { cpu: '1' } } }, d)).toMatchObject({ cpuMillis: 1000, memoryBytes: 256 * 2 ** 20 });
    // a LimitRange with only `default` gives requests from it too
    const onlyDefault = limitRangeDefaults([{ spec: { limits: [{ type: 'Container', default: { cpu: '200m' } }] } }]);
    expect(containerResources({ name: 'x' }, onlyDefault).cpuMillis).toBe(200);
    expect(limitRangeDefaults([{ spec: { limits: [{ type: 'Pod', max: { cpu: '2' } }] } }])).toBeUndefined();
  });
  test('no request, no limit, no LimitRange: zero request, no limit', () => {
    expect(containerResources({ name: 'x' })).toMatchObject({ cpuMillis: 0, memoryBytes: 0, limitsMemoryBytes: undefined });
  });
});

describe('pod requests: max(init) vs sum(containers)', () => {
  const c = (name: string, cpu: string, memory: string, extra: object = {}) => ({ name, resources: { requests: { cpu, memory }, limits: { memory } }, ...extra });
  test('app containers are summed', () => {
    const p = podResources({ containers: [c('a', '100m', '64Mi'), c('b', '250m', '128Mi')] });
    expect(p.cpuMillis).toBe(350);
    expect(p.memoryBytes).toBe(192 * 2 ** 20);
    expect(p.limitsMemoryBytes).toBe(192 * 2 ** 20);
  });
  test('a larger init container sets the pod request', () => {
    const p = podResources({ initContainers: [c('init', '500m', '1Gi')], containers: [c('a', '100m', '64Mi'), c('b', '100m', '64Mi')] });
    expect(p.cpuMillis).toBe(500);
    expect(p.memoryBytes).toBe(2 ** 30);
  });
  test('a smaller init container does not add to the containers', () => {
    const p = podResources({ initContainers: [c('snapshot', '50m', '64Mi')], containers: [c('upload', '50m', '64Mi')] });
    expect(p.cpuMillis).toBe(50);
    expect(p.memoryBytes).toBe(64 * 2 ** 20);
  });
  test('sidecar init containers (restartPolicy Always) run alongside: added to the containers and to later init containers', () => {
    const p = podResources({
      initContainers: [c('proxy', '100m', '64Mi', { restartPolicy: 'Always' }), c('migrate', '250m', '64Mi')],
      containers: [c('app', '200m', '128Mi')],
    });
    expect(p.cpuMillis).toBe(350); // max(200 + 100, 250 + 100)
    expect(p.memoryBytes).toBe(192 * 2 ** 20); // max(128 + 64, 64 + 64)
  });
  test('pod overhead is added', () => {
    expect(podResources({ containers: [c('a', '100m', '64Mi')], overhead: { cpu: '10m', memory: '1Mi' } }).cpuMillis).toBe(110);
  });
  test('a container without a memory limit leaves the pod without one', () => {
    expect(podResources({ containers: [c('a', '100m', '64Mi'), { name: 'b', resources: { requests: { cpu: '1m' } } }] }).limitsMemoryBytes).toBeUndefined();
  });
});
