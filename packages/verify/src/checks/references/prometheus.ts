/**
 * `scrape-targets`: every `job="..."` (and `job=~"..."`) a Prometheus rule selects is produced by the rendered
 * Prometheus configuration. The scrape configs are evaluated over the rendered objects: Kubernetes service discovery
 * (`pod`, `endpoints`/`endpointslice`, `service`, `node` roles) yields one candidate target per pod-template port
 * (resp. Service port, node) with the `__meta_kubernetes_*` labels Prometheus would give it, and the
 * `relabel_configs` are applied as Prometheus applies them (replace, keep, drop, keepequal, dropequal, labelmap,
 * labeldrop, labelkeep, lowercase, uppercase; hashmod gives 0). A rule selecting `job="postgres"` thus needs a pod
 * template labelled `app.kubernetes.io/name: postgres` with `prometheus.io/scrape: "true"` when jobs come from that
 * label. When a selector also says `namespace="..."`, the target must be in that namespace, unless the scrape config
 * honours the scraped labels (`honor_labels`) or sets no namespace label.
 *
 * Both alerting and recording rules are checked (alerts usually read recording rules, which read the jobs).
 */
import { parse as parseYaml } from 'yaml';
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { containersOf, kubeIndex, mapSelector, ofKind, podsSelected, type PodTemplate } from './kube';
import { type MakeFinding } from '../../rule-set';

/** A target the configuration scrapes, after relabelling. */
export interface ScrapeTarget {
  readonly scrapeConfig: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly honorLabels: boolean;
  /** What it was discovered from, e.g. `Deployment/optibid/backend port metrics`. */
  readonly from: string;
}

const sanitize = (s: string) => s.replace(/[^a-zA-Z0-9_]/g, '_');

function compile(regex: string | undefined): RegExp {
  let r = regex ?? '(.*)';
  let flags = '';
  if (r.startsWith('(?i)')) {
    r = r.slice(4);
    flags = 'i';
  }
  return new RegExp(`^(?:${r})$`, flags);
}

function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
    const g = (a ?? b)!;
    return /^\d+$/.test(g) ? (m[Number(g)] ?? '') : (m.groups?.[g] ?? '');
  });
}

/** Applies `relabel_configs` as Prometheus does; undefined when the target is dropped. */
export function relabel(input: Record<string, string>, configs: readonly any[]): Record<string, string> | undefined {
  const l = new Map(Object.entries(input));
  for (const rc of configs ?? []) {
    const action = String(rc.action ?? 'replace').toLowerCase();
    const re = compile(rc.regex);
    const src = (rc.source_labels ?? []).map((n: string) => l.get(n) ?? '').join(rc.separator ?? ';');
    switch (action) {
      case 'replace': {
        const m = re.exec(src);
        if (!m) break;
        const target = expand(String(rc.target_label ?? ''), m);
        if (!target) break;
        const value = expand(String(rc.replacement ?? '$1'), m);
        if (value === '') l.delete(target);
        else l.set(target, value);
        break;
      }
      case 'keep':
        if (!re.test(src)) return undefined;
        break;
      case 'drop':
        if (re.test(src)) return undefined;
        break;
      case 'keepequal':
        if (src !== (l.get(rc.target_label) ?? '')) return undefined;
        break;
      case 'dropequal':
        if (src === (l.get(rc.target_label) ?? '')) return undefined;
        break;
      case 'labelmap':
        for (const [k, v] of [...l.entries()]) {
          const m = re.exec(k);
          if (m) l.set(expand(String(rc.replacement ?? '$1'), m), v);
        }
        break;
      case 'labeldrop':
        for (const k of [...l.keys()]) if (re.test(k)) l.delete(k);
        break;
      case 'labelkeep':
        for (const k of [...l.keys()]) if (!re.test(k)) l.delete(k);
        break;
      case 'lowercase':
        l.set(rc.target_label, src.toLowerCase());
        break;
      case 'uppercase':
        l.set(rc.target_label, src.toUpperCase());
        break;
      case 'hashmod':
        l.set(rc.target_label, '0');
        break;
      default:
        break;
    }
  }
  return Object.fromEntries(l);
}

function podMeta(t: PodTemplate, prefix = '__meta_kubernetes_pod_'): Record<string, string> {
  const m: Record<string, string> = {
    [`${prefix}name`]: `${t.owner.metadata.name}-0`,
    [`${prefix}phase`]: 'Running',
    [`${prefix}ready`]: 'true',
    [`${prefix}node_name`]: 'node',
    [`${prefix}controller_kind`]: t.owner.kind === 'Deployment' ? 'ReplicaSet' : t.owner.kind === 'CronJob' ? 'Job' : t.owner.kind,
    [`${prefix}controller_name`]: t.owner.metadata.name,
    [`${prefix}ip`]: '10.0.0.1',
  };
  for (const [k, v] of Object.entries(t.labels)) {
    m[`${prefix}label_${sanitize(k)}`] = v;
    m[`${prefix}labelpresent_${sanitize(k)}`] = 'true';
  }
  for (const [k, v] of Object.entries(t.annotations)) {
    m[`${prefix}annotation_${sanitize(k)}`] = v;
    m[`${prefix}annotationpresent_${sanitize(k)}`] = 'true';
  }
  return m;
}

