/**
 * `npm run deploy -- --env <env> [...]` (see packages/delivery/src/deploy/cli.ts for the steps and exit codes): wires the real
 * dependencies (spawned tools, the terminal, the render-and-compare dist/ check, SIGINT/SIGTERM) into the CLI.
 *
 * Test seam: OPTIBID_DEPLOY_SKIP_RENDER_CHECK=fresh|stale replaces the dist/ freshness check (a full render plus
 * `git status -- dist`) with a stub that answers fresh or stale. It is honoured only with NODE_ENV=test (the
 * end-to-end tests in packages/delivery/test/deploy set both) and ignored with a warning otherwise; a run using it
 * says so in its output (src/deploy/freshness.ts testSeamFreshness).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Cancellation, deployMain as main, installSignalHandlers, renderedDistFreshness, SpawnRunner, streamLogger, terminalPrompt, testSeamFreshness, type DistFreshness } from '@optibid/delivery';
import { renderAll, REPO_ROOT } from './render';

const log = streamLogger();

function freshnessCheck(): DistFreshness {
  return (
    testSeamFreshness(process.env, log) ??
    renderedDistFreshness({
      repoRoot: REPO_ROOT,
      log,
      // The render's CDK cloud assembly goes beside the temporary target, not into the shared cdk.out/.
      render: (target) => void renderAll(target, { cdkOut: path.join(path.dirname(target), 'cdk.out') }),
    })
  );
}

// First SIGINT/SIGTERM: no new step starts, what was applied is rolled back (exit 5, or 7). Second: exit at once.
const cancellation = new Cancellation();
installSignalHandlers(process, cancellation, log, (code) => process.exit(code));

main(process.argv.slice(2), {
  repoRoot: REPO_ROOT,
  runner: new SpawnRunner(REPO_ROOT, log),
  log,
  freshness: freshnessCheck(),
  stdinIsTTY: Boolean(process.stdin.isTTY),
  prompt: terminalPrompt,
  print: (text) => fs.writeSync(1, `${text}\n`),
  cancellation,
}).then(
  (code) => {
    process.exitCode = code;
    // A cancelled prompt may still hold the terminal open: do not wait for it.
    if (cancellation.requested) process.exit(code);
  },
  (err: unknown) => {
    log.error(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  },
);
