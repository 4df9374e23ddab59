import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * The data layer (config schema and validation, environments, naming, versions, sizing, util: everything the public
 * entry `@optibid/constructs-lib/data` exports) is plain data and functions. It must reach no construct library, so
 * that validating a config, reading a version table or sizing a namespace costs no aws-cdk-lib / cdk8s load (~280
 * modules, ~300 ms) and the packages that only read data (verify, delivery, scripts) stay light.
 *
 * (a) proves it statically over the import graph (type-only imports included: the data layer's types must not need
 *     a construct library either); (b) proves it at run time, in a fresh `node` running the repo's TypeScript runner.
 */

const PACKAGE_DIR = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(PACKAGE_DIR, '../..');

/** Entry points of the data layer. */
const ROOTS = ['data.ts', 'src/config/schema.ts'].map((f) => path.join(PACKAGE_DIR, f));

/** Construct libraries: the data layer must not import them (or anything that does). */
const FORBIDDEN = [/^aws-cdk-lib$/, /^cdk8s$/, /^cdk8s-plus-[^/]+$/, /^constructs$/, /^cdk-nag$/, /^@aws-cdk\/[^/]+$/];

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isForbidden(specifier: string): boolean {
  const name = packageName(specifier);
  return FORBIDDEN.some((re) => re.test(name));
}

interface ImportEdge {
  readonly specifier: string;
  /** `import type`, `export type`, `import('x').T` in a type: erased at run time. */
  readonly typeOnly: boolean;
}

