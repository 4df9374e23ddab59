/**
 * What the capacity and cost checks need from the templates beyond the shared reader (../../cfn.ts): the EKS managed
 * node groups (instance type, sizes, zones of their subnets, labels, taints, root volume from the launch template)
 * and the cluster autoscaler's node cap. Zones are read only as far as the templates themselves allow (a `Ref` or an
 * `Fn::ImportValue` to a subnet of a rendered stack); anything else is reported as unknown.
 */
import { helmCharts, refTarget, resourceId, resources, type CfnResource } from '../../cfn';
import type { RenderedEnvironment } from '../../types';

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
  readonly logicalId: string;
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

/** The availability zone of a subnet reference, or undefined when the render does not say. */
export function subnetZone(env: RenderedEnvironment, stack: string, subnet: unknown): string | undefined {
  const r = refTarget(env, stack, subnet);
  if (!r || r.type !== 'AWS::EC2::Subnet') return undefined;
  const az = r.properties.AvailabilityZone;
  if (typeof az === 'string') return az;
  const sel = az?.['Fn::Select'];
  if (Array.isArray(sel) && typeof sel[0] === 'number') return `az-index-${sel[0]}`;
  return undefined;
}

function launchTemplateOf(env: RenderedEnvironment, stack: string, ng: any): CfnResource | undefined {
  const lt = ng?.LaunchTemplate;
  if (!lt) return undefined;
  const byRef = refTarget(env, stack, lt.Id);
  if (byRef) return byRef;
  if (typeof lt.Name === 'string') return resources(env, 'AWS::EC2::LaunchTemplate').find((r) => r.properties.LaunchTemplateName === lt.Name);
  return undefined;
}

/** Default root volume of a managed node group without a launch template disk: 20 GiB (EKS DiskSize default). */
export const DEFAULT_NODE_DISK_GIB = 20;

/** The EKS managed node groups of the render. */
export function nodeGroups(env: RenderedEnvironment): NodeGroup[] {
  return resources(env, 'AWS::EKS::Nodegroup').map((r) => {
    const p = r.properties;
    const lt = launchTemplateOf(env, r.stack, p);
    const ltData = lt?.properties?.LaunchTemplateData ?? {};
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
          source: `${lt ? resourceId(lt) : '?'} LaunchTemplateData.BlockDeviceMappings (${bdm.DeviceName ?? 'root'})`,
        }
      : p.DiskSize !== undefined
        ? { sizeGiB: Number(p.DiskSize), type: 'gp3', source: `${resourceId(r)} DiskSize` }
        : { sizeGiB: DEFAULT_NODE_DISK_GIB, type: 'gp3', source: `EKS default (${DEFAULT_NODE_DISK_GIB} GiB): neither DiskSize nor a launch template disk is set` };
    const name = typeof p.NodegroupName === 'string' ? p.NodegroupName : r.logicalId;
    return {
      stack: r.stack,
      logicalId: r.logicalId,
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
  if (fromExtra !== undefined && Number.isFinite(Number(fromExtra))) return { cap: Number(fromExtra), source: `${resourceId(ca)} Values.extraArgs.max-nodes-total` };
  for (const key of ['args', 'extraArgsList', 'command']) {
    const list = v[key];
    if (!Array.isArray(list)) continue;
    for (const a of list) {
      const m = /^--max-nodes-total=(\d+)$/.exec(String(a));
      if (m) return { cap: Number(m[1]), source: `${resourceId(ca)} Values.${key}` };
    }
  }
  return { cap: undefined, source: `${resourceId(ca)} sets no --max-nodes-total: the cap is the sum of the node group maxima` };
}
