import type { EnvironmentConfig } from '../config/schema';
import type { PlatformSecretKey } from '../naming/naming';
import { composePasswordVariable, composeRedisVariable, patroniRole, PLATFORM_SERVICE_TABLE } from '../naming/services';

/**
 * The variables docker-compose.yaml interpolates: every secret of the local stack, read from a git-ignored `.env`
 * (`docker compose --env-file .env ...`). The rendered file only references them; `.env.example` at the
 * repository root lists them all with empty values (renderEnvExample writes it; a test keeps the two equal).
 */
export interface ComposeVariable {
  readonly name: string;
  /** Required variables fail `docker compose` with a message when unset or empty (`${VAR:?...}`). */
  readonly required: boolean;
  readonly description: string;
  /** The Secrets Manager secret the cluster reads the same value from (`<project>/<env>/<key>`). */
  readonly clusterSecret?: PlatformSecretKey;
}

export function composeVariables(config: EnvironmentConfig): ComposeVariable[] {
  // From the services table (naming/services.ts): the superuser, the roles and Redis users something local logs in
  // with (required ones first), then the application services' own secrets.
  const table = PLATFORM_SERVICE_TABLE;
  const requiredFirst = <T extends { readonly compose?: { readonly required: boolean } }>(xs: readonly T[]) => [...xs.filter((x) => x.compose?.required), ...xs.filter((x) => x.compose && !x.compose.required)];
  const superuser = patroniRole(table, 'superuser');
  const secretKey = (key: string) => key as PlatformSecretKey;
  const vars: ComposeVariable[] = [
    { name: 'POSTGRES_PASSWORD', required: true, clusterSecret: secretKey(superuser.secret), description: `PostgreSQL superuser (${superuser.role}).` },
    ...requiredFirst(table.databaseRoles).map((r) => ({ name: composePasswordVariable(r), required: r.compose!.required, clusterSecret: secretKey(r.secret), description: r.compose!.description })),
    ...requiredFirst(table.redisUsers).map((u) => ({ name: composeRedisVariable(u), required: u.compose!.required, clusterSecret: secretKey(u.secret), description: u.compose!.description })),
    ...table.appServices.flatMap((s) => s.secrets.flatMap((e) => (e === 'contract' ? [] : [{ name: e.compose.variable, required: e.compose.required, clusterSecret: secretKey(e.from), description: e.compose.description }]))),
  ];
  if (config.auth.sso.oidc) vars.push({ name: 'OIDC_CLIENT_SECRET', required: false, clusterSecret: 'sso', description: `OIDC client secret of ${config.auth.sso.oidc.clientId} at ${config.auth.sso.oidc.issuerUrl}.` });
  return vars;
}

/** `${VAR:?set VAR in .env}` for a required variable, `${VAR:-}` (empty when unset) for an optional one. */
export function composeRef(v: ComposeVariable): string {
  return v.required ? `\${${v.name}:?set ${v.name} in .env}` : `\${${v.name}:-}`;
}

/** Names of the variables a compose file interpolates (`$VAR`, `${VAR...}`; `$$` is a literal dollar). */
export function interpolatedVariables(text: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$') continue;
    const next = text[i + 1];
    if (next === '$') {
      i++;
      continue;
    }
    const m = (next === '{' ? /^\{([A-Za-z_][A-Za-z0-9_]*)/ : /^([A-Za-z_][A-Za-z0-9_]*)/).exec(text.slice(i + 1));
    if (m) out.add(m[1]);
  }
  return [...out].sort();
}

/** The committed `.env.example`: every variable, an empty value and what it is. */
export function renderEnvExample(config: EnvironmentConfig): string {
  const lines = [
    '# Secrets of the local docker compose stack (dist/compose/docker-compose.yaml, rendered from the dev config).',
    '# Copy to .env (git-ignored), fill in, then from the repository root:',
    `#   docker compose -p ${config.project}-${config.name} --env-file .env -f dist/compose/docker-compose.yaml up -d`,
    '# Local throwaway values only: never put a real (cluster) secret here. Required values must be non-empty.',
    '# Letters and digits only (e.g. `openssl rand -hex 24`): $, quotes and spaces break the interpolation, the',
    '# PgBouncer auth file or the Redis ACL rules.',
    '',
  ];
  for (const v of composeVariables(config)) {
    const where = v.clusterSecret ? ` In the cluster: Secrets Manager ${config.project}/<env>/${v.clusterSecret}.` : '';
    lines.push(`# ${v.required ? 'Required' : 'Optional'}. ${v.description}${where}`, `${v.name}=`, '');
  }
  return lines.join('\n');
}