function containerPortMeta(c: any, p: any, init: boolean): Record<string, string> {
  return {
    __meta_kubernetes_pod_container_name: c.name,
    __meta_kubernetes_pod_container_init: String(init),
    ...(p
      ? {
          __meta_kubernetes_pod_container_port_name: p.name ?? '',
          __meta_kubernetes_pod_container_port_number: String(p.containerPort),
          __meta_kubernetes_pod_container_port_protocol: p.protocol ?? 'TCP',
        }
      : {}),
  };
}

function serviceMeta(svc: KubeObject): Record<string, string> {
  const m: Record<string, string> = { __meta_kubernetes_service_name: svc.metadata.name, __meta_kubernetes_namespace: svc.metadata.namespace ?? 'default' };
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
    m[`__meta_kubernetes_service_label_${sanitize(k)}`] = v;
    m[`__meta_kubernetes_service_labelpresent_${sanitize(k)}`] = 'true';
  }
  for (const [k, v] of Object.entries(svc.metadata.annotations ?? {})) {
    m[`__meta_kubernetes_service_annotation_${sanitize(k)}`] = v;
    m[`__meta_kubernetes_service_annotationpresent_${sanitize(k)}`] = 'true';
  }
  return m;
}

function candidates(env: RenderedEnvironment, sd: any, ownNamespace: string): { meta: Record<string, string>; from: string }[] {
  const ns: string[] | undefined = sd.namespaces?.names ?? (sd.namespaces?.own_namespace ? [ownNamespace] : undefined);
  const inNs = (n: string) => !ns || ns.includes(n);
  const out: { meta: Record<string, string>; from: string }[] = [];
  const role = String(sd.role ?? '').toLowerCase();
  if (role === 'pod') {
    for (const t of kubeIndex(env).podTemplates.filter((x) => inNs(x.namespace))) {
      const base = { ...podMeta(t), __meta_kubernetes_namespace: t.namespace };
      let any = false;
      for (const { container: c, init } of containersOf(t)) {
        for (const p of c.ports ?? []) {
          any = true;
          out.push({ meta: { ...base, ...containerPortMeta(c, p, init), __address__: `10.0.0.1:${p.containerPort}` }, from: `${t.ownerId} port ${p.name ?? p.containerPort}` });
        }
      }
      if (!any) out.push({ meta: { ...base, __address__: '10.0.0.1' }, from: t.ownerId });
    }
  } else if (role === 'endpoints' || role === 'endpointslice' || role === 'service') {
    for (const svc of ofKind(env, 'Service').filter((s) => inNs(s.metadata.namespace ?? 'default'))) {
      (svc.spec?.ports ?? []).forEach((sp: any) => {
        const meta = { ...serviceMeta(svc), __meta_kubernetes_service_port_name: sp.name ?? '', __meta_kubernetes_service_port_number: String(sp.port), __meta_kubernetes_service_port_protocol: sp.protocol ?? 'TCP' };
        if (role === 'service') {
          out.push({ meta: { ...meta, __address__: `${svc.metadata.name}.${svc.metadata.namespace}.svc:${sp.port}` }, from: `${objectId(svc)} port ${sp.name ?? sp.port}` });
          return;
        }
        const sel = mapSelector(svc.spec?.selector);
        for (const t of sel ? podsSelected(env, svc.metadata.namespace ?? 'default', sel) : []) {
          out.push({ meta: { ...meta, ...podMeta(t), __address__: `10.0.0.1:${typeof sp.targetPort === 'number' ? sp.targetPort : sp.port}` }, from: `${objectId(svc)} port ${sp.name ?? sp.port} (${t.ownerId})` });
        }
      });
    }
  } else if (role === 'node') {
    out.push({ meta: { __meta_kubernetes_node_name: 'node', __address__: '10.0.0.1:10250' }, from: 'every node' });
  }
  return out;
}

/** Every target a Prometheus configuration scrapes over the rendered objects. */
export function scrapeTargets(env: RenderedEnvironment, config: any, ownNamespace: string): ScrapeTarget[] {
  const out: ScrapeTarget[] = [];
  for (const sc of config?.scrape_configs ?? []) {
    const jobName = String(sc.job_name);
    const base = { job: jobName, __scheme__: sc.scheme ?? 'http', __metrics_path__: sc.metrics_path ?? '/metrics' };
    const cands: { meta: Record<string, string>; from: string }[] = [];
    for (const sd of sc.kubernetes_sd_configs ?? []) cands.push(...candidates(env, sd, ownNamespace));
    for (const st of sc.static_configs ?? []) for (const t of st.targets ?? []) cands.push({ meta: { ...(st.labels ?? {}), __address__: String(t) }, from: `static target ${t}` });
    const otherSd = Object.keys(sc).some((k) => k.endsWith('_sd_configs') && k !== 'kubernetes_sd_configs');
    if (otherSd) cands.push({ meta: { __address__: 'discovered' }, from: 'non-Kubernetes service discovery' });
    for (const c of cands) {
      const labels = relabel({ ...base, ...c.meta }, sc.relabel_configs ?? []);
      if (!labels || !labels.__address__) continue;
      out.push({ scrapeConfig: jobName, labels: Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('__'))), honorLabels: sc.honor_labels === true, from: c.from });
    }
  }
  return out;
}

