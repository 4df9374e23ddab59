import * as path from 'path';
import ts from 'typescript';
import { finding, type Finding, type RenderedObject } from '../types';
import { resolveModel, type ModelRef } from './registry';

/** Check name of the type-level (excess property) validation. */
export const SCHEMA_STRICT_CHECK = 'schema-strict';

/**
 * Where the generated source pretends to live: inside this package, so module resolution walks up to the
 * node_modules that hold kubernetes-models. Never written to disk.
 */
const VIRTUAL_FILE = path.resolve(__dirname, '../../..', '__schema-strict__.generated.ts');

const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  // Honour package "exports" with the "types"/"import" conditions (kubernetes-models is ESM-only).
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  target: ts.ScriptTarget.ES2022,
  // The model typings only need ES5 (Array, Record); a small lib keeps the program fast.
  lib: ['lib.es5.d.ts'],
  types: [],
  noErrorTruncation: true,
  exactOptionalPropertyTypes: false,
};

/** Parsed library/.d.ts files, shared by every call: only the generated file changes between programs. */
const sourceFileCache = new Map<string, ts.SourceFile | undefined>();
let previousProgram: ts.Program | undefined;

export interface StrictTypesOptions {
  /**
   * Report objects whose apiVersion/kind has no published model (default true). The CLI turns it off because
   * validateWithModels already reports them under the `schema` check.
   */
  readonly reportUnresolved?: boolean;
}

/** Property path from the object root: keys and array indices. */
type Keys = readonly (string | number)[];

/** `['spec', 'containers', 0, 'bogus']` -> `spec.containers[0].bogus`. */
export function formatPath(keys: Keys): string {
  let out = '';
  for (const k of keys) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(k)) out += out ? `.${k}` : k;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out || '<root>';
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * The object as a TS literal, one property per line. `null` means "unset" to the API server, so it becomes
 * `undefined` (accepted by optional fields only). Identifier keys are left unquoted so messages read `'bogus'`.
 */
function literal(value: unknown, indent: string): string {
  if (value === null || value === undefined) return 'undefined';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + literal(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    const key = (k: string) => (IDENTIFIER.test(k) && k !== '__proto__' ? k : JSON.stringify(k));
    return `{\n${entries.map(([k, v]) => `${inner}${key(k)}: ${literal(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return '(0 as number)';
  return JSON.stringify(value);
}

function propertyName(sf: ts.SourceFile, p: ts.PropertyAssignment): string {
  return ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name) ? p.name.text : p.name.getText(sf);
}

/** Keys of the literal node that contains `pos` (the deepest property or element around it). */
function keysAt(sf: ts.SourceFile, root: ts.Expression, pos: number): (string | number)[] {
  const keys: (string | number)[] = [];
  let cur: ts.Expression | undefined = root;
  while (cur) {
    let next: ts.Expression | undefined;
    if (ts.isObjectLiteralExpression(cur)) {
      for (const p of cur.properties) {
        if (!ts.isPropertyAssignment(p) || pos < p.getStart(sf) || pos >= p.end) continue;
        keys.push(propertyName(sf, p));
        next = p.initializer;
        break;
      }
    } else if (ts.isArrayLiteralExpression(cur)) {
      const i = cur.elements.findIndex((e) => pos >= e.getStart(sf) && pos < e.end);
      if (i >= 0) {
        keys.push(i);
        next = cur.elements[i];
      }
    }
    cur = next;
  }
  return keys;
}

function flatten(d: ts.Diagnostic): string {
  return ts
    .flattenDiagnosticMessageText(d.messageText, '\n')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/Property '"([^"']+)"'/g, "Property '$1'"); // the model typings quote every key
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

function createHost(virtualText: string): ts.CompilerHost {
  const host = ts.createCompilerHost(COMPILER_OPTIONS, true);
  const virtual = ts.createSourceFile(VIRTUAL_FILE, virtualText, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (path.resolve(fileName) === VIRTUAL_FILE) return virtual;
    const v = typeof languageVersion === 'object' ? `${languageVersion.languageVersion}/${languageVersion.impliedNodeFormat}` : languageVersion;
    const key = `${fileName}\0${v}`;
    if (!sourceFileCache.has(key)) sourceFileCache.set(key, getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate));
    return sourceFileCache.get(key);
  };
  host.fileExists = (fileName) => path.resolve(fileName) === VIRTUAL_FILE || fileExists.call(host, fileName);
  host.readFile = (fileName) => (path.resolve(fileName) === VIRTUAL_FILE ? virtualText : readFile.call(host, fileName));
  host.writeFile = () => undefined;
  return host;
}

