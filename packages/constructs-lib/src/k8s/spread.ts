import { k8s } from 'cdk8s-plus-28';

/**
 * Zone (and host) spread of a workload's pods: maxSkew 1 over zones, hard (a zone loss must leave the others
 * serving); over hosts `DoNotSchedule` (members of a quorum), `ScheduleAnyway` (best effort, so a small cluster can
 * still schedule) or not at all.
 */
export function zoneSpread(selector: Readonly<Record<string, string>>, hosts: 'DoNotSchedule' | 'ScheduleAnyway' | 'none'): k8s.TopologySpreadConstraint[] {
  const labelSelector = { matchLabels: { ...selector } };
  return [
    { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector },
    ...(hosts === 'none' ? [] : [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: hosts, labelSelector }]),
  ];
}
