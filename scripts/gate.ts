/**
 * `npm run gate`: the whole offline PR gate in one process. Renders every environment from the sources in memory
 * (dist/ is never written; only the CDK cloud assembly goes to a temporary cdk.out), runs every check of
 * `npm run verify` over that fresh render, and compares it with the committed dist/ file by file (a stale or
 * hand-edited dist/ is named, file by file).
 *
 * Usage: npm run gate [-- --dist <committed tree, default dist/>] [--report-resources]
 * Exit codes: 0 clean, 1 findings or dist/ differs from the render, 2 usage error or the render failed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { ConfigValidationError } from '@optibid/constructs-lib';
import { filesUnder } from '@optibid/rendered';
import { verify } from '@optibid/verify';
import { renderFiles, REPO_ROOT, type RenderResult } from './render';


/**
 * Files that differ between a render (relative path → content) and a committed tree: `M path` (content differs),
 * `+ path` (only rendered), `- path` (only committed).
 */
export function driftBetween(rendered: ReadonlyMap<string, string>, committed: string): string[] {
  const onDisk = new Set(filesUnder(committed));
  const out: string[] = [];
  for (const f of [...new Set([...rendered.keys(), ...onDisk])].sort()) {
    if (!onDisk.has(f)) out.push(`+ ${f}`);
    else if (!rendered.has(f)) out.push(`- ${f}`);
    else if (!Buffer.from(rendered.get(f)!).equals(fs.readFileSync(path.join(committed, f)))) out.push(`M ${f}`);
  }
  return out;
}

function main(argv: string[]): number {
  let reportResources = false;
  let committed = path.join(REPO_ROOT, 'dist');
  try {
    const { values } = parseArgs({ args: argv, options: { dist: { type: 'string' }, 'report-resources': { type: 'boolean' } }, strict: true });
    reportResources = values['report-resources'] ?? false;
    if (values.dist) committed = path.resolve(values.dist);
  } catch (err) {
    console.error(`gate: ${(err as Error).message}\nusage: npm run gate [-- --dist <dir>] [--report-resources]`);
    return 2;
  }
  const t0 = process.hrtime.bigint();
  const seconds = (since: bigint) => (Number(process.hrtime.bigint() - since) / 1e9).toFixed(2);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optibid-gate-'));
  try {
    let render: RenderResult;
    try {
      render = renderFiles({ cdkOut: path.join(tmp, 'cdk.out') });
    } catch (err) {
      console.error(err instanceof ConfigValidationError ? err.message : `the render failed: ${(err as Error).stack ?? err}`);
      return 2;
    }
    const tRender = seconds(t0);
    const t1 = process.hrtime.bigint();
    const outcome = verify({ environments: render.environments });
    const tChecks = seconds(t1);
    const drift = driftBetween(render.files, committed);
    console.log(outcome.text);
    if (drift.length) {
      console.log(`\n${path.relative(process.cwd(), committed) || '.'} is not what the sources render (${drift.length} file(s); run npm run synth and commit):`);
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
