import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

/** A route of a virtual host to a Service port. */
export interface IngressRoute {
  readonly path: string;
  readonly pathType: 'Prefix' | 'Exact';
  readonly service: string;
  readonly port: number;
}

/** NGINX rate limit per client IP (F5 NGINX Ingress Controller `nginx.org/limit-req-*`). */
export interface RateLimit {
  /** e.g. `20r/s`, `10r/m`. */
  readonly rate: string;
  readonly burst: number;
}

export interface MergeableHostIngressProps {
  /** Base name of the Ingress objects (master `<name>`, minions `<name>-<route set>`). */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly ingressClass: string;
  readonly host: string;
  readonly tlsSecret: string;
  readonly bodySizeLimit: string;
  readonly hstsMaxAgeSeconds: number;
  /**
   * Whether clients reach the host over HTTPS (the ALB has a certificate). Then NGINX redirects requests the ALB
   * received over plain HTTP (X-Forwarded-Proto: http) and tells the backends the scheme is https; without it (dev,
   * HTTP only) it must not redirect to a port nobody listens on.
   */
  readonly publicHttps: boolean;
  /** Route sets, each with its own rate limit: e.g. `default` and a tighter `auth`. */
  readonly routeSets: Readonly<Record<string, { readonly routes: readonly IngressRoute[]; readonly rateLimit: RateLimit }>>;
}

/**
 * One virtual host on the F5 NGINX Ingress Controller as a mergeable Ingress: the master carries host, TLS, the HTTPS
 * redirect, HSTS and the body limit; each minion carries a set of paths with its own rate limit, so the login and
 * token endpoints get a tighter limit than the rest of the API.
 *
 * The ALB terminates TLS and sends plain HTTP to NGINX's port 80 (see EdgeIngress), so the scheme NGINX sees is always
 * http. Behaviour of nginx/kubernetes-ingress 5.6 (internal/configs/version1/nginx.ingress.tmpl,
 * internal/configs/annotations.go), which these annotations rely on:
 * - `ssl-redirect` (default true for hosts with spec.tls) redirects on `$scheme = http`: behind the ALB that is every
 *   request, a redirect loop. It is off; `nginx.org/redirect-to-https` redirects on `$http_x_forwarded_proto = 'http'`
 *   instead and makes NGINX send `X-Forwarded-Proto: https` to the backends.
 * - `nginx.org/hsts-behind-proxy` sends HSTS when `$http_x_forwarded_proto = 'https'` (without it, only on `$https = on`,
 *   which never holds on port 80).
 * - `limit_req` zones are per controller replica; `nginx.org/limit-req-scale` divides each rate by the replica count
 *   (rounded down; the count comes from the endpoints of the controller's `-external-service`).
 * - These redirect/HSTS annotations are ignored on minions (minionDenylist); the limit-req ones may be set per minion.
 */
export class MergeableHostIngress extends Construct {
  constructor(scope: Construct, id: string, props: MergeableHostIngressProps) {
    super(scope, id);
    const common = {
      'nginx.org/client-max-body-size': props.bodySizeLimit,
      'nginx.org/server-tokens': 'False',
    };
    new k8s.KubeIngress(this, 'Master', {
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: props.labels,
        annotations: {
          ...common,
          'nginx.org/mergeable-ingress-type': 'master',
          'ingress.kubernetes.io/ssl-redirect': 'false',
          ...(props.publicHttps ? { 'nginx.org/redirect-to-https': 'true' } : {}),
          'nginx.org/hsts': 'true',
          'nginx.org/hsts-behind-proxy': 'true',
          'nginx.org/hsts-max-age': String(props.hstsMaxAgeSeconds),
          'nginx.org/hsts-include-subdomains': 'true',
        },
      },
      spec: { ingressClassName: props.ingressClass, tls: [{ hosts: [props.host], secretName: props.tlsSecret }], rules: [{ host: props.host }] },
    });
    for (const [setName, set] of Object.entries(props.routeSets)) {
      new k8s.KubeIngress(this, `Minion-${setName}`, {
        metadata: {
          name: `${props.name}-${setName}`,
          namespace: props.namespace,
          labels: props.labels,
          annotations: {
            'nginx.org/mergeable-ingress-type': 'minion',
            'nginx.org/limit-req-rate': set.rateLimit.rate,
            'nginx.org/limit-req-burst': String(set.rateLimit.burst),
            'nginx.org/limit-req-key': '${binary_remote_addr}',
            'nginx.org/limit-req-zone-size': '10m',
            'nginx.org/limit-req-reject-code': '429',
            // The zone is per controller replica: the rate is divided by their number (see the class comment).
            'nginx.org/limit-req-scale': 'true',
          },
        },
        spec: {
          ingressClassName: props.ingressClass,
          rules: [
            {
              host: props.host,
              http: {
                paths: set.routes.map((r) => ({
                  path: r.path,
                  pathType: r.pathType,
                  backend: { service: { name: r.service, port: { number: r.port } } },
                })),
              },
            },
          ],
        },
      });
    }
  }
}
