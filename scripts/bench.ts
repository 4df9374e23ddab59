/**
 * `npm run bench [-- --runs N]`: wall time and peak memory of the full render (all environments, CloudFormation and
 * YAML), of `npm run verify` over dist/, and of the whole offline PR gate (`npm run gate`: render + every check +
 * freshness, one process), each run in a fresh process exactly as the npm scripts run it. Prints the median of N
 * runs (default 3). A benchmark prints numbers; it never fails on them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { REPO_ROOT } from './render';

const runs = Number(parseArgs({ options: { runs: { type: 'string', default: '3' } }, strict: true }).values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: npm run bench [-- --runs <N>]   (N a positive integer)');
  process.exit(2);
}
/** The repository's TypeScript runner (ts-node, transpile-only with swc: see tsconfig.base.json "ts-node"), as the npm scripts run it. */
const RUNNER = ['-r', 'ts-node/register'];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Measured {
  readonly wall: number;
  readonly rssMiB: number;
}

/** Runs one command in a fresh node process; its last `{"maxRssKiB":N}` line gives the peak RSS. */
function measure(args: string[], ok: (status: number | null) => boolean): Measured {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...RUNNER, ...args, '--report-resources'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (!ok(r.status)) {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
  const m = /\{"maxRssKiB":(\d+)\}/.exec(r.stdout);
  return { wall, rssMiB: m ? Number(m[1]) / 1024 : NaN };
}

function bench(title: string, run: () => Measured, target: string): void {
  const results: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(run());
    console.log(`${title} run ${i + 1}: ${results[i].wall.toFixed(2)} s wall, ${results[i].rssMiB.toFixed(0)} MiB peak RSS`);
  }
  console.log(
    `${title}, median of ${runs}: ${median(results.map((r) => r.wall)).toFixed(2)} s wall, ${median(results.map((r) => r.rssMiB)).toFixed(0)} MiB peak RSS (${target}; ${os.cpus().length} cores)`,
  );
}

bench(
  'full render (3 environments, CloudFormation + YAML + reports)',
  () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    try {
      return measure([path.join(REPO_ROOT, 'scripts', 'synth.ts'), '--out', path.join(out, 'dist')], (s) => s === 0);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  },
  'target < 4 s, < 1024 MiB',
);
// verify reads the committed dist/; exit 1 (findings) still measures, only a crash or usage error stops the bench.
bench('npm run verify (every environment, every check)', () => measure([path.join(REPO_ROOT, 'packages', 'verify', 'bin', 'verify.ts')], (s) => s === 0 || s === 1), 'target < 3 s');
// The PR gate: exit 1 (findings or drift) still measures.
bench('npm run gate (render + every check + dist/ freshness, one process)', () => measure([path.join(REPO_ROOT, 'scripts', 'gate.ts')], (s) => s === 0 || s === 1), 'target <= 3.5 s, the whole offline PR gate');
