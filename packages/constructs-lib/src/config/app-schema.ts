import { z } from 'zod';
import { cpuMillis, isCpuQuantity, isMemoryQuantity, memoryBytes } from '../util/quantity';
import { PLATFORM_SERVICE_TABLE } from '../naming/services';

/**
 * The parts of the environment config the in-cluster platform reads: application workloads, ingress, the
 * authentication policy (seed story 3) and the service-mesh switch. Cross-field rules live in `checkAppRules`.
 */

const cpu = z.string().refine(isCpuQuantity, { message: 'must be a CPU quantity such as 250m or 1' });
const memory = z.string().refine(isMemoryQuantity, { message: 'must be a memory quantity such as 512Mi or 2Gi' });

/** RFC 1123 DNS subdomain, as Kubernetes and ACME require of a host name. */
const HOSTNAME_RE = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
export const hostname = z.string().regex(HOSTNAME_RE, { message: 'must be a lowercase DNS name such as app.example.com (RFC 1123, at least two labels)' });

/**
 * A container's requests and limits. A request above its limit is what the API server rejects ("must be less than or
 * equal to memory limit": k8s.io/kubernetes pkg/apis/core/validation ValidateResourceRequirements), so it is invalid
 * here, for every workload that uses this schema (app services, PostgreSQL, Redis), against the config field.
 */
export const resourcesSchema = z
  .object({
    requests: z.object({ cpu, memory }).strict(),
    /** CPU limit is optional on purpose: CFS throttling hurts latency more than a noisy neighbour. */
    limits: z.object({ cpu: cpu.optional(), memory }).strict(),
  })
  .strict()
  .superRefine((r, ctx) => {
    // Only quantities that parsed (the others are reported by their own field rule).
    if (isMemoryQuantity(r.requests.memory) && isMemoryQuantity(r.limits.memory) && memoryBytes(r.requests.memory) > memoryBytes(r.limits.memory)) {
      ctx.addIssue({ code: 'custom', path: ['requests', 'memory'], message: `request ${r.requests.memory} exceeds the limit ${r.limits.memory} (Kubernetes rejects a request above its limit)` });
    }
    if (r.limits.cpu !== undefined && isCpuQuantity(r.requests.cpu) && isCpuQuantity(r.limits.cpu) && cpuMillis(r.requests.cpu) > cpuMillis(r.limits.cpu)) {
      ctx.addIssue({ code: 'custom', path: ['requests', 'cpu'], message: `request ${r.requests.cpu} exceeds the limit ${r.limits.cpu} (Kubernetes rejects a request above its limit)` });
    }
  });
export type ResourcesConfig = z.output<typeof resourcesSchema>;

const imageSchema = z
  .object({
    repository: z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/, { message: 'must be a registry/repository path such as 123456789012.dkr.ecr.us-west-2.amazonaws.com/optibid/backend' }),
    tag: z
      .string()
      .regex(/^[\w][\w.-]{0,127}$/, { message: 'must be a Docker tag' })
      .refine((t) => t !== 'latest', { message: "must be a pinned tag, not 'latest'" }),
    digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: 'must be sha256:<64 hex characters>' }),
  })
  .strict();
export type ImageConfig = z.output<typeof imageSchema>;

const workloadSchema = z.object({ image: imageSchema, resources: resourcesSchema }).strict();
export type WorkloadConfig = z.output<typeof workloadSchema>;

/** The image and size of an application service: `app.backend`, or `app.services.<name>`. */
export function appServiceWorkload(app: { readonly backend: WorkloadConfig; readonly services: Readonly<Record<string, WorkloadConfig>> }, name: string): WorkloadConfig {
  const w = name === 'backend' ? app.backend : app.services[name];
  if (!w) throw new Error(`app.services.${name}: no image and resources for the application service '${name}'`);
  return w;
}

export const appSchema = z
  .object({
    /** HPA bounds of backend and frontend. */
    minReplicas: z.number().int().min(1),
    maxReplicas: z.number().int().min(1),
    backend: workloadSchema,
    frontend: workloadSchema,
    /**
     * Image and size of every further application service of the services table (naming/services.ts), by name;
     * exactly the table's services besides the backend. Scaled by the same HPA bounds.
     * @default {}
     */
    services: z.record(z.string(), workloadSchema).default({}),
    /**
     * Further namespaces whose pods may call the backend (besides the ingress controller and the frontend); each
     * must be a namespace of the platform.
     * @default []
     */
    extraBackendClientNamespaces: z.array(z.string()).default([]),
    /**
     * Explicit ResourceQuota of the application namespace. When omitted the quota is computed by rule (HPA max plus
     * rolling-update surge); when given it must be at least that.
     * @default computed
     */
    quota: z.object({ requestsCpu: cpu, requestsMemory: memory, limitsMemory: memory }).strict().optional(),
  })
  .strict();

