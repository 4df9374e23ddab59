/**
 * `edge-path`: a request from the Internet gets through ALB → F5 NGINX Ingress Controller → Service as the two
 * controllers actually behave (nginx/kubernetes-ingress 5.6: cmd/nginx-ingress/main.go,
 * internal/configs/version1/nginx.ingress.tmpl, internal/configs/annotations.go; charts/nginx-ingress/templates/_helpers.tpl).
 *
 * For every internet-facing ALB Ingress of the templates whose backend is the NGINX controller's Service:
 * - TLS hop: with `backend-protocol: HTTPS` the ALB sends no SNI to its targets, and the NGINX default server answers a
 *   ClientHello without SNI with `ssl_reject_handshake on` unless the controller has a default server certificate
 *   (`controller.defaultTLS.secret`, or `.cert` + `.key`): without one every request is a 502. With HTTP, the backend
 *   port must be the controller Service's HTTP port.
 * - Redirect loop: behind an ALB sending plain HTTP, an NGINX host with `spec.tls` and `ssl-redirect` on (the default)
 *   redirects on `$scheme = http`, i.e. every request, forever.
 * - HTTPS and HSTS kept at NGINX: when the ALB listens on HTTPS and forwards HTTP, each NGINX master Ingress sets
 *   `nginx.org/redirect-to-https` (redirect on X-Forwarded-Proto, and `X-Forwarded-Proto: https` to the backends) and,
 *   when it sends HSTS, `nginx.org/hsts-behind-proxy` (else HSTS is only sent on `$https = on`, never on port 80).
 * - Rate limits: a `nginx.org/limit-req-rate` zone is per controller replica; with more than one replica the Ingress
 *   sets `nginx.org/limit-req-scale`, and the chart passes `-external-service` (reportIngressStatus with
 *   `externalService`, or a LoadBalancer Service), from whose endpoints the controller counts its replicas.
 */
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { helmCharts } from '../../cfn';
import { ofKind } from '../references/kube';
import { type MakeFinding } from '../../rule-set';
import { controllerService } from './ingress-class';
import { allIngresses } from './waf';

const RULE = 'edge-path';
const ALB = 'alb.ingress.kubernetes.io/';

const annotation = (o: KubeObject, key: string): string | undefined => o.metadata.annotations?.[key];
const isTrue = (v: string | undefined) => v !== undefined && /^(true|True|TRUE)$/.test(v);