/** One object to compile against one model interface. */
interface Entry {
  readonly object: RenderedObject;
  readonly model: ModelRef;
  /** The value to type-check (the object itself, or a copy without its unknown fields). */
  readonly value: unknown;
}

interface Issue {
  readonly keys: Keys;
  readonly message: string;
  /** Found by the unknown-field walk (not a compiler diagnostic). */
  readonly unknownField: boolean;
}

/** The set of property names an object literal may use under `type`, or undefined when anything goes. */
function knownProperties(
  checker: ts.TypeChecker,
  type: ts.Type,
): { has: (name: string) => boolean; suggest: (name: string) => string | undefined; typeName: string } | undefined {
  const parts = (type.isUnion() ? type.types : [type]).filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
  if (parts.some((t) => t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive))) return undefined;
  const objects = parts.filter((t) => t.flags & ts.TypeFlags.Object || t.isIntersection());
  // No object type expected (a string, say): the compiler reports the mismatch itself.
  if (objects.length === 0 || objects.some((t) => checker.isArrayType(t) || checker.isTupleType(t))) return undefined;
  // Free-form maps (labels, CRD `x-kubernetes-preserve-unknown-fields`, `{}`) accept any key.
  if (objects.some((t) => checker.getIndexInfosOfType(t).length > 0 || checker.getPropertiesOfType(t).length === 0)) return undefined;
  return {
    has: (name) => objects.some((t) => checker.getPropertyOfType(t, name) !== undefined),
    suggest: (name) => {
      const candidates = objects.flatMap((t) => checker.getPropertiesOfType(t).map((p) => p.name));
      const best = candidates.map((c) => ({ c, d: distance(name.toLowerCase(), c.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
      return best && best.d <= Math.max(1, Math.floor(name.length / 4)) ? best.c : undefined;
    },
    typeName: objects.map((t) => checker.typeToString(t)).join(' | '),
  };
}

/**
 * Compiles `export const oN: I<Kind> = <literal>;` for every entry in one program and returns, per entry, the
 * compiler diagnostics plus EVERY unknown field (the compiler's own excess property check stops at the first
 * one per declaration, so the literal is also walked against its contextual types).
 */
function compile(entries: readonly Entry[]): Issue[][] {
  const aliases = new Map<string, string>(); // specifier -> local alias
  const importLines: string[] = [];
  const aliasOf = entries.map(({ model }) => {
    let alias = aliases.get(model.specifier);
    if (!alias) {
      alias = `T${aliases.size}`;
      aliases.set(model.specifier, alias);
      importLines.push(`import type { ${model.typeName} as ${alias} } from ${JSON.stringify(model.specifier)};`);
    }
    return alias;
  });
  let text = importLines.join('\n') + '\n\n';
  const importsEnd = text.length;
  const ranges = entries.map((e, i) => {
    const start = text.length;
    text += `// ${e.object.env}/${e.object.file}\nexport const o${i}: ${aliasOf[i]} = ${literal(e.value, '')};\n\n`;
    return { start, end: text.length };
  });

  const program = ts.createProgram({ rootNames: [VIRTUAL_FILE], options: COMPILER_OPTIONS, host: createHost(text), oldProgram: previousProgram });
  previousProgram = program;
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (global.length) throw new Error(`schema-strict: compiler setup failed: ${global.map(flatten).join('; ')}`);
  const sf = program.getSourceFile(VIRTUAL_FILE)!;
  const checker = program.getTypeChecker();
  const issues: Issue[][] = entries.map(() => []);

  const initializers: ts.Expression[] = [];
  for (const st of sf.statements) {
    if (ts.isVariableStatement(st) && st.declarationList.declarations[0]?.initializer) initializers.push(st.declarationList.declarations[0].initializer);
  }
  if (initializers.length !== entries.length) throw new Error('schema-strict: generated source does not match the objects');

  const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  const reportedAt = new Set<number>();
  for (const d of diagnostics) {
    const pos = d.start ?? 0;
    const message = flatten(d);
    if (pos < importsEnd) {
      // The model module or interface itself did not load: blame every object that uses it.
      const alias = / as (T\d+) /.exec(text.slice(text.lastIndexOf('\n', pos) + 1, text.indexOf('\n', pos)))?.[1];
      aliasOf.forEach((a, i) => a === alias && issues[i].push({ keys: [], message, unknownField: false }));
      continue;
    }
    const i = ranges.findIndex((r) => pos >= r.start && pos < r.end);
    if (i < 0) throw new Error(`schema-strict: diagnostic outside any object: ${message}`);
    reportedAt.add(pos);
    issues[i].push({ keys: keysAt(sf, initializers[i], pos), message, unknownField: d.code === 2353 || d.code === 2561 });
  }

  const walk = (i: number, node: ts.Expression, keys: Keys): void => {
    if (ts.isArrayLiteralExpression(node)) {
      node.elements.forEach((e, k) => walk(i, e, [...keys, k]));
      return;
    }
    if (!ts.isObjectLiteralExpression(node)) return;
    const contextual = checker.getContextualType(node);
    const known = contextual && knownProperties(checker, contextual);
    for (const p of node.properties) {
      if (!ts.isPropertyAssignment(p)) continue;
      const name = propertyName(sf, p);
      if (known && !known.has(name)) {
        const pos = p.name.getStart(sf);
        if (!reportedAt.has(pos)) {
          issues[i].push({
            keys: [...keys, name],
            message:
              `Object literal may only specify known properties, and '${name}' does not exist in type '${known.typeName}'.` +
              (known.suggest(name) ? ` Did you mean to write '${known.suggest(name)}'?` : ''),
            unknownField: true,
          });
        } else {
          // Already reported by the compiler: just mark it as an unknown field (so the retry strips it).
          const idx = issues[i].findIndex((x) => formatPath(x.keys) === formatPath([...keys, name]));
          if (idx >= 0) issues[i][idx] = { ...issues[i][idx], unknownField: true };
        }
        continue;
      }
      walk(i, p.initializer, [...keys, name]);
    }
  };
  initializers.forEach((init, i) => walk(i, init, []));
  return issues;
}

/** Deep copy of `value` without the properties at `paths`. */
function without(value: unknown, paths: readonly Keys[]): unknown {
  const copy = JSON.parse(JSON.stringify(value, (_k, v) => (v === undefined ? null : v))) as unknown;
  for (const keys of paths) {
    let parent: any = copy;
    for (const k of keys.slice(0, -1)) parent = parent?.[k];
    if (parent && typeof parent === 'object') delete parent[keys[keys.length - 1]];
  }
  return copy;
}

/**
 * Rejects unknown fields (and wrong types, missing required fields) with TypeScript's type checker: every
 * object becomes `export const oN: I<Kind> = <object literal>;` in one generated module that imports the
 * kubernetes-models interfaces, compiled in memory (one program for all objects). Every unknown field is
 * reported; the compiler's type errors of an object that also has unknown fields come from a second, smaller
 * program over copies of those objects with the unknown fields removed. Type-level only, so it runs in jest.
 */
export function checkStrictTypes(objects: readonly RenderedObject[], options: StrictTypesOptions = {}): Finding[] {
  const out: Finding[] = [];
  const entries: Entry[] = [];
  for (const o of objects) {
    const r = resolveModel(o.obj?.apiVersion, o.obj?.kind);
    if (r.ok) entries.push({ object: o, model: r.model, value: o.obj });
    else if (options.reportUnresolved ?? true) out.push(finding(SCHEMA_STRICT_CHECK, o, r.reason));
  }
  if (entries.length === 0) return out;

  const seen = entries.map(() => new Set<string>());
  const report = (k: number, issue: Issue) => {
    const message = `${formatPath(issue.keys)}: ${issue.message}`;
    if (seen[k].has(message)) return;
    seen[k].add(message);
    out.push(finding(SCHEMA_STRICT_CHECK, entries[k].object, message));
  };

  const first = compile(entries);
  const retry: { k: number; entry: Entry }[] = [];
  first.forEach((issues, k) => {
    issues.forEach((issue) => report(k, issue));
    const unknown = issues.filter((x) => x.unknownField && x.keys.length > 0).map((x) => x.keys);
    if (unknown.length) retry.push({ k, entry: { ...entries[k], value: without(entries[k].value, unknown) } });
  });
  if (retry.length) {
    compile(retry.map((r) => r.entry)).forEach((issues, j) => issues.forEach((issue) => report(retry[j].k, issue)));
  }
  return out;
}