/** Every module specifier a file names: static imports/exports, import-equals, dynamic import(), require(), import types. */
function importsOf(file: string): ImportEdge[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const edges: ImportEdge[] = [];
  const add = (node: ts.Node | undefined, typeOnly: boolean) => {
    if (node && ts.isStringLiteralLike(node)) edges.push({ specifier: node.text, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const allTypeSpecifiers = !!clause && !clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, !!clause && (clause.isTypeOnly || allTypeSpecifiers));
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(node.moduleSpecifier, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** A TypeScript source file for `base` (a file without extension, or a folder with an index). */
function resolveTsFile(base: string): string | undefined {
  const candidates = [base, `${base}.ts`, `${base}.tsx`, `${base}.d.ts`, path.join(base, 'index.ts')];
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile() && /\.tsx?$/.test(c));
}

/** The workspace packages by name (`@optibid/...` → its folder), so their entries are walked as source. */
function workspacePackages(): Map<string, string> {
  const found = new Map<string, string>();
  const packagesDir = path.join(REPO_ROOT, 'packages');
  for (const dir of fs.readdirSync(packagesDir)) {
    const manifest = path.join(packagesDir, dir, 'package.json');
    if (fs.existsSync(manifest)) found.set(JSON.parse(fs.readFileSync(manifest, 'utf8')).name, path.join(packagesDir, dir));
  }
  return found;
}

type Resolved = { kind: 'file'; file: string } | { kind: 'package'; name: string };

function resolveSpecifier(specifier: string, fromFile: string, workspace: Map<string, string>): Resolved {
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) {
    const file = resolveTsFile(path.resolve(path.dirname(fromFile), specifier));
    if (!file) throw new Error(`${path.relative(REPO_ROOT, fromFile)}: cannot resolve '${specifier}'`);
    return { kind: 'file', file };
  }
  const name = packageName(specifier);
  const dir = workspace.get(name);
  if (!dir) return { kind: 'package', name };
  const sub = specifier.slice(name.length + 1);
  const main = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).main ?? 'index.ts';
  const file = resolveTsFile(path.join(dir, sub || main.replace(/\.(ts|js)$/, '')));
  if (!file) throw new Error(`${path.relative(REPO_ROOT, fromFile)}: cannot resolve '${specifier}' in ${path.relative(REPO_ROOT, dir)}`);
  return { kind: 'file', file };
}

/** The import graph from `roots`: every reached source file (with the chain to it) and each chain to a forbidden package. */
function walkImports(roots: readonly string[]): { files: Map<string, string>; forbidden: string[] } {
  const workspace = workspacePackages();
  const parent = new Map<string, { from: string; typeOnly: boolean } | undefined>();
  const queue: string[] = [];
  for (const r of roots) {
    if (!fs.existsSync(r)) throw new Error(`root ${path.relative(REPO_ROOT, r)} does not exist`);
    parent.set(r, undefined);
    queue.push(r);
  }
  const rel = (f: string) => path.relative(REPO_ROOT, f);
  const chainTo = (file: string): string[] => {
    const out: string[] = [];
    for (let f: string | undefined = file; f !== undefined; ) {
      const p = parent.get(f);
      out.unshift(p?.typeOnly ? `${rel(f)} (type-only)` : rel(f));
      f = p?.from;
    }
    return out;
  };
  const chains: string[] = [];
  const files = new Map<string, string>();
  while (queue.length > 0) {
    const file = queue.shift()!;
    files.set(rel(file), chainTo(file).join(' -> '));
    for (const edge of importsOf(file)) {
      const target = resolveSpecifier(edge.specifier, file, workspace);
      if (target.kind === 'package') {
        if (isForbidden(target.name)) chains.push([...chainTo(file), `${edge.specifier}${edge.typeOnly ? ' (type-only)' : ''}`].join(' -> '));
      } else if (!parent.has(target.file)) {
        parent.set(target.file, { from: file, typeOnly: edge.typeOnly });
        queue.push(target.file);
      }
    }
  }
  return { files, forbidden: chains };
}

/** Each import chain from a root to a forbidden package (the shortest per reached package and importing file). */
function forbiddenChains(roots: readonly string[]): string[] {
  return walkImports(roots).forbidden;
}

/** The repo's TypeScript runner: the node flags of the root `npm run synth` script (e.g. `-r ts-node/register`). */
function runnerArgv(): string[] {
  const scripts = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
  const words = scripts.synth.trim().split(/\s+/);
  if (words[0] !== 'node' || !words[words.length - 1].endsWith('.ts')) throw new Error(`unexpected synth script: ${scripts.synth}`);
  return words.slice(1, -1);
}

/** Loads `entries` in a fresh node through the runner; returns the forbidden packages it requested or loaded. */
function forbiddenAtRuntime(entries: readonly string[]): { requested: string[]; loaded: string[]; moduleCount: number } {
  const probe = `
    const Module = require('node:module');
    const requested = new Set();
    const load = Module._load;
    Module._load = function (request, ...rest) { requested.add(request); return load.call(this, request, ...rest); };
    for (const entry of ${JSON.stringify(entries)}) require(entry);
    process.stdout.write(JSON.stringify({ requested: [...requested], loaded: Object.keys(require.cache) }));
  `;
  const r = spawnSync(process.execPath, [...runnerArgv(), '-e', probe], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`probe failed (${r.status ?? r.signal}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { requested: string[]; loaded: string[] };
  const forbiddenPath = /[\\/]node_modules[\\/](aws-cdk-lib|cdk8s|cdk8s-plus-[^\\/]+|constructs|cdk-nag|@aws-cdk[\\/][^\\/]+)[\\/]/;
  return {
    requested: [...new Set(out.requested.filter((s) => !s.startsWith('.') && !path.isAbsolute(s) && isForbidden(s)).map(packageName))],
    loaded: [...new Set(out.loaded.map((f) => forbiddenPath.exec(f)?.[1]).filter((m): m is string => m !== undefined))],
    moduleCount: out.loaded.length,
  };
}

describe('the data layer reaches no construct library', () => {
  it('recognises the construct libraries', () => {
    for (const s of ['aws-cdk-lib', 'aws-cdk-lib/aws-lambda', 'cdk8s', 'cdk8s-plus-28', 'constructs', 'cdk-nag', '@aws-cdk/lambda-layer-kubectl-v35']) {
      expect(isForbidden(s)).toBe(true);
    }
    for (const s of ['zod', 'yaml', 'node:fs', 'aws-cdk', 'cdk8s-cli', '@optibid/constructs-lib', 'constructs-lib']) expect(isForbidden(s)).toBe(false);
  });

  it('(a) statically: no import chain from data.ts or config/schema.ts reaches one', () => {
    expect(forbiddenChains(ROOTS)).toEqual([]);
  });

  it('(a) statically: within constructs-lib, the data layer imports only data-layer files (not k8s/, aws/, compose/)', () => {
    // Other workspace packages it reaches (e.g. @optibid/rendered) are walked too: the test above holds them to the same rule.
    const dataDirs = ['config', 'environments', 'naming', 'versions', 'sizing', 'util'].map((d) => `packages/constructs-lib/src/${d}/`);
    const outside = [...walkImports(ROOTS).files].filter(
      ([f]) => f.startsWith('packages/constructs-lib/') && f !== 'packages/constructs-lib/data.ts' && !dataDirs.some((d) => f.startsWith(d)),
    );
    expect(outside.map(([, chain]) => chain)).toEqual([]);
  });

  it('(a) the walk does find a chain where there is one (the AWS entry)', () => {
    const chains = forbiddenChains([path.join(PACKAGE_DIR, 'aws.ts')]);
    expect(chains.some((c) => c.startsWith('packages/constructs-lib/aws.ts -> packages/constructs-lib/src/aws/index.ts -> ') && c.endsWith('aws-cdk-lib'))).toBe(true);
  });

  it('(b) at run time: loading data.ts loads none', () => {
    const r = forbiddenAtRuntime([path.join(PACKAGE_DIR, 'data.ts')]);
    expect({ requested: r.requested, loaded: r.loaded }).toEqual({ requested: [], loaded: [] });
    expect(r.moduleCount).toBeGreaterThan(10); // the probe did load the data layer (zod and the sources)
  });

  it('(b) the run-time probe does see a construct library that is loaded', () => {
    const r = forbiddenAtRuntime([require.resolve('constructs')]);
    expect(r.loaded).toEqual(['constructs']);
  });
});
