/**
 * Unknown fields: every key of a rendered object must be a field of its published model, i.e. the model's JSON
 * schema with `additionalProperties: false`. The kubernetes-models packages publish each model twice: an ajv
 * validator (models-validate.ts: types, required fields, enums, formats; it accepts unknown fields) and a typed
 * interface `I<Kind>` in `<module>.d.ts`, generated from the same OpenAPI / CRD schema. This check reads the
 * interfaces' property sets with the TypeScript *parser* only (no type checker, no program), caches them, and walks
 * each object: a key that is neither a declared property nor covered by an index signature (`[key: string]: T`,
 * the schema's additionalProperties) is a finding naming the field path, the model type and the closest known
 * field. `null` means "unset" to the API server and is skipped.
 */
import * as fs from 'fs';
import * as path from 'path';
import ts from 'typescript';
import { objectFinding, type Finding, type RenderedObject } from '@optibid/rendered';
import { closestName } from '@optibid/constructs-lib/data';
import { resolveModel } from './registry';

export const SCHEMA_CHECK = 'schema';
export const UNKNOWN_FIELD_RULE = 'unknown-field';

/** What a rendered value may be, as far as field names go. */
type Shape =
  | { readonly kind: 'object'; readonly type: string; readonly props: ReadonlyMap<string, Lazy>; readonly index?: Lazy }
  | { readonly kind: 'array'; readonly of: Lazy }
  | { readonly kind: 'union'; readonly of: readonly Lazy[] }
  /** Scalars, `any`/`unknown`/`object`: nothing to say about keys. */
  | { readonly kind: 'open' };

type Lazy = () => Shape;

const OPEN: Shape = { kind: 'open' };

const sourceFiles = new Map<string, ts.SourceFile>();
function sourceFile(file: string): ts.SourceFile {
  let sf = sourceFiles.get(file);
  if (!sf) {
    sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
    sourceFiles.set(file, sf);
  }
  return sf;
}

/** node_modules/<pkg> as Node finds it from `fromDir` (walking up). */
function packageRoot(pkg: string, fromDir: string): string | undefined {
  for (let d = fromDir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', pkg);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(d) === d) return undefined;
  }
}

/** The .d.ts a module specifier of a model file names (relative `./X.js`, or `<pkg>/<subpath>`). */
function resolveDts(specifier: string, fromFile: string): string | undefined {
  const strip = (p: string) => p.replace(/\.js$/, '');
  const candidates = (base: string) => [`${base}.d.ts`, path.join(base, 'index.d.ts')];
  let bases: string[];
  if (specifier.startsWith('.')) bases = [strip(path.resolve(path.dirname(fromFile), specifier))];
  else {
    const parts = specifier.split('/');
    const pkg = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
    const sub = parts.slice(pkg.split('/').length).join('/');
    const root = packageRoot(pkg, path.dirname(fromFile));
    if (!root) return undefined;
    bases = sub ? [strip(path.join(root, sub))] : [path.join(root, 'dist', 'index'), path.join(root, 'index')];
  }
  for (const base of bases) for (const c of candidates(base)) if (fs.existsSync(c)) return c;
  return undefined;
}

interface Declarations {
  readonly local: Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>;
  /** Local names imported from another module: name → [file, exported name]. */
  readonly imports: Map<string, [string, string]>;
  /** `export type { A as B }`: exported name → local name. */
  readonly aliases: Map<string, string>;
}

const declarations = new Map<string, Declarations>();
function declarationsOf(file: string): Declarations {
  let d = declarations.get(file);
  if (d) return d;
  d = { local: new Map(), imports: new Map(), aliases: new Map() };
  for (const st of sourceFile(file).statements) {
    if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) d.local.set(st.name.text, st);
    else if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings)) {
      const target = resolveDts(st.moduleSpecifier.text, file);
      if (target) for (const el of st.importClause.namedBindings.elements) d.imports.set(el.name.text, [target, (el.propertyName ?? el.name).text]);
    } else if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
      const target = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? resolveDts(st.moduleSpecifier.text, file) : undefined;
      for (const el of st.exportClause.elements) {
        if (target) d.imports.set(el.name.text, [target, (el.propertyName ?? el.name).text]);
        else d.aliases.set(el.name.text, (el.propertyName ?? el.name).text);
      }
    }
  }
  declarations.set(file, d);
  return d;
}

const named = new Map<string, Shape>();

/** The shape of the type `name` as seen from `file` (local declaration, export alias or import). */
function namedShape(file: string, name: string, depth = 0): Shape {
  const key = `${file}#${name}`;
  const cached = named.get(key);
  if (cached) return cached;
  if (depth > 20) return OPEN;
  const d = declarationsOf(file);
  let shape: Shape = OPEN;
  const decl = d.local.get(name);
  if (decl && ts.isInterfaceDeclaration(decl)) shape = interfaceShape(file, decl);
  else if (decl) shape = typeShape(file, decl.type)();
  else if (d.aliases.has(name) && d.aliases.get(name) !== name) shape = namedShape(file, d.aliases.get(name)!, depth + 1);
  else if (d.imports.has(name)) {
    const [target, exported] = d.imports.get(name)!;
    shape = namedShape(target, exported, depth + 1);
  }
  named.set(key, shape);
  return shape;
}

function propertyName(n: ts.PropertyName): string | undefined {
  return ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) ? n.text : undefined;
}

