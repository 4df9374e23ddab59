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
  type SecretKeyRef,
  StrictMtls,
  TlsCertificate,
} from '@optibid/constructs-lib/k8s';
import { APP_UID, appServiceWorkload, BACKEND_CONTRACT, calledBy, contractEnvironment, type ContractEndpoints, imageRef, PLATFORM_VERSION, serviceSecretKeys } from '@optibid/constructs-lib';
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
    const frontendLabels = { name: svc.frontend.name, instance: instance(svc.frontend.name), component: 'web', partOf: names.prefix, version: app.frontend.image.tag };
    const configLabels = (name: string) => recommendedLabels({ name, instance: instance(name), component: 'api', partOf: names.prefix, version: PLATFORM_VERSION });

    // The application services of the services table (naming/services.ts: the backend, and any further service):
    // each gets the backend contract's configuration (ConfigMap <name>-config), its secrets (ExternalSecret
    // <name>-secrets) and a workload whose network policies follow its table row. The public API (the backend) also
    // reads the auth policy, is routed by the ingress controller and reaches the Internet.
    const table = names.serviceTable;
    const endpoints: ContractEndpoints = {
      environment: config.name,
      database: { host: `${svc.pgbouncer.name}.${svc.pgbouncer.namespace}.svc.cluster.local`, port: svc.pgbouncer.port, name: names.database.name, sslmode: 'require' },
      redis: { host: `${svc.redis.name}.${svc.redis.namespace}.svc.cluster.local`, port: svc.redis.port },
      otlpEndpoint: `http://${svc.tracing.name}.${svc.tracing.namespace}.svc.cluster.local:${svc.tracing.port}`,
    };
    const authPolicy = new AuthPolicyConfigMap(this, 'AuthPolicy', { name: 'auth-policy', namespace: ns, labels: configLabels('auth-policy'), auth: config.auth, oidcClientSecretEnv: OIDC_CLIENT_SECRET_ENV });
    const ingressPeer = { namespace: names.namespaces.ingress };
    const common = { namespace: ns, runAsUser: APP_UID, replicas: { min: app.minReplicas, max: app.maxReplicas }, priorityClassName: PRIORITY_CLASSES.app.name, monitoringNamespace: names.namespaces.monitoring };

    for (const service of table.appServices) {
      const id = service.name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
      const workload = appServiceWorkload(app, service.name);
      const publicApi = service.publicApi === true;
      const env = contractEnvironment(table, service, endpoints, {
        extra: publicApi ? { AUTH_POLICY_FILE: `${AUTH_POLICY_DIR}/${AUTH_POLICY_FILE}`, CORS_ALLOWED_ORIGINS: `https://${config.ingress.appHost}` } : {},
      });
      const configName = `${service.name}-config`;
      const secretsName = `${service.name}-secrets`;
      new k8s.KubeConfigMap(this, `${id}Config`, { metadata: { name: configName, namespace: ns, labels: configLabels(configName) }, data: env });
      new PlatformExternalSecret(this, `${id}Secrets`, {
        name: secretsName,
        namespace: ns,
        labels: configLabels(secretsName),
        names,
        keys: [
          ...serviceSecretKeys(table, service).map((k) => ({ ...k, from: k.from as SecretKeyRef['from'] })),
          ...(publicApi && config.auth.sso.oidc ? [{ key: OIDC_CLIENT_SECRET_ENV, from: 'sso' as const, property: 'oidc_client_secret' }] : []),
        ],
      });
      new AppWorkload(this, id, {
        ...common,
        labels: { name: service.name, instance: instance(service.name), component: service.component, partOf: names.prefix, version: workload.image.tag },
        image: imageRef(workload.image),
        port: { name: 'http', port: service.port },
        metricsPort: { name: 'metrics', port: service.metricsPort },
        resources: workload.resources,
        probes: { livenessPath: BACKEND_CONTRACT.probes.liveness, readinessPath: BACKEND_CONTRACT.probes.readiness },
        envFrom: { configMaps: [configName], secrets: [secretsName] },
        ...(publicApi ? { configFiles: { [AUTH_POLICY_DIR]: 'auth-policy' } } : {}),
        // A config change rolls the pods (env and files are read at start-up).
        podAnnotations: publicApi ? configChecksum(env, { [AUTH_POLICY_FILE]: authPolicy.content }) : configChecksum(env),
        ingressFrom: [
          ...(publicApi ? [{ ...ingressPeer, ports: [service.port] }] : []),
          ...service.callers.map((caller) => ({ namespace: ns, service: caller, ports: [service.port] })),
          ...(publicApi ? app.extraBackendClientNamespaces.map((n) => ({ namespace: n, ports: [service.port] })) : []),
        ],
        egressTo: [
          ...(service.database !== undefined ? [{ namespace: svc.pgbouncer.namespace, service: svc.pgbouncer.name, ports: [svc.pgbouncer.port] }] : []),
          // Redis cluster mode: clients follow MOVED redirects to every node, on the client port.
          ...(service.redis !== undefined ? [{ namespace: svc.redis.namespace, service: svc.redis.name, ports: [svc.redis.port] }] : []),
          ...calledBy(table, service.name).map((callee) => ({ namespace: ns, service: callee.name, ports: [callee.port] })),
          { namespace: svc.tracing.namespace, service: svc.tracing.workload!, ports: [svc.tracing.port, svc.tracing.httpPort!] },
        ],
        // Stripe, the SSO identity providers and SMTP live outside the VPC: HTTPS and submission only, never the VPC.
        ...(publicApi ? { egressToCidrs: [{ cidr: '0.0.0.0/0', except: [config.network.vpcCidr, '169.254.169.254/32'], ports: [443, 587] }] } : {}),
      });
    }

    new k8s.KubeConfigMap(this, 'FrontendConfig', {
      metadata: { name: 'frontend-config', namespace: ns, labels: configLabels('frontend-config') },
      data: { NEXT_PUBLIC_API_URL: `https://${config.ingress.apiHost}`, API_INTERNAL_URL: `http://${svc.backend.name}.${ns}.svc.cluster.local:${svc.backend.port}`, NODE_ENV: 'production' },
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
      egressTo: calledBy(table, svc.frontend.name).map((callee) => ({ namespace: ns, service: callee.name, ports: [callee.port] })),
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
