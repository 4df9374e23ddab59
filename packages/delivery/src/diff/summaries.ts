/**
 * Human summaries of a changed Kubernetes object.
 *
 * Kind-specific summaries say what a reviewer looks for first (replicas, images, resources, env,
 * probes; ConfigMap keys and alert thresholds; HPA bounds). Whatever they do not cover is still
 * listed as field paths, so a summary never hides a change.
 */
import { focusedStringChange } from './field-diff';
import { parse } from 'yaml';
import {
  type FieldChange,
  deepEqual,
  diffValues,
  formatChange,
  formatChanges,
  formatValue,
  getIn,
  isPlainObject,
  isUnderPath,
} from './field-diff';
import type { K8sObject } from './k8s-objects';
import { diffRules, extractRules, isRulesKey, type RuleEntry } from './rules-diff';

export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

/** Where the pod spec lives for each workload kind. */
export function podSpecKeys(kind: string): string[] | undefined {
  if (kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
  return WORKLOAD_KINDS.has(kind) ? ['spec', 'template', 'spec'] : undefined;
}

interface SummaryPart {
  lines: string[];
  /** Field paths the lines account for; excluded from the generic path list. */
  covered: string[];
}

type Doc = Record<string, unknown>;

function namedList(v: unknown): Map<string, Doc> {
  const m = new Map<string, Doc>();
  if (Array.isArray(v)) for (const el of v) if (isPlainObject(el) && typeof el.name === 'string') m.set(el.name, el);
  return m;
}

function envValue(e: Doc | undefined): string {
  if (!e) return '(unset)';
  if ('value' in e) return formatValue(e.value);
  const from = isPlainObject(e.valueFrom) ? e.valueFrom : {};
  const ref = (k: string) => (isPlainObject(from[k]) ? (from[k] as Doc) : undefined);
  const s = ref('secretKeyRef');
  if (s) return `secret ${String(s.name)}/${String(s.key)}`;
  const c = ref('configMapKeyRef');
  if (c) return `configmap ${String(c.name)}/${String(c.key)}`;
  const f = ref('fieldRef');
  if (f) return `field ${String(f.fieldPath)}`;
  const r = ref('resourceFieldRef');
  if (r) return `resource ${String(r.resource)}`;
  return formatValue(from);
}

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

function containerLines(label: string, base: string, a: Doc, b: Doc): SummaryPart {
  const lines: string[] = [];
  const covered = [`${base}.image`, `${base}.resources`, `${base}.env`, ...PROBES.map((p) => `${base}.${p}`)];
  if (a.image !== b.image) lines.push(`${label}: image ${formatValue(a.image, 120)} → ${formatValue(b.image, 120)}`);
  for (const c of diffValues(a.resources ?? {}, b.resources ?? {})) lines.push(`${label}: resources ${formatChange(c)}`);
  const ea = namedList(a.env);
  const eb = namedList(b.env);
  for (const [n, v] of eb) if (!ea.has(n)) lines.push(`${label}: env ${n} added = ${envValue(v)}`);
  for (const n of ea.keys()) if (!eb.has(n)) lines.push(`${label}: env ${n} removed`);
  for (const [n, v] of eb) {
    const old = ea.get(n);
    if (old && !deepEqual(old, v)) lines.push(`${label}: env ${n}: ${envValue(old)} → ${envValue(v)}`);
  }
  for (const p of PROBES) {
    if (deepEqual(a[p], b[p])) continue;
    if (a[p] === undefined) lines.push(`${label}: ${p} added ${formatValue(b[p])}`);
    else if (b[p] === undefined) lines.push(`${label}: ${p} removed`);
    else for (const c of diffValues(a[p], b[p], p)) lines.push(`${label}: ${formatChange(c)}`);
  }
  return { lines, covered };
}

/** Whether applying restarts pods: a reviewer of a database StatefulSet needs to know. */
function rolloutNote(before: K8sObject, after: K8sObject, templateKeys: string[]): string | undefined {
  if (deepEqual(getIn(before.doc, templateKeys), getIn(after.doc, templateKeys))) return undefined;
  if (after.kind === 'CronJob' || after.kind === 'Job') return undefined;
  if (getIn(after.doc, ['spec', 'updateStrategy', 'type']) === 'OnDelete') return 'pod template changed: pods pick it up only when deleted (OnDelete)';
  return 'pod template changed: pods are replaced on apply (rollout)';
}

export function summarizeWorkload(before: K8sObject, after: K8sObject): SummaryPart {
  const lines: string[] = [];
  const covered: string[] = [];
  const ra = getIn(before.doc, ['spec', 'replicas']);
  const rb = getIn(after.doc, ['spec', 'replicas']);
  if (!deepEqual(ra, rb)) {
    lines.push(`replicas: ${formatValue(ra)} → ${formatValue(rb)}`);
    covered.push('spec.replicas');
  }
  const keys = podSpecKeys(after.kind);
  if (!keys) return { lines, covered };
  const rollout = rolloutNote(before, after, keys.slice(0, -1));
  if (rollout) lines.unshift(rollout);
  const pa = getIn(before.doc, keys);
  const pb = getIn(after.doc, keys);
  const podPath = keys.join('.');
  for (const listKey of ['initContainers', 'containers'] as const) {
    const word = listKey === 'containers' ? 'container' : 'init container';
    const ca = namedList(getIn(pa, [listKey]));
    const cb = namedList(getIn(pb, [listKey]));
    for (const [n, c] of cb) {
      const base = `${podPath}.${listKey}[name=${n}]`;
      const old = ca.get(n);
      if (!old) {
        lines.push(`${word} ${n} added (image ${formatValue(c.image, 120)})`);
        covered.push(base);
      } else {
        const part = containerLines(`${word} ${n}`, base, old, c);
        lines.push(...part.lines);
        covered.push(...part.covered);
      }
    }
    for (const [n, c] of ca) {
      if (cb.has(n)) continue;
      lines.push(`${word} ${n} removed (image ${formatValue(c.image, 120)})`);
      covered.push(`${podPath}.${listKey}[name=${n}]`);
    }
  }
  return { lines, covered };
}

/** Lines added and removed between two texts, counted as multisets (cheap, order-insensitive). */
export function lineDelta(before: string, after: string): { added: number; removed: number } {
  const count = new Map<string, number>();
  for (const l of before.split('\n')) count.set(l, (count.get(l) ?? 0) + 1);
  let added = 0;
  for (const l of after.split('\n')) {
    const n = count.get(l) ?? 0;
    if (n > 0) count.set(l, n - 1);
    else added++;
  }
  let removed = 0;
  for (const n of count.values()) removed += n;
  return { added, removed };
}

function parseStructured(text: string): Doc | undefined {
  try {
    const v: unknown = parse(text);
    return isPlainObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function lineCount(text: string): number {
  return text.replace(/\n$/, '').split('\n').length;
}

export function summarizeConfigMap(before: K8sObject, after: K8sObject, maxPaths = 5): SummaryPart {
  const lines: string[] = [];
  const rulesBefore: RuleEntry[] = [];
  const rulesAfter: RuleEntry[] = [];
  for (const field of ['data', 'binaryData'] as const) {
    const da = isPlainObject(before.doc[field]) ? (before.doc[field] as Doc) : {};
    const db = isPlainObject(after.doc[field]) ? (after.doc[field] as Doc) : {};
    const keys = [...new Set([...Object.keys(da), ...Object.keys(db)])].sort();
    for (const k of keys) {
      const va = da[k] === undefined ? undefined : String(da[k]);
      const vb = db[k] === undefined ? undefined : String(db[k]);
      const word = field === 'data' ? 'data key' : 'binaryData key';
      if (va !== undefined && field === 'data' && isRulesKey(k, va)) rulesBefore.push(...(extractRules(va) ?? []));
      if (vb !== undefined && field === 'data' && isRulesKey(k, vb)) rulesAfter.push(...(extractRules(vb) ?? []));
      if (va === vb) continue;
      if (va === undefined) {
        lines.push(`${word} ${k} added (${plural(lineCount(vb!), 'line')})`);
        continue;
      }
      if (vb === undefined) {
        lines.push(`${word} ${k} removed`);
        continue;
      }
      const d = lineDelta(va, vb);
      lines.push(`${word} ${k} changed (+${d.added} −${d.removed} lines)`);
      // Structured config (prometheus.yml, alertmanager.yml, …): name the paths that changed.
      if (field === 'data' && !isRulesKey(k, va) && !isRulesKey(k, vb)) {
        const sa = parseStructured(va);
        const sb = parseStructured(vb);
        if (sa && sb) for (const l of formatChanges(diffValues(sa, sb), maxPaths)) lines.push(`  ${k}: ${l}`);
        // Scripts and other text: where it changed, so a number inside it (a threshold, a timeout) is seen.
        else lines.push(`  ${k}: ${focusedStringChange(va, vb)}`);
      }
    }
  }
  const ruleLines = diffRules(rulesBefore, rulesAfter);
  if (ruleLines.length > 0) lines.push(...ruleLines.map((l) => `  ${l}`));
  return { lines, covered: ['data', 'binaryData'] };
}

/** Secret values never reach the report (it ends up in a PR comment): only which keys changed. */
export function summarizeSecret(before: K8sObject, after: K8sObject): SummaryPart {
  const lines: string[] = [];
  for (const field of ['data', 'stringData'] as const) {
    const da = isPlainObject(before.doc[field]) ? (before.doc[field] as Doc) : {};
    const db = isPlainObject(after.doc[field]) ? (after.doc[field] as Doc) : {};
    for (const k of [...new Set([...Object.keys(da), ...Object.keys(db)])].sort()) {
      if (!(k in da)) lines.push(`${field} key ${k} added (value not shown)`);
      else if (!(k in db)) lines.push(`${field} key ${k} removed`);
      else if (!deepEqual(da[k], db[k])) lines.push(`${field} key ${k} changed (value not shown)`);
    }
  }
  return { lines, covered: ['data', 'stringData'] };
}

export function summarizeHpa(before: K8sObject, after: K8sObject): SummaryPart {
  const lines: string[] = [];
  const covered: string[] = [];
  for (const k of ['minReplicas', 'maxReplicas'] as const) {
    const a = getIn(before.doc, ['spec', k]);
    const b = getIn(after.doc, ['spec', k]);
    if (!deepEqual(a, b)) {
      lines.push(`${k}: ${formatValue(a)} → ${formatValue(b)}`);
      covered.push(`spec.${k}`);
    }
  }
  return { lines, covered };
}

/** Field changes not accounted for by a kind-specific summary. */
export function uncovered(changes: FieldChange[], covered: readonly string[]): FieldChange[] {
  return changes.filter((c) => !covered.some((p) => isUnderPath(c.path, p)));
}

/** All summary lines for one changed object; other changed paths are listed up to `maxPaths`. */
export function summarizeChange(before: K8sObject, after: K8sObject, maxPaths = 10): string[] {
  let part: SummaryPart = { lines: [], covered: [] };
  if (WORKLOAD_KINDS.has(after.kind)) part = summarizeWorkload(before, after);
  else if (after.kind === 'ConfigMap') part = summarizeConfigMap(before, after);
  else if (after.kind === 'HorizontalPodAutoscaler') part = summarizeHpa(before, after);
  else if (after.kind === 'Secret' && after.group === '') part = summarizeSecret(before, after);
  const rest = uncovered(diffValues(before.doc, after.doc), part.covered);
  return [...part.lines, ...formatChanges(rest, maxPaths)];
}
