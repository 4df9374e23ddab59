/**
 * The pods CDK installs that are not in dist/k8s: EKS managed add-ons (AWS::EKS::Addon) and Helm charts
 * (Custom::AWSCDK-EKS-HelmChart). Replica counts and requests come from the chart values in the template when set,
 * else from the documented defaults below (each with its source). A chart without default requests
 * (`resources: {}`) still takes a pod slot on its node.
 */
import { podResourcesOf, type PodResources, type ResourceBlock } from '../../resources';
import { eksAddons, helmCharts, resourceId, type EksAddon, type HelmChart } from '../../cfn';
import type { RenderedEnvironment } from '../../types';

export interface SystemComponent {
  readonly kind: 'Deployment' | 'DaemonSet';
  readonly name: string;
  readonly namespace: string;
  /** Deployments: replicas (HPA minimum when autoscaled). */
  readonly replicas: number;
  /** Deployments autoscaled by their chart: the HPA maximum. */
  readonly maxReplicas?: number;
  /** The template field that sets the replicas (for findings), or the default it falls back to. */
  readonly replicasObject: string;
  readonly replicasField: string;
  readonly res: PodResources;
  /** Where the replica count and the requests come from. */
  readonly source: string;
  /** DaemonSets of add-ons tolerate every taint (`operator: Exists`). */
  readonly toleratesAll: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

const C = (cpu?: string, memory?: string): ResourceBlock => ({ requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } });

/** Requests each EKS add-on's pods carry by default, and where the figure comes from. */
export const ADDON_DEFAULTS = {
  'vpc-cni': {
    source:
      'aws-node DaemonSet of the vpc-cni add-on: containers aws-node 25m + aws-eks-nodeagent 25m CPU, init aws-vpc-cni-init 25m, no memory request (https://github.com/aws/amazon-vpc-cni-k8s/blob/master/config/master/aws-k8s-cni.yaml)',
    containers: [
      { name: 'aws-node', resources: C('25m') },
      { name: 'aws-eks-nodeagent', resources: C('25m') },
    ],
    init: [{ name: 'aws-vpc-cni-init', resources: C('25m') }],
  },
  'kube-proxy': {
    source: 'kube-proxy DaemonSet of the kube-proxy add-on: 100m CPU, no memory request (EKS kube-proxy manifest, https://docs.aws.amazon.com/eks/latest/userguide/managing-kube-proxy.html)',
    containers: [{ name: 'kube-proxy', resources: C('100m') }],
  },
  'eks-pod-identity-agent': {
    source: 'eks-pod-identity-agent DaemonSet: no requests (chart values `resources: {}`, https://github.com/aws/eks-charts/blob/master/stable/eks-pod-identity-agent/values.yaml)',
    containers: [{ name: 'eks-pod-identity-agent' }],
  },
  'ebs-csi-node': {
    source:
      'ebs-csi-node DaemonSet of the aws-ebs-csi-driver add-on: ebs-plugin, node-driver-registrar, liveness-probe at 10m / 40Mi each (https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/deploy/kubernetes/base/node.yaml)',
    containers: ['ebs-plugin', 'node-driver-registrar', 'liveness-probe'].map((name) => ({ name, resources: C('10m', '40Mi') })),
  },
  'ebs-csi-controller': {
    replicas: 2,
    source:
      'ebs-csi-controller Deployment of the aws-ebs-csi-driver add-on: 2 replicas; ebs-plugin, csi-provisioner, csi-attacher, csi-snapshotter, csi-resizer, liveness-probe at 10m / 40Mi each (https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/deploy/kubernetes/base/controller.yaml)',
    containers: ['ebs-plugin', 'csi-provisioner', 'csi-attacher', 'csi-snapshotter', 'csi-resizer', 'liveness-probe'].map((name) => ({ name, resources: C('10m', '40Mi') })),
  },
  coredns: {
    replicas: 2,
    source: 'coredns Deployment of the coredns add-on: 2 replicas, 100m / 70Mi (https://docs.aws.amazon.com/eks/latest/userguide/managing-coredns.html; upstream kubernetes/kubernetes cluster/addons/dns/coredns)',
    containers: [{ name: 'coredns', resources: C('100m', '70Mi') }],
  },
} as const;

