import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../../config/schema';
import type { PlatformNames } from '../../../naming/naming';
import { installChart } from './install-chart';

/**
 * F5 NGINX Ingress Controller (nginx/kubernetes-ingress; the community ingress-nginx was retired in March 2026).
 * It sits behind the ALB: a ClusterIP Service the ALB reaches by pod IP, the real client IP taken from
 * X-Forwarded-For set by the ALB, snippets off (they let an Ingress author inject raw NGINX config).
 */
export function addNginxIngress(scope: Construct, cluster: eks.ICluster, config: EnvironmentConfig, names: PlatformNames): eks.HelmChart {
  return installChart(scope, 'NginxIngress', 'nginxIngress', {
    cluster,
    namespace: names.namespaces.ingress,
    release: names.ingress.nginxRelease,
    values: {
      controller: {
        kind: 'deployment',
        replicaCount: config.tier === 'dev' ? 1 : 3,
        ingressClass: { name: names.ingress.nginxClass, create: true, setAsDefaultIngress: false },
        service: { type: 'ClusterIP' },
        // `-external-service`: limit-req-scale counts the controller replicas from this Service's endpoints
        // (charts/nginx-ingress/templates/_helpers.tpl passes the flag only with reportIngressStatus and either this
        // value or a LoadBalancer Service; without it the count is 0 and nothing is scaled).
        reportIngressStatus: { enable: true, externalService: names.ingress.nginxControllerService },
        // /nginx-health on the default server, port 80: the ALB's target health check.
        healthStatus: true,
        enableSnippets: false,
        enableCustomResources: false,
        config: {
          entries: {
            'server-tokens': 'False',
            'real-ip-header': 'X-Forwarded-For',
            'set-real-ip-from': config.network.vpcCidr,
            'real-ip-recursive': 'True',
            // Security headers on every virtual server (set by the platform, not by Ingress authors).
            'server-snippets': [
              'add_header X-Content-Type-Options "nosniff" always;',
              'add_header X-Frame-Options "DENY" always;',
              'add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
              'add_header Permissions-Policy "camera=(), microphone=(), geolocation=()" always;',
            ].join('\n'),
          },
        },
        podDisruptionBudget: { enabled: config.tier !== 'dev', minAvailable: 1 },
      },
    },
  });
}
