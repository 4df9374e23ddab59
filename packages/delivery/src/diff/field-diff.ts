/**
 * Generic deep diff of two JSON-like values into a flat list of path changes.
 *
 * Lists of objects that all carry a unique identity field (`name`, `job_name`, …) are matched by
 * that field rather than by index: inserting one container or port would otherwise report every
 * later element as changed, which hides the real change from the reviewer.
 */

export type ChangeOp = 'added' | 'removed' | 'changed';

export interface FieldChange {
  /** Dotted path, e.g. `spec.template.spec.containers[name=backend].image` or `spec.ports[0].port`. */
  path: string;
  op: ChangeOp;
  before?: unknown;
  after?: unknown;
}

/**
 * Fields that identify an element of a list, tried in order: the label used in the path and how to
 * read it. `metadata.name` covers embedded objects such as volumeClaimTemplates.
 */
export const IDENTITY_FIELDS: readonly { label: string; get: (el: Record<string, unknown>) => unknown }[] = [
  { label: 'name', get: (el) => el.name },
  { label: 'job_name', get: (el) => el.job_name },
  // ExternalSecret spec.data: a key added or its remoteRef changed reads as that key, not as every later index.
  { label: 'secretKey', get: (el) => el.secretKey },
  { label: 'name', get: (el) => (isPlainObject(el.metadata) ? el.metadata.name : undefined) },
];

type Json = unknown;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality for parsed YAML/JSON (key order does not matter). */
export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Appends a key to a path, quoting keys that are not plain identifiers (annotations, data keys). */
export function joinKey(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/** How elements of both lists are identified (unique string on every element), if they can be. */
export function identityField(a: unknown[], b: unknown[]): { label: string; of: (el: unknown) => string } | undefined {
  if (a.length + b.length === 0) return undefined;
  for (const field of IDENTITY_FIELDS) {
    const unique = (list: unknown[]) => {
      const seen = new Set<string>();
      for (const el of list) {
        const id = isPlainObject(el) ? field.get(el) : undefined;
        if (typeof id !== 'string' || seen.has(id)) return false;
        seen.add(id);
      }
      return true;
    };
    if (unique(a) && unique(b)) return { label: field.label, of: (el) => field.get(el as Record<string, unknown>) as string };
  }
  return undefined;
}

function isScalar(v: unknown): boolean {
  return v === null || (typeof v !== 'object' && typeof v !== 'function');
}

/** Longest common subsequence table over two scalar lists: tells which elements were kept. */
function lcsKeep(a: unknown[], b: unknown[]): { keptA: boolean[]; keptB: boolean[] } {
  const n = a.length;
  const m = b.length;
  const t: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i]![j] = deepEqual(a[i], b[j]) ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!);
    }
  }
  const keptA = new Array<boolean>(n).fill(false);
  const keptB = new Array<boolean>(m).fill(false);
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (deepEqual(a[i], b[j])) {
      keptA[i++] = true;
      keptB[j++] = true;
    } else if (t[i + 1]![j]! >= t[i]![j + 1]!) i++;
    else j++;
  }
  return { keptA, keptB };
}

function diffArrays(a: unknown[], b: unknown[], path: string, out: FieldChange[]): void {
  const id = identityField(a, b);
  if (id) {
    const byId = (list: unknown[]) => new Map(list.map((el) => [id.of(el), el]));
    const ma = byId(a);
    const mb = byId(b);
    for (const [key, va] of ma) {
      const p = `${path}[${id.label}=${key}]`;
      if (!mb.has(key)) out.push({ path: p, op: 'removed', before: va });
      else diffInto(va, mb.get(key), p, out);
    }
    for (const [key, vb] of mb) {
      if (!ma.has(key)) out.push({ path: `${path}[${id.label}=${key}]`, op: 'added', after: vb });
    }
    return;
  }
  // Scalar lists (args, verbs, policyTypes): report inserted/removed elements, not index shifts.
  if (a.every(isScalar) && b.every(isScalar) && a.length * b.length <= 250_000) {
    const { keptA, keptB } = lcsKeep(a, b);
    a.forEach((v, i) => {
      if (!keptA[i]) out.push({ path: `${path}[${i}]`, op: 'removed', before: v });
    });
    b.forEach((v, i) => {
      if (!keptB[i]) out.push({ path: `${path}[${i}]`, op: 'added', after: v });
    });
    return;
  }
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const p = `${path}[${i}]`;
    if (i >= a.length) out.push({ path: p, op: 'added', after: b[i] });
    else if (i >= b.length) out.push({ path: p, op: 'removed', before: a[i] });
    else diffInto(a[i], b[i], p, out);
  }
}

function diffInto(a: Json, b: Json, path: string, out: FieldChange[]): void {
  if (deepEqual(a, b)) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of Object.keys(a)) {
      const p = joinKey(path, key);
      if (!Object.prototype.hasOwnProperty.call(b, key)) out.push({ path: p, op: 'removed', before: a[key] });
      else diffInto(a[key], b[key], p, out);
    }
    for (const key of Object.keys(b)) {
      if (!Object.prototype.hasOwnProperty.call(a, key)) out.push({ path: joinKey(path, key), op: 'added', after: b[key] });
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    diffArrays(a, b, path, out);
    return;
  }
  out.push({ path: path || '(root)', op: 'changed', before: a, after: b });
}

/** All differences between `before` and `after`, rooted at `basePath`. */
export function diffValues(before: Json, after: Json, basePath = ''): FieldChange[] {
  const out: FieldChange[] = [];
  if (before === undefined && after !== undefined) out.push({ path: basePath || '(root)', op: 'added', after });
  else if (after === undefined && before !== undefined) out.push({ path: basePath || '(root)', op: 'removed', before });
  else diffInto(before, after, basePath, out);
  return out;
}

