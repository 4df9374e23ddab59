/**
 * Prometheus rules as data. Each file in this folder exports rule groups built from the environment config; the
 * monitoring chart renders them into the `prometheus-rules` ConfigMap, one file per group.
 */

/** Severities: `critical` pages (Slack + e-mail), `warning` opens a ticket (e-mail), `none` is the Watchdog. */
export type Severity = 'critical' | 'warning' | 'none';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** @default fires at once */
  readonly for?: string;
  readonly labels: { readonly severity: Severity; readonly [k: string]: string };
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    /** Link into docs/runbooks/ (every alert has one). */
    readonly runbook_url: string;
  };
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  /** @default the global evaluation interval */
  readonly interval?: string;
  readonly rules: readonly (AlertRule | RecordingRule)[];
}

/** Inputs every rule file receives. */
export interface RuleContext {
  /** Base URL of the runbooks (the repository's docs/runbooks/ folder, browsable). */
  readonly runbookBase: string;
  readonly namespaces: { readonly app: string; readonly data: string; readonly monitoring: string };
  /** Backend availability SLO, e.g. 0.999. */
  readonly availabilitySlo: number;
  /** Latency SLI threshold (seconds) and the paging threshold for p95. */
  readonly latency: { readonly sliSeconds: number; readonly pageSeconds: number };
  /** Alertmanager replicas of the environment: the cluster is degraded when a member sees fewer peers. */
  readonly alertmanagerReplicas: number;
  /** PostgreSQL members (Patroni): the primary expects members - 1 streaming replicas. @default 1 (no replica alert) */
  readonly postgresMembers?: number;
}

export function isAlert(r: AlertRule | RecordingRule): r is AlertRule {
  return 'alert' in r;
}