/** Chart defaults (values.yaml of the chart) for replicas and requests. */
export const CHART_DEFAULTS = {
  'aws-load-balancer-controller': {
    source: 'chart values.yaml: replicaCount 2, resources {} (https://github.com/aws/eks-charts/blob/master/stable/aws-load-balancer-controller/values.yaml)',
    replicas: 2,
  },
  'cert-manager': {
    source:
      'chart values.yaml: replicaCount 1, cainjector.replicaCount 1, webhook.replicaCount 1, resources {} for all three (https://github.com/cert-manager/cert-manager/blob/master/deploy/charts/cert-manager/values.yaml)',
    replicas: 1,
  },
  'external-secrets': {
    source:
      'chart values.yaml: replicaCount 1, webhook.replicaCount 1, certController.replicaCount 1, resources {} for all three (https://github.com/external-secrets/external-secrets/blob/main/deploy/charts/external-secrets/values.yaml)',
    replicas: 1,
  },
  'cluster-autoscaler': {
    source: 'chart values.yaml: replicaCount 1, resources {} (https://github.com/kubernetes/autoscaler/blob/master/charts/cluster-autoscaler/values.yaml)',
    replicas: 1,
  },
  'metrics-server': {
    source: 'chart values.yaml: replicas 1, resources.requests 100m / 200Mi (https://github.com/kubernetes-sigs/metrics-server/blob/master/charts/metrics-server/values.yaml)',
    replicas: 1,
    resources: C('100m', '200Mi'),
  },
  'external-dns': {
    source: 'chart values.yaml: deployment with one replica (no replica value), resources {} (kubernetes-sigs/external-dns external-dns-helm-chart-1.21.1 charts/external-dns/values.yaml)',
    replicas: 1,
  },
  'nginx-ingress': {
    source:
      'NGINX Inc. chart values.yaml: controller.kind deployment, controller.replicaCount 1, controller.resources.requests 100m / 128Mi (https://github.com/nginx/kubernetes-ingress/blob/main/charts/nginx-ingress/values.yaml)',
    replicas: 1,
    resources: C('100m', '128Mi'),
  },
} as const;

function num(v: any): number | undefined {
  return v === undefined || v === null || !Number.isFinite(Number(v)) ? undefined : Number(v);
}

/** A chart's resources block when it sets one with content, else the default. */
function resourcesOr(v: any, dflt?: ResourceBlock): ResourceBlock | undefined {
  return v && typeof v === 'object' && (v.requests || v.limits) ? (v as ResourceBlock) : dflt;
}

export interface SystemInventory {
  readonly components: SystemComponent[];
  /** Add-ons and charts the table does not know: their pods are not counted. */
  readonly unknown: string[];
}

function fromAddon(a: EksAddon): SystemComponent[] | undefined {
  const obj = resourceId(a);
  const cfg = a.config ?? {};
  const mk = (kind: SystemComponent['kind'], name: string, containers: readonly { name: string; resources?: ResourceBlock }[], init: readonly { name: string; resources?: ResourceBlock }[], source: string, replicas = 0, replicasField = 'AddonName (one pod per node)', labels: Record<string, string> = {}): SystemComponent => ({
    kind,
    name,
    namespace: 'kube-system',
    replicas,
    replicasObject: obj,
    replicasField,
    res: podResourcesOf(containers, init),
    source,
    toleratesAll: kind === 'DaemonSet',
    labels: { 'k8s-app': name, ...labels },
  });
  switch (a.name) {
    case 'vpc-cni': {
      const d = ADDON_DEFAULTS['vpc-cni'];
      const containers = [{ name: 'aws-node', resources: resourcesOr(cfg.resources, d.containers[0].resources) }, { name: 'aws-eks-nodeagent', resources: resourcesOr(cfg.nodeAgent?.resources, d.containers[1].resources) }];
      return [mk('DaemonSet', 'aws-node', containers, [{ name: 'aws-vpc-cni-init', resources: resourcesOr(cfg.init?.resources, d.init[0].resources) }], d.source)];
    }
    case 'kube-proxy': {
      const d = ADDON_DEFAULTS['kube-proxy'];
      return [mk('DaemonSet', 'kube-proxy', [{ name: 'kube-proxy', resources: resourcesOr(cfg.resources, d.containers[0].resources) }], [], d.source)];
    }
    case 'eks-pod-identity-agent': {
      const d = ADDON_DEFAULTS['eks-pod-identity-agent'];
      return [mk('DaemonSet', 'eks-pod-identity-agent', [{ name: 'eks-pod-identity-agent', resources: resourcesOr(cfg.resources) }], [], d.source)];
    }
    case 'aws-ebs-csi-driver': {
      const n = ADDON_DEFAULTS['ebs-csi-node'];
      const c = ADDON_DEFAULTS['ebs-csi-controller'];
      const replicas = num(cfg.controller?.replicaCount) ?? c.replicas;
      const ctrlRes = resourcesOr(cfg.controller?.resources);
      const nodeRes = resourcesOr(cfg.node?.resources);
      return [
        mk('DaemonSet', 'ebs-csi-node', n.containers.map((x) => ({ name: x.name, resources: x.name === 'ebs-plugin' ? (nodeRes ?? x.resources) : x.resources })), [], n.source),
        mk('Deployment', 'ebs-csi-controller', c.containers.map((x) => ({ name: x.name, resources: x.name === 'ebs-plugin' ? (ctrlRes ?? x.resources) : x.resources })), [], c.source, replicas, cfg.controller?.replicaCount !== undefined ? 'ConfigurationValues.controller.replicaCount' : 'AddonName (add-on default 2 replicas)', { app: 'ebs-csi-controller' }),
      ];
    }
    case 'coredns': {
      const d = ADDON_DEFAULTS.coredns;
      const replicas = num(cfg.replicaCount) ?? d.replicas;
      return [mk('Deployment', 'coredns', [{ name: 'coredns', resources: resourcesOr(cfg.resources, d.containers[0].resources) }], [], d.source, replicas, cfg.replicaCount !== undefined ? 'ConfigurationValues.replicaCount' : 'AddonName (add-on default 2 replicas)', { 'k8s-app': 'kube-dns' })];
    }
    default:
      return undefined;
  }
}

