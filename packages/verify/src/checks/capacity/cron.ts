/**
 * How many runs of each CronJob the capacity scenarios count: an upper bound with no calendar. Every CronJob is
 * counted as running at the same time as every other (any two may overlap), each at its most concurrent:
 * - concurrencyPolicy Forbid or Replace: one run at a time (the controller skips or replaces the next one) → 1;
 * - Allow: runs of one CronJob overlap when a run lasts longer than the gap to the next fire time. A run lasts at
 *   most activeDeadlineSeconds (the Job controller kills it then), fire times are at least the shortest gap between
 *   two minutes of the day the schedule fires at apart (day fields only widen gaps), so at most
 *   ceil(activeDeadlineSeconds / shortest gap) runs are active at once. Without activeDeadlineSeconds, or with a
 *   schedule this parser does not read, that number has no bound: counted once, and the reason says so;
 * - a suspended CronJob can still be started by hand (`kubectl create job --from=cronjob/...`): 1 run.
 *
 * This replaces a minute-by-minute simulation of one calendar year. The simulation could only lower the figure, by
 * finding CronJobs whose runs never meet (the Sunday full backup and the Monday-to-Saturday diff backup), so
 * everything it flagged the bound flags too; the bound may count a run that the calendar would rule out (one
 * backup's requests here), the safe direction for a capacity check, and it needs no time zones or leap years.
 */

/** The values a field admits. The day fields are parsed only to tell a schedule this parser reads from one it does not. */
export interface CronField {
  readonly values: ReadonlySet<number>;
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
  return { values };
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
  const dayOfWeek: CronField = { values: new Set([...dow.values].map((d) => d % 7)) };
  return { minute, hour, dayOfMonth, month, dayOfWeek };
}

/** Shortest gap between two fire times, in minutes: between consecutive minutes of the day, or from the last one to the first one of a next day. */
export function shortestGapMinutes(c: CronSchedule): number {
  const times = [...c.hour.values].flatMap((h) => [...c.minute.values].map((m) => h * 60 + m)).sort((a, b) => a - b);
  let gap = 1440 - times[times.length - 1] + times[0];
  for (let i = 1; i < times.length; i++) gap = Math.min(gap, times[i] - times[i - 1]);
  return gap;
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
}

export interface CronRunsBound {
  /** Runs of each CronJob counted as active at once (every CronJob, at least 1). */
  readonly runs: ReadonlyMap<string, number>;
  /** How each CronJob was counted, one line each. */
  readonly reasons: readonly string[];
}

/** The runs of every CronJob counted as active at the same time (see the module comment). */
export function cronRunsBound(jobs: readonly CronJobRuns[]): CronRunsBound {
  const runs = new Map<string, number>();
  const reasons: string[] = [];
  for (const j of jobs) {
    const count = (n: number, why: string) => {
      runs.set(j.id, n);
      reasons.push(`${j.id}: ${why} — ${n} run${n > 1 ? 's' : ''}`);
    };
    const what = `"${j.schedule}"${j.timeZone ? ` ${j.timeZone}` : ''}`;
    if (j.suspended) count(1, 'suspended, can be started by hand at any time');
    else if (j.concurrencyPolicy !== 'Allow') count(1, `${what}, concurrencyPolicy ${j.concurrencyPolicy}: one run at a time`);
    else {
      const parsed = parseCron(j.schedule);
      if (!parsed) count(1, `schedule "${j.schedule}" not parsed, concurrencyPolicy Allow: overlapping runs not bounded, counted once`);
      else if (j.activeDeadlineSeconds === undefined) count(1, `${what}, concurrencyPolicy Allow without activeDeadlineSeconds: overlapping runs are unbounded, counted once`);
      else {
        const gap = shortestGapMinutes(parsed);
        const n = Math.max(1, Math.ceil(j.activeDeadlineSeconds / (gap * 60)));
        count(n, `${what}, concurrencyPolicy Allow: runs up to ${Math.ceil(j.activeDeadlineSeconds / 60)} min (activeDeadlineSeconds), fires at least ${gap} min apart`);
      }
    }
  }
  return { runs, reasons };
}
