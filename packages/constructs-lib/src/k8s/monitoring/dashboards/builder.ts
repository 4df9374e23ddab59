/**
 * A small builder for Grafana dashboards as data: panel specs (timeseries, stat, gauge) grouped in rows, laid out on
 * Grafana's 24-column grid left to right (a panel that does not fit wraps to the next line), with integer panel ids
 * assigned in order (rows included). Every panel and target queries the provisioned Prometheus datasource.
 *
 * The JSON model follows Grafana's dashboard schema version 39; Grafana migrates it on load (the rendered JSON stays
 * the reviewed source of truth: dashboards are provisioned read-only).
 */

/** Inputs every dashboard receives. */
export interface DashboardContext {
  readonly namespaces: { readonly app: string; readonly data: string; readonly monitoring: string };
  /** Backend availability SLO, e.g. 0.999. */
  readonly availabilitySlo: number;
  /** Latency SLI threshold in seconds (requests faster than this are "good"). */
  readonly latencySliSeconds: number;
}

/** The provisioned Prometheus datasource (grafana-provisioning ConfigMap, uid `prometheus`). */
export const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;
export const DASHBOARD_TAG = 'optibid';
export const SCHEMA_VERSION = 39;
export const GRID_COLUMNS = 24;

export type Datasource = { readonly type: string; readonly uid: string };

export interface Query {
  readonly expr: string;
  /** Legend, with `{{label}}` placeholders. */
  readonly legend?: string;
}

export interface ThresholdStep {
  readonly color: string;
  /** null = the base step. */
  readonly value: number | null;
}

export interface ValueText {
  readonly value: number;
  readonly text: string;
  readonly color: string;
}

export type PanelType = 'timeseries' | 'stat' | 'gauge';

interface CommonOptions {
  readonly title: string;
  readonly description?: string;
  readonly queries: readonly Query[];
  /** Grafana unit id: `reqps`, `s`, `bytes`, `percentunit`, `short`, `none`, ... */
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  /** Steps above the base colour, ascending. */
  readonly thresholds?: readonly { readonly value: number; readonly color: string }[];
  /** @default green */
  readonly baseColor?: string;
  readonly valueTexts?: readonly ValueText[];
  /** Width in grid columns (1..24). */
  readonly w?: number;
  /** Height in grid units. */
  readonly h?: number;
}

export interface TimeseriesOptions extends CommonOptions {
  /** Stack the series (normal stacking). */
  readonly stack?: boolean;
}

export type StatOptions = CommonOptions;
export type GaugeOptions = CommonOptions;

/** A panel before layout: the dashboard assigns its id and gridPos. */
export interface PanelSpec {
  readonly type: PanelType;
  readonly w: number;
  readonly h: number;
  /** The panel's JSON without id, gridPos, datasource and targets. */
  readonly body: Record<string, unknown>;
  readonly title: string;
  readonly description?: string;
  readonly queries: readonly Query[];
}

export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

export interface DashboardSpec {
  /** Also the file name: `<uid>.json`. */
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly rows: readonly RowSpec[];
}

export interface GridPos {
  readonly h: number;
  readonly w: number;
  readonly x: number;
  readonly y: number;
}

export interface Target {
  readonly datasource: Datasource;
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: boolean;
  readonly instant: boolean;
  readonly editorMode: 'code';
}

export interface Panel {
  readonly id: number;
  readonly type: PanelType | 'row';
  readonly title: string;
  readonly gridPos: GridPos;
  readonly datasource?: Datasource;
  readonly targets?: readonly Target[];
  readonly [key: string]: unknown;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly panels: readonly Panel[];
  readonly schemaVersion: number;
  readonly refresh: string;
  readonly time: { readonly from: string; readonly to: string };
  readonly [key: string]: unknown;
}

/** A number as PromQL text without binary floating-point noise (1 - 0.999 -> 0.001). */
export function promNumber(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  return String(Number(x.toPrecision(12)));
}

/** A label selector `{a="x",b=~"y"}` from an object of label -> value (`=~`/`!=`/`!~` prefixed values: `'=~a|b'`). */
export function sel(matchers: Readonly<Record<string, string>>): string {
  const parts = Object.entries(matchers).map(([k, v]) => {
    const m = /^(=~|!=|!~)(.*)$/s.exec(v);
    return m ? `${k}${m[1]}${JSON.stringify(m[2])}` : `${k}=${JSON.stringify(v)}`;
  });
  return `{${parts.join(',')}}`;
}

/** A `=~` matcher value for exact names (namespaces are DNS labels: no regex metacharacters to escape). */
export function oneOf(values: readonly string[]): string {
  for (const v of values) if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v)) throw new Error(`not a DNS label: ${v}`);
  return `=~${[...new Set(values)].join('|')}`;
}

/** Grafana's rate window (at least four scrape intervals); the PromQL check substitutes a duration for it. */
export const RATE_INTERVAL = '$__rate_interval';

