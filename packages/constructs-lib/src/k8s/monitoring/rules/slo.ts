import { alertRule, leLabel, num, pct, selector } from './common';
import { BURN_RATES, ERROR_RATIO_WINDOWS, THRESHOLDS } from './thresholds';
import type { AlertRule, RecordingRule, RuleContext, RuleGroup } from './types';

/** The backend's series (prometheus-fastapi-instrumentator): `status` is the class "2xx" .. "5xx". */
const BACKEND_JOB = 'backend';
const BY = 'job, namespace';

export const errorRatioRecord = (window: string) => `slo:backend_errors:ratio_rate${window}`;
export const LATENCY_UNDER_THRESHOLD_RECORD = 'slo:backend_latency_under_threshold:ratio_rate5m';
export const LATENCY_P95_RECORD = 'slo:backend_latency_p95:seconds_rate5m';

/**
 * Availability SLO of the backend: the 5xx ratio recorded over every burn-rate window, the multi-window
 * multi-burn-rate alerts (Google SRE workbook) and a plain 5xx-ratio ticket.
 */
export function backendSloRules(ctx: RuleContext): RuleGroup[] {
  const backend = (...extra: [string, '=', string][]) => selector(['job', '=', BACKEND_JOB], ['namespace', '=', ctx.namespaces.app], ...extra);
  const budget = 1 - ctx.availabilitySlo;
  const requests = (w: string) => `sum by (${BY}) (rate(http_requests_total${backend()}[${w}]))`;
  const errors = (w: string) => `sum by (${BY}) (rate(http_requests_total${backend(['status', '=', '5xx'])}[${w}]))`;

  // `or 0 * requests`: the ratio is 0 (not absent) while no 5xx series exists yet.
  const recordings: RecordingRule[] = ERROR_RATIO_WINDOWS.map((w) => ({
    record: errorRatioRecord(w),
    expr: `(${errors(w)} or 0 * ${requests(w)}) / ${requests(w)}`,
  }));

  const burn = (name: string, b: (typeof BURN_RATES)[keyof typeof BURN_RATES]): AlertRule => {
    const threshold = num(b.factor * budget);
    return alertRule(ctx, 'slo', {
      alert: name,
      expr: `${errorRatioRecord(b.longWindow)} > ${threshold} and ${errorRatioRecord(b.shortWindow)} > ${threshold}`,
      for: b.for,
      severity: b.severity,
      summary: `Backend burns its error budget at more than ${b.factor}x the sustainable rate (${b.longWindow} and ${b.shortWindow} windows).`,
      description:
        `The backend in {{ $labels.namespace }} answered {{ $value | humanizePercentage }} of requests with 5xx over the last ${b.longWindow} ` +
        `(and still above ${pct(b.factor * budget)} over the last ${b.shortWindow}): ${b.factor}x the ${pct(budget)} error budget of the ` +
        `${pct(ctx.availabilitySlo)} availability SLO.`,
    });
  };

  const high5xx = alertRule(ctx, 'slo', {
    alert: 'BackendHigh5xxRatio',
    expr: `${errorRatioRecord('5m')} > ${num(THRESHOLDS.errorRatio)}`,
    for: '10m',
    severity: 'warning',
    summary: `Backend 5xx ratio above ${pct(THRESHOLDS.errorRatio)} for 10 minutes.`,
    description: `{{ $value | humanizePercentage }} of the backend's requests in {{ $labels.namespace }} failed with 5xx over the last 5 minutes (threshold ${pct(THRESHOLDS.errorRatio)}).`,
  });

  return [
    {
      name: 'backend-slo',
      rules: [
        ...recordings,
        burn('BackendErrorBudgetBurnFast', BURN_RATES.fast),
        burn('BackendErrorBudgetBurnMedium', BURN_RATES.medium),
        burn('BackendErrorBudgetBurnSlow', BURN_RATES.slow),
        high5xx,
      ],
    },
  ];
}

/** Latency SLI of the backend: share of requests under the SLI threshold, p95, and the p95 alerts. */
export function backendLatencyRules(ctx: RuleContext): RuleGroup[] {
  const { sliSeconds, pageSeconds } = ctx.latency;
  const bucket = (...extra: [string, '=', string][]) =>
    `http_request_duration_seconds_bucket${selector(['job', '=', BACKEND_JOB], ['namespace', '=', ctx.namespaces.app], ...extra)}`;
  const q = THRESHOLDS.latencyQuantile;
  const qPct = `p${num(q * 100)}`;
  return [
    {
      name: 'backend-latency',
      rules: [
        {
          record: LATENCY_UNDER_THRESHOLD_RECORD,
          expr: `sum by (${BY}) (rate(${bucket(['le', '=', leLabel(sliSeconds)])}[5m])) / sum by (${BY}) (rate(${bucket(['le', '=', '+Inf'])}[5m]))`,
        },
        {
          record: LATENCY_P95_RECORD,
          expr: `histogram_quantile(${num(q)}, sum by (${BY}, le) (rate(${bucket()}[5m])))`,
        },
        alertRule(ctx, 'slo', {
          alert: 'BackendLatencyP95High',
          expr: `${LATENCY_P95_RECORD} > ${num(pageSeconds)}`,
          for: '5m',
          severity: 'critical',
          summary: `Backend ${qPct} latency above ${num(pageSeconds)} s for 5 minutes.`,
          description: `The backend's ${qPct} request latency in {{ $labels.namespace }} is {{ $value | humanizeDuration }} (paging threshold ${num(pageSeconds)} s, SLI ${num(sliSeconds)} s).`,
        }),
        alertRule(ctx, 'slo', {
          alert: 'BackendLatencyP95AboveSli',
          expr: `${LATENCY_P95_RECORD} > ${num(sliSeconds)}`,
          for: '30m',
          severity: 'warning',
          summary: `Backend ${qPct} latency above the ${num(sliSeconds)} s SLI for 30 minutes.`,
          description: `The backend's ${qPct} request latency in {{ $labels.namespace }} has been above ${num(sliSeconds)} s for 30 minutes; it is {{ $value | humanizeDuration }}.`,
        }),
      ],
    },
  ];
}
