import { gauge, type PanelSpec, stat } from './builder';

/** Warning and critical steps of every "used / available" ratio on the dashboards (80 %, 90 %). */
export const SHARE_THRESHOLDS = [
  { value: 0.8, color: 'orange' },
  { value: 0.9, color: 'red' },
] as const;

/** Redis `cluster_state` of the worst node, shown as ok / fail (the same panel on the overview and Redis dashboards). */
export function redisClusterStatePanel(title: string, selector: string): PanelSpec {
  return stat({
    title,
    description: 'Worst node: cluster_state ok (1) or fail (0: that node cannot reach a majority of the primaries and refuses queries).',
    unit: 'none',
    baseColor: 'red',
    thresholds: [{ value: 1, color: 'green' }],
    valueTexts: [
      { value: 1, text: 'ok', color: 'green' },
      { value: 0, text: 'fail', color: 'red' },
    ],
    queries: [{ expr: `min(redis_cluster_state${selector})`, legend: 'cluster state' }],
  });
}

/** CPU and memory "requested / allocatable" gauges over one expression per resource. */
export function requestShareGauges(share: (resource: 'cpu' | 'memory') => string, legend: (resource: 'cpu' | 'memory') => string, size: { w?: number; h?: number } = {}): PanelSpec[] {
  return (['cpu', 'memory'] as const).map((resource) =>
    gauge({
      title: `${resource === 'cpu' ? 'CPU' : 'Memory'} requested / allocatable`,
      unit: 'percentunit',
      min: 0,
      max: 1,
      ...size,
      thresholds: SHARE_THRESHOLDS,
      queries: [{ expr: share(resource), legend: legend(resource) }],
    }),
  );
}