function fieldDefaults(o: CommonOptions, colorMode: 'palette-classic' | 'thresholds'): Record<string, unknown> {
  const steps: ThresholdStep[] = [{ color: o.baseColor ?? 'green', value: null }, ...(o.thresholds ?? []).map((t) => ({ color: t.color, value: t.value }))];
  for (let i = 2; i < steps.length; i++) {
    if ((steps[i].value as number) <= (steps[i - 1].value as number)) throw new Error(`${o.title}: thresholds must ascend`);
  }
  return {
    unit: o.unit ?? 'short',
    ...(o.min !== undefined ? { min: o.min } : {}),
    ...(o.max !== undefined ? { max: o.max } : {}),
    ...(o.decimals !== undefined ? { decimals: o.decimals } : {}),
    color: { mode: colorMode },
    thresholds: { mode: 'absolute', steps },
    mappings: o.valueTexts?.length
      ? [{ type: 'value', options: Object.fromEntries(o.valueTexts.map((v, index) => [String(v.value), { text: v.text, color: v.color, index }])) }]
      : [],
  };
}

const REDUCE_LAST = { calcs: ['lastNotNull'], fields: '', values: false };

function spec(type: PanelType, o: CommonOptions, w: number, h: number, body: Record<string, unknown>): PanelSpec {
  if (o.queries.length === 0) throw new Error(`panel "${o.title}" has no query`);
  return { type, w: o.w ?? w, h: o.h ?? h, title: o.title, description: o.description, queries: o.queries, body };
}

/** A time series graph (default 12 x 8). */
export function timeseries(o: TimeseriesOptions): PanelSpec {
  const defaults = fieldDefaults(o, 'palette-classic');
  return spec('timeseries', o, 12, 8, {
    fieldConfig: {
      defaults: {
        ...defaults,
        custom: {
          drawStyle: 'line',
          lineInterpolation: 'linear',
          lineWidth: 1,
          fillOpacity: o.stack ? 25 : 10,
          gradientMode: 'none',
          showPoints: 'never',
          spanNulls: false,
          axisPlacement: 'auto',
          axisSoftMin: 0,
          stacking: { mode: o.stack ? 'normal' : 'none', group: 'A' },
          // Thresholds are drawn as lines on the graph (the alerting threshold next to the data).
          thresholdsStyle: { mode: o.thresholds?.length ? 'line' : 'off' },
        },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  });
}

/** A single value (default 4 x 4), coloured by its thresholds. */
export function stat(o: StatOptions): PanelSpec {
  return spec('stat', o, 4, 4, {
    fieldConfig: { defaults: fieldDefaults(o, 'thresholds'), overrides: [] },
    options: { reduceOptions: REDUCE_LAST, colorMode: 'value', graphMode: 'area', justifyMode: 'auto', orientation: 'auto', textMode: 'auto', wideLayout: true, showPercentChange: false },
  });
}

/** A gauge (default 6 x 6), coloured by its thresholds. */
export function gauge(o: GaugeOptions): PanelSpec {
  return spec('gauge', o, 6, 6, {
    fieldConfig: { defaults: fieldDefaults(o, 'thresholds'), overrides: [] },
    options: { reduceOptions: REDUCE_LAST, orientation: 'auto', showThresholdLabels: false, showThresholdMarkers: true, sizing: 'auto' },
  });
}

export function row(title: string, panels: readonly PanelSpec[]): RowSpec {
  return { title, panels };
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * The dashboard JSON model: rows and panels laid out top to bottom, ids 1, 2, 3, ... in order; uid = file name,
 * tag `optibid`, refresh 30 s, last 6 hours.
 */
export function dashboard(d: DashboardSpec): Dashboard {
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(d.uid)) throw new Error(`dashboard uid ${d.uid} is not a short lower-case file name`);
  const panels: Panel[] = [];
  let id = 0;
  let y = 0;
  for (const r of d.rows) {
    panels.push({ id: ++id, type: 'row', title: r.title, collapsed: false, gridPos: { h: 1, w: GRID_COLUMNS, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const p of r.panels) {
      if (!Number.isInteger(p.w) || p.w < 1 || p.w > GRID_COLUMNS || !Number.isInteger(p.h) || p.h < 1) throw new Error(`${d.uid}: panel "${p.title}" has an invalid size ${p.w} x ${p.h}`);
      if (x + p.w > GRID_COLUMNS) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      if (p.queries.length > REF_IDS.length) throw new Error(`${d.uid}: panel "${p.title}" has too many queries`);
      panels.push({
        id: ++id,
        type: p.type,
        title: p.title,
        ...(p.description ? { description: p.description } : {}),
        gridPos: { h: p.h, w: p.w, x, y },
        datasource: PROMETHEUS_DATASOURCE,
        targets: p.queries.map((q, i) => ({
          datasource: PROMETHEUS_DATASOURCE,
          refId: REF_IDS[i],
          expr: q.expr,
          legendFormat: q.legend ?? '__auto',
          range: true,
          instant: false,
          editorMode: 'code' as const,
        })),
        ...p.body,
      });
      x += p.w;
      lineHeight = Math.max(lineHeight, p.h);
    }
    y += lineHeight;
  }
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: [DASHBOARD_TAG],
    editable: false,
    graphTooltip: 1,
    timezone: 'utc',
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    annotations: {
      list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' }],
    },
    links: [{ title: 'OptiBid dashboards', type: 'dashboards', tags: [DASHBOARD_TAG], asDropdown: true, includeVars: false, keepTime: true, targetBlank: false, icon: 'external link', tooltip: '', url: '' }],
    templating: { list: [] },
    panels,
  };
}
