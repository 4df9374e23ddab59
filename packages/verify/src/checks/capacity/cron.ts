/**
 * Which CronJobs can run at the same time. A CronJob's run occupies [fire time, fire time + activeDeadlineSeconds)
 * at most (the Job controller kills it at the deadline); concurrencyPolicy Forbid/Replace keep one run of a CronJob
 * at a time, Allow lets runs overlap. Simulating every minute of one calendar year (2027, in the CronJobs' common
 * time zone) gives the largest set running at once. Conservative rules:
 * - a suspended CronJob can still be started by hand (`kubectl create job --from=cronjob/...`): counted as running;
 * - a CronJob without activeDeadlineSeconds, or with a schedule this parser does not read, is counted as always running;
 * - CronJobs in different time zones are all counted as running at once (their offsets are not modelled).
 */

export interface CronField {
  readonly values: ReadonlySet<number>;
  /** True when the field was `*` (or `?`), which matters for the day-of-month / day-of-week OR rule. */
  readonly star: boolean;
}

export interface CronSchedule {
  readonly minute: CronField;
  readonly hour: CronField;
  readonly dayOfMonth: CronField;
  readonly month: CronField;
  readonly dayOfWeek: CronField;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseField(text: string, min: number, max: number, names?: readonly string[], nameBase = 0): CronField | undefined {
  const values = new Set<number>();
  const star = text === '*' || text === '?';
  const value = (s: string): number | undefined => {
    const i = names ? names.indexOf(s.toLowerCase()) : -1;
    if (i >= 0) return i + nameBase;
    return /^\d+$/.test(s) ? Number(s) : undefined;
  };
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) return undefined;
    let lo: number;
    let hi: number;
    if (m[1] === '*' || m[1] === '?') {
      lo = min;
      hi = max;
    } else if (m[1].includes('-')) {
      const [a, b] = m[1].split('-');
      const va = value(a);
      const vb = value(b);
      if (va === undefined || vb === undefined) return undefined;
      lo = va;
      hi = vb;
    } else {
      const v = value(m[1]);
      if (v === undefined) return undefined;
      lo = v;
      hi = m[2] === undefined ? v : max;
    }
    if (lo < min || hi > max || lo > hi) return undefined;
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star };
}

/** Parses a 5-field cron schedule (or a macro such as @daily); undefined when it cannot. */
export function parseCron(schedule: string): CronSchedule | undefined {
  let s = schedule.trim().replace(/^(CRON_)?TZ=\S+\s+/, '');
  s = MACROS[s.toLowerCase()] ?? s;
  const f = s.split(/\s+/);
  if (f.length !== 5) return undefined;
  const minute = parseField(f[0], 0, 59);
  const hour = parseField(f[1], 0, 23);
  const dayOfMonth = parseField(f[2], 1, 31);
  const month = parseField(f[3], 1, 12, MONTHS, 1);
  const dow = parseField(f[4], 0, 7, DAYS, 0);
  if (!minute || !hour || !dayOfMonth || !month || !dow) return undefined;
  const dayOfWeek: CronField = { star: dow.star, values: new Set([...dow.values].map((d) => d % 7)) };
  return { minute, hour, dayOfMonth, month, dayOfWeek };
}

/** Whether the schedule fires on a day (Vixie cron: when both day fields are restricted, either may match). */
export function firesOnDay(c: CronSchedule, dayOfMonth: number, month: number, dayOfWeek: number): boolean {
  if (!c.month.values.has(month)) return false;
  const domOk = c.dayOfMonth.values.has(dayOfMonth);
  const dowOk = c.dayOfWeek.values.has(dayOfWeek);
  if (c.dayOfMonth.star && c.dayOfWeek.star) return true;
  if (c.dayOfMonth.star) return dowOk;
  if (c.dayOfWeek.star) return domOk;
  return domOk || dowOk;
}

/** The reference year the simulation walks (not a leap year; any year gives the same overlaps up to day-of-week alignment). */
export const REFERENCE_YEAR = 2027;
const MINUTES_PER_YEAR = 365 * 24 * 60;

/** Minutes of the reference year at which the schedule fires. */
export function fireMinutes(c: CronSchedule): number[] {
  const out: number[] = [];
  const hours = [...c.hour.values].sort((a, b) => a - b);
  const minutes = [...c.minute.values].sort((a, b) => a - b);
  for (let day = 0; day < 365; day++) {
    const d = new Date(Date.UTC(REFERENCE_YEAR, 0, 1 + day));
    if (!firesOnDay(c, d.getUTCDate(), d.getUTCMonth() + 1, d.getUTCDay())) continue;
    for (const h of hours) for (const m of minutes) out.push(day * 1440 + h * 60 + m);
  }
  return out;
}

