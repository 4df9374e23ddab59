/**
 * Small readers over the rendered CloudFormation templates, for the capacity and cost checks: node groups (instance
 * type, sizes, zones, labels, taints, root volume), the cluster autoscaler's node cap, Helm charts and EKS add-ons
 * installed by CDK, the EKS cluster. Intrinsics are resolved only as far as the templates themselves allow
 * (Ref and Fn::ImportValue to a subnet of another rendered stack); anything else is reported as unknown.
 */
import type { CfnTemplate, RenderedEnvironment } from '../../types';

export interface CfnResourceRef {
  readonly stack: string;
  readonly id: string;
  readonly type: string;
  readonly props: any;
}

/** `<stack>/<logicalId>`, as findings name CloudFormation resources. */
export function cfnId(r: { stack: string; id: string }): string {
  return `${r.stack}/${r.id}`;
}

/** Every resource of a type (or matching a predicate on the type), in stack then template order. */
export function resourcesOfType(env: RenderedEnvironment, type: string | ((t: string) => boolean)): CfnResourceRef[] {
  const test = typeof type === 'string' ? (t: string) => t === type : type;
  const out: CfnResourceRef[] = [];
  for (const stack of Object.keys(env.templates).sort()) {
    for (const [id, r] of Object.entries(env.templates[stack].Resources ?? {})) {
      if (r && test(r.Type)) out.push({ stack, id, type: r.Type, props: r.Properties ?? {} });
    }
  }
  return out;
}

/** The (stack, logical id) an export name points at (`Value: {Ref: X}` in some template's Outputs). */
export function resolveExport(env: RenderedEnvironment, exportName: string): { stack: string; id: string } | undefined {
  for (const [stack, t] of Object.entries(env.templates)) {
    for (const out of Object.values((t as CfnTemplate).Outputs ?? {}) as any[]) {
      const name = out?.Export?.Name;
      if (name === exportName && out?.Value?.Ref) return { stack, id: out.Value.Ref };
    }
  }
  return undefined;
}

/** The resource a Ref / Fn::ImportValue points at, when it is in the render. */
export function resolveRef(env: RenderedEnvironment, stack: string, v: any): CfnResourceRef | undefined {
  let target: { stack: string; id: string } | undefined;
  if (v && typeof v === 'object' && typeof v.Ref === 'string') target = { stack, id: v.Ref };
  else if (v && typeof v === 'object' && typeof v['Fn::ImportValue'] === 'string') target = resolveExport(env, v['Fn::ImportValue']);
  if (!target) return undefined;
  const r = env.templates[target.stack]?.Resources?.[target.id];
  return r ? { stack: target.stack, id: target.id, type: r.Type, props: r.Properties ?? {} } : undefined;
}

/** The availability zone of a subnet reference, or undefined when the render does not say. */
export function subnetZone(env: RenderedEnvironment, stack: string, subnet: any): string | undefined {
  const r = resolveRef(env, stack, subnet);
  if (!r || r.type !== 'AWS::EC2::Subnet') return undefined;
  const az = r.props.AvailabilityZone;
  if (typeof az === 'string') return az;
  const sel = az?.['Fn::Select'];
  if (Array.isArray(sel) && typeof sel[0] === 'number') return `az-index-${sel[0]}`;
  return undefined;
}

/**
 * A value that is JSON text once joined (`Fn::Join` of strings and intrinsics, as CDK renders Helm values and
 * manifests): intrinsics become the placeholder `<intrinsic>` (they only ever sit inside JSON strings there).
 */
