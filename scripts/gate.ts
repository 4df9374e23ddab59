/**
 * `npm run gate`: the whole offline PR gate in one process. Renders every environment from the sources (to a
 * temporary directory: dist/ is never written), runs every check of `npm run verify` over that fresh render, and
 * compares it with the committed dist/ file by file (a stale or hand-edited dist/ is named, file by file).
 *
 * Usage: npm run gate [-- --report-resources]
 * Exit codes: 0 clean, 1 findings or dist/ differs from the render, 2 usage error or the render failed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { ConfigValidationError } from '@optibid/constructs-lib';
import { verify } from '@optibid/verify';
import { renderAll, REPO_ROOT } from './render';

/** Every file under `dir`, relative with `/`, sorted ([] when absent). */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  if (fs.existsSync(dir)) walk('');
  return out.sort();
}

/** Files that differ between a fresh render and the committed tree: `M path`, `+ path` (only rendered), `- path` (only committed). */
export function driftBetween(fresh: string, committed: string): string[] {
  const a = new Set(files(fresh));
  const b = new Set(files(committed));
  const out: string[] = [];
  for (const f of [...new Set([...a, ...b])].sort()) {
    if (!b.has(f)) out.push(`+ ${f}`);
    else if (!a.has(f)) out.push(`- ${f}`);
    else if (!fs.readFileSync(path.join(fresh, f)).equals(fs.readFileSync(path.join(committed, f)))) out.push(`M ${f}`);
  }
  return out;
}

function main(argv: string[]): number {
  let reportResources = false;
  try {
    reportResources = parseArgs({ args: argv, options: { 'report-resources': { type: 'boolean' } }, strict: true }).values['report-resources'] ?? false;
  } catch (err) {
    console.error(`gate: ${(err as Error).message}\nusage: npm run gate [-- --report-resources]`);
    return 2;
  }
  const t0 = process.hrtime.bigint();
  const seconds = (since: bigint) => (Number(process.hrtime.bigint() - since) / 1e9).toFixed(2);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optibid-gate-'));
  try {
    const fresh = path.join(tmp, 'dist');
    try {
      renderAll(fresh);
    } catch (err) {
      console.error(err instanceof ConfigValidationError ? err.message : `the render failed: ${(err as Error).stack ?? err}`);
      return 2;
    }
    const tRender = seconds(t0);
    const t1 = process.hrtime.bigint();
    const outcome = verify({ dist: fresh });
    const tChecks = seconds(t1);
    const drift = driftBetween(fresh, path.join(REPO_ROOT, 'dist'));
    console.log(outcome.text);
    if (drift.length) {
      console.log(`\ndist/ is not what the sources render (${drift.length} file(s); run npm run synth and commit):`);
      for (const d of drift) console.log(`  ${d}`);
    }
    const timing = Object.entries(outcome.timings)
      .map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`)
      .join(', ');
    console.log(
      `\ngate: ${outcome.findings.length} finding(s), ${drift.length} file(s) differ from dist/; ${seconds(t0)} s in this process (render ${tRender} s, checks ${tChecks} s: ${timing})`,
    );
    if (reportResources) console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
    return outcome.findings.length || drift.length ? 1 : 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