export const ingressSchema = z
  .object({
    /** Host of the web app (frontend). */
    appHost: hostname,
    /** Host of the API (backend). */
    apiHost: hostname,
    /** Route 53 public zone holding both hosts; cert-manager answers DNS-01 challenges in it. */
    dnsZone: z.object({ name: hostname, hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,32}$/, { message: 'must be a Route 53 hosted zone id (Z...)' }) }).strict(),
    /** Let's Encrypt environment that issues the TLS certificate. */
    tlsIssuer: z.enum(['letsencrypt-staging', 'letsencrypt-production']),
    /** ACME account e-mail (expiry notices). */
    acmeEmail: z.string().email({ message: 'must be an e-mail address' }),
    /** Largest request body NGINX accepts. @default '10m' */
    bodySizeLimit: z.string().regex(/^\d+[km]$/, { message: "must be an NGINX size such as 10m or 512k" }).default('10m'),
    /** Steady request rate per client IP on the API. @default 20 */
    apiRequestsPerSecond: z.number().int().min(1).default(20),
    /** Requests per minute per client IP on the login and token endpoints. @default 10 */
    authRequestsPerMinute: z.number().int().min(1).default(10),
    /** HSTS max-age. @default 31536000 (one year) */
    hstsMaxAgeSeconds: z.number().int().min(0).default(31536000),
  })
  .strict();

export const AUTH_ROLES = ['super_admin', 'org_admin', 'billing_admin', 'analyst', 'viewer'] as const;

export const authSchema = z
  .object({
    accessTokenMinutes: z.number().int().min(1).default(15),
    refreshTokenDays: z.number().int().min(1).default(7),
    password: z
      .object({
        minLength: z.number().int().min(12, { message: 'must be at least 12 (seed policy floor)' }).default(12),
        requireUppercase: z.boolean().default(true),
        requireLowercase: z.boolean().default(true),
        requireDigit: z.boolean().default(true),
        requireSymbol: z.boolean().default(true),
      })
      .strict()
      .default({ minLength: 12, requireUppercase: true, requireLowercase: true, requireDigit: true, requireSymbol: true }),
    /** Login attempts allowed per client within the window. */
    loginRateLimit: z.object({ attempts: z.number().int().min(1), windowMinutes: z.number().int().min(1) }).strict().default({ attempts: 5, windowMinutes: 15 }),
    /** Account lockout after consecutive failures. */
    lockout: z.object({ afterFailures: z.number().int().min(1), durationMinutes: z.number().int().min(1) }).strict().default({ afterFailures: 10, durationMinutes: 30 }),
    roles: z.array(z.enum(AUTH_ROLES)).default([...AUTH_ROLES]),
    mfa: z.object({ totp: z.boolean(), backupCodes: z.number().int().min(0).max(20) }).strict().default({ totp: true, backupCodes: 10 }),
    cookies: z
      .object({ httpOnly: z.literal(true, { message: 'session cookies must be httpOnly' }), secure: z.literal(true, { message: 'session cookies must be secure' }), sameSite: z.enum(['strict', 'lax']) })
      .strict()
      .default({ httpOnly: true, secure: true, sameSite: 'lax' }),
    csrf: z.literal(true, { message: 'CSRF protection must stay on' }).default(true),
    /** Endpoints that get the tighter ingress rate limit. */
    authPaths: z.array(z.string().regex(/^\/[\w\-/]*$/, { message: 'must be a URL path' })).min(1).default(['/api/v1/auth/login', '/api/v1/auth/token', '/api/v1/auth/refresh']),
    sso: z
      .object({
        oidc: z.object({ issuerUrl: z.string().url().startsWith('https://', { message: 'must use https' }), clientId: z.string().min(1) }).strict().optional(),
        saml: z.object({ metadataUrl: z.string().url().startsWith('https://', { message: 'must use https' }) }).strict().optional(),
      })
      .strict()
      .default({}),
  })
  .strict();