/** A label matcher of a PromQL series selector. */
export interface Matcher {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** The `{...}` series selectors of a PromQL expression, as matcher lists (strings and comments are skipped). */
export function seriesSelectors(expr: string): Matcher[][] {
  const out: Matcher[][] = [];
  let i = 0;
  const skipString = (q: string) => {
    i++;
    while (i < expr.length && expr[i] !== q) i += expr[i] === '\\' && q !== '`' ? 2 : 1;
    i++;
  };
  while (i < expr.length) {
    const ch = expr[i];
    if (ch === '"' || ch === "'" || ch === '`') skipString(ch);
    else if (ch === '#') while (i < expr.length && expr[i] !== '\n') i++;
    else if (ch === '{') {
      const start = ++i;
      while (i < expr.length && expr[i] !== '}') {
        if (expr[i] === '"' || expr[i] === "'" || expr[i] === '`') skipString(expr[i]);
        else i++;
      }
      const body = expr.slice(start, i++);
      const matchers: Matcher[] = [];
      for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g)) {
        const raw = m[3];
        const value = raw.startsWith('"') ? JSON.parse(raw) : raw.slice(1, -1).replace(/\\(.)/g, '$1');
        matchers.push({ name: m[1], op: m[2] as Matcher['op'], value });
      }
      out.push(matchers);
    } else i++;
  }
  return out;
}

function matcherAccepts(m: Matcher, value: string | undefined): boolean {
  const v = value ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return compile(m.value).test(v);
    case '!~':
      return !compile(m.value).test(v);
  }
}

interface ConfigSource {
  readonly cm: KubeObject;
  readonly key: string;
  readonly parsed: any;
}

function yamlValues(env: RenderedEnvironment, marker: RegExp): ConfigSource[] {
  const out: ConfigSource[] = [];
  for (const cm of ofKind(env, 'ConfigMap')) {
    for (const [key, text] of Object.entries<unknown>(cm.data ?? {})) {
      if (typeof text !== 'string' || !marker.test(text)) continue;
      try {
        out.push({ cm, key, parsed: parseYaml(text) });
      } catch {
        /* not YAML: not a Prometheus file */
      }
    }
  }
  return out;
}

export function scrapeTargetsRule(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const rule = 'scrape-targets';
  const out: Finding[] = [];
  const configs = yamlValues(env, /^scrape_configs:/m).filter((c) => Array.isArray(c.parsed?.scrape_configs));
  const ruleFiles = yamlValues(env, /^groups:/m).filter((c) => Array.isArray(c.parsed?.groups));
  if (!ruleFiles.length) return out;
  const targets = configs.flatMap((c) => scrapeTargets(env, c.parsed, c.cm.metadata.namespace ?? 'default'));
  const configNames = configs.map((c) => `${objectId(c.cm)} ${c.key}`).join(', ') || 'no rendered Prometheus configuration';
  const jobsSummary = [...new Set(targets.map((t) => (t.labels.namespace ? `${t.labels.job}@${t.labels.namespace}` : t.labels.job)))].sort().join(', ');
  for (const rf of ruleFiles) {
    rf.parsed.groups.forEach((g: any, gi: number) => {
      (g?.rules ?? []).forEach((r: any, ri: number) => {
        if (typeof r?.expr !== 'string') return;
        const name = r.alert ? `alert ${r.alert}` : `recording rule ${r.record}`;
        const reported = new Set<string>();
        for (const sel of seriesSelectors(r.expr)) {
          const jobs = sel.filter((m) => m.name === 'job' && (m.op === '=' || m.op === '=~'));
          if (!jobs.length) continue;
          const ns = sel.filter((m) => m.name === 'namespace');
          const ok = targets.some((t) => jobs.every((m) => matcherAccepts(m, t.labels.job)) && (t.honorLabels || t.labels.namespace === undefined || ns.every((m) => matcherAccepts(m, t.labels.namespace))));
          const what = [...jobs, ...ns].map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(',');
          if (!ok && !reported.has(what)) {
            reported.add(what);
            out.push(f(rule, objectId(rf.cm), `data[${JSON.stringify(rf.key)}].groups[${gi}].rules[${ri}].expr`, `${name} (group ${g.name}) selects {${what}}, but no target scraped by ${configNames} has that job${ns.length ? ' in that namespace' : ''}: the series will never exist (scraped jobs: ${jobsSummary || 'none'})`));
          }
        }
      });
    });
  }
  return out;
}
