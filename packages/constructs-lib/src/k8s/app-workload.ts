import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ResourcesConfig } from '../config/app-schema';
import { ROLLING_SURGE_FRACTION } from '../sizing/namespace-footprint';
import { AppLabels, recommendedLabels, selectorLabels } from './labels';
import { apiServerEgress, CidrRule, egressTo, ingressFrom, metricsFrom, networkPolicy, peer, PeerRule } from './network-peers';
import { zoneSpread } from './spread';
import { scrapeAnnotations } from './monitoring/scrape';
import { containerResources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from './pod-security';

/** One port of the workload: named and carrying appProtocol so a service mesh can classify it. */
export interface WorkloadPort {
  /** IANA-style port name, e.g. `http`, `metrics`. */
  readonly name: string;
  readonly port: number;
  /** @default 'http' */
  readonly appProtocol?: string;
}

export interface HttpProbes {
  /** Path of the liveness and startup probes (the process is up). */
  readonly livenessPath: string;
  /** Path of the readiness probe (dependencies reachable, ready for traffic). */
  readonly readinessPath: string;
  /**
   * Longest start-up the startup probe tolerates before liveness takes over.
   * @default Duration.seconds(120)
   */
  readonly startupBudget?: Duration;
}

export interface AppWorkloadProps {
  readonly namespace: string;
  readonly labels: AppLabels;
  /** Pinned image reference `repo:tag@sha256:...`. */
  readonly image: string;
  /** The serving port (Service port = container port). */
  readonly port: WorkloadPort;
  /**
   * Prometheus metrics port, reachable only from the monitoring namespace.
   * @default none
   */
  readonly metricsPort?: WorkloadPort;
  readonly replicas: { readonly min: number; readonly max: number };
  readonly resources: ResourcesConfig;
  readonly probes: HttpProbes;
  /** Fixed non-root uid/gid (also fsGroup). */
  readonly runAsUser: number;
  /** Writable emptyDir mounts (the root filesystem is read-only). /tmp is always mounted. @default none */
  readonly writablePaths?: readonly string[];
  /** Environment from ConfigMaps and Secrets (names of objects in the same namespace). @default none */
  readonly envFrom?: { readonly configMaps?: readonly string[]; readonly secrets?: readonly string[] };
  /** Files from ConfigMaps: mount path -> ConfigMap name. @default none */
  readonly configFiles?: Readonly<Record<string, string>>;
  /** Pod annotations (e.g. a checksum of the config so a change rolls the pods). @default none */
  readonly podAnnotations?: Record<string, string>;
  /** Who may connect to the serving port. */
  readonly ingressFrom: readonly PeerRule[];
  /** Where the pods may connect (DNS is allowed by the namespace baseline). */
  readonly egressTo: readonly PeerRule[];
  /** External destinations by address range (e.g. payment and identity providers on 443). @default none */
  readonly egressToCidrs?: readonly CidrRule[];
  /** The namespace that scrapes metrics. @default none */
  readonly monitoringNamespace?: string;
  /**
   * Namespaced RBAC rules for a workload that calls the Kubernetes API; mounts the service-account token only then.
   * @default none (no token mounted)
   */
  readonly kubernetesApiRules?: readonly k8s.PolicyRule[];
  /**
   * Seconds the preStop hook waits so the load balancer stops sending traffic before the process is told to stop.
   * @default 10
   */
  readonly preStopDelaySeconds?: number;
  /**
   * Seconds the process gets after SIGTERM to finish in-flight requests.
   * @default 20
   */
  readonly shutdownSeconds?: number;
  /** @default none */
  readonly priorityClassName?: string;
  /** Target utilisation of the HPA (percent of requests). @default cpu 70, memory 80 */
  readonly targetUtilization?: { readonly cpu: number; readonly memory: number };
}

/**
 * PDB budget: keep a majority of the minimum replicas up, yet never block a node drain at the minimum (at least one
 * pod may always go). With 2 replicas those conflict; the drain wins.
 */
export function pdbMaxUnavailable(minReplicas: number): number {
  const majority = Math.floor(minReplicas / 2) + 1;
  return Math.max(1, minReplicas - majority);
}

/**
 * A stateless HTTP workload rendered from one props object: ServiceAccount, Deployment, Service,
 * HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicies and (optionally) Role/RoleBinding. Every security
 * and resource field is set explicitly (the restricted Pod Security profile), nothing is left to defaults.
 */
export class AppWorkload extends Construct {
  readonly name: string;
  readonly selector: Record<string, string>;

  constructor(scope: Construct, id: string, props: AppWorkloadProps) {
    super(scope, id);
    const { labels, namespace } = props;
    const name = (this.name = labels.name);
    if (props.replicas.min > props.replicas.max) throw new Error(`${name}: replicas.min (${props.replicas.min}) exceeds replicas.max (${props.replicas.max})`);
    const objectLabels = recommendedLabels(labels);
    const selector = (this.selector = selectorLabels(labels));
    const metadata = { name, namespace, labels: objectLabels };
    const callsApi = (props.kubernetesApiRules?.length ?? 0) > 0;
    const preStop = props.preStopDelaySeconds ?? 10;
    const shutdown = props.shutdownSeconds ?? 20;
    const ports = [props.port, ...(props.metricsPort ? [props.metricsPort] : [])];

    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata, automountServiceAccountToken: callsApi });
    if (callsApi) {
      new k8s.KubeRole(this, 'Role', { metadata, rules: [...props.kubernetesApiRules!] });
      new k8s.KubeRoleBinding(this, 'RoleBinding', {
        metadata,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      });
    }

    const quantity = (q: string) => k8s.Quantity.fromString(q);
    const startupBudget = (props.probes.startupBudget ?? Duration.seconds(120)).toSeconds();
    const httpGet = (path: string) => ({ path, port: k8s.IntOrString.fromString(props.port.name), scheme: 'HTTP' });
    const writable = ['/tmp', ...(props.writablePaths ?? [])];
    const volumeName = (path: string) => `writable-${path.replace(/^\//, '').replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
    const configFiles = Object.entries(props.configFiles ?? {});

    new k8s.KubeDeployment(this, 'Deployment', {
      metadata,
      spec: {
        // No `replicas`: the HPA owns the count; an apply must not reset it.
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromString(`${ROLLING_SURGE_FRACTION * 100}%`) } },
        template: {
          metadata: {
            labels: objectLabels,
            ...(props.podAnnotations || props.metricsPort ? { annotations: { ...(props.metricsPort ? scrapeAnnotations(props.metricsPort.port) : {}), ...props.podAnnotations } } : {}),
          },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: callsApi,
            enableServiceLinks: false,
            priorityClassName: props.priorityClassName,
            terminationGracePeriodSeconds: preStop + shutdown,
            securityContext: restrictedPodSecurityContext(props.runAsUser),
            // Zones: survive losing one. Hosts: best effort, so a small cluster can still schedule.
            topologySpreadConstraints: zoneSpread(selector, 'ScheduleAnyway'),
            containers: [
              {
                name,
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
                envFrom: [
                  ...(props.envFrom?.configMaps ?? []).map((n) => ({ configMapRef: { name: n } })),
                  ...(props.envFrom?.secrets ?? []).map((n) => ({ secretRef: { name: n } })),
                ],
                resources: containerResources(props.resources),
                securityContext: restrictedContainerSecurityContext(props.runAsUser),
                startupProbe: { httpGet: httpGet(props.probes.livenessPath), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: Math.ceil(startupBudget / 5) },
                livenessProbe: { httpGet: httpGet(props.probes.livenessPath), periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                readinessProbe: { httpGet: httpGet(props.probes.readinessPath), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
                // Keep serving while the load balancer deregisters the pod, then stop.
                lifecycle: { preStop: { exec: { command: ['sleep', String(preStop)] } } },
                volumeMounts: [
                  ...writable.map((p) => ({ name: volumeName(p), mountPath: p })),
                  ...configFiles.map(([path, cm]) => ({ name: `config-${cm}`, mountPath: path, readOnly: true })),
                ],
              },
            ],
            volumes: [
              ...writable.map((p) => ({ name: volumeName(p), emptyDir: { sizeLimit: quantity('256Mi') } })),
              ...configFiles.map(([, cm]) => ({ name: `config-${cm}`, configMap: { name: cm } })),
            ],
          },
        },
      },
    });

    new k8s.KubeService(this, 'Service', {
      metadata,
      spec: {
        type: 'ClusterIP',
        selector,
        ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromString(p.name), protocol: 'TCP', appProtocol: p.appProtocol ?? 'http' })),
      },
    });

    const util = props.targetUtilization ?? { cpu: 70, memory: 80 };
    new k8s.KubeHorizontalPodAutoscalerV2(this, 'Hpa', {
      metadata,
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: props.replicas.min,
        maxReplicas: props.replicas.max,
        metrics: (['cpu', 'memory'] as const).map((resource) => ({
          type: 'Resource',
          resource: { name: resource, target: { type: 'Utilization', averageUtilization: util[resource] } },
        })),
        behavior: {
          // Scale out fast, scale in slowly: a traffic dip must not cost capacity for the next spike.
          scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }, { type: 'Pods', value: 2, periodSeconds: 30 }] },
          scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
        },
      },
    });

    new k8s.KubePodDisruptionBudget(this, 'Pdb', {
      metadata,
      spec: { selector: { matchLabels: selector }, maxUnavailable: k8s.IntOrString.fromNumber(pdbMaxUnavailable(props.replicas.min)), unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });

    // Network policies: one per direction, so a reviewer reads who may call this workload and whom it calls.
    const ingressRules = props.ingressFrom.map((p) => ingressFrom([peer(p, namespace)], p.ports));
    if (props.metricsPort && props.monitoringNamespace) ingressRules.push(metricsFrom(props.monitoringNamespace, props.metricsPort.port));
    networkPolicy(this, 'IngressPolicy', { metadata: { ...metadata, name: `${name}-ingress` }, selector, ingress: ingressRules });
    const egressRules = [
      ...props.egressTo.map((p) => egressTo([peer(p, namespace)], p.ports)),
      ...(props.egressToCidrs ?? []).map((c) => egressTo([{ ipBlock: { cidr: c.cidr, except: c.except ? [...c.except] : undefined } }], c.ports)),
      // The API server endpoint is outside the pod network; 443 to the cluster's control-plane ENIs.
      ...(callsApi ? [apiServerEgress()] : []),
    ];
    networkPolicy(this, 'EgressPolicy', { metadata: { ...metadata, name: `${name}-egress` }, selector, egress: egressRules });
  }
}
