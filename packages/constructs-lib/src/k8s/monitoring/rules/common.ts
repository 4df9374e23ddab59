import type { AlertRule, RuleContext, Severity } from './types';

/** The runbook files of docs/runbooks/ the alerts link into. */
export type RunbookFile = 'slo' | 'kubernetes' | 'postgres' | 'redis' | 'platform';

export interface AlertSpec {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly severity: Severity;
  readonly summary: string;
  readonly description: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** `<runbookBase>/<file>.md#<alert name lower-cased>` (the runbook's heading for the alert). */
export function runbookUrl(ctx: RuleContext, file: RunbookFile, alert: string): string {
  return `${ctx.runbookBase.replace(/\/+$/, '')}/${file}.md#${alert.toLowerCase()}`;
}

/** An alerting rule with the platform's mandatory labels and annotations (keys in Prometheus' usual order). */
export function alertRule(ctx: RuleContext, runbook: RunbookFile, spec: AlertSpec): AlertRule {
  return {
    alert: spec.alert,
    expr: spec.expr,
    ...(spec.for ? { for: spec.for } : {}),
    labels: { severity: spec.severity, ...spec.labels },
    annotations: { summary: spec.summary, description: spec.description, runbook_url: runbookUrl(ctx, runbook, spec.alert) },
  };
}

/** A number as PromQL text, without binary floating-point noise (14.4 x (1 - 0.999) -> 0.0144). */
export function num(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite threshold: ${x}`);
  return String(Number(x.toPrecision(12)));
}

/** A fraction as a percentage for annotations (0.001 -> "0.1 %"). */
export function pct(x: number): string {
  return `${num(x * 100)} %`;
}

/**
 * A histogram bucket's `le` label as the Python client writes it (the backend is FastAPI): floats in Python's repr,
 * whole numbers with ".0" (0.2 -> "0.2", 2 -> "2.0"). Prometheus 3 normalises `le` to the same form on ingestion.
 */
export function leLabel(seconds: number): string {
  return Number.isInteger(seconds) ? seconds.toFixed(1) : num(seconds);
}

/** A label selector: `{a="x",b!="y"}` from [name, op, value] triples. */
export function selector(...matchers: readonly (readonly [string, '=' | '!=' | '=~' | '!~', string])[]): string {
  return `{${matchers.map(([k, op, v]) => `${k}${op}${JSON.stringify(v)}`).join(',')}}`;
}
