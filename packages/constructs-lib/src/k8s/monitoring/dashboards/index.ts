/**
 * Grafana dashboards as data. Each file of this folder builds one dashboard (uid = file name); the monitoring chart
 * renders dashboardFiles(...) into the `grafana-dashboards` ConfigMap, which Grafana provisions read-only.
 */
import { assertPromql } from '../promql';
import { apiRedDashboard } from './api-red';
import type { Dashboard, DashboardContext } from './builder';
import { kubernetesCapacityDashboard } from './kubernetes-capacity';
import { pgbouncerDashboard } from './pgbouncer';
import { platformOverviewDashboard } from './platform-overview';
import { postgresqlDashboard } from './postgresql';
import { redisDashboard } from './redis';

export type { Dashboard as GrafanaDashboard, DashboardContext } from './builder';
export { apiRedDashboard } from './api-red';
export { kubernetesCapacityDashboard } from './kubernetes-capacity';
export { pgbouncerDashboard } from './pgbouncer';
export { platformOverviewDashboard } from './platform-overview';
export { postgresqlDashboard } from './postgresql';
export { redisDashboard } from './redis';

/** Every dashboard of the platform, in the order they are rendered. */
export const PLATFORM_DASHBOARDS: readonly ((ctx: DashboardContext) => Dashboard)[] = [
  platformOverviewDashboard,
  apiRedDashboard,
  postgresqlDashboard,
  pgbouncerDashboard,
  redisDashboard,
  kubernetesCapacityDashboard,
];

/** `<uid>.json` -> the dashboard's JSON model. Uids and titles are unique. */
export function platformDashboards(ctx: DashboardContext): Record<string, object> {
  const out: Record<string, object> = {};
  const titles = new Set<string>();
  for (const build of PLATFORM_DASHBOARDS) {
    const d = build(ctx);
    assertPromql(d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `dashboard ${d.uid}, panel "${p.title}" (${t.refId})`, expr: t.expr, grafana: true }))));
    const file = `${d.uid}.json`;
    if (file in out) throw new Error(`duplicate dashboard uid ${d.uid}`);
    if (titles.has(d.title)) throw new Error(`duplicate dashboard title ${d.title}`);
    titles.add(d.title);
    out[file] = d;
  }
  return out;
}

/** `<uid>.json` -> file text (2-space JSON, trailing newline; keys in the order the builder constructs them). */
export function dashboardFiles(ctx: DashboardContext): Record<string, string> {
  return Object.fromEntries(Object.entries(platformDashboards(ctx)).map(([file, d]) => [file, JSON.stringify(d, null, 2) + '\n']));
}
