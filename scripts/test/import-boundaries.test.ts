/**
 * The import graph has no cross-package internals: a file reaches another package only through that package's
 * public entries (`@optibid/<name>` or a declared subpath entry such as `@optibid/constructs-lib/aws`, a top-level
 * `<subpath>.ts` of the package), never `@optibid/<name>/src/...`, and a relative import never leaves its own area
 * (one package, scripts/, or tests/). Every `@optibid/*` import is declared in the importing package's package.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import ts from 'typescript';
import { REPO_ROOT } from '../render';

interface Area {
  readonly name: string;
  readonly root: string;
  /** @optibid packages the area may import (package.json dependencies + devDependencies); undefined: any. */
  readonly declared?: ReadonlySet<string>;
}

const PACKAGES = fs.readdirSync(path.join(REPO_ROOT, 'packages')).filter((p) => fs.existsSync(path.join(REPO_ROOT, 'packages', p, 'package.json')));
const pkgJson = (p: string) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'packages', p, 'package.json'), 'utf8'));
const PACKAGE_NAMES = new Map(PACKAGES.map((p) => [pkgJson(p).name as string, p]));

const AREAS: Area[] = [
  ...PACKAGES.map((p) => {
    const j = pkgJson(p);
    return { name: `packages/${p}`, root: path.join(REPO_ROOT, 'packages', p), declared: new Set(Object.keys({ ...j.dependencies, ...j.devDependencies }).filter((d) => d.startsWith('@optibid/'))) };
  }),
  { name: 'scripts', root: path.join(REPO_ROOT, 'scripts') },
  { name: 'tests', root: path.join(REPO_ROOT, 'tests') },
];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every problem of one file's imports. */
function problems(file: string, area: Area): string[] {
  const out: string[] = [];
  const rel = path.relative(REPO_ROOT, file);
  for (const { fileName: spec } of ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles) {
    if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(area.root + path.sep)) out.push(`${rel}: imports ${spec}, outside ${area.name} (use the package's public entry)`);
      continue;
    }
    const m = /^(@optibid\/[^/]+)(?:\/(.+))?$/.exec(spec);
    if (!m) continue;
    const [, pkg, sub] = m;
    const dir = PACKAGE_NAMES.get(pkg);
    if (!dir) {
      out.push(`${rel}: imports ${spec}: no such workspace package`);
      continue;
    }
    if (sub && (sub.includes('/') || !fs.existsSync(path.join(REPO_ROOT, 'packages', dir, `${sub}.ts`)))) out.push(`${rel}: imports ${spec}, an internal of ${pkg} (public entries: ${pkg} and its top-level <subpath>.ts files)`);
    if (area.declared && area.name !== `packages/${dir}` && !area.declared.has(pkg)) out.push(`${rel}: imports ${pkg}, which ${area.name}/package.json does not declare`);
  }
  return out;
}

test('no file imports another package internals, and every @optibid import is declared', () => {
  const found = AREAS.flatMap((a) => tsFiles(a.root).flatMap((f) => problems(f, a)));
  expect(found).toEqual([]);
});

test('the rule catches an internal import, a relative escape and an undeclared package (checked on synthetic files)', () => {
  const tmp = fs.mkdtempSync(path.join(REPO_ROOT, 'packages', 'rendered', 'test', '.boundary-'));
  try {
    const f = path.join(tmp, 'bad.ts');
    fs.writeFileSync(f, "import { x } from '@optibid/constructs-lib/src/naming/naming';\nimport { y } from '../../../verify/src/cli';\nimport { z } from '@optibid/delivery';\n");
    const area = AREAS.find((a) => a.name === 'packages/rendered')!;
    expect(problems(f, area)).toEqual([
      expect.stringContaining('an internal of @optibid/constructs-lib'),
      expect.stringContaining('@optibid/constructs-lib, which packages/rendered/package.json does not declare'),
      expect.stringContaining('outside packages/rendered'),
      expect.stringContaining('@optibid/delivery, which packages/rendered/package.json does not declare'),
    ]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
