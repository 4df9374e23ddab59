import { BURN_RATES, errorRatioRecord, LATENCY_P95_RECORD, LATENCY_UNDER_THRESHOLD_RECORD, THRESHOLDS } from '../rules';
import { Dashboard, dashboard, DashboardContext, promNumber, row, sel, stat, timeseries } from './builder';
import { backendLatencyQuantile, backendRequestRate, JOBS } from './queries';

/**
 * The backend API, RED method: request rate, errors (5xx ratio) and duration (p50/p95/p99 from the request
 * histogram), then the SLOs: error-budget burn over the alerting windows and the recorded p95 against the SLI.
 */
export function apiRedDashboard(ctx: DashboardContext): Dashboard {
  const budget = 1 - ctx.availabilitySlo;
  const sli = ctx.latencySliSeconds;
  const recorded = (record: string) => `${record}${sel({ job: JOBS.backend, namespace: ctx.namespaces.app })}`;
  const total = backendRequestRate(ctx);
  const errors5xx = backendRequestRate(ctx, [], { status: '5xx' });
  // `or 0 * total`: the ratio is 0, not absent, while no 5xx series exists yet (as the recording rules do).
  const errorRatio = `(${errors5xx} or 0 * ${total}) / ${total}`;
  const burn = (window: string) => `max(${recorded(errorRatioRecord(window))}) / ${promNumber(budget)}`;
  const windows = [BURN_RATES.fast, BURN_RATES.medium, BURN_RATES.slow];
  const burnThresholds = [
    { value: BURN_RATES.slow.factor, color: 'orange' },
    { value: BURN_RATES.medium.factor, color: 'red' },
    { value: BURN_RATES.fast.factor, color: 'dark-red' },
  ];
  return dashboard({
    uid: 'api-red',
    title: 'OptiBid / API (RED)',
    description: `Backend requests in namespace ${ctx.namespaces.app}: rate, 5xx errors, latency; ${promNumber(ctx.availabilitySlo * 100)} % availability and ${promNumber(sli)} s latency SLOs.`,
    rows: [
      row('Rate', [
        stat({ title: 'Requests / s', unit: 'reqps', decimals: 1, h: 8, queries: [{ expr: total, legend: 'requests / s' }] }),
        timeseries({ title: 'Request rate by status class', unit: 'reqps', w: 10, stack: true, queries: [{ expr: backendRequestRate(ctx, ['status']), legend: '{{status}}' }] }),
        timeseries({ title: 'Request rate by handler (top 10)', unit: 'reqps', w: 10, queries: [{ expr: `topk(10, ${backendRequestRate(ctx, ['handler'])})`, legend: '{{handler}}' }] }),
      ]),
      row('Errors', [
        stat({
          title: '5xx ratio (1h, recorded)',
          h: 8,
          description: `${errorRatioRecord('1h')}; the error budget is ${promNumber(budget * 100)} %.`,
          unit: 'percentunit',
          decimals: 3,
          thresholds: [
            { value: budget, color: 'orange' },
            { value: BURN_RATES.fast.factor * budget, color: 'red' },
          ],
          queries: [{ expr: `max(${recorded(errorRatioRecord('1h'))})`, legend: '5xx ratio 1h' }],
        }),
        timeseries({
          title: '5xx ratio',
          description: `Share of requests answered with 5xx; the line is the whole error budget (${promNumber(budget * 100)} %).`,
          unit: 'percentunit',
          w: 10,
          thresholds: [{ value: budget, color: 'red' }],
          queries: [{ expr: errorRatio, legend: '5xx ratio' }],
        }),
        timeseries({
          title: '5xx rate by handler',
          unit: 'reqps',
          w: 10,
          queries: [{ expr: backendRequestRate(ctx, ['handler'], { status: '5xx' }), legend: '{{handler}}' }],
        }),
      ]),
      row('Duration', [
        stat({
          title: 'p95 latency (5m, recorded)',
          h: 8,
          description: `${LATENCY_P95_RECORD} against the ${promNumber(sli)} s SLI.`,
          unit: 's',
          decimals: 3,
          thresholds: [{ value: sli, color: 'red' }],
          queries: [{ expr: `max(${recorded(LATENCY_P95_RECORD)})`, legend: 'p95' }],
        }),
        timeseries({
          title: 'Latency p50 / p95 / p99',
          description: `From http_request_duration_seconds_bucket; the line is the ${promNumber(sli)} s SLI.`,
          unit: 's',
          w: 10,
          thresholds: [{ value: sli, color: 'red' }],
          queries: [
            { expr: backendLatencyQuantile(ctx, 0.5), legend: 'p50' },
            { expr: backendLatencyQuantile(ctx, 0.95), legend: 'p95' },
            { expr: backendLatencyQuantile(ctx, 0.99), legend: 'p99' },
          ],
        }),
        timeseries({
          title: 'p95 latency by handler',
          unit: 's',
          w: 10,
          thresholds: [{ value: sli, color: 'red' }],
          queries: [{ expr: backendLatencyQuantile(ctx, 0.95, ['handler']), legend: '{{handler}}' }],
        }),
      ]),
      row('SLO and error budget', [
        stat({
          title: 'Burn rate (3d)',
          h: 8,
          description: `5xx ratio over 3 days / the ${promNumber(budget * 100)} % budget: above 1 the budget runs out before the SLO period ends.`,
          unit: 'none',
          decimals: 2,
          thresholds: burnThresholds,
          queries: [{ expr: burn('3d'), legend: 'burn 3d' }],
        }),
        stat({
          title: `Requests under ${promNumber(sli)} s (5m)`,
          h: 8,
          description: `${LATENCY_UNDER_THRESHOLD_RECORD}: share of requests that met the latency SLI.`,
          unit: 'percentunit',
          decimals: 2,
          baseColor: 'red',
          // The SLO is written against p95: at least 95 % of requests under the SLI.
          thresholds: [{ value: THRESHOLDS.latencyQuantile, color: 'green' }],
          queries: [{ expr: `min(${recorded(LATENCY_UNDER_THRESHOLD_RECORD)})`, legend: 'under SLI' }],
        }),
        timeseries({
          title: 'Error budget burn rate',
          description:
            'Recorded 5xx ratio / error budget per alerting window (1 = the budget lasts exactly the SLO period). ' +
            windows.map((b) => `${b.severity} alert above ${b.factor}x over ${b.longWindow} and ${b.shortWindow}`).join('; ') +
            '.',
          unit: 'none',
          decimals: 2,
          w: 16,
          thresholds: burnThresholds,
          queries: windows.map((b) => ({ expr: burn(b.longWindow), legend: `burn ${b.longWindow}` })),
        }),
        timeseries({
          title: 'p95 latency vs SLI (recorded)',
          unit: 's',
          w: 12,
          thresholds: [{ value: sli, color: 'red' }],
          queries: [{ expr: `max(${recorded(LATENCY_P95_RECORD)})`, legend: 'p95 5m' }],
        }),
        timeseries({
          title: '5xx ratio per window (recorded)',
          unit: 'percentunit',
          w: 12,
          thresholds: [{ value: budget, color: 'red' }],
          queries: windows.map((b) => ({ expr: `max(${recorded(errorRatioRecord(b.longWindow))})`, legend: b.longWindow })),
        }),
      ]),
    ],
  });
}