function fromChart(c: HelmChart): SystemComponent[] | undefined {
  const obj = resourceId(c);
  const v = c.values ?? {};
  const ns = c.namespace;
  const dep = (name: string, replicasValue: any, replicasPath: string, dfltReplicas: number, resources: ResourceBlock | undefined, source: string, maxReplicas?: number): SystemComponent => ({
    kind: 'Deployment',
    name,
    namespace: ns,
    replicas: num(replicasValue) ?? dfltReplicas,
    maxReplicas,
    replicasObject: obj,
    replicasField: replicasValue !== undefined ? `Values.${replicasPath}` : `Values.${replicasPath} (chart default ${dfltReplicas})`,
    res: podResourcesOf([{ name, resources }]),
    source,
    toleratesAll: false,
    labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': c.release },
  });
  switch (c.chart) {
    case 'aws-load-balancer-controller': {
      const d = CHART_DEFAULTS[c.chart];
      return [dep('aws-load-balancer-controller', v.replicaCount, 'replicaCount', d.replicas, resourcesOr(v.resources), d.source)];
    }
    case 'cert-manager': {
      const d = CHART_DEFAULTS[c.chart];
      const out = [dep('cert-manager', v.replicaCount, 'replicaCount', d.replicas, resourcesOr(v.resources), d.source)];
      if (v.cainjector?.enabled !== false) out.push(dep('cert-manager-cainjector', v.cainjector?.replicaCount, 'cainjector.replicaCount', 1, resourcesOr(v.cainjector?.resources), d.source));
      out.push(dep('cert-manager-webhook', v.webhook?.replicaCount, 'webhook.replicaCount', 1, resourcesOr(v.webhook?.resources), d.source));
      return out;
    }
    case 'external-secrets': {
      const d = CHART_DEFAULTS[c.chart];
      const out = [dep('external-secrets', v.replicaCount, 'replicaCount', d.replicas, resourcesOr(v.resources), d.source)];
      if (v.webhook?.create !== false) out.push(dep('external-secrets-webhook', v.webhook?.replicaCount, 'webhook.replicaCount', 1, resourcesOr(v.webhook?.resources), d.source));
      if (v.certController?.create !== false) out.push(dep('external-secrets-cert-controller', v.certController?.replicaCount, 'certController.replicaCount', 1, resourcesOr(v.certController?.resources), d.source));
      return out;
    }
    case 'cluster-autoscaler': {
      const d = CHART_DEFAULTS[c.chart];
      return [dep('cluster-autoscaler', v.replicaCount, 'replicaCount', d.replicas, resourcesOr(v.resources), d.source)];
    }
    case 'metrics-server': {
      const d = CHART_DEFAULTS[c.chart];
      return [dep('metrics-server', v.replicas, 'replicas', d.replicas, resourcesOr(v.resources, d.resources), d.source)];
    }
    case 'external-dns': {
      const d = CHART_DEFAULTS[c.chart];
      // The chart has no replica value: external-dns runs one instance (it is not leader-elected).
      return [dep('external-dns', undefined, 'replicas', d.replicas, resourcesOr(v.resources), d.source)];
    }
    case 'nginx-ingress': {
      const d = CHART_DEFAULTS[c.chart];
      const ctl = v.controller ?? {};
      const resources = resourcesOr(ctl.resources, d.resources);
      if (ctl.kind === 'daemonset') {
        return [{ ...dep('nginx-ingress-controller', undefined, 'controller.replicaCount', 0, resources, d.source), kind: 'DaemonSet', replicasField: 'Values.controller.kind' }];
      }
      const auto = ctl.autoscaling?.enabled === true;
      const min = auto ? (num(ctl.autoscaling.minReplicas) ?? 1) : undefined;
      const max = auto ? (num(ctl.autoscaling.maxReplicas) ?? 3) : undefined;
      const comp = dep('nginx-ingress-controller', auto ? ctl.autoscaling.minReplicas : ctl.replicaCount, auto ? 'controller.autoscaling.minReplicas' : 'controller.replicaCount', auto ? (min ?? 1) : d.replicas, resources, d.source, max);
      return [comp];
    }
    default:
      return undefined;
  }
}

/** The system pods of the render: add-on and chart Deployments and DaemonSets. */
export function systemInventory(env: RenderedEnvironment): SystemInventory {
  const components: SystemComponent[] = [];
  const unknown: string[] = [];
  for (const a of eksAddons(env)) {
    const c = fromAddon(a);
    if (c) components.push(...c);
    else unknown.push(`EKS add-on ${a.name} (${resourceId(a)})`);
  }
  for (const ch of helmCharts(env)) {
    const c = fromChart(ch);
    if (c) components.push(...c);
    else unknown.push(`Helm chart ${ch.chart} (${resourceId(ch)})`);
  }
  return { components, unknown };
}
