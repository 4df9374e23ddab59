import type { EnvironmentConfig } from '../../config/schema';

/** Files mounted from the `alertmanager-notifiers` ExternalSecret (values never rendered). */
export const ALERTMANAGER_SECRET_DIR = '/etc/alertmanager/secrets';
/** Files of the notifier credentials in ALERTMANAGER_SECRET_DIR (keys of the `alertmanager-notifiers` Secret). */
export const ALERTMANAGER_SECRET_FILES = { slackWebhookUrl: 'slack-webhook-url', smtpPassword: 'smtp-password', smtpUsername: 'smtp-username' } as const;

/**
 * Stand-in for the SMTP user name in the ConfigMap's alertmanager.yml; an init container replaces it with the
 * `smtp-username` file of the ExternalSecret (Secrets Manager `smtp`.username). Alertmanager 0.28 has no
 * `smtp_auth_username_file` (config/notifiers.go EmailConfig: auth_password_file only) and sends no AUTH at all when
 * the user name is empty (notify/email/email.go `auth()`); Amazon SES SMTP user names are access key ids, so the
 * From address never logs in. The user name is credential material, so it stays in Secrets Manager, not in git.
 */
export const SMTP_USERNAME_PLACEHOLDER = '__SMTP_AUTH_USERNAME__';

/** Where the init container writes the final alertmanager.yml (an emptyDir) and where the template is mounted. */
export const ALERTMANAGER_CONFIG_PATHS = { template: '/etc/alertmanager/template/alertmanager.yml', rendered: '/etc/alertmanager/config/alertmanager.yml' } as const;

/**
 * The init container's script: the user name must be a non-empty SMTP login of safe characters (SES: an access
 * key id), else the pod does not start and says why; then the placeholder is replaced in a copy of the template.
 */
export function alertmanagerConfigRenderScript(): string {
  const user = `${ALERTMANAGER_SECRET_DIR}/${ALERTMANAGER_SECRET_FILES.smtpUsername}`;
  return [
    'set -eu',
    `u=$(cat ${user})`,
    'case "$u" in',
    `  '' | *[!A-Za-z0-9@._+=-]*) echo "${user} (Secrets Manager smtp.username) is empty or has characters other than A-Z a-z 0-9 @ . _ + = -" >&2; exit 1 ;;`,
    'esac',
    `sed "s|${SMTP_USERNAME_PLACEHOLDER}|$u|" ${ALERTMANAGER_CONFIG_PATHS.template} > ${ALERTMANAGER_CONFIG_PATHS.rendered}.tmp`,
    `mv ${ALERTMANAGER_CONFIG_PATHS.rendered}.tmp ${ALERTMANAGER_CONFIG_PATHS.rendered}`,
    '',
  ].join('\n');
}

/**
 * alertmanager.yml: critical -> Slack + e-mail (page), warning -> e-mail (ticket), the Watchdog to a null receiver;
 * grouping by alert and namespace; a critical alert inhibits the warning of the same alert. Credentials are read
 * from files (slack api_url_file, smtp_auth_password_file) and the SMTP user name from the secret (see
 * SMTP_USERNAME_PLACEHOLDER).
 */
export function alertmanagerConfig({ config }: { config: EnvironmentConfig }): Record<string, unknown> {
  const a = config.monitoring.alertmanager;
  const email = { to: a.emailTo, send_resolved: true, headers: { Subject: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }}) in ' + config.name } };
  return {
    global: {
      smtp_smarthost: `${a.smtpHost}:${a.smtpPort}`,
      smtp_from: a.emailFrom,
      smtp_auth_username: SMTP_USERNAME_PLACEHOLDER,
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
