/**
 * The schedule of a Kubernetes CronJob, validated as the CronJob controller parses it: robfig/cron v3
 * `ParseStandard` (k8s.io/kubernetes pkg/controller/cronjob, apis/batch validation): five fields (minute hour
 * day-of-month month day-of-week) or a descriptor (@yearly, @monthly, @weekly, @daily, @hourly...). Field ranges per
 * robfig/cron spec.go: minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or jan-dec, day-of-week 0-6 or
 * sun-sat (7 is an error there, unlike Vixie cron). Ranges, steps and lists are read by cron-parser (the
 * well-kept parser); what robfig does not accept and cron-parser does (L, W, #, 7, fewer fields) is refused here.
 */
import { CronExpressionParser } from 'cron-parser';

const DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const FIELDS = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;

/** Why Kubernetes would reject the schedule, or undefined when it is valid. */
export function cronScheduleProblem(expr: string): string | undefined {
  const text = expr.trim();
  if (text.startsWith('@')) return DESCRIPTORS.includes(text) ? undefined : `'${expr}': unknown descriptor (known: ${DESCRIPTORS.join(', ')})`;
  const fields = text.split(/\s+/);
  if (fields.length !== FIELDS.length) return `'${expr}' has ${fields.length} field(s): a CronJob schedule has five (minute hour day-of-month month day-of-week)`;
  for (const [i, f] of fields.entries()) {
    if (/[LW#]/i.test(f.replace(/(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)/gi, ''))) return `'${expr}': ${FIELDS[i]} '${f}' uses L, W or #, which the CronJob controller does not support`;
  }
  if (/(^|[,-])7($|[,/-])/.test(fields[4])) return `'${expr}': day-of-week '${fields[4]}' uses 7, which the CronJob controller rejects (Sunday is 0; range 0-6)`;
  try {
    CronExpressionParser.parse(text);
  } catch (err) {
    return `'${expr}': ${(err as Error).message}`;
  }
  return undefined;
}
