/**
 * The monthly cost lines of one environment at minimum and at maximum scale, counted from the render and priced
 * with the dated us-west-2 list prices (src/data/prices-us-west-2.ts). Usage-based items (data processed, requests,
 * log volume, backup storage) cannot be read from a template: they take the assumptions below, per node where
 * traffic grows with the nodes, and every such line says it is an assumption.
 */
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { GiB, storageBytes } from '../../resources';
import * as P from '../../data/prices-us-west-2';
import { eksClusters, helmCharts, kubernetesManifests, resourceId, resources } from '../../cfn';
import { clusterAutoscalerCap, nodeGroups, type NodeGroup } from '../capacity/node-groups';
import { maximumCounts, minimumCounts, type NodeCounts } from '../capacity/packing';
import { supportTier } from './kubernetes-support';

/**
 * Usage assumptions (not in any template). Change them here; the report lists them.
 * "per node" figures scale with the node count of the scale level (minimum or maximum nodes).
 */
export const USAGE_ASSUMPTIONS = {
  /** GB per node-month leaving through the NAT gateways (public registries, external APIs, OS updates). */
  natGbPerNodeMonth: 50,
  /** GB per node-month through the interface endpoints (ECR image layers, STS, Secrets Manager, CloudWatch Logs). */
  interfaceEndpointGbPerNodeMonth: 20,
  /** Average ALB load balancer capacity units per node (new connections, active connections, bandwidth, rule evaluations). */
  albLcuPerNode: 0.25,
  /** Average NLB capacity units per node, for Services of type LoadBalancer. */
  nlbLcuPerNode: 0.25,
  /** Million HTTP requests per node-month through each WAF web ACL. */
  wafMillionRequestsPerNodeMonth: 5,
  /** GB of WAF logs per million requests (one JSON record of ≈ 1.5 KB per request). */
  wafLogGbPerMillionRequests: 1.5,
  /** GB of VPC flow logs per node-month (ALL traffic, default format). */
  flowLogGbPerNodeMonth: 5,
  /** GB per month per enabled EKS control-plane log type (api, audit, authenticator, controllerManager, scheduler). */
  controlPlaneLogGbPerTypeMonth: 2,
  /** S3 backup storage as a multiple of the database volume (full + differentials + WAL retained). */
  backupStorageFactor: 3,
} as const;

export type Scale = 'min' | 'max';

export interface CostLine {
  readonly item: string;
  /** Quantity and unit price, per scale. */
  readonly detail: Readonly<Record<Scale, string>>;
  /** USD per month, rounded to cents, per scale. */
  readonly usd: Readonly<Record<Scale, number>>;
  /** True when the quantity is an assumption (usage), not read from the render. */
  readonly assumption: boolean;
}

export interface CostModel {
  readonly env: string;
  readonly lines: readonly CostLine[];
  readonly total: Readonly<Record<Scale, number>>;
  readonly nodes: Readonly<Record<Scale, number>>;
  readonly findings: readonly Finding[];
  /** Printed under the table (extended support, unpriced things). */
  readonly notes: readonly string[];
  /** What each counted line is made of (cost.md only). */
  readonly details: readonly string[];
}

