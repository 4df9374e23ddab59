/**
 * `npm run bench`: wall time and peak memory of the full render (all environments, CloudFormation and YAML), each
 * run in a fresh process exactly as `npm run synth` runs it, rendering to a temporary directory. Prints the median
 * of N runs (default 3). A benchmark prints numbers; it never fails on them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from './render';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.split('=')[1] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const walls: number[] = [];
const rss: number[] = [];
for (let i = 0; i < runs; i++) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'synth.ts'), '--out', path.join(out, 'dist'), '--report-resources'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
  const m = /\{"maxRssKiB":(\d+)\}/.exec(r.stdout);
  walls.push(wall);
  rss.push(m ? Number(m[1]) / 1024 : NaN);
  console.log(`run ${i + 1}: ${wall.toFixed(2)} s wall, ${rss[i].toFixed(0)} MiB peak RSS`);
}
console.log(`full render (3 environments, CloudFormation + YAML), median of ${runs}: ${median(walls).toFixed(2)} s wall, ${median(rss).toFixed(0)} MiB peak RSS (target < 4 s, < 1024 MiB; ${os.cpus().length} cores)`);