export function joinedText(v: any): string | undefined {
  if (typeof v === 'string') return v;
  const join = v?.['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map((p: any) => (typeof p === 'string' ? p : '<intrinsic>')).join(String(join[0] ?? ''));
  return undefined;
}

/** Parses JSON text rendered by `joinedText`, undefined when absent or not JSON. */
export function parseJoinedJson(v: any): any {
  const text = joinedText(v);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'NoExecute' | 'PreferNoSchedule';
}

export interface RootVolume {
  readonly sizeGiB: number;
  readonly type: string;
  readonly iops?: number;
  readonly throughputMiBps?: number;
  /** Where the figure comes from (`LaunchTemplate … BlockDeviceMappings[0].Ebs`, `DiskSize`, default). */
  readonly source: string;
}

export interface NodeGroup {
  readonly stack: string;
  readonly id: string;
  /** NodegroupName, else the logical id. */
  readonly name: string;
  /** A short label for tables (`optibid.io/node-group` label, else the name). */
  readonly label: string;
  /** The instance type capacity is computed for (the first of InstanceTypes, else the launch template's). */
  readonly instanceType: string | undefined;
  /** Where instanceType was read (`InstanceTypes[0]`, `LaunchTemplateData.InstanceType`). */
  readonly instanceTypeField: string;
  readonly instanceTypes: readonly string[];
  readonly min: number;
  readonly max: number;
  readonly desired: number;
  /** Zones of the group's subnets, sorted; `unknown` when the render does not resolve them. */
  readonly zones: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly rootVolume: RootVolume;
  /** ON_DEMAND (the EKS default) or SPOT. */
  readonly capacityType: string;
}

const TAINT_EFFECTS: Record<string, Taint['effect']> = { NO_SCHEDULE: 'NoSchedule', NO_EXECUTE: 'NoExecute', PREFER_NO_SCHEDULE: 'PreferNoSchedule' };

function launchTemplateOf(env: RenderedEnvironment, stack: string, ng: any): CfnResourceRef | undefined {
  const lt = ng?.LaunchTemplate;
  if (!lt) return undefined;
  const byRef = resolveRef(env, stack, lt.Id);
  if (byRef) return byRef;
  if (typeof lt.Name === 'string') return resourcesOfType(env, 'AWS::EC2::LaunchTemplate').find((r) => r.props.LaunchTemplateName === lt.Name);
  return undefined;
}

/** Default root volume of a managed node group without a launch template disk: 20 GiB (EKS DiskSize default). */
export const DEFAULT_NODE_DISK_GIB = 20;

/** The EKS managed node groups of the render. */
export function nodeGroups(env: RenderedEnvironment): NodeGroup[] {
  return resourcesOfType(env, 'AWS::EKS::Nodegroup').map((r) => {
    const p = r.props;
    const lt = launchTemplateOf(env, r.stack, p);
    const ltData = lt?.props?.LaunchTemplateData ?? {};
    const types: string[] = Array.isArray(p.InstanceTypes) ? p.InstanceTypes.filter((t: any) => typeof t === 'string') : [];
    const instanceType = types[0] ?? (typeof ltData.InstanceType === 'string' ? ltData.InstanceType : undefined);
    const instanceTypeField = types[0] !== undefined ? 'InstanceTypes[0]' : 'LaunchTemplate LaunchTemplateData.InstanceType';
    const sc = p.ScalingConfig ?? {};
    const min = Number(sc.MinSize ?? 1);
    const max = Number(sc.MaxSize ?? Math.max(min, 1));
    const desired = Number(sc.DesiredSize ?? min);
    const labels: Record<string, string> = { ...(p.Labels ?? {}) };
    const zones = new Set<string>();
    for (const s of Array.isArray(p.Subnets) ? p.Subnets : []) zones.add(subnetZone(env, r.stack, s) ?? 'unknown');
    if (zones.size === 0 || (zones.size === 1 && zones.has('unknown'))) {
      const z = labels['topology.kubernetes.io/zone'];
      zones.clear();
      zones.add(z ?? 'unknown');
    }
    const taints: Taint[] = (Array.isArray(p.Taints) ? p.Taints : []).map((t: any) => ({ key: String(t.Key), value: t.Value === undefined ? undefined : String(t.Value), effect: TAINT_EFFECTS[t.Effect] ?? 'NoSchedule' }));
    const bdm = (Array.isArray(ltData.BlockDeviceMappings) ? ltData.BlockDeviceMappings : []).find((b: any) => b?.Ebs) as any;
    const rootVolume: RootVolume = bdm
      ? {
          sizeGiB: Number(bdm.Ebs.VolumeSize ?? DEFAULT_NODE_DISK_GIB),
          type: String(bdm.Ebs.VolumeType ?? 'gp3'),
          iops: bdm.Ebs.Iops === undefined ? undefined : Number(bdm.Ebs.Iops),
          throughputMiBps: bdm.Ebs.Throughput === undefined ? undefined : Number(bdm.Ebs.Throughput),
          source: `${lt ? cfnId(lt) : '?'} LaunchTemplateData.BlockDeviceMappings (${bdm.DeviceName ?? 'root'})`,
        }
      : p.DiskSize !== undefined
        ? { sizeGiB: Number(p.DiskSize), type: 'gp3', source: `${cfnId(r)} DiskSize` }
        : { sizeGiB: DEFAULT_NODE_DISK_GIB, type: 'gp3', source: `EKS default (${DEFAULT_NODE_DISK_GIB} GiB): neither DiskSize nor a launch template disk is set` };
    const name = typeof p.NodegroupName === 'string' ? p.NodegroupName : r.id;
    return {
      stack: r.stack,
      id: r.id,
      name,
      label: labels['optibid.io/node-group'] ?? name,
      instanceType,
      instanceTypeField,
      instanceTypes: types,
      min,
      max,
      desired,
      zones: [...zones].sort(),
      labels,
      taints,
      rootVolume,
      capacityType: typeof p.CapacityType === 'string' ? p.CapacityType : 'ON_DEMAND',
    };
  });
}

export interface HelmChart {
  readonly stack: string;
  readonly id: string;
  readonly chart: string;
  readonly release: string;
  readonly namespace: string;
  readonly version?: string;
  /** Parsed Values (intrinsics replaced by a placeholder string); {} when none. */
  readonly values: any;
  readonly valuesParsed: boolean;
}

/** Helm charts CDK installs (Custom::AWSCDK-EKS-HelmChart). */
export function helmCharts(env: RenderedEnvironment): HelmChart[] {
  return resourcesOfType(env, (t) => t === 'Custom::AWSCDK-EKS-HelmChart' || t === 'Custom::AWSCDK-EKS-HelmChartV2').map((r) => {
    const p = r.props;
    const parsed = p.Values === undefined ? {} : parseJoinedJson(p.Values);
    return {
      stack: r.stack,
      id: r.id,
      chart: String(p.Chart ?? '?'),
      release: String(p.Release ?? p.Chart ?? r.id),
      namespace: String(p.Namespace ?? 'default'),
      version: p.Version === undefined ? undefined : String(p.Version),
      values: parsed ?? {},
      valuesParsed: parsed !== undefined,
    };
  });
}

export interface EksAddon {
  readonly stack: string;
  readonly id: string;
  readonly name: string;
  readonly version?: string;
  /** Parsed ConfigurationValues; {} when none. */
  readonly config: any;
}

/** EKS managed add-ons (AWS::EKS::Addon). */
export function eksAddons(env: RenderedEnvironment): EksAddon[] {
  return resourcesOfType(env, 'AWS::EKS::Addon').map((r) => ({
    stack: r.stack,
    id: r.id,
    name: String(r.props.AddonName ?? '?'),
    version: r.props.AddonVersion === undefined ? undefined : String(r.props.AddonVersion),
    config: r.props.ConfigurationValues === undefined ? {} : (parseJoinedJson(r.props.ConfigurationValues) ?? {}),
  }));
}

export interface ClusterCap {
  /** The cluster-wide node cap, or undefined when nothing caps the node groups beyond their maxima. */
  readonly cap: number | undefined;
  /** Where it was read: `<stack>/<id> Values.extraArgs.max-nodes-total`, or why there is none. */
  readonly source: string;
}

/** `--max-nodes-total` from the cluster-autoscaler chart values (extraArgs object or an args list). */
export function clusterAutoscalerCap(env: RenderedEnvironment): ClusterCap {
  const ca = helmCharts(env).find((c) => c.chart === 'cluster-autoscaler');
  if (!ca) return { cap: undefined, source: 'no cluster-autoscaler chart in the render: the cap is the sum of the node group maxima' };
  const v = ca.values ?? {};
  const fromExtra = v.extraArgs?.['max-nodes-total'];
  if (fromExtra !== undefined && Number.isFinite(Number(fromExtra))) return { cap: Number(fromExtra), source: `${cfnId(ca)} Values.extraArgs.max-nodes-total` };
  for (const key of ['args', 'extraArgsList', 'command']) {
    const list = v[key];
    if (!Array.isArray(list)) continue;
    for (const a of list) {
      const m = /^--max-nodes-total=(\d+)$/.exec(String(a));
      if (m) return { cap: Number(m[1]), source: `${cfnId(ca)} Values.${key}` };
    }
  }
  return { cap: undefined, source: `${cfnId(ca)} sets no --max-nodes-total: the cap is the sum of the node group maxima` };
}

export interface EksCluster {
  readonly stack: string;
  readonly id: string;
  readonly name: string;
  readonly version: string | undefined;
  readonly loggingTypes: readonly string[];
}

/** The EKS clusters of the render (one per environment here). */
export function eksClusters(env: RenderedEnvironment): EksCluster[] {
  return resourcesOfType(env, 'AWS::EKS::Cluster').map((r) => ({
    stack: r.stack,
    id: r.id,
    name: typeof r.props.Name === 'string' ? r.props.Name : r.id,
    version: r.props.Version === undefined ? undefined : String(r.props.Version),
    loggingTypes: ((r.props.Logging?.ClusterLogging?.EnabledTypes ?? []) as any[]).map((t) => String(t?.Type)),
  }));
}

/** Kubernetes manifests CDK applies (Custom::AWSCDK-EKS-KubernetesResource), each object with its resource. */
export function cdkManifests(env: RenderedEnvironment): { res: CfnResourceRef; obj: any }[] {
  const out: { res: CfnResourceRef; obj: any }[] = [];
  for (const r of resourcesOfType(env, 'Custom::AWSCDK-EKS-KubernetesResource')) {
    const parsed = parseJoinedJson(r.props.Manifest);
    for (const obj of Array.isArray(parsed) ? parsed : parsed ? [parsed] : []) out.push({ res: r, obj });
  }
  return out;
}
