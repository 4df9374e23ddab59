import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../render';

/**
 * One TypeScript runner for every script, the CDK app, CI and the tests that spawn scripts: `node -r ts-node/register
 * <file>.ts`, ts-node (pinned) in transpile-only mode with swc (tsconfig.base.json "ts-node"; tsc type-checks once,
 * in `npm run typecheck`). Every command that runs a .ts file goes through exactly that argv.
 */
const RUNNER = 'node -r ts-node/register';
const read = (f: string) => fs.readFileSync(path.join(REPO_ROOT, f), 'utf8');

function filesUnder(dir: string, re: RegExp): string[] {
  const abs = path.join(REPO_ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { recursive: true, encoding: 'utf8' }).filter((f) => re.test(f) && !f.split(path.sep).includes('node_modules')).map((f) => path.join(dir, f));
}

/** Every command line that may run TypeScript: npm scripts, the CDK app, shell scripts, GitHub workflow/action lines. */
function commands(): { where: string; command: string }[] {
  const out: { where: string; command: string }[] = [];
  for (const [name, command] of Object.entries<string>(JSON.parse(read('package.json')).scripts)) out.push({ where: `package.json scripts.${name}`, command });
  out.push({ where: 'cdk.json app', command: JSON.parse(read('cdk.json')).app });
  for (const f of [...filesUnder('scripts', /\.sh$/), ...filesUnder('.github', /\.ya?ml$/)]) {
    read(f).split('\n').forEach((line, i) => {
      if (!/^\s*#/.test(line)) out.push({ where: `${f}:${i + 1}`, command: line });
    });
  }
  return out;
}

/** Each .ts file a command line executes, with the invocation before it (`node -r ts-node/register`, `npx tsx`, ...). */
function tsExecutions(command: string): { invocation: string; file: string }[] {
  const out: { invocation: string; file: string }[] = [];
  for (const m of command.matchAll(/[\w./-]+\.ts(?=$|[\s"'`;|&)])/g)) {
    // Only executions: a .ts file after a node/npx/ts-node/tsx invocation in the same command of the line.
    const invocation = /(?:^|[\s;&|(`"'])((?:node|npx|ts-node|tsx)\s[^;&|]*?)$/.exec(command.slice(0, m.index));
    if (invocation) out.push({ invocation: invocation[1].trim(), file: m[0] });
  }
  return out;
}

test('the command scan finds the runner of each executed .ts file', () => {
  expect(tsExecutions('node --import tsx scripts/a.ts --out x')).toEqual([{ invocation: 'node --import tsx', file: 'scripts/a.ts' }]);
  expect(tsExecutions('npx tsc && npx ts-node --prefer-ts-exts bin/app.ts')).toEqual([{ invocation: 'npx ts-node --prefer-ts-exts', file: 'bin/app.ts' }]);
  expect(tsExecutions('node -r ts-node/register scripts/gate.ts >"$results/gate.log" || { cat "$results/gate.log"; status=1; }')).toEqual([
    { invocation: RUNNER, file: 'scripts/gate.ts' },
  ]);
  expect(tsExecutions('echo "see packages/x.ts"; bash scripts/test.sh')).toEqual([]);
});

test('every command that runs a .ts file runs it as `node -r ts-node/register <file>.ts`', () => {
  const executions = commands().flatMap(({ where, command }) => tsExecutions(command).map((e) => ({ where, ...e })));
  expect(executions.filter((e) => e.invocation !== RUNNER).map((e) => `${e.where}: ${e.invocation} ${e.file}`)).toEqual([]);
  const runs = executions.length;
  expect(runs).toBeGreaterThanOrEqual(4); // synth, verify, the CDK app, the CI environment outputs at least
});

test('no other TypeScript runner is used or installed', () => {
  const rootPackage = JSON.parse(read('package.json'));
  const dev = rootPackage.devDependencies as Record<string, string>;
  expect(dev['ts-node']).toMatch(/^\d+\.\d+\.\d+$/); // pinned exactly
  expect(Object.keys(dev).filter((d) => ['tsx', 'esbuild-register', '@swc-node/register', 'ts-node-dev'].includes(d))).toEqual([]);
  const base = JSON.parse(read('tsconfig.base.json'));
  expect(base['ts-node']).toMatchObject({ transpileOnly: true, swc: true });

  // Tests and scripts that spawn node on a .ts file use the same flags.
  const sources = ['packages', 'scripts', 'tests'].flatMap((d) => filesUnder(d, /\.ts$/)).filter((f) => !f.endsWith(path.join('scripts', 'test', 'runner.test.ts')));
  const bad = sources.flatMap((f) =>
    [...read(f).matchAll(/'(--import|--loader|--experimental-loader|-r|--require)',\s*'([^']+)'/g)]
      .filter((m) => m[2] !== 'ts-node/register' && !/^[\w.-]+\.(c?js|json)$/.test(m[2]) && !m[2].startsWith('-'))
      .map((m) => `${f}: '${m[1]}', '${m[2]}'`),
  );
  expect(bad).toEqual([]);
});
