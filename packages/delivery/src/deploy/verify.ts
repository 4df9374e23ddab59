/** Step 4: waiting for rollouts and running the smoke tests; each check prints one PASS/FAIL line. */
import type { Workload } from './apply-order';
import { rolloutStatus } from './commands';
import type { DeployContext } from './context';
import { firstLine } from './runner';
import type { SmokeCheck } from './smoke-tests';

export interface RolloutOutcome {
  readonly ok: boolean;
  /** The first workload that did not roll out (later ones are not waited for: fail fast, roll back sooner). */
  readonly failed?: Workload;
  readonly detail?: string;
}

export async function waitForRollouts(ctx: DeployContext, workloads: readonly Workload[]): Promise<RolloutOutcome> {
  for (const w of workloads) {
    const r = await ctx.runner.run(rolloutStatus(ctx.kubeContext, w.namespace, w.kind, w.name, ctx.rolloutTimeout), { echo: true });
    if (r.code !== 0) {
      const detail = `exit ${r.code}: ${firstLine(r.stderr) || firstLine(r.stdout) || 'no output'}`;
      ctx.log.error(`FAIL rollout ${w.kind}/${w.name} in ${w.namespace}: ${detail}`);
      return { ok: false, failed: w, detail };
    }
    ctx.log.info(`PASS rollout ${w.kind}/${w.name} in ${w.namespace}`);
  }
  return { ok: true };
}

export interface SmokeResult {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

/** Pause between attempts of a failing smoke test: a just-restarted pod is scraped every 30 s, DNS/ALB settle in ~10 s. */
export const SMOKE_RETRY_DELAY_MS = 15_000;

/**
 * Runs every check (not only up to the first failure): the report should show everything that is wrong. A failing
 * check is retried (ctx.smokeAttempts in all) before it counts, so a target that is still warming up is not a
 * rollback.
 */
export async function runSmokeTests(ctx: DeployContext, checks: readonly SmokeCheck[]): Promise<SmokeResult[]> {
  const results: SmokeResult[] = [];
  for (const check of checks) {
    let verdict = { pass: false, detail: '' };
    for (let attempt = 1; attempt <= ctx.smokeAttempts; attempt++) {
      verdict = check.command ? check.judge(await ctx.runner.run(check.command)) : check.judge({ code: 1, stdout: '', stderr: check.problem ?? '', notFound: false });
      if (verdict.pass || !check.command) break;
      if (attempt < ctx.smokeAttempts) {
        ctx.log.info(`smoke: ${check.name}: attempt ${attempt}/${ctx.smokeAttempts} failed (${verdict.detail}); retrying in ${SMOKE_RETRY_DELAY_MS / 1000} s`);
        await ctx.sleep(SMOKE_RETRY_DELAY_MS);
      }
    }
    results.push({ name: check.name, ...verdict });
    if (verdict.pass) ctx.log.info(`PASS smoke: ${check.name}: ${verdict.detail}`);
    else ctx.log.error(`FAIL smoke: ${check.name}: ${verdict.detail}`);
  }
  return results;
}
