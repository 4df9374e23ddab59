import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { AuthConfig } from '../config/app-schema';

/** The file name the backend reads its auth policy from (mounted from the ConfigMap). */
export const AUTH_POLICY_FILE = 'auth-policy.json';

/** The auth policy document, as the backend reads it (snake_case keys, durations in seconds). */
export function authPolicyDocument(auth: AuthConfig, sso: { oidcClientSecretEnv: string }) {
  return {
    tokens: { access_token_ttl_seconds: auth.accessTokenMinutes * 60, refresh_token_ttl_seconds: auth.refreshTokenDays * 86400 },
    password: {
      min_length: auth.password.minLength,
      require_uppercase: auth.password.requireUppercase,
      require_lowercase: auth.password.requireLowercase,
      require_digit: auth.password.requireDigit,
      require_symbol: auth.password.requireSymbol,
    },
    login_rate_limit: { attempts: auth.loginRateLimit.attempts, window_seconds: auth.loginRateLimit.windowMinutes * 60 },
    lockout: { after_failures: auth.lockout.afterFailures, duration_seconds: auth.lockout.durationMinutes * 60 },
    roles: auth.roles,
    mfa: { totp: auth.mfa.totp, backup_codes: auth.mfa.backupCodes },
    cookies: { http_only: auth.cookies.httpOnly, secure: auth.cookies.secure, same_site: auth.cookies.sameSite },
    csrf: auth.csrf,
    sso: {
      oidc: auth.sso.oidc ? { issuer_url: auth.sso.oidc.issuerUrl, client_id: auth.sso.oidc.clientId, client_secret_env: sso.oidcClientSecretEnv } : null,
      saml: auth.sso.saml ? { metadata_url: auth.sso.saml.metadataUrl } : null,
    },
  };
}

export interface AuthPolicyConfigMapProps {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly auth: AuthConfig;
  /** Environment variable (from an ExternalSecret) holding the OIDC client secret. */
  readonly oidcClientSecretEnv: string;
}

/** The backend's authentication and authorization policy (seed story 3) as a mounted JSON file. */
export class AuthPolicyConfigMap extends Construct {
  readonly content: string;

  constructor(scope: Construct, id: string, props: AuthPolicyConfigMapProps) {
    super(scope, id);
    this.content = JSON.stringify(authPolicyDocument(props.auth, { oidcClientSecretEnv: props.oidcClientSecretEnv }), null, 2) + '\n';
    new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      data: { [AUTH_POLICY_FILE]: this.content },
    });
  }
}
