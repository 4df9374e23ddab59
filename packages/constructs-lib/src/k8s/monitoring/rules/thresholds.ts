/**
 * Every alert threshold of the platform, in one place (the rule files import these; the unit and promtool tests
 * check that the rendered expressions carry them). Ratios are fractions (0.8 = 80 %).
 */
export const THRESHOLDS = {
  /** Backend 5xx ratio over 5 minutes (0.1 %, the whole 99.9 % availability budget). */
  errorRatio: 0.001,
  /** The quantile the latency SLO is written against. */
  latencyQuantile: 0.95,
  /** PgBouncer server connections in use / max_db_connections. */
  poolUsage: 0.8,
  /** Container working set / memory limit. */
  memory: 0.8,
  /** Persistent volume used / capacity. */
  volume: 0.9,
  /** Streaming-replication lag of a replica (seconds). */
  replicationLagSeconds: 30,
  /** Age of the last successful backup (daily backups + 2 h slack). */
  backupAgeHours: 26,
  /** Certificate expiry: ticket below this many days (cert-manager renews 30 days ahead). */
  certDays: 14,
  /** Certificate expiry: page below this many days. */
  certCriticalDays: 3,
} as const;

/** Multi-window multi-burn-rate alerts (Google SRE workbook, chapter 5, table 5-8): factor x the error budget. */
export const BURN_RATES = {
  fast: { factor: 14.4, longWindow: '1h', shortWindow: '5m', for: '2m', severity: 'critical' },
  medium: { factor: 6, longWindow: '6h', shortWindow: '30m', for: '15m', severity: 'critical' },
  slow: { factor: 1, longWindow: '3d', shortWindow: '6h', for: '1h', severity: 'warning' },
} as const;

/** The windows the backend error ratio is recorded over (every burn-rate window). */
export const ERROR_RATIO_WINDOWS = ['5m', '30m', '1h', '6h', '3d'] as const;