export interface CronJobRuns {
  /** Identifies the CronJob (`CronJob/<ns>/<name>`). */
  readonly id: string;
  readonly schedule: string;
  readonly timeZone?: string;
  readonly suspended: boolean;
  readonly concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace';
  /** activeDeadlineSeconds of the job template; undefined when unbounded. */
  readonly activeDeadlineSeconds?: number;
  /** What one run weighs, for picking the largest set: pods, CPU (m), memory (bytes). */
  readonly weight: readonly [pods: number, cpuMillis: number, memoryBytes: number];
}

export interface ConcurrentSet {
  /** Runs of each CronJob in the largest set (CronJobs not running are absent). */
  readonly runs: ReadonlyMap<string, number>;
  /** How each CronJob was counted, one line each. */
  readonly reasons: readonly string[];
  /** The minute of the reference year the largest set runs at, when the simulation found it. */
  readonly at?: string;
}

function describeMinute(t: number): string {
  const d = new Date(Date.UTC(REFERENCE_YEAR, 0, 1) + t * 60000);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  return `${day} ${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)}`;
}

/** The largest set of CronJob runs that can be active at once (by pods, then CPU, then memory). */
export function largestConcurrentSet(jobs: readonly CronJobRuns[]): ConcurrentSet {
  const runs = new Map<string, number>();
  const reasons: string[] = [];
  const simulated: { job: CronJobRuns; counts: Uint16Array }[] = [];
  const zones = new Set(jobs.filter((j) => !j.suspended).map((j) => j.timeZone ?? ''));
  const mixedZones = zones.size > 1;
  for (const j of jobs) {
    const parsed = parseCron(j.schedule);
    if (j.suspended) {
      runs.set(j.id, 1);
      reasons.push(`${j.id}: suspended, can be started by hand at any time — counted as running (1 run)`);
    } else if (!parsed) {
      runs.set(j.id, 1);
      reasons.push(`${j.id}: schedule "${j.schedule}" not parsed — counted as always running`);
    } else if (j.activeDeadlineSeconds === undefined) {
      runs.set(j.id, 1);
      reasons.push(`${j.id}: no activeDeadlineSeconds, a run may last forever — counted as always running${j.concurrencyPolicy === 'Allow' ? ' (concurrencyPolicy Allow: overlapping runs are unbounded, counted once)' : ''}`);
    } else if (mixedZones) {
      runs.set(j.id, 1);
      reasons.push(`${j.id}: CronJobs use different time zones (${[...zones].map((z) => z || 'controller default').join(', ')}) — counted as running at the same time`);
    } else {
      const window = Math.max(1, Math.ceil(j.activeDeadlineSeconds / 60));
      const diff = new Int32Array(MINUTES_PER_YEAR + 1);
      for (const t of fireMinutes(parsed)) {
        const end = t + window;
        diff[t] += 1;
        if (end <= MINUTES_PER_YEAR) diff[end] -= 1;
        else {
          // the run wraps into the next year: the schedule repeats, so it occupies the first minutes too
          diff[MINUTES_PER_YEAR] -= 1;
          diff[0] += 1;
          diff[Math.min(end - MINUTES_PER_YEAR, MINUTES_PER_YEAR)] -= 1;
        }
      }
      const counts = new Uint16Array(MINUTES_PER_YEAR);
      let acc = 0;
      for (let t = 0; t < MINUTES_PER_YEAR; t++) {
        acc += diff[t];
        counts[t] = j.concurrencyPolicy === 'Allow' ? acc : Math.min(acc, 1);
      }
      simulated.push({ job: j, counts });
    }
  }
  let at: string | undefined;
  if (simulated.length) {
    let best = -1;
    let bestKey: [number, number, number] = [-1, -1, -1];
    for (let t = 0; t < MINUTES_PER_YEAR; t++) {
      let pods = 0;
      let cpu = 0;
      let mem = 0;
      for (const s of simulated) {
        const n = s.counts[t];
        if (!n) continue;
        pods += n * s.job.weight[0];
        cpu += n * s.job.weight[1];
        mem += n * s.job.weight[2];
      }
      if (pods > bestKey[0] || (pods === bestKey[0] && (cpu > bestKey[1] || (cpu === bestKey[1] && mem > bestKey[2])))) {
        bestKey = [pods, cpu, mem];
        best = t;
      }
    }
    at = describeMinute(best);
    for (const s of simulated) {
      const n = s.counts[best];
      const w = Math.ceil((s.job.activeDeadlineSeconds ?? 0) / 60);
      if (n > 0) runs.set(s.job.id, n);
      reasons.push(`${s.job.id}: "${s.job.schedule}"${s.job.timeZone ? ` ${s.job.timeZone}` : ''}, runs up to ${w} min (activeDeadlineSeconds) — ${n > 0 ? `${n} run(s) in the largest set` : 'not running then'}`);
    }
  }
  return { runs, reasons, at };
}
