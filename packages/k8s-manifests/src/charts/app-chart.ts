import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  AppWorkload,
  AUTH_POLICY_FILE,
  AuthPolicyConfigMap,
  configChecksum,
  MergeableHostIngress,
  PlatformExternalSecret,
  PRIORITY_CLASSES,
  recommendedLabels,
  StrictMtls,
  TlsCertificate,
} from '@optibid/constructs-lib/k8s';
import { APP_UID, imageRef, PLATFORM_VERSION } from '@optibid/constructs-lib';
import type { PlatformChartProps } from './chart-props';

/** Where the backend reads its auth policy. */
export const AUTH_POLICY_DIR = '/etc/optibid/auth';
/** Environment variable holding the OIDC client secret (from the ExternalSecret). */
export const OIDC_CLIENT_SECRET_ENV = 'OIDC_CLIENT_SECRET';


/**
 * The OptiBid application: backend (FastAPI) and frontend (Next.js) workloads, their configuration and secrets,
 * the TLS certificate and the NGINX Ingresses, and strict mTLS when the mesh flag is on.
 */
export class AppChart extends Chart {
  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config, names } = props;
    const ns = names.namespaces.app;
    const svc = names.services;
    const app = config.app;
    const instance = (name: string) => `${name}-${config.name}`;
    const backendLabels = { name: svc.backend.name, instance: instance(svc.backend.name), component: 'api', partOf: names.prefix, version: app.backend.image.tag };
    const frontendLabels = { name: svc.frontend.name, instance: instance(svc.frontend.name), component: 'web', partOf: names.prefix, version: app.frontend.image.tag };
    const configLabels = (name: string) => recommendedLabels({ name, instance: instance(name), component: 'api', partOf: names.prefix, version: PLATFORM_VERSION });

    // Configuration: plain settings as environment, the auth policy as a file, secrets through ExternalSecrets.
    const backendEnv: Record<string, string> = {
      ENVIRONMENT: config.name,
      DATABASE_HOST: `${svc.pgbouncer.name}.${svc.pgbouncer.namespace}.svc.cluster.local`,
      DATABASE_PORT: String(svc.pgbouncer.port),
      DATABASE_NAME: names.database.name,
      DATABASE_USER: names.database.appRole,
      DATABASE_SSLMODE: 'require',
      REDIS_HOST: `${svc.redis.name}.${svc.redis.namespace}.svc.cluster.local`,
      REDIS_PORT: String(svc.redis.port),
      REDIS_CLUSTER_MODE: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${svc.tracing.name}.${svc.tracing.namespace}.svc.cluster.local:${svc.tracing.port}`,
      OTEL_SERVICE_NAME: svc.backend.name,
      AUTH_POLICY_FILE: `${AUTH_POLICY_DIR}/${AUTH_POLICY_FILE}`,
      CORS_ALLOWED_ORIGINS: `https://${config.ingress.appHost}`,
      METRICS_PORT: String(svc.backend.metricsPort),
    };
    new k8s.KubeConfigMap(this, 'BackendConfig', { metadata: { name: 'backend-config', namespace: ns, labels: configLabels('backend-config') }, data: backendEnv });
    const authPolicy = new AuthPolicyConfigMap(this, 'AuthPolicy', { name: 'auth-policy', namespace: ns, labels: configLabels('auth-policy'), auth: config.auth, oidcClientSecretEnv: OIDC_CLIENT_SECRET_ENV });

    const secretLabels = configLabels('backend-secrets');
    new PlatformExternalSecret(this, 'BackendSecrets', {
      name: 'backend-secrets',
      namespace: ns,
      labels: secretLabels,
      names,
      keys: [
        { key: 'SECRET_KEY', from: 'app/secret-key', property: 'value' },
        { key: 'JWT_SECRET_KEY', from: 'app/jwt-secret-key', property: 'value' },
        { key: 'DATABASE_PASSWORD', from: 'postgres/app', property: 'password' },
        { key: 'REDIS_USERNAME', from: 'redis/app', property: 'username' },
        { key: 'REDIS_PASSWORD', from: 'redis/app', property: 'password' },
        { key: 'STRIPE_SECRET_KEY', from: 'stripe', property: 'secret_key' },
        { key: 'STRIPE_WEBHOOK_SECRET', from: 'stripe', property: 'webhook_secret' },
        { key: 'SENTRY_DSN', from: 'sentry', property: 'dsn' },
        ...(config.auth.sso.oidc ? [{ key: OIDC_CLIENT_SECRET_ENV, from: 'sso' as const, property: 'oidc_client_secret' }] : []),
      ],
    });
    new k8s.KubeConfigMap(this, 'FrontendConfig', {
      metadata: { name: 'frontend-config', namespace: ns, labels: configLabels('frontend-config') },
      data: { NEXT_PUBLIC_API_URL: `https://${config.ingress.apiHost}`, API_INTERNAL_URL: `http://${svc.backend.name}.${ns}.svc.cluster.local:${svc.backend.port}`, NODE_ENV: 'production' },
    });

    const ingressPeer = { namespace: names.namespaces.ingress };
    const common = { namespace: ns, runAsUser: APP_UID, replicas: { min: app.minReplicas, max: app.maxReplicas }, priorityClassName: PRIORITY_CLASSES.app.name, monitoringNamespace: names.namespaces.monitoring };

    new AppWorkload(this, 'Backend', {
      ...common,
      labels: backendLabels,
      image: imageRef(app.backend.image),
      port: { name: 'http', port: svc.backend.port },
      metricsPort: { name: 'metrics', port: svc.backend.metricsPort! },
      resources: app.backend.resources,
      probes: { livenessPath: '/healthz', readinessPath: '/readyz' },
      envFrom: { configMaps: ['backend-config'], secrets: ['backend-secrets'] },
      configFiles: { [AUTH_POLICY_DIR]: 'auth-policy' },
      // A config change rolls the pods (env and files are read at start-up).
      podAnnotations: configChecksum(backendEnv, { [AUTH_POLICY_FILE]: authPolicy.content }),
      ingressFrom: [
        { ...ingressPeer, ports: [svc.backend.port] },
        { namespace: ns, service: svc.frontend.name, ports: [svc.backend.port] },
        ...app.extraBackendClientNamespaces.map((n) => ({ namespace: n, ports: [svc.backend.port] })),
      ],
      egressTo: [
        { namespace: svc.pgbouncer.namespace, service: svc.pgbouncer.name, ports: [svc.pgbouncer.port] },
        // Redis cluster mode: clients follow MOVED redirects to every node, on the client port.
        { namespace: svc.redis.namespace, service: svc.redis.name, ports: [svc.redis.port] },
        { namespace: svc.tracing.namespace, service: svc.tracing.workload!, ports: [svc.tracing.port, svc.tracing.httpPort!] },
      ],
      // Stripe, the SSO identity providers and SMTP live outside the VPC: HTTPS and submission only, never the VPC.
      egressToCidrs: [{ cidr: '0.0.0.0/0', except: [config.network.vpcCidr, '169.254.169.254/32'], ports: [443, 587] }],
    });

    new AppWorkload(this, 'Frontend', {
      ...common,
      labels: frontendLabels,
      image: imageRef(app.frontend.image),
      port: { name: 'http', port: svc.frontend.port },
      resources: app.frontend.resources,
      probes: { livenessPath: '/api/health', readinessPath: '/api/health' },
      envFrom: { configMaps: ['frontend-config'] },
      writablePaths: ['/app/.next/cache'],
      ingressFrom: [{ ...ingressPeer, ports: [svc.frontend.port] }],
      egressTo: [{ namespace: ns, service: svc.backend.name, ports: [svc.backend.port] }],
    });

    // TLS and Ingress (F5 NGINX Ingress Controller behind the ALB with the WAF web ACL).
    const ingressLabels = configLabels('ingress');
    new TlsCertificate(this, 'Certificate', {
      name: names.ingress.tlsSecret,
      namespace: ns,
      secretName: names.ingress.tlsSecret,
      dnsNames: [config.ingress.appHost, config.ingress.apiHost],
      issuer: config.ingress.tlsIssuer,
      labels: ingressLabels,
    });
    const ing = config.ingress;
    const hostCommon = { namespace: ns, labels: ingressLabels, ingressClass: names.ingress.nginxClass, tlsSecret: names.ingress.tlsSecret, bodySizeLimit: ing.bodySizeLimit, hstsMaxAgeSeconds: ing.hstsMaxAgeSeconds, publicHttps: config.edge.certificateArn !== undefined };
    const apiRate = { rate: `${ing.apiRequestsPerSecond}r/s`, burst: ing.apiRequestsPerSecond * 2 };
    new MergeableHostIngress(this, 'WebIngress', {
      ...hostCommon,
      name: 'web',
      host: ing.appHost,
      routeSets: { default: { routes: [{ path: '/', pathType: 'Prefix', service: svc.frontend.name, port: svc.frontend.port }], rateLimit: apiRate } },
    });
    new MergeableHostIngress(this, 'ApiIngress', {
      ...hostCommon,
      name: 'api',
      host: ing.apiHost,
      routeSets: {
        default: { routes: [{ path: '/', pathType: 'Prefix', service: svc.backend.name, port: svc.backend.port }], rateLimit: apiRate },
        auth: {
          routes: config.auth.authPaths.map((path) => ({ path, pathType: 'Exact' as const, service: svc.backend.name, port: svc.backend.port })),
          rateLimit: { rate: `${ing.authRequestsPerMinute}r/m`, burst: Math.max(1, Math.floor(ing.authRequestsPerMinute / 2)) },
        },
      },
    });

    if (config.mesh.istio) new StrictMtls(this, 'Mtls', { namespace: ns, labels: configLabels('mtls') });
  }
}
