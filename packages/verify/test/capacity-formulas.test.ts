import { kubeReservedCpuMillis, kubeReservedMemoryMiB, nodeAllocatable, EVICTION_HARD_MEMORY_MIB } from '../src/data/eks-reservations';
import { instanceFigures, managedNodeGroupMaxPods } from '../src/data/instance-types';
import { cronRunsBound, parseCron, shortestGapMinutes, type CronJobRuns } from '../src/checks/capacity/cron';
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
  test('cron fields, macros and names', () => {
    const c = parseCron('0 2 * * 1-6')!;
    expect([...c.dayOfWeek.values].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseCron('@daily')).toEqual(parseCron('0 0 * * *'));
    expect([...parseCron('*/15 * * * *')!.minute.values]).toEqual([0, 15, 30, 45]);
    expect([...parseCron('0 0 * * sun,sat')!.dayOfWeek.values].sort()).toEqual([0, 6]);
    expect(parseCron('0 0 * * 7')!.dayOfWeek.values.has(0)).toBe(true);
    expect(parseCron('61 * * * *')).toBeUndefined();
    expect(parseCron('not a schedule')).toBeUndefined();
  });

  test('shortest gap between fire times: within the day, and from the last time of a day to the first of the next', () => {
    expect(shortestGapMinutes(parseCron('30 3 * * *')!)).toBe(1440);
    expect(shortestGapMinutes(parseCron('0 2 * * 0')!)).toBe(1440); // day fields only widen gaps
    expect(shortestGapMinutes(parseCron('*/15 * * * *')!)).toBe(15);
    expect(shortestGapMinutes(parseCron('0 1,13 * * *')!)).toBe(720);
    expect(shortestGapMinutes(parseCron('0 0,22 * * *')!)).toBe(120); // 22:00 to 00:00 the next day
    expect(shortestGapMinutes(parseCron('50 9 * * *')!)).toBe(1440);
  });

  const job = (id: string, schedule: string, activeDeadlineSeconds?: number, extra: Partial<CronJobRuns> = {}): CronJobRuns => ({ id, schedule, timeZone: 'Etc/UTC', suspended: false, concurrencyPolicy: 'Forbid', activeDeadlineSeconds, ...extra });
  const total = (b: ReturnType<typeof cronRunsBound>) => [...b.runs.values()].reduce((x, y) => x + y, 0);

  test('every CronJob counts, all at once: no calendar (the backups here never meet, and are counted together)', () => {
    const bound = cronRunsBound([job('diff', '0 2 * * 1-6', 10800), job('full', '0 2 * * 0', 21600), job('redis', '30 3 * * *', 3600)]);
    expect(Object.fromEntries(bound.runs)).toEqual({ diff: 1, full: 1, redis: 1 });
    expect(bound.reasons).toEqual([
      'diff: "0 2 * * 1-6" Etc/UTC, concurrencyPolicy Forbid: one run at a time — 1 run',
      'full: "0 2 * * 0" Etc/UTC, concurrencyPolicy Forbid: one run at a time — 1 run',
      'redis: "30 3 * * *" Etc/UTC, concurrencyPolicy Forbid: one run at a time — 1 run',
    ]);
    expect(total(cronRunsBound([job('a', '0 1 * * *', 600), job('b', '0 13 * * *', 600, { timeZone: 'America/Los_Angeles' })]))).toBe(2);
  });

  test('concurrencyPolicy Allow: runs overlap by the deadline over the shortest gap; Forbid and Replace keep one', () => {
    expect(cronRunsBound([job('allow', '0 * * * *', 3 * 3600, { concurrencyPolicy: 'Allow' })]).runs.get('allow')).toBe(3);
    expect(cronRunsBound([job('allow', '0 * * * *', 3 * 3600 + 1, { concurrencyPolicy: 'Allow' })]).runs.get('allow')).toBe(4);
    expect(cronRunsBound([job('allow', '*/15 * * * *', 3600, { concurrencyPolicy: 'Allow' })]).reasons).toEqual([
      'allow: "*/15 * * * *" Etc/UTC, concurrencyPolicy Allow: runs up to 60 min (activeDeadlineSeconds), fires at least 15 min apart — 4 runs',
    ]);
    // A daily run shorter than a day never meets the next one.
    expect(cronRunsBound([job('daily', '0 23 * * *', 3 * 3600, { concurrencyPolicy: 'Allow' })]).runs.get('daily')).toBe(1);
    expect(cronRunsBound([job('forbid', '0 * * * *', 3 * 3600)]).runs.get('forbid')).toBe(1);
    expect(cronRunsBound([job('replace', '* * * * *', 3 * 3600, { concurrencyPolicy: 'Replace' })]).runs.get('replace')).toBe(1);
  });

  test('suspended, and Allow without a deadline or with an unread schedule, are counted once (and say why)', () => {
    expect(cronRunsBound([job('s', '0 0 1 1 *', 60, { suspended: true })]).reasons).toEqual(['s: suspended, can be started by hand at any time — 1 run']);
    expect(cronRunsBound([job('n', '0 1 * * *', undefined, { concurrencyPolicy: 'Allow' })]).reasons[0]).toMatch(/without activeDeadlineSeconds: overlapping runs are unbounded, counted once — 1 run$/);
    expect(cronRunsBound([job('u', 'whenever', 60, { concurrencyPolicy: 'Allow' })]).reasons[0]).toMatch(/^u: schedule "whenever" not parsed/);
    expect(cronRunsBound([job('f', 'whenever', undefined)]).runs.get('f')).toBe(1);
  });
});
