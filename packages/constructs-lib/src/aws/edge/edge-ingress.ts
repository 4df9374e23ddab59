import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import { EXTERNAL_DNS_HOSTNAME_ANNOTATION, type PlatformNames } from '../../naming/naming';

/** The controller Service's plain HTTP port (chart nginx-ingress `controller.service.httpPort.port`, default 80). */
export const NGINX_HTTP_PORT = 80;

/** The public hosts the edge serves: every host an NGINX Ingress serves, as DNS records to the ALB. */
export function edgeHosts(config: EnvironmentConfig): string[] {
  return [config.ingress.appHost, config.ingress.apiHost];
}

export interface EdgeIngressProps {
  readonly cluster: eks.ICluster;
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
  /** ARN of the WAF web ACL (known only after deployment, hence created here rather than in the YAML). */
  readonly webAclArn: string;
}

/**
 * The public entry point: an `alb` Ingress that makes the AWS Load Balancer Controller create an internet-facing
 * ALB carrying the WAF web ACL, forwarding everything to the NGINX ingress controller by pod IP. It lives in CDK,
 * not in dist/k8s, because its WAF ARN only exists in CloudFormation.
 */
export class EdgeIngress extends Construct {
  readonly manifest: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: EdgeIngressProps) {
    super(scope, id);
    const { config, names } = props;
    const cert = config.edge.certificateArn;
    const annotations: Record<string, string> = {
      'alb.ingress.kubernetes.io/scheme': 'internet-facing',
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/wafv2-acl-arn': props.webAclArn,
      // The ALB terminates public TLS (ACM) and sends plain HTTP to NGINX's port 80 inside the VPC. HTTPS to the
      // targets cannot work: the ALB sends no SNI to targets, and F5 NGINX Ingress Controller without a default
      // server certificate answers a ClientHello without SNI with `ssl_reject_handshake on` (nginx/kubernetes-ingress
      // v5.6.1 internal/configs/version1/nginx.tmpl, default server). NGINX keeps the HTTPS redirect and HSTS from
      // X-Forwarded-Proto, which the ALB sets (see MergeableHostIngress). README, "The edge".
      'alb.ingress.kubernetes.io/backend-protocol': 'HTTP',
      'alb.ingress.kubernetes.io/healthcheck-path': '/nginx-health',
      'alb.ingress.kubernetes.io/healthcheck-protocol': 'HTTP',
      'alb.ingress.kubernetes.io/healthcheck-port': '80',
      'alb.ingress.kubernetes.io/load-balancer-attributes': [
        'routing.http.drop_invalid_header_fields.enabled=true',
        `deletion_protection.enabled=${config.tier === 'production'}`,
      ].join(','),
      'alb.ingress.kubernetes.io/listen-ports': JSON.stringify(cert ? [{ HTTP: 80 }, { HTTPS: 443 }] : [{ HTTP: 80 }]),
      // external-dns (--ingress-class=alb) writes these hosts as alias records to the ALB in status.loadBalancer.
      [EXTERNAL_DNS_HOSTNAME_ANNOTATION]: edgeHosts(config).join(','),
    };
    if (cert) {
      annotations['alb.ingress.kubernetes.io/certificate-arn'] = cert;
      annotations['alb.ingress.kubernetes.io/ssl-policy'] = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
      annotations['alb.ingress.kubernetes.io/ssl-redirect'] = '443';
    }
    this.manifest = new eks.KubernetesManifest(this, 'Manifest', {
      cluster: props.cluster,
      overwrite: true,
      manifest: [
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: {
            name: names.ingress.albIngressName,
            namespace: names.namespaces.ingress,
            labels: { 'app.kubernetes.io/name': 'edge', 'app.kubernetes.io/part-of': names.prefix, 'app.kubernetes.io/managed-by': 'aws-cdk' },
            annotations,
          },
          spec: {
            ingressClassName: names.ingress.albClass,
            defaultBackend: { service: { name: names.ingress.nginxControllerService, port: { number: NGINX_HTTP_PORT } } },
          },
        },
      ],
    });
  }
}
