import { kubeReservedCpuMillis, kubeReservedMemoryMiB, nodeAllocatable, EVICTION_HARD_MEMORY_MIB } from '../src/data/eks-reservations';
import { instanceFigures, managedNodeGroupMaxPods } from '../src/data/instance-types';
import { firesOnDay, fireMinutes, largestConcurrentSet, parseCron, type CronJobRuns } from '../src/checks/capacity/cron';
import { resolveIntOrPercent } from '../src/checks/capacity/workloads';

describe('EKS node reservations', () => {
  test('kube-reserved CPU: 6 % of core 1, 1 % of core 2, 0.5 % of cores 3-4, 0.25 % above 4', () => {
    expect(kubeReservedCpuMillis(1)).toBe(60);
    expect(kubeReservedCpuMillis(2)).toBe(70);
    expect(kubeReservedCpuMillis(3)).toBe(75);
    expect(kubeReservedCpuMillis(4)).toBe(80);
    expect(kubeReservedCpuMillis(8)).toBe(90);
    expect(kubeReservedCpuMillis(16)).toBe(110);
    expect(kubeReservedCpuMillis(96)).toBe(310);
  });
  test('kube-reserved memory: 255 MiB + 11 MiB per pod; eviction 100 MiB', () => {
    expect(kubeReservedMemoryMiB(29)).toBe(574);
    expect(kubeReservedMemoryMiB(58)).toBe(893);
    expect(EVICTION_HARD_MEMORY_MIB).toBe(100);
  });
  test('allocatable of the instance types in use', () => {
    const m5l = instanceFigures('m5.large')!;
    expect(nodeAllocatable(m5l.vcpu, m5l.memoryMiB, m5l.maxPods)).toMatchObject({ cpuMillis: 1930, memoryMiB: 8192 - 574 - 100, pods: 29 });
    const m5xl = instanceFigures('m5.xlarge')!;
    expect(nodeAllocatable(m5xl.vcpu, m5xl.memoryMiB, m5xl.maxPods)).toMatchObject({ cpuMillis: 3920, memoryMiB: 16384 - 893 - 100, pods: 58 });
    const m52xl = instanceFigures('m5.2xlarge')!;
    expect(nodeAllocatable(m52xl.vcpu, m52xl.memoryMiB, m52xl.maxPods)).toMatchObject({ cpuMillis: 7910, memoryMiB: 32768 - 893 - 100, pods: 58 });
  });
  test('max pods: the CNI table, capped at 110 below 30 vCPU', () => {
    expect(managedNodeGroupMaxPods(16, 234)).toBe(110);
    expect(managedNodeGroupMaxPods(2, 29)).toBe(29);
    expect(managedNodeGroupMaxPods(48, 737)).toBe(250);
    expect(instanceFigures('m5.4xlarge')!.maxPods).toBe(110);
    expect(instanceFigures('x9.mega')).toBeUndefined();
  });
});

describe('surge and PDB arithmetic', () => {
  test('percentages round up for surge, integers pass through', () => {
    expect(resolveIntOrPercent('25%', 10, true)).toBe(3);
    expect(resolveIntOrPercent('25%', 4, true)).toBe(1);
    expect(resolveIntOrPercent('25%', 1, true)).toBe(1);
    expect(resolveIntOrPercent(1, 10, true)).toBe(1);
    expect(resolveIntOrPercent(0, 10, true)).toBe(0);
    expect(resolveIntOrPercent('50%', 3, false)).toBe(1);
  });
});

describe('CronJob concurrency', () => {
  test('cron fields, macros, names, and the day-of-month / day-of-week OR rule', () => {
    const c = parseCron('0 2 * * 1-6')!;
    expect([...c.dayOfWeek.values].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseCron('@daily')).toEqual(parseCron('0 0 * * *'));
    expect([...parseCron('*/15 * * * *')!.minute.values]).toEqual([0, 15, 30, 45]);
    expect([...parseCron('0 0 * * sun,sat')!.dayOfWeek.values].sort()).toEqual([0, 6]);
    expect(parseCron('0 0 * * 7')!.dayOfWeek.values.has(0)).toBe(true);
    expect(parseCron('61 * * * *')).toBeUndefined();
    expect(parseCron('not a schedule')).toBeUndefined();
    const both = parseCron('0 0 1 * 1')!; // the 1st of the month OR any Monday
    expect(firesOnDay(both, 1, 3, 3)).toBe(true);
    expect(firesOnDay(both, 2, 3, 1)).toBe(true);
    expect(firesOnDay(both, 2, 3, 2)).toBe(false);
    expect(fireMinutes(parseCron('0 0 1 1 *')!)).toEqual([0]);
    expect(fireMinutes(parseCron('30 3 * * *')!)).toHaveLength(365);
  });

  const job = (id: string, schedule: string, activeDeadlineSeconds?: number, extra: Partial<CronJobRuns> = {}): CronJobRuns => ({ id, schedule, timeZone: 'Etc/UTC', suspended: false, concurrencyPolicy: 'Forbid', activeDeadlineSeconds, weight: [1, 100, 1], ...extra });

  test('runs overlap only within their deadlines; the largest set is found', () => {
    const set = largestConcurrentSet([job('diff', '0 2 * * 1-6', 10800), job('full', '0 2 * * 0', 21600), job('redis', '30 3 * * *', 3600)]);
    expect(set.runs.get('redis')).toBe(1);
    expect(set.runs.has('diff') !== set.runs.has('full')).toBe(true); // never both: different days, 3 h / 6 h runs
    expect([...set.runs.values()].reduce((a, b) => a + b, 0)).toBe(2);
  });
  test('jobs far apart never overlap', () => {
    const set = largestConcurrentSet([job('a', '0 1 * * *', 600), job('b', '0 13 * * *', 600)]);
    expect([...set.runs.values()].reduce((a, b) => a + b, 0)).toBe(1);
  });
  test('suspended, deadline-less, unparseable and mixed-time-zone CronJobs are counted as running', () => {
    expect(largestConcurrentSet([job('s', '0 0 1 1 *', 60, { suspended: true })]).runs.get('s')).toBe(1);
    expect(largestConcurrentSet([job('n', '0 1 * * *', undefined), job('m', '0 13 * * *', 60)]).runs.get('n')).toBe(1);
    expect(largestConcurrentSet([job('u', 'whenever', 60)]).runs.get('u')).toBe(1);
    const mixed = largestConcurrentSet([job('a', '0 1 * * *', 60), job('b', '0 13 * * *', 60, { timeZone: 'America/Los_Angeles' })]);
    expect([...mixed.runs.values()]).toEqual([1, 1]);
  });
  test('concurrencyPolicy Allow lets runs of one CronJob overlap', () => {
    const set = largestConcurrentSet([job('allow', '0 * * * *', 3 * 3600, { concurrencyPolicy: 'Allow' })]);
    expect(set.runs.get('allow')).toBe(3);
    const forbid = largestConcurrentSet([job('forbid', '0 * * * *', 3 * 3600)]);
    expect(forbid.runs.get('forbid')).toBe(1);
  });
  test('a run crossing the year end wraps around', () => {
    const set = largestConcurrentSet([job('late', '0 23 31 12 *', 3 * 3600), job('early', '30 0 1 1 *', 600)]);
    expect([...set.runs.values()].reduce((a, b) => a + b, 0)).toBe(2);
  });
});