/** Reads a value at a list of keys; undefined when any step is missing. */
export function getIn(value: unknown, keys: readonly string[]): unknown {
  let cur: unknown = value;
  for (const k of keys) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** True when `path` is `prefix` or lies beneath it (segment boundary, not a string prefix). */
export function isUnderPath(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  const next = path.charAt(prefix.length);
  return next === '' || next === '.' || next === '[';
}

const MAX_VALUE_CHARS = 80;

/** An image reference (`registry/repo:tag@sha256:...`): its tag and digest are the point, so it is never cut. */
const IMAGE_REF = /^[a-z0-9][\w.\-/]*(:\d+)?\/[\w.\-/]+(:[\w.\-]+)?(@sha256:[0-9a-f]{64})?$|^[\w.\-/]+:[\w.\-]+@sha256:[0-9a-f]{64}$/;

function shorten(s: string, max = MAX_VALUE_CHARS): string {
  if (s.length <= max || IMAGE_REF.test(s)) return s;
  const half = Math.floor((max - 1) / 2);
  return `${s.slice(0, half)}…${s.slice(s.length - half)}`;
}

/** A compact one-line rendering of a value for a change line. */
export function formatValue(v: unknown, max = MAX_VALUE_CHARS): string {
  if (v === undefined) return '(unset)';
  if (typeof v === 'string') {
    if (v.includes('\n')) return `<text, ${v.replace(/\n$/, '').split('\n').length} lines>`;
    // Quote strings that would otherwise read as numbers, booleans or nothing at all.
    // Checksums and digests: the first 12 hex digits identify them well enough in a review.
    if (/^(sha256:)?[0-9a-f]{40,}$/.test(v)) return `${v.slice(0, v.length - v.replace(/^sha256:/, '').length + 12)}…`;
    if (v === '' || /^\s|\s$/.test(v) || /^(-?[\d.]+(e[-+]?\d+)?|true|false|null)$/i.test(v)) return JSON.stringify(v);
    return shorten(v, max);
  }
  if (isScalar(v)) return String(v);
  const full = flow(v);
  if (full.length <= max) return full;
  // Too long for one line: keep the top-level keys, abbreviate what is under them.
  const outline = flow(v, 1);
  return outline.length <= max ? outline : `${outline.slice(0, max - 2)}…${Array.isArray(v) ? ']' : '}'}`;
}

/** Flow-style rendering: `{app: backend, tier: api}` reads better than JSON in a review. */
function flow(v: unknown, depth = Infinity): string {
  if (Array.isArray(v)) return depth <= 0 ? `[…${v.length}]` : `[${v.map((x) => flow(x, depth - 1)).join(', ')}]`;
  if (isPlainObject(v)) {
    return depth <= 0 ? '{…}' : `{${Object.entries(v).map(([k, x]) => `${k}: ${flow(x, depth - 1)}`).join(', ')}}`;
  }
  return typeof v === 'string' ? (v.includes('\n') ? '<text>' : v) : String(v);
}

/**
 * Two long or multi-line strings, shown where they differ: the first changed line (its number), trimmed to the
 * changed part with some context, so a threshold 80 → 85 inside a dashboard or script is visible.
 */
export function focusedStringChange(a: string, b: string, context = 24): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  let line = 0;
  while (line < la.length && line < lb.length && la[line] === lb[line]) line++;
  const x = la[line] ?? '';
  const y = lb[line] ?? '';
  let p = 0;
  while (p < x.length && p < y.length && x[p] === y[p]) p++;
  let q = 0;
  while (q < x.length - p && q < y.length - p && x[x.length - 1 - q] === y[y.length - 1 - q]) q++;
  const window = (t: string) => {
    const start = Math.max(0, p - context);
    const end = Math.min(t.length, t.length - q + context);
    return `${start > 0 ? '…' : ''}${t.slice(start, end)}${end < t.length ? '…' : ''}`;
  };
  const where = la.length > 1 || lb.length > 1 ? `line ${line + 1}: ` : '';
  const more = la.length > 1 || lb.length > 1 ? diffLineCount(la, lb, line) : '';
  return `${where}${JSON.stringify(window(x))} → ${JSON.stringify(window(y))}${more}`;
}

function diffLineCount(la: string[], lb: string[], first: number): string {
  let n = 0;
  for (let i = first; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) n++;
  return n > 1 ? ` (+${n - 1} more changed line${n > 2 ? 's' : ''})` : '';
}

export function formatChange(c: FieldChange): string {
  switch (c.op) {
    case 'added':
      return `${c.path}: added ${formatValue(c.after)}`;
    case 'removed':
      return `${c.path}: removed (was ${formatValue(c.before)})`;
    default:
      if (typeof c.before === 'string' && typeof c.after === 'string' && (c.before.includes('\n') || c.after.includes('\n') || c.before.length > MAX_VALUE_CHARS || c.after.length > MAX_VALUE_CHARS) && !IMAGE_REF.test(c.after)) {
        return `${c.path}: ${focusedStringChange(c.before, c.after)}`;
      }
      return `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`;
  }
}

/** Renders at most `max` changes, then a count of the rest. */
export function formatChanges(changes: FieldChange[], max = 10): string[] {
  const lines = changes.slice(0, max).map(formatChange);
  if (changes.length > max) lines.push(`… and ${changes.length - max} more`);
  return lines;
}
