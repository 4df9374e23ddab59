import type { EnvironmentConfig } from '../../config/schema';

/** Files mounted from the `alertmanager-notifiers` ExternalSecret (values never rendered). */
export const ALERTMANAGER_SECRET_DIR = '/etc/alertmanager/secrets';
/** Files of the notifier credentials in ALERTMANAGER_SECRET_DIR (keys of the `alertmanager-notifiers` Secret). */
export const ALERTMANAGER_SECRET_FILES = { slackWebhookUrl: 'slack-webhook-url', smtpPassword: 'smtp-password' } as const;

/**
 * alertmanager.yml: critical -> Slack + e-mail (page), warning -> e-mail (ticket), the Watchdog to a null receiver;
 * grouping by alert and namespace; a critical alert inhibits the warning of the same alert. Credentials are read
 * from files (slack api_url_file, smtp_auth_password_file).
 */
export function alertmanagerConfig({ config }: { config: EnvironmentConfig }): Record<string, unknown> {
  const a = config.monitoring.alertmanager;
  const email = { to: a.emailTo, send_resolved: true, headers: { Subject: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }}) in ' + config.name } };
  return {
    global: {
      smtp_smarthost: `${a.smtpHost}:${a.smtpPort}`,
      smtp_from: a.emailFrom,
      smtp_auth_username: a.smtpUsername ?? a.emailFrom,
      smtp_auth_password_file: `${ALERTMANAGER_SECRET_DIR}/${ALERTMANAGER_SECRET_FILES.smtpPassword}`,
      smtp_require_tls: true,
      resolve_timeout: '5m',
    },
    route: {
      receiver: 'ticket',
      group_by: ['alertname', 'namespace'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '12h',
      routes: [
        { receiver: 'watchdog', matchers: ['alertname="Watchdog"'], repeat_interval: '5m' },
        { receiver: 'page', matchers: ['severity="critical"'], repeat_interval: '1h' },
        { receiver: 'ticket', matchers: ['severity="warning"'] },
      ],
    },
    inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname', 'namespace'] }],
    receivers: [
      {
        name: 'page',
        slack_configs: [
          {
            api_url_file: `${ALERTMANAGER_SECRET_DIR}/${ALERTMANAGER_SECRET_FILES.slackWebhookUrl}`,
            channel: a.slackChannel,
            send_resolved: true,
            title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} (' + config.name + ')',
            text: '{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}',
          },
        ],
        email_configs: [email],
      },
      { name: 'ticket', email_configs: [email] },
      // Watchdog proves the pipeline works; a dead-man's switch service would be wired here.
      { name: 'watchdog' },
    ],
  };
}