export type AuthConfig = z.output<typeof authSchema>;

export const meshSchema = z
  .object({
    /** Label application namespaces for Istio sidecar injection and render a STRICT PeerAuthentication. @default false */
    istio: z.boolean().default(false),
  })
  .strict()
  .default({ istio: false });

type Issue = (path: (string | number)[], message: string) => void;

/** Cross-field rules of the app, ingress and auth sections. */
export function checkAppRules(
  cfg: { app: z.output<typeof appSchema>; ingress: z.output<typeof ingressSchema>; auth: AuthConfig },
  knownNamespaces: readonly string[],
  requiredAppQuota: { requestsCpuMillis: number; requestsMemoryBytes: number; limitsMemoryBytes: number } | undefined,
  issue: Issue,
): void {
  const { app, auth } = cfg;
  // Field rules do not stop cross-field rules: compare only quantities that parsed (the rest are reported already).
  const cpuOk = (q: string | undefined) => q !== undefined && isCpuQuantity(q);
  const memOk = (q: string) => isMemoryQuantity(q);
  // Every application service of the services table has an image and size here, and nothing else does.
  const tableServices = PLATFORM_SERVICE_TABLE.appServices.map((s) => s.name).filter((n) => n !== 'backend');
  for (const name of tableServices) if (!(name in app.services)) issue(['app', 'services'], `the services table has the application service '${name}': give it an image and resources here`);
  for (const name of Object.keys(app.services)) if (!tableServices.includes(name)) issue(['app', 'services', name], `no application service '${name}' in the services table (naming/services.ts)${name === 'backend' || name === 'frontend' ? ` (${name} is app.${name})` : ''}`);
  app.extraBackendClientNamespaces.forEach((ns, i) => {
    if (!knownNamespaces.includes(ns)) issue(['app', 'extraBackendClientNamespaces', i], `unknown namespace '${ns}' in a network policy peer (known: ${knownNamespaces.join(', ')})`);
  });
  if (app.quota && requiredAppQuota && cpuOk(app.quota.requestsCpu) && memOk(app.quota.requestsMemory) && memOk(app.quota.limitsMemory)) {
    const q = app.quota;
    if (cpuMillis(q.requestsCpu) < requiredAppQuota.requestsCpuMillis) issue(['app', 'quota', 'requestsCpu'], `${q.requestsCpu} is smaller than the ${requiredAppQuota.requestsCpuMillis}m the workloads need at HPA max plus surge`);
    if (memoryBytes(q.requestsMemory) < requiredAppQuota.requestsMemoryBytes) issue(['app', 'quota', 'requestsMemory'], `${q.requestsMemory} is smaller than the ${Math.ceil(requiredAppQuota.requestsMemoryBytes / 1024 ** 2)}Mi the workloads need at HPA max plus surge`);
    if (memoryBytes(q.limitsMemory) < requiredAppQuota.limitsMemoryBytes) issue(['app', 'quota', 'limitsMemory'], `${q.limitsMemory} is smaller than the ${Math.ceil(requiredAppQuota.limitsMemoryBytes / 1024 ** 2)}Mi the workloads need at HPA max plus surge`);
  }
  if (auth.refreshTokenDays * 24 * 60 <= auth.accessTokenMinutes) issue(['auth', 'refreshTokenDays'], `the refresh token (${auth.refreshTokenDays} d) must outlive the access token (${auth.accessTokenMinutes} min)`);
  if (auth.lockout.afterFailures <= auth.loginRateLimit.attempts) {
    issue(['auth', 'lockout', 'afterFailures'], `lockout threshold (${auth.lockout.afterFailures}) must be above the login rate limit (${auth.loginRateLimit.attempts} attempts), or the rate limit never lets an attacker reach it and a user is locked out by the limit alone`);
  }
  for (const key of ['appHost', 'apiHost'] as const) {
    const host = cfg.ingress[key];
    if (!host.endsWith(`.${cfg.ingress.dnsZone.name}`)) issue(['ingress', key], `${host} is not inside the DNS zone ${cfg.ingress.dnsZone.name}, so cert-manager cannot answer its DNS-01 challenge`);
  }
  if (cfg.ingress.appHost === cfg.ingress.apiHost) issue(['ingress', 'apiHost'], 'must differ from appHost (the API and the web app are separate virtual hosts)');
}
