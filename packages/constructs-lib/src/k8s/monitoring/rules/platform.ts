import { alertRule } from './common';
import { THRESHOLDS } from './thresholds';
import type { RuleContext, RuleGroup } from './types';

const DAY = 86400;

/** TLS certificates issued by cert-manager. */
export function certificateRules(ctx: RuleContext): RuleGroup[] {
  const expiry = 'certmanager_certificate_expiration_timestamp_seconds - time()';
  const c = (spec: Parameters<typeof alertRule>[2]) => alertRule(ctx, 'platform', spec);
  return [
    {
      name: 'certificates',
      rules: [
        c({
          alert: 'CertificateExpiringSoon',
          expr: `${expiry} < ${THRESHOLDS.certDays} * ${DAY}`,
          for: '1h',
          severity: 'warning',
          summary: `Certificate expires in less than ${THRESHOLDS.certDays} days.`,
          description: 'Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in {{ $value | humanizeDuration }}; cert-manager should have renewed it already.',
        }),
        c({
          alert: 'CertificateExpiryImminent',
          expr: `${expiry} < ${THRESHOLDS.certCriticalDays} * ${DAY}`,
          for: '10m',
          severity: 'critical',
          summary: `Certificate expires in less than ${THRESHOLDS.certCriticalDays} days.`,
          description: 'Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in {{ $value | humanizeDuration }}.',
        }),
      ],
    },
  ];
}

/** Prometheus and Alertmanager watching themselves, and the Watchdog (proves the alerting pipeline end to end). */
export function metaMonitoringRules(ctx: RuleContext): RuleGroup[] {
  const m = (spec: Parameters<typeof alertRule>[2]) => alertRule(ctx, 'platform', spec);
  const size = ctx.alertmanagerReplicas;
  return [
    {
      name: 'meta-monitoring',
      rules: [
        m({
          alert: 'PrometheusTargetDown',
          expr: 'up == 0',
          for: '5m',
          severity: 'warning',
          summary: 'Scrape target down for 5 minutes.',
          description: 'Prometheus cannot scrape {{ $labels.job }} target {{ $labels.instance }} (pod {{ $labels.namespace }}/{{ $labels.pod }}).',
        }),
        m({
          alert: 'PrometheusRuleEvaluationFailures',
          expr: 'increase(prometheus_rule_evaluation_failures_total{job="prometheus"}[10m]) > 0',
          severity: 'critical',
          summary: 'Prometheus fails to evaluate rules.',
          description: 'Prometheus {{ $labels.pod }} failed {{ $value | humanize }} rule evaluations of group {{ $labels.rule_group }} in 10 minutes: alerts may be missed.',
        }),
        m({
          alert: 'PrometheusNotificationsFailing',
          expr: 'increase(prometheus_notifications_errors_total{job="prometheus"}[10m]) > 0',
          severity: 'warning',
          summary: 'Prometheus fails to send alerts to an Alertmanager.',
          description: 'Prometheus {{ $labels.pod }} had {{ $value | humanize }} errors sending alerts to {{ $labels.alertmanager }} in 10 minutes.',
        }),
        m({
          alert: 'PrometheusTsdbCompactionsFailing',
          expr: 'increase(prometheus_tsdb_compactions_failed_total{job="prometheus"}[6h]) > 0',
          severity: 'warning',
          summary: 'Prometheus TSDB compactions are failing.',
          description: 'Prometheus {{ $labels.pod }} had {{ $value | humanize }} failed compactions in 6 hours: the disk fills up and queries slow down.',
        }),
        m({
          alert: 'AlertmanagerNotificationsFailing',
          expr: 'increase(alertmanager_notifications_failed_total{job="alertmanager"}[10m]) > 0',
          severity: 'critical',
          summary: 'Alertmanager fails to deliver notifications.',
          description: 'Alertmanager {{ $labels.pod }} failed {{ $value | humanize }} {{ $labels.integration }} notifications in 10 minutes.',
        }),
        m({
          alert: 'AlertmanagerClusterDegraded',
          expr: `min(alertmanager_cluster_members{job="alertmanager"}) < ${size}`,
          for: '10m',
          severity: 'warning',
          summary: `Alertmanager cluster has fewer than ${size} members.`,
          description: `An Alertmanager sees only {{ $value }} cluster members out of ${size} for 10 minutes: notifications may be duplicated or lost.`,
        }),
        m({
          alert: 'Watchdog',
          expr: 'vector(1)',
          severity: 'none',
          summary: 'Always firing: proves that the alerting pipeline works.',
          description: 'This alert always fires. If it stops arriving, Prometheus, Alertmanager or the notification path is broken.',
        }),
      ],
    },
  ];
}
