/**
 * `npm run synth [-- --out <dir>]`: renders dist/cloudformation/<env>/ and dist/k8s/<env>/ for every environment.
 * No network, no AWS credentials. Exit 1 with every violation listed when a config is invalid.
 */
import * as path from 'path';
import { ConfigValidationError } from '@optibid/constructs-lib';
import { formatSummary, renderAll, REPO_ROOT } from './render';

const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const target = outIdx >= 0 ? path.resolve(args[outIdx + 1]) : path.join(REPO_ROOT, 'dist');
const t0 = process.hrtime.bigint();
try {
  const summaries = renderAll(target);
  for (const s of summaries) console.log(formatSummary(s));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`rendered ${summaries.length} environments to ${path.relative(process.cwd(), target) || '.'} in ${seconds.toFixed(2)} s`);
  if (args.includes('--report-resources')) console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
} catch (err) {
  if (err instanceof ConfigValidationError) {
    console.error(err.message);
    console.error('Nothing was written.');
  } else {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    console.error('Render failed; dist/ is unchanged.');
  }
  process.exit(1);
}
