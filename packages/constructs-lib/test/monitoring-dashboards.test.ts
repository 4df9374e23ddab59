import * as fs from 'fs';
import * as path from 'path';
import { dashboardFiles, DashboardContext, platformDashboards } from '../src/k8s/monitoring/dashboards';
import { GRID_COLUMNS, PROMETHEUS_DATASOURCE } from '../src/k8s/monitoring/dashboards/builder';
import { isAlert, platformRuleGroups } from '../src/k8s/monitoring/rules';

interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}
interface Target {
  refId: string;
  expr: string;
  datasource: unknown;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos;
  datasource?: unknown;
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  refresh: string;
  time: { from: string; to: string };
  panels: Panel[];
}

const CTX: DashboardContext = { namespaces: { app: 'optibid', data: 'optibid-data', monitoring: 'monitoring' }, availabilitySlo: 0.999, latencySliSeconds: 0.2 };
const DASHBOARDS_DIR = path.join(__dirname, '..', 'src', 'k8s', 'monitoring', 'dashboards');
const EXPECTED = ['platform-overview', 'api-red', 'postgresql', 'pgbouncer', 'redis', 'kubernetes-capacity'];

const files = dashboardFiles(CTX);
const parsed = Object.fromEntries(Object.entries(files).map(([f, text]) => [f, JSON.parse(text) as Dashboard]));
const entries = Object.entries(parsed);
const queryPanels = (d: Dashboard) => d.panels.filter((p) => p.type !== 'row');
const exprs = (d: Dashboard) => queryPanels(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr));