const cents = (x: number) => Math.round(x * 100) / 100;
/** A unit price: at least 2 decimals, up to 4 (`$0.10`, `$0.0225`, `$5.00`). */
const money = (x: number) => `$${x.toFixed(4).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
const H = P.HOURS_PER_MONTH;

function finding(env: string, object: string, field: string, message: string): Finding {
  return { check: 'cost', rule: 'price-missing', env, object, field, message };
}

/** gp3 extras above the baseline, per volume-month. */
export function gp3Extras(type: string, iops: number | undefined, throughput: number | undefined): number {
  if (type !== 'gp3') return type === 'io1' || type === 'io2' ? (iops ?? 0) * P.EBS_PIOPS_PER_MONTH : 0;
  return Math.max(0, (iops ?? 0) - P.EBS_GP3_BASELINE.iops) * P.EBS_GP3_IOPS_PER_MONTH + Math.max(0, (throughput ?? 0) - P.EBS_GP3_BASELINE.throughputMBps) * P.EBS_GP3_THROUGHPUT_PER_MBPS_MONTH;
}

interface Volume {
  readonly owner: string;
  readonly field: string;
  /** Size of one volume (GB, as AWS bills: 2^30 bytes). */
  readonly sizeGb: number;
  /** Volumes per scale. */
  readonly count: Readonly<Record<Scale, number>>;
  readonly type: string;
  readonly iops?: number;
  readonly throughput?: number;
}

/** The StorageClass of a claim (named, else the default one) as an EBS volume type with its parameters. */
function storageClassVolume(objs: readonly KubeObject[], name: string | undefined): { type: string; iops?: number; throughput?: number; iopsPerGb?: number; note?: string } {
  const scs = objs.filter((o) => o.kind === 'StorageClass');
  const sc = name !== undefined ? scs.find((s) => s.metadata.name === name) : scs.find((s) => s.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
  if (!sc) return { type: 'gp3', note: `StorageClass ${name ?? '(default)'} is not in the render: priced as gp3` };
  const p = (sc as any).parameters ?? {};
  const ebs = sc.provisioner === 'ebs.csi.aws.com' || sc.provisioner === 'kubernetes.io/aws-ebs';
  if (!ebs) return { type: `${sc.provisioner} (not EBS)` };
  const type = String(p.type ?? (sc.provisioner === 'kubernetes.io/aws-ebs' ? 'gp2' : 'gp3'));
  return { type, iops: p.iops === undefined ? undefined : Number(p.iops), throughput: p.throughput === undefined ? undefined : Number(p.throughput), iopsPerGb: p.iopsPerGB === undefined ? undefined : Number(p.iopsPerGB) };
}

/** Persistent volumes: StatefulSet volumeClaimTemplates × replicas (per scale) and standalone PVCs. */
function persistentVolumes(env: RenderedEnvironment, notes: string[]): Volume[] {
  const objs = env.objects.map((o) => o.obj);
  const hpa = (o: KubeObject) => objs.find((h) => h.kind === 'HorizontalPodAutoscaler' && h.metadata.namespace === o.metadata.namespace && h.spec?.scaleTargetRef?.kind === o.kind && h.spec?.scaleTargetRef?.name === o.metadata.name);
  const out: Volume[] = [];
  const add = (owner: string, field: string, claim: any, replicas: Record<Scale, number>) => {
    const size = claim?.spec?.resources?.requests?.storage;
    if (size === undefined) return;
    const gb = storageBytes(size) / GiB;
    const sc = storageClassVolume(objs, claim?.spec?.storageClassName);
    if (sc.note && !notes.includes(sc.note)) notes.push(sc.note);
    const iops = sc.iops ?? (sc.iopsPerGb !== undefined ? sc.iopsPerGb * gb : undefined);
    out.push({ owner, field, sizeGb: gb, count: replicas, type: sc.type, iops, throughput: sc.throughput });
  };
  for (const o of objs) {
    if (o.kind === 'StatefulSet') {
      const h = hpa(o);
      const r = o.spec?.replicas === undefined ? 1 : Number(o.spec.replicas);
      const replicas = h ? { min: Number(h.spec?.minReplicas ?? 1), max: Number(h.spec?.maxReplicas ?? 1) } : { min: r, max: r };
      ((o.spec?.volumeClaimTemplates ?? []) as any[]).forEach((t, i) => add(objectId(o), `spec.volumeClaimTemplates[${i}]`, t, replicas));
    } else if (o.kind === 'PersistentVolumeClaim') add(objectId(o), 'spec.resources.requests.storage', o, { min: 1, max: 1 });
  }
  return out;
}

/** The database volume the backups are sized from: the data claim of the StatefulSet labelled as the database. */
function databaseVolumeGb(env: RenderedEnvironment): { gb: number; owner?: string } {
  const sts = env.objects.map((o) => o.obj).filter((o) => o.kind === 'StatefulSet');
  const db = sts.find((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'database') ?? sts.find((o) => /postgres/.test(o.metadata.name));
  const t = ((db?.spec?.volumeClaimTemplates ?? []) as any[]).find((x) => x?.metadata?.name === 'data') ?? db?.spec?.volumeClaimTemplates?.[0];
  const size = t?.spec?.resources?.requests?.storage;
  return size === undefined ? { gb: 0 } : { gb: storageBytes(size) / GiB, owner: objectId(db!) };
}

/** Load balancers the AWS Load Balancer Controller creates: one ALB per ingress group (or ungrouped Ingress) of class alb. */
function loadBalancers(env: RenderedEnvironment): { albs: { name: string; internetFacing: boolean }[]; nlbs: string[] } {
  const lbc = helmCharts(env).find((c) => c.chart === 'aws-load-balancer-controller');
  const albClass = String(lbc?.values?.ingressClass ?? 'alb');
  const ingresses: KubeObject[] = [...kubernetesManifests(env).flatMap((m) => m.objects), ...env.objects.map((o) => o.obj)].filter((o: any) => o?.kind === 'Ingress');
  const groups = new Map<string, boolean>();
  for (const i of ingresses) {
    const cls = i.spec?.ingressClassName ?? i.metadata.annotations?.['kubernetes.io/ingress.class'];
    if (cls !== albClass) continue;
    const a = i.metadata.annotations ?? {};
    const key = a['alb.ingress.kubernetes.io/group.name'] ? `group ${a['alb.ingress.kubernetes.io/group.name']}` : `Ingress ${i.metadata.namespace ?? 'default'}/${i.metadata.name}`;
    groups.set(key, (groups.get(key) ?? false) || a['alb.ingress.kubernetes.io/scheme'] === 'internet-facing');
  }
  const nlbs = env.objects
    .map((o) => o.obj)
    .filter((o) => o.kind === 'Service' && o.spec?.type === 'LoadBalancer')
    .map((o) => objectId(o));
  return { albs: [...groups.entries()].map(([name, internetFacing]) => ({ name, internetFacing })), nlbs };
}

/** Node counts of the two scale levels, as the capacity check's scenarios (a) and (b) use them. */
export function scaleCounts(env: RenderedEnvironment, groups: readonly NodeGroup[]): Record<Scale, NodeCounts> {
  return { min: minimumCounts(groups), max: maximumCounts(groups, clusterAutoscalerCap(env).cap) };
}

export function costModel(env: RenderedEnvironment): CostModel {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const details: string[] = [];
  const lines: CostLine[] = [];
  const A = USAGE_ASSUMPTIONS;
  const line = (item: string, detail: Record<Scale, string>, usd: Record<Scale, number>, assumption = false) => lines.push({ item, detail, usd: { min: cents(usd.min), max: cents(usd.max) }, assumption });
  const both = (s: string): Record<Scale, string> => ({ min: s, max: s });

  // EKS control plane
  for (const c of eksClusters(env)) {
    const name = typeof c.properties.Name === 'string' ? c.properties.Name : c.logicalId;
    const version = c.properties.Version === undefined ? undefined : String(c.properties.Version);
    if (!version) {
      findings.push(finding(env.name, resourceId(c), 'Version', `cluster ${name} sets no Kubernetes version: its support tier (standard or extended price) cannot be decided`));
      continue;
    }
    const st = supportTier(version, P.PRICES_CHECKED);
    if (!st) {
      findings.push(finding(env.name, resourceId(c), 'Version', `Kubernetes ${version} is not in the EKS support calendar (src/checks/cost/kubernetes-support.ts): standard or extended control-plane price unknown`));
      continue;
    }
    const rate = P.EKS_CLUSTER_PER_HOUR[st.tier];
    if (st.tier === 'extended') notes.push(`${name}: ${st.why} (on ${P.PRICES_CHECKED})`);
    line(`EKS control plane (${version}, ${st.tier} support)`, both(`1 × ${H} h × ${money(rate)}`), { min: H * rate, max: H * rate });
  }

  // EC2 nodes and their root volumes
  const groups = nodeGroups(env);
  const counts = scaleCounts(env, groups);
  const nodes: Record<Scale, number> = { min: 0, max: 0 };
  for (const s of ['min', 'max'] as const) nodes[s] = groups.reduce((a, g) => a + (counts[s].get(g.logicalId) ?? 0), 0);
  const rootLines: (() => void)[] = [];
  for (const g of groups) {
    const n = { min: counts.min.get(g.logicalId) ?? 0, max: counts.max.get(g.logicalId) ?? 0 };
    const price = g.instanceType ? P.EC2_ON_DEMAND_PER_HOUR[g.instanceType] : undefined;
    if (g.capacityType !== 'ON_DEMAND') notes.push(`${g.name} runs ${g.capacityType} capacity: priced at the on-demand rate (an upper bound)`);
    if (price === undefined) {
      findings.push(finding(env.name, resourceId(g), g.instanceTypeField, `instance type ${g.instanceType ?? '(none)'} of node group ${g.name} has no on-demand price in src/data/prices-us-west-2.ts (checked ${P.PRICES_CHECKED}): its ${n.min}–${n.max} nodes are not costed`));
    } else {
      line(`EC2 ${g.label} nodes (${g.instanceType})`, { min: `${n.min} × ${H} h × ${money(price)}`, max: `${n.max} × ${H} h × ${money(price)}` }, { min: n.min * H * price, max: n.max * H * price });
    }
    const v = g.rootVolume;
    const gbPrice = P.EBS_PER_GB_MONTH[v.type];
    if (gbPrice === undefined) findings.push(finding(env.name, resourceId(g), 'LaunchTemplate BlockDeviceMappings[].Ebs.VolumeType', `root volume type ${v.type} of node group ${g.name} has no EBS price`));
    else {
      const extra = gp3Extras(v.type, v.iops, v.throughputMiBps);
      const per = v.sizeGiB * gbPrice + extra;
      const d = (k: number) => `${k} × ${v.sizeGiB} GB × ${money(gbPrice)}${extra ? ` + ${k} × ${money(extra)} IOPS/throughput` : ''}`;
      rootLines.push(() => line(`EBS ${g.label} root volumes (${v.type})`, { min: d(n.min), max: d(n.max) }, { min: n.min * per, max: n.max * per }));
    }
  }
  for (const l of rootLines) l();

  // Persistent volumes
  const vols = persistentVolumes(env, notes);
  const byType = new Map<string, { gb: Record<Scale, number>; extra: Record<Scale, number>; owners: number }>();
  for (const v of vols) {
    const gbPrice = P.EBS_PER_GB_MONTH[v.type];
    if (gbPrice === undefined) {
      findings.push(finding(env.name, v.owner, v.field, `volume type ${v.type} has no EBS price: ${v.count.max} × ${v.sizeGb} GB not costed`));
      continue;
    }
    const e = byType.get(v.type) ?? { gb: { min: 0, max: 0 }, extra: { min: 0, max: 0 }, owners: 0 };
    for (const s of ['min', 'max'] as const) {
      e.gb[s] += v.sizeGb * v.count[s];
      e.extra[s] += v.count[s] * gp3Extras(v.type, v.iops, v.throughput);
    }
    e.owners++;
    byType.set(v.type, e);
  }
  for (const [type, e] of byType) {
    const p = P.EBS_PER_GB_MONTH[type];
    line(`EBS persistent volumes (${type})`, { min: `${e.gb.min} GB × ${money(p)}`, max: `${e.gb.max} GB × ${money(p)}` }, { min: e.gb.min * p + e.extra.min, max: e.gb.max * p + e.extra.max });
  }

  // Network: NAT gateways, public IPv4, interface endpoints
  const nats = resources(env, 'AWS::EC2::NatGateway');
  if (nats.length) {
    line(`NAT gateways`, both(`${nats.length} × ${H} h × ${money(P.NAT_GATEWAY_PER_HOUR)}`), { min: nats.length * H * P.NAT_GATEWAY_PER_HOUR, max: nats.length * H * P.NAT_GATEWAY_PER_HOUR });
    line(`NAT data processed`, { min: `${nodes.min} × ${A.natGbPerNodeMonth} GB × ${money(P.NAT_GATEWAY_PER_GB)}`, max: `${nodes.max} × ${A.natGbPerNodeMonth} GB × ${money(P.NAT_GATEWAY_PER_GB)}` }, { min: nodes.min * A.natGbPerNodeMonth * P.NAT_GATEWAY_PER_GB, max: nodes.max * A.natGbPerNodeMonth * P.NAT_GATEWAY_PER_GB }, true);
  }
  const lbs = loadBalancers(env);
  const publicSubnets = resources(env, 'AWS::EC2::Subnet').filter((s) => (s.properties.Tags ?? []).some((t: any) => t.Key === 'kubernetes.io/role/elb'));
  const albAzs = Math.max(2, new Set(publicSubnets.map((s) => s.properties.AvailabilityZone)).size);
  const eips = resources(env, 'AWS::EC2::EIP').length;
  if (nats.length) details.push(`NAT gateways: ${nats.map((n) => n.logicalId).join(', ')}`);
  const albIps = lbs.albs.filter((a) => a.internetFacing).length * albAzs;
  if (eips + albIps > 0) line(`Public IPv4 (${eips} EIP + ${albIps} ALB)`, both(`${eips + albIps} × ${H} h × ${money(P.PUBLIC_IPV4_PER_HOUR)}`), { min: (eips + albIps) * H * P.PUBLIC_IPV4_PER_HOUR, max: (eips + albIps) * H * P.PUBLIC_IPV4_PER_HOUR });
  const endpoints = resources(env, 'AWS::EC2::VPCEndpoint').filter((e) => e.properties.VpcEndpointType === 'Interface');
  const endpointAzs = endpoints.reduce((a, e) => a + Math.max(1, (e.properties.SubnetIds ?? []).length), 0);
  if (endpoints.length) {
    details.push(`Interface endpoints: ${endpoints.map((e) => `${typeof e.properties.ServiceName === 'string' ? e.properties.ServiceName.replace(/^com\.amazonaws\.[^.]+\./, '') : e.logicalId} × ${Math.max(1, (e.properties.SubnetIds ?? []).length)} AZ`).join(', ')}`);
    line(`Interface endpoints (${endpoints.length})`, both(`${endpointAzs} endpoint-AZs × ${H} h × ${money(P.INTERFACE_ENDPOINT_PER_AZ_HOUR)}`), { min: endpointAzs * H * P.INTERFACE_ENDPOINT_PER_AZ_HOUR, max: endpointAzs * H * P.INTERFACE_ENDPOINT_PER_AZ_HOUR });
    line(`Interface endpoint data`, { min: `${nodes.min} × ${A.interfaceEndpointGbPerNodeMonth} GB × ${money(P.INTERFACE_ENDPOINT_PER_GB)}`, max: `${nodes.max} × ${A.interfaceEndpointGbPerNodeMonth} GB × ${money(P.INTERFACE_ENDPOINT_PER_GB)}` }, { min: nodes.min * A.interfaceEndpointGbPerNodeMonth * P.INTERFACE_ENDPOINT_PER_GB, max: nodes.max * A.interfaceEndpointGbPerNodeMonth * P.INTERFACE_ENDPOINT_PER_GB }, true);
  }

  // Load balancers
  if (lbs.albs.length) {
    const n = lbs.albs.length;
    details.push(`ALBs: ${lbs.albs.map((a) => `${a.name}${a.internetFacing ? ' (internet-facing)' : ''}`).join(', ')}`);
    line(`ALB (${n})`, both(`${n} × ${H} h × ${money(P.ALB_PER_HOUR)}`), { min: n * H * P.ALB_PER_HOUR, max: n * H * P.ALB_PER_HOUR });
    const lcu = (s: Scale) => Math.max(1, nodes[s] * A.albLcuPerNode) * n;
    line(`ALB capacity units`, { min: `${lcu('min')} LCU × ${H} h × ${money(P.ALB_PER_LCU_HOUR)}`, max: `${lcu('max')} LCU × ${H} h × ${money(P.ALB_PER_LCU_HOUR)}` }, { min: lcu('min') * H * P.ALB_PER_LCU_HOUR, max: lcu('max') * H * P.ALB_PER_LCU_HOUR }, true);
  }
  if (lbs.nlbs.length) {
    const n = lbs.nlbs.length;
    details.push(`NLBs (Services of type LoadBalancer): ${lbs.nlbs.join(', ')}`);
    line(`NLB (${n})`, both(`${n} × ${H} h × ${money(P.NLB_PER_HOUR)}`), { min: n * H * P.NLB_PER_HOUR, max: n * H * P.NLB_PER_HOUR });
    const u = (s: Scale) => Math.max(1, nodes[s] * A.nlbLcuPerNode) * n;
    line(`NLB capacity units`, { min: `${u('min')} NLCU × ${H} h × ${money(P.NLB_PER_NLCU_HOUR)}`, max: `${u('max')} NLCU × ${H} h × ${money(P.NLB_PER_NLCU_HOUR)}` }, { min: u('min') * H * P.NLB_PER_NLCU_HOUR, max: u('max') * H * P.NLB_PER_NLCU_HOUR }, true);
  }

  // WAF
  const acls = resources(env, 'AWS::WAFv2::WebACL');
  const rules = acls.reduce((a, w) => a + (Array.isArray(w.properties.Rules) ? w.properties.Rules.length : 0), 0);
  const wafRequests = (s: Scale) => nodes[s] * A.wafMillionRequestsPerNodeMonth * acls.length;
  if (acls.length) {
    const fixed = acls.length * P.WAF_WEB_ACL_PER_MONTH + rules * P.WAF_RULE_PER_MONTH;
    line(`WAF web ACLs and rules`, both(`${acls.length} × ${money(P.WAF_WEB_ACL_PER_MONTH)} + ${rules} × ${money(P.WAF_RULE_PER_MONTH)}`), { min: fixed, max: fixed });
    line(`WAF requests`, { min: `${wafRequests('min')} M × ${money(P.WAF_PER_MILLION_REQUESTS)}`, max: `${wafRequests('max')} M × ${money(P.WAF_PER_MILLION_REQUESTS)}` }, { min: wafRequests('min') * P.WAF_PER_MILLION_REQUESTS, max: wafRequests('max') * P.WAF_PER_MILLION_REQUESTS }, true);
  }

  // KMS, Secrets Manager
  const keys = resources(env, 'AWS::KMS::Key').length;
  if (keys) line(`KMS keys`, both(`${keys} × ${money(P.KMS_KEY_PER_MONTH)}`), { min: keys * P.KMS_KEY_PER_MONTH, max: keys * P.KMS_KEY_PER_MONTH });
  const secrets = resources(env, 'AWS::SecretsManager::Secret').length;
  if (secrets) line(`Secrets Manager`, both(`${secrets} × ${money(P.SECRET_PER_MONTH)}`), { min: secrets * P.SECRET_PER_MONTH, max: secrets * P.SECRET_PER_MONTH });

  // S3 backups
  if (resources(env, 'AWS::S3::Bucket').length) {
    const db = databaseVolumeGb(env);
    const gb = db.gb * A.backupStorageFactor;
    if (db.owner) details.push(`S3 backups: ${A.backupStorageFactor} × the ${db.gb} GB data volume of ${db.owner}`);
    if (db.owner) line(`S3 backups`, both(`${A.backupStorageFactor} × ${db.gb} GB × ${money(P.S3_STANDARD_PER_GB_MONTH)}`), { min: gb * P.S3_STANDARD_PER_GB_MONTH, max: gb * P.S3_STANDARD_PER_GB_MONTH }, true);
    else notes.push('S3 buckets are rendered but no database StatefulSet sizes the backups: backup storage not costed');
  }

  // CloudWatch Logs ingestion
  const flowLogs = resources(env, 'AWS::EC2::FlowLog').filter((f) => (f.properties.LogDestinationType ?? 'cloud-watch-logs') === 'cloud-watch-logs').length;
  const cpTypes = eksClusters(env).reduce((a, c) => a + (c.properties.Logging?.ClusterLogging?.EnabledTypes ?? []).length, 0);
  const wafLogging = resources(env, 'AWS::WAFv2::LoggingConfiguration').length > 0;
  const logGb = (s: Scale) => flowLogs * nodes[s] * A.flowLogGbPerNodeMonth + cpTypes * A.controlPlaneLogGbPerTypeMonth + (wafLogging ? wafRequests(s) * A.wafLogGbPerMillionRequests : 0);
  if (logGb('max') > 0) {
    details.push(`CloudWatch Logs: ${[flowLogs ? `${flowLogs} VPC flow log(s) × ${A.flowLogGbPerNodeMonth} GB per node` : '', cpTypes ? `${cpTypes} EKS control-plane log type(s) × ${A.controlPlaneLogGbPerTypeMonth} GB` : '', wafLogging ? `WAF logs ${A.wafLogGbPerMillionRequests} GB per million requests` : ''].filter(Boolean).join(' + ')}`);
    line(`CloudWatch Logs ingestion`, { min: `${cents(logGb('min'))} GB × ${money(P.CLOUDWATCH_LOGS_INGEST_PER_GB)}`, max: `${cents(logGb('max'))} GB × ${money(P.CLOUDWATCH_LOGS_INGEST_PER_GB)}` }, { min: logGb('min') * P.CLOUDWATCH_LOGS_INGEST_PER_GB, max: logGb('max') * P.CLOUDWATCH_LOGS_INGEST_PER_GB }, true);
  }

  const total = { min: cents(lines.reduce((a, l) => a + l.usd.min, 0)), max: cents(lines.reduce((a, l) => a + l.usd.max, 0)) };
  return { env: env.name, lines, total, nodes, findings, notes, details };
}