export function edgePath(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const out: Finding[] = [];
  const nginx = helmCharts(env).filter((c) => c.chart === 'nginx-ingress');
  for (const chart of nginx) {
    const v = chart.values ?? {};
    const { name: service, httpPort } = controllerService(chart);
    const className = typeof v.controller?.ingressClass === 'string' ? v.controller.ingressClass : (v.controller?.ingressClass?.name ?? 'nginx');
    const defaultTls = v.controller?.defaultTLS ?? {};
    const hasDefaultCert = !!defaultTls.secret || (!!defaultTls.cert && !!defaultTls.key);
    const replicas = Number(v.controller?.replicaCount ?? 1);

    let albSendsHttp = false;
    let albServesHttps = false;
    for (const { obj, object, fieldPrefix } of allIngresses(env)) {
      const cls = obj.spec?.ingressClassName ?? annotation(obj, 'kubernetes.io/ingress.class');
      if (cls !== 'alb' || annotation(obj, `${ALB}scheme`) !== 'internet-facing') continue;
      if ((obj.metadata.namespace ?? 'default') !== chart.namespace) continue;
      const backends = [obj.spec?.defaultBackend, ...(obj.spec?.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => p.backend))].filter(Boolean);
      const toNginx = backends.filter((b: any) => b.service?.name === service);
      if (!toNginx.length) continue;
      const protocol = (annotation(obj, `${ALB}backend-protocol`) ?? 'HTTP').toUpperCase();
      const field = `${fieldPrefix}metadata.annotations["${ALB}backend-protocol"]`;
      const name = `Ingress ${obj.metadata.namespace}/${obj.metadata.name}`;
      if (protocol === 'HTTPS' && !hasDefaultCert) {
        out.push(f(RULE, object, field, `${name} sends HTTPS to ${service}, but the ALB sends no SNI to its targets and chart ${chart.release} sets no controller.defaultTLS: NGINX's default server rejects the handshake (ssl_reject_handshake on), every request is a 502. Send HTTP to port ${httpPort}, or give the controller a default certificate`));
      }
      if (protocol === 'HTTP') {
        albSendsHttp = true;
        for (const b of toNginx) {
          const port = b.service?.port?.number ?? b.service?.port?.name;
          if (port !== httpPort && port !== 'http') out.push(f(RULE, object, `${fieldPrefix}spec.defaultBackend.service.port`, `${name} sends HTTP to ${service} port ${port}, which is not the controller's HTTP port ${httpPort}`));
        }
      }
      let listen: unknown[] = [];
      try {
        listen = JSON.parse(annotation(obj, `${ALB}listen-ports`) ?? '[]');
      } catch {
        listen = [];
      }
      if (listen.some((l: any) => l && typeof l === 'object' && 'HTTPS' in l)) albServesHttps = true;
    }

    const masters = ofKind(env, 'Ingress').filter((i) => i.spec?.ingressClassName === className && annotation(i, 'nginx.org/mergeable-ingress-type') !== 'minion');
    if (albSendsHttp) {
      for (const m of masters) {
        const ssl = annotation(m, 'ingress.kubernetes.io/ssl-redirect') ?? annotation(m, 'nginx.org/ssl-redirect');
        if ((m.spec?.tls ?? []).length && (ssl === undefined || isTrue(ssl))) {
          out.push(f(RULE, objectId(m), 'metadata.annotations["ingress.kubernetes.io/ssl-redirect"]', `${objectId(m)} has spec.tls and ssl-redirect ${ssl ?? 'on by default'}: behind the ALB NGINX sees $scheme = http on every request and redirects it to HTTPS forever. Turn ssl-redirect off and use nginx.org/redirect-to-https`));
        }
        if (albServesHttps && !isTrue(annotation(m, 'nginx.org/redirect-to-https'))) {
          out.push(f(RULE, objectId(m), 'metadata.annotations["nginx.org/redirect-to-https"]', `${objectId(m)}: the ALB serves HTTPS but forwards HTTP, and without nginx.org/redirect-to-https NGINX neither redirects plain-HTTP clients (X-Forwarded-Proto: http) nor tells the backends the scheme is https`));
        }
        if (isTrue(annotation(m, 'nginx.org/hsts')) && !isTrue(annotation(m, 'nginx.org/hsts-behind-proxy'))) {
          out.push(f(RULE, objectId(m), 'metadata.annotations["nginx.org/hsts-behind-proxy"]', `${objectId(m)} enables HSTS, but NGINX behind the ALB is reached over HTTP: without nginx.org/hsts-behind-proxy it only sends the header when $https = on, i.e. never`));
        }
      }
    }

    if (replicas > 1) {
      const external = v.controller?.reportIngressStatus?.externalService ?? (v.controller?.service?.type === 'LoadBalancer' || v.controller?.service?.type === undefined ? service : undefined);
      const statusOn = v.controller?.reportIngressStatus?.enable !== false;
      for (const i of ofKind(env, 'Ingress').filter((x) => x.spec?.ingressClassName === className && annotation(x, 'nginx.org/limit-req-rate'))) {
        if (!isTrue(annotation(i, 'nginx.org/limit-req-scale'))) {
          out.push(f(RULE, objectId(i), 'metadata.annotations["nginx.org/limit-req-scale"]', `${objectId(i)} limits to ${annotation(i, 'nginx.org/limit-req-rate')} per client, but the zone is per NGINX replica: with ${replicas} replicas a client gets ${replicas}× that. Set nginx.org/limit-req-scale: "true"`));
        } else if (!statusOn || !external) {
          out.push(f(RULE, objectId(i), 'metadata.annotations["nginx.org/limit-req-scale"]', `${objectId(i)} sets limit-req-scale, but chart ${chart.release} passes no -external-service (controller.reportIngressStatus.enable and .externalService): the controller counts 0 replicas and scales nothing`));
        }
      }
    }
  }
  return out;
}