function overlaps(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe('Grafana dashboards', () => {
  test('the six dashboards exist, keyed <uid>.json, each built by dashboards/<uid>.ts', () => {
    expect(Object.keys(files)).toEqual(EXPECTED.map((u) => `${u}.json`));
    for (const [file, d] of entries) {
      expect(file).toBe(`${d.uid}.json`);
      expect(fs.existsSync(path.join(DASHBOARDS_DIR, `${d.uid}.ts`))).toBe(true);
    }
  });

  test('every file is valid JSON that round-trips to the built model and to the same text', () => {
    const models = platformDashboards(CTX);
    for (const [file, text] of Object.entries(files)) {
      expect(text.endsWith('}\n')).toBe(true);
      expect(parsed[file]).toEqual(models[file]);
      expect(JSON.stringify(JSON.parse(text), null, 2) + '\n').toBe(text);
    }
    // Stable: the same input renders the same bytes.
    expect(dashboardFiles(CTX)).toEqual(files);
  });

  test('uids and titles are unique', () => {
    const uids = entries.map(([, d]) => d.uid);
    const titles = entries.map(([, d]) => d.title);
    expect(new Set(uids).size).toBe(uids.length);
    expect(new Set(titles).size).toBe(titles.length);
    for (const t of titles) expect(t).not.toBe('');
  });

  test.each(EXPECTED)('%s: platform defaults (tag, schema version, refresh, time range)', (uid) => {
    const d = parsed[`${uid}.json`];
    expect(d.tags).toEqual(['optibid']);
    expect(d.schemaVersion).toBe(39);
    expect(d.refresh).toBe('30s');
    expect(d.time).toEqual({ from: 'now-6h', to: 'now' });
  });

  test.each(EXPECTED)('%s: panel ids are unique integers assigned in order', (uid) => {
    const ids = parsed[`${uid}.json`].panels.map((p) => p.id);
    expect(ids.every((i) => Number.isInteger(i))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
  });

  test.each(EXPECTED)('%s: every panel has a target with a non-empty expr, all on the Prometheus datasource', (uid) => {
    const d = parsed[`${uid}.json`];
    expect(queryPanels(d).length).toBeGreaterThan(0);
    for (const p of queryPanels(d)) {
      expect({ panel: p.title, type: ['timeseries', 'stat', 'gauge'].includes(p.type) }).toEqual({ panel: p.title, type: true });
      expect({ panel: p.title, datasource: p.datasource }).toEqual({ panel: p.title, datasource: PROMETHEUS_DATASOURCE });
      expect(p.targets?.length ?? 0).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect({ panel: p.title, datasource: t.datasource }).toEqual({ panel: p.title, datasource: PROMETHEUS_DATASOURCE });
        expect(t.expr.trim()).not.toBe('');
      }
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
    // Rows are panels too (type row): they carry no queries.
    for (const r of d.panels.filter((p) => p.type === 'row')) expect(r.targets).toBeUndefined();
  });

  test.each(EXPECTED)('%s: panels sit on the 24-column grid and none overlaps another', (uid) => {
    const panels = parsed[`${uid}.json`].panels;
    for (const p of panels) {
      const g = p.gridPos;
      expect({ panel: p.title, ok: [g.x, g.y, g.w, g.h].every((n) => Number.isInteger(n)) && g.x >= 0 && g.y >= 0 && g.w >= 1 && g.h >= 1 && g.x + g.w <= GRID_COLUMNS }).toEqual({ panel: p.title, ok: true });
    }
    const clashes: string[] = [];
    panels.forEach((a, i) => panels.slice(i + 1).forEach((b) => overlaps(a.gridPos, b.gridPos) && clashes.push(`${a.title} x ${b.title}`)));
    expect(clashes).toEqual([]);
  });

  test('the overlap check itself catches overlaps (and not neighbours)', () => {
    expect(overlaps({ x: 0, y: 0, w: 12, h: 8 }, { x: 11, y: 7, w: 4, h: 4 })).toBe(true);
    expect(overlaps({ x: 0, y: 0, w: 12, h: 8 }, { x: 12, y: 0, w: 12, h: 8 })).toBe(false);
    expect(overlaps({ x: 0, y: 0, w: 12, h: 8 }, { x: 0, y: 8, w: 24, h: 1 })).toBe(false);
  });

  test('expressions use only the $__rate_interval Grafana variable', () => {
    for (const [, d] of entries) {
      for (const e of exprs(d)) expect(e.replace(/\$__rate_interval/g, '')).not.toContain('$');
    }
  });

  test('every recording rule a dashboard reads is defined by the platform rules', () => {
    const ruleCtx = { runbookBase: 'https://example.invalid/runbooks', namespaces: CTX.namespaces, availabilitySlo: CTX.availabilitySlo, latency: { sliSeconds: CTX.latencySliSeconds, pageSeconds: 0.5 }, alertmanagerReplicas: 3 };
    const records = new Set(platformRuleGroups(ruleCtx).flatMap((g) => g.rules.filter((r) => !isAlert(r)).map((r) => (r as { record: string }).record)));
    const used = new Set(entries.flatMap(([, d]) => exprs(d).flatMap((e) => e.match(/\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b/g) ?? [])));
    expect(used.size).toBeGreaterThan(0);
    for (const r of used) expect({ record: r, defined: records.has(r) }).toEqual({ record: r, defined: true });
    // The API dashboard shows every SLO burn window and the recorded p95.
    const api = exprs(parsed['api-red.json']).join('\n');
    for (const r of ['slo:backend_errors:ratio_rate1h', 'slo:backend_errors:ratio_rate6h', 'slo:backend_errors:ratio_rate3d', 'slo:backend_latency_p95:seconds_rate5m']) expect(api).toContain(r);
  });

  test('namespaces and SLO figures come from the context', () => {
    const other = dashboardFiles({ namespaces: { app: 'shop', data: 'shop-data', monitoring: 'obs' }, availabilitySlo: 0.9995, latencySliSeconds: 0.35 });
    const all = Object.values(other).join('\n');
    expect(all).not.toMatch(/namespace(=|=~)\\"[^"]*optibid/);
    expect(all).toContain('namespace=\\"shop\\"');
    expect(all).toContain('namespace=\\"shop-data\\"');
    expect(all).toContain('namespace=~\\"shop|shop-data|obs\\"');
    const api = JSON.parse(other['api-red.json']) as Dashboard;
    expect(exprs(api)).toContain('max(slo:backend_errors:ratio_rate3d{job="backend",namespace="shop"}) / 0.0005');
    expect(JSON.stringify(api)).toContain('"value":0.35');
  });

  test('the selectors name the scrape jobs the platform defines', () => {
    const jobs = new Set(entries.flatMap(([, d]) => exprs(d).flatMap((e) => [...e.matchAll(/job(=~?)"([^"]+)"/g)].flatMap((m) => m[2].split('|')))));
    expect([...jobs].sort()).toEqual(['backend', 'kube-state-metrics', 'kubelet', 'node-exporter', 'pgbouncer', 'postgres', 'redis']);
  });
});
