/**
 * `npm run deploy -- --env <env> [...]` (see src/deploy/cli.ts for the steps and exit codes): wires the real
 * dependencies (spawned tools, the terminal, the render-and-compare dist/ check) into the CLI.
 *
 * Test seam: OPTIBID_DEPLOY_SKIP_RENDER_CHECK=fresh|stale replaces the dist/ freshness check (a full render plus
 * `git status -- dist`) with a stub that answers fresh or stale. Only this file honours it, only the end-to-end
 * tests (packages/delivery/test/deploy) set it, and a run using it says so in its output.
 */
import * as fs from 'fs';
import * as path from 'path';
import { renderAll } from '../../../scripts/render';
import { main } from '../src/deploy/cli';
import { terminalPrompt } from '../src/deploy/confirm';
import { renderedDistFreshness } from '../src/deploy/freshness';
import { streamLogger } from '../src/deploy/log';
import type { DistFreshness } from '../src/deploy/preflight';
import { SpawnRunner } from '../src/deploy/runner';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const log = streamLogger();

function freshnessCheck(): DistFreshness {
  const seam = process.env.OPTIBID_DEPLOY_SKIP_RENDER_CHECK;
  if (seam === 'fresh' || seam === 'stale') {
    log.warn(`dist/ freshness check replaced by the test seam OPTIBID_DEPLOY_SKIP_RENDER_CHECK=${seam}`);
    return {
      check: () =>
        seam === 'fresh'
          ? { fresh: true, details: 'stub: fresh' }
          : { fresh: false, details: 'stub (OPTIBID_DEPLOY_SKIP_RENDER_CHECK=stale): dist/k8s/ differs from what the source renders. Fix: run npm run synth and commit dist/' },
    };
  }
  if (seam !== undefined) log.warn(`ignoring OPTIBID_DEPLOY_SKIP_RENDER_CHECK='${seam}' (only 'fresh' or 'stale' are understood)`);
  return renderedDistFreshness({
    repoRoot: REPO_ROOT,
    log,
    // The render's CDK cloud assembly goes beside the temporary target, not into the shared cdk.out/.
    render: (target) => void renderAll(target, { cdkOut: path.join(path.dirname(target), 'cdk.out') }),
  });
}

main(process.argv.slice(2), {
  repoRoot: REPO_ROOT,
  runner: new SpawnRunner(REPO_ROOT, log),
  log,
  freshness: freshnessCheck(),
  stdinIsTTY: Boolean(process.stdin.isTTY),
  prompt: terminalPrompt,
  print: (text) => fs.writeSync(1, `${text}\n`),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log.error(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  },
);