function membersShape(file: string, type: string, members: ts.NodeArray<ts.TypeElement>, extra: Map<string, Lazy> = new Map()): Shape {
  const props = new Map(extra);
  let index: Lazy | undefined;
  for (const m of members) {
    if (ts.isPropertySignature(m) && m.type) {
      const n = propertyName(m.name);
      if (n !== undefined) props.set(n, typeShape(file, m.type));
    } else if (ts.isIndexSignatureDeclaration(m) && m.type) index = typeShape(file, m.type);
  }
  return { kind: 'object', type, props, ...(index ? { index } : {}) };
}

function interfaceShape(file: string, decl: ts.InterfaceDeclaration): Shape {
  const inherited = new Map<string, Lazy>();
  for (const clause of decl.heritageClauses ?? []) {
    for (const t of clause.types) {
      const base = ts.isIdentifier(t.expression) ? t.expression.text : undefined;
      // @kubernetes-models/base TypeMeta: apiVersion and kind.
      if (base === 'TypeMeta') for (const k of ['apiVersion', 'kind']) inherited.set(k, () => OPEN);
      else if (base) {
        const s = namedShape(file, base);
        if (s.kind === 'object') for (const [k, v] of s.props) inherited.set(k, v);
      }
    }
  }
  return membersShape(file, decl.name.text, decl.members, inherited);
}

/** A lazily resolved shape of a type node (recursive models, e.g. JSONSchemaProps, stay finite). */
function typeShape(file: string, node: ts.TypeNode): Lazy {
  let memo: Shape | undefined;
  return () => (memo ??= computeShape(file, node));
}

function computeShape(file: string, node: ts.TypeNode): Shape {
  if (ts.isParenthesizedTypeNode(node)) return typeShape(file, node.type)();
  if (ts.isArrayTypeNode(node)) return { kind: 'array', of: typeShape(file, node.elementType) };
  if (ts.isTypeLiteralNode(node)) return membersShape(file, '{...}', node.members);
  if (ts.isUnionTypeNode(node) || ts.isIntersectionTypeNode(node)) return { kind: 'union', of: node.types.map((t) => typeShape(file, t)) };
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
    const n = node.typeName.text;
    const args = node.typeArguments ?? [];
    if ((n === 'Array' || n === 'ReadonlyArray') && args.length === 1) return { kind: 'array', of: typeShape(file, args[0]) };
    if (n === 'Record' && args.length === 2) return { kind: 'object', type: 'Record', props: new Map(), index: typeShape(file, args[1]) };
    return namedShape(file, n);
  }
  return OPEN;
}

function objectMembers(shape: Shape): Extract<Shape, { kind: 'object' }>[] {
  if (shape.kind === 'object') return [shape];
  if (shape.kind === 'union') return shape.of.flatMap((s) => objectMembers(s()));
  return [];
}

function arrayMembers(shape: Shape): Lazy[] {
  if (shape.kind === 'array') return [shape.of];
  if (shape.kind === 'union') return shape.of.flatMap((s) => arrayMembers(s()));
  return [];
}

function isOpen(shape: Shape): boolean {
  return shape.kind === 'open' || (shape.kind === 'union' && shape.of.some((s) => isOpen(s())));
}


function formatPath(keys: readonly (string | number)[]): string {
  let out = '';
  for (const k of keys) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(k)) out += out ? `.${k}` : k;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out || '<root>';
}

/** The unknown fields of `value` against `shape`: `[path, message]`. */
function walk(value: unknown, shape: Shape, keys: (string | number)[], out: [string, string][]): void {
  if (value === null || value === undefined || isOpen(shape)) return;
  if (Array.isArray(value)) {
    const of = arrayMembers(shape);
    if (of.length === 1) value.forEach((v, i) => walk(v, of[0](), [...keys, i], out));
    return;
  }
  if (typeof value !== 'object') return;
  const objects = objectMembers(shape);
  if (objects.length === 0) return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const owner = objects.find((o) => o.props.has(k));
    if (owner) walk(v, owner.props.get(k)!(), [...keys, k], out);
    else {
      const index = objects.find((o) => o.index);
      if (index) walk(v, index.index!(), [...keys, k], out);
      else {
        const known = objects.flatMap((o) => [...o.props.keys()]);
        const hint = closestName(k, known);
        const type = objects.map((o) => o.type).join(' | ');
        out.push([formatPath([...keys, k]), `unknown field '${k}': ${type} has no such field${hint ? ` (did you mean '${hint}'?)` : ''}`]);
      }
    }
  }
}

export interface UnknownFieldOptions {
  /**
   * Report objects whose apiVersion/kind has no published model.
   * @default true (the schema check turns it off: the published-schema rule already reports them)
   */
  readonly reportUnresolved?: boolean;
}

/** Findings for every unknown field of every object (rule `unknown-field`). */
export function checkUnknownFields(objects: readonly RenderedObject[], options: UnknownFieldOptions = {}): Finding[] {
  const out: Finding[] = [];
  for (const o of objects) {
    const r = resolveModel(o.obj?.apiVersion, o.obj?.kind);
    if (!r.ok) {
      if (options.reportUnresolved ?? true) out.push(objectFinding(SCHEMA_CHECK, UNKNOWN_FIELD_RULE, o, r.reason));
      continue;
    }
    const issues: [string, string][] = [];
    walk(o.obj, namedShape(r.model.dtsPath, r.model.typeName), [], issues);
    for (const [field, message] of issues) out.push(objectFinding(SCHEMA_CHECK, UNKNOWN_FIELD_RULE, o, `${field}: ${message}`, field));
  }
  return out;
}
