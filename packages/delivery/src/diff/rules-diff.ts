/**
 * Diff of Prometheus rule files (the `groups:` format) held in ConfigMap data keys.
 *
 * A text diff of a rules file tells the reviewer that lines moved; this says which alerts and
 * recording rules were added, removed or changed, and for a changed alert what its threshold was
 * and is now, which is the part that decides whether someone gets paged.
 */
import { parse } from 'yaml';
import { deepEqual, formatValue, isPlainObject } from './field-diff';

export interface RuleEntry {
  /** Unique within the file set: group, type, name and an occurrence number for duplicates. */
  id: string;
  type: 'alert' | 'record';
  name: string;
  group: string;
  rule: Record<string, unknown>;
}

/** Parses rule groups; undefined when the text is not a Prometheus rules document. */
export function extractRules(text: string): RuleEntry[] | undefined {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(doc) || !Array.isArray(doc.groups)) return undefined;
  const out: RuleEntry[] = [];
  const seen = new Map<string, number>();
  for (const g of doc.groups) {
    if (!isPlainObject(g) || !Array.isArray(g.rules)) return undefined;
    const group = String(g.name ?? '');
    for (const r of g.rules) {
      if (!isPlainObject(r)) continue;
      const type = typeof r.alert === 'string' ? 'alert' : typeof r.record === 'string' ? 'record' : undefined;
      if (!type) continue;
      const name = String(type === 'alert' ? r.alert : r.record);
      // The same record name may be defined several times with different labels.
      const base = `${group}/${type}:${name}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.push({ id: n === 0 ? base : `${base}#${n + 1}`, type, name, group, rule: r });
    }
  }
  return out;
}

/** A data key is treated as rules when its name says so or its content is rule groups. */
export function isRulesKey(key: string, text: string): boolean {
  return /\.rules\.ya?ml$|\.rules$/.test(key) || extractRules(text) !== undefined;
}

const THRESHOLD = /(>=|<=|==|!=|>|<)\s*(bool\s+)?(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w.])/g;

/** Comparison thresholds in a PromQL expression, e.g. `> 0.0144`. */
export function extractThresholds(expr: string): string[] {
  return [...expr.matchAll(THRESHOLD)].map((m) => `${m[1]} ${m[3]}`);
}

function stripThresholds(expr: string): string {
  return expr.replace(THRESHOLD, '$1 N');
}

/** `threshold > 2 → > 1.5` when only numbers moved; otherwise the old and new expressions. */
export function describeExprChange(before: string, after: string): string {
  const tb = extractThresholds(before);
  const ta = extractThresholds(after);
  if (stripThresholds(before) === stripThresholds(after) && tb.length > 0) {
    return `threshold ${tb.join(', ')} → ${ta.join(', ')}`;
  }
  const thresholds = tb.length > 0 || ta.length > 0 ? ` (thresholds: ${tb.join(', ') || 'none'} → ${ta.join(', ') || 'none'})` : '';
  return `expr ${formatValue(before, 160)} → ${formatValue(after, 160)}${thresholds}`;
}

function label(e: RuleEntry): string {
  return `${e.type} ${e.name} (group ${e.group})`;
}

function brief(e: RuleEntry): string {
  const parts = [formatValue(String(e.rule.expr ?? ''), 120)];
  if (e.rule.for !== undefined) parts.push(`for ${String(e.rule.for)}`);
  const labels = isPlainObject(e.rule.labels) ? e.rule.labels : {};
  if (labels.severity !== undefined) parts.push(`severity ${String(labels.severity)}`);
  return parts.join(', ');
}

function changedKeys(a: unknown, b: unknown): string[] {
  const x = isPlainObject(a) ? a : {};
  const y = isPlainObject(b) ? b : {};
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => !deepEqual(x[k], y[k])).sort();
}

/** One line per added, removed or changed rule. */
export function diffRules(before: readonly RuleEntry[], after: readonly RuleEntry[]): string[] {
  const b = new Map(before.map((e) => [e.id, e]));
  const a = new Map(after.map((e) => [e.id, e]));
  const lines: string[] = [];
  for (const e of after) if (!b.has(e.id)) lines.push(`${label(e)} added: ${brief(e)}`);
  for (const e of before) if (!a.has(e.id)) lines.push(`${label(e)} removed`);
  for (const e of after) {
    const old = b.get(e.id);
    if (!old || deepEqual(old.rule, e.rule)) continue;
    const parts: string[] = [];
    if (old.rule.expr !== e.rule.expr) parts.push(describeExprChange(String(old.rule.expr ?? ''), String(e.rule.expr ?? '')));
    for (const k of ['for', 'keep_firing_for'] as const) {
      if (old.rule[k] !== e.rule[k]) parts.push(`${k} ${formatValue(old.rule[k])} → ${formatValue(e.rule[k])}`);
    }
    const ol = isPlainObject(old.rule.labels) ? old.rule.labels : {};
    const nl = isPlainObject(e.rule.labels) ? e.rule.labels : {};
    for (const k of changedKeys(ol, nl)) parts.push(`label ${k} ${formatValue(ol[k])} → ${formatValue(nl[k])}`);
    const ann = changedKeys(old.rule.annotations, e.rule.annotations);
    if (ann.length > 0) parts.push(`annotations changed: ${ann.join(', ')}`);
    const known = new Set(['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
    const other = changedKeys(old.rule, e.rule).filter((k) => !known.has(k));
    if (other.length > 0) parts.push(`${other.join(', ')} changed`);
    lines.push(`${label(e)} changed: ${parts.join('; ')}`);
  }
  return lines;
}
