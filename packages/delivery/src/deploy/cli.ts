/**
 * `npm run deploy -- --env <env> [--plan-only] [--yes] [--rollout-timeout <duration>] [--rollback-ref <git-ref>]`
 *
 * Orchestration only: preflight -> plan -> (confirm) -> lock -> apply -> verify -> record -> unlock, with rollback on
 * failure or cancellation (SIGINT/SIGTERM, see cancel.ts). Each step lives in its own module; every command it runs
 * is logged as `[deploy] $ <command>`.
 *
 * Exit codes:
 *   0  success, or --plan-only finished
 *   2  usage error: unknown flag, missing value, unknown environment (the valid ones are listed)
 *   3  preflight failed (tools, kube context, AWS account, dist/ freshness, rollback ref), or another deploy holds
 *      the deploy lock; nothing was changed
 *   4  plan failed (cdk diff, kubectl diff or the ApplySet prune dry run errored); nothing was changed
 *   5  apply failed, or the run was cancelled (SIGINT/SIGTERM) after it started changing things; what this run
 *      applied in Kubernetes was rolled back
 *   6  verification failed (a rollout or a smoke test); what this run applied was rolled back
 *   7  the rollback failed too: manual action needed (printed)
 *   8  confirmation refused, or not given (production without --yes and without a terminal to ask on), or the run
 *      was cancelled before it changed anything
 *   1  internal error (a bug in this tool; if it happened during the apply, the rollback still ran; 7 if that failed)
 */
import { KUSTOMIZATION_FILE } from '@optibid/rendered';
import * as path from 'path';
import { ENVIRONMENT_INPUTS, loadEnvironment, platformNames } from '@optibid/constructs-lib';
import { DEFAULT_ROLLOUT_TIMEOUT, DEFAULT_SMOKE_ATTEMPTS, type DeployOptions, parseArgs } from './args';
import { applyKubernetes, deployCloudFormation, emptyProgress, type ApplyProgress, type StepFailure } from './apply';
import { type ApplyPlan, CLUSTER_DIR, namespaceOrder, planApplyOrder, removedClusterObjects } from './apply-order';
import { Cancellation, CancelledError } from './cancel';
import { askToConfirm, needsConfirmation } from './confirm';
import type { DeployContext } from './context';
import { readSmokeFacts } from './dist-facts';
import { listTree } from './dist-tree';
import { acquireDeployLock, deployerIdentity, releaseDeployLock, removeLockCommand } from './lock';
import type { Logger } from './log';
import { environmentStacks, logUnprunedClusterObjects, runPlan } from './plan';
import { type DistFreshness, runPreflight } from './preflight';
import { headRevision, listRefFiles, recordDeployedRevision, resolveRollbackRef, type RollbackRef } from './revision';
import { rollback } from './rollback';
import type { CommandRunner } from './runner';
import { buildSmokeChecks } from './smoke-tests';
import { runSmokeTests } from './verify';

export const EXIT = {
  ok: 0,
  usage: 2,
  preflight: 3,
  plan: 4,
  applyFailed: 5,
  verifyFailed: 6,
  rollbackFailed: 7,
  notConfirmed: 8,
  internal: 1,
} as const;

export const EXIT_CODE_TABLE: readonly (readonly [number, string])[] = [
  [EXIT.ok, 'success, or --plan-only finished'],
  [EXIT.usage, 'usage error: unknown flag, missing value, unknown environment'],
  [EXIT.preflight, 'preflight failed (tools, kube context, AWS account, dist/ freshness, rollback ref), or another deploy holds the lock; nothing changed'],
  [EXIT.plan, 'plan failed (cdk diff, kubectl diff or the ApplySet prune dry run errored); nothing changed'],
  [EXIT.applyFailed, 'apply failed, or cancelled (SIGINT/SIGTERM) once changing; what this run applied in Kubernetes was rolled back'],
  [EXIT.verifyFailed, 'verification failed (rollout or smoke test); rolled back'],
  [EXIT.rollbackFailed, 'the rollback failed too: manual action needed (printed)'],
  [EXIT.notConfirmed, 'confirmation refused or not given (production without --yes and no terminal), or cancelled before any change'],
  [EXIT.internal, 'internal error (a bug in this tool; during the apply, the rollback still ran; 7 if it failed)'],
];

export function usage(): string {
  const envs = ENVIRONMENT_INPUTS.map((e) => e.name).join(', ');
  return [
    'Usage: npm run deploy -- --env <environment> [--plan-only] [--yes] [--rollout-timeout <duration>] [--rollback-ref <git-ref>] [--smoke-attempts <n>]',
    '',
    'Deploys one environment from the committed dist/: preflight, plan (cdk diff, kubectl diff, what each ApplySet would',
    'prune), apply (cdk deploy, then kubectl server-side apply in dependency order, one ApplySet per namespace), verify',
    '(rollouts, smoke tests), and on failure or Ctrl-C rolls back what the run applied in Kubernetes. One deploy per',
    'cluster at a time (a Lease in kube-system; a second Ctrl-C exits at once).',
    '',
    'Options:',
    `  --env <environment>           one of: ${envs}`,
    '  --plan-only                   stop after the plan; run nothing that changes anything',
    '  --yes                         confirm a production deploy without the interactive prompt (CI)',
    `  --rollout-timeout <duration>  per-workload rollout and ExternalSecret wait timeout (default ${DEFAULT_ROLLOUT_TIMEOUT})`,
    '  --rollback-ref <git-ref>      revision to roll back to on failure (default: the one the last successful',
    '                                deploy recorded in the cluster, else HEAD~1)',
    `  --smoke-attempts <n>          attempts per smoke test, 15 s apart, before it fails (default ${DEFAULT_SMOKE_ATTEMPTS})`,
    '  -h, --help                    this help',
    '',
    'Exit codes:',
    ...EXIT_CODE_TABLE.map(([code, text]) => `  ${code}  ${text}`),
  ].join('\n');
}

export interface DeployDeps {
  /** Absolute repository root (cdk.json, dist/, git). */
  readonly repoRoot: string;
  readonly runner: CommandRunner;
  readonly log: Logger;
  readonly freshness: DistFreshness;
  readonly stdinIsTTY: boolean;
  readonly prompt: (question: string) => Promise<string>;
  /** Plain output (the help text). */
  readonly print: (text: string) => void;
  /** Waits between smoke-test attempts. @default setTimeout, ended early by a cancel */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Requested by SIGINT/SIGTERM (scripts/deploy.ts installs the handlers). @default never cancelled */
  readonly cancellation?: Cancellation;
}

export async function main(argv: readonly string[], deps: DeployDeps): Promise<number> {
  const { log } = deps;
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    deps.print(usage());
    return EXIT.ok;
  }
  if (parsed.kind === 'usage-error') {
    log.error(`${parsed.message}\n\n${usage()}`);
    return EXIT.usage;
  }
  const options = parsed.options;
  const envNames = ENVIRONMENT_INPUTS.map((e) => e.name);
  if (!envNames.includes(options.env)) {
    log.error(`unknown environment '${options.env}': valid environments are ${envNames.join(', ')}`);
    return EXIT.usage;
  }

  const cancel = deps.cancellation ?? new Cancellation();
  let ctx: DeployContext;
  try {
    const config = loadEnvironment(options.env);
    const names = platformNames(config);
    ctx = {
      repoRoot: deps.repoRoot,
      // Once cancelled, no new command starts (except the rollback's and the lock release, see cancel.ts).
      runner: cancel.gate(deps.runner),
      log,
      config,
      names,
      k8sDir: `dist/k8s/${config.name}`,
      kubeContext: names.clusterArn,
      rolloutTimeout: options.rolloutTimeout,
      smokeAttempts: options.smokeAttempts,
      sleep: deps.sleep ?? ((ms: number) => cancel.sleep(ms)),
    };
  } catch (err) {
    log.error(`environment '${options.env}' does not load: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.preflight;
  }
  try {
    return await deploy(ctx, options, deps, cancel);
  } catch (err) {
    // Once the apply started, deploy() handles a cancel itself (rollback); this is one before any change.
    if (!(err instanceof CancelledError)) throw err;
    log.error(`cancelled (${err.reason}) before anything was changed: nothing was applied`);
    return EXIT.notConfirmed;
  }
}

async function deploy(ctx: DeployContext, options: DeployOptions, deps: DeployDeps, cancel: Cancellation): Promise<number> {
  const { log, config, names } = ctx;
  log.info(
    `${options.planOnly ? 'plan' : 'deploy'} ${config.name} (tier ${config.tier}): stacks ${environmentStacks(ctx).join(', ')}; ${ctx.k8sDir} to cluster ${names.clusterName} (context ${ctx.kubeContext})`,
  );

  // Without a terminal there is nobody to ask later: refuse now, before spending minutes on the plan.
  if (needsConfirmation(config, options) && !deps.stdinIsTTY) {
    log.error(`refusing to deploy to ${config.name} (tier production) unconfirmed: there is no terminal to ask on. Pass --yes to confirm non-interactively (CI), or run it in a terminal.`);
    return EXIT.notConfirmed;
  }

  // 1. Preflight.
  log.info('preflight: tools, kube context, AWS account, dist/ freshness');
  const pre = await runPreflight(ctx, deps.freshness);
  const failures = [...pre.failures];
  const listing = listTree(path.join(ctx.repoRoot, ctx.k8sDir));
  if (listing.length === 0) failures.push(`dist/: ${ctx.k8sDir} is empty or missing. Fix: run npm run synth and commit dist/`);
  let ref: RollbackRef | undefined;
  let head: string | undefined;
  if (failures.length === 0) {
    const resolved = await resolveRollbackRef(ctx, options.rollbackRef);
    if (resolved.ok) ref = resolved.value;
    else failures.push(`rollback ref: ${resolved.message}`);
    head = await headRevision(ctx);
    if (!head) failures.push('git: HEAD does not resolve to a commit (the deployed revision could not be recorded)');
  }
  if (failures.length > 0 || !ref || !head) {
    log.error([`preflight failed (${failures.length} problem${failures.length === 1 ? '' : 's'}); nothing was changed:`, ...failures.map((f) => `  - ${f}`)].join('\n'));
    return EXIT.preflight;
  }
  log.info(`preflight passed; deploying ${head.slice(0, 12)}, rollback ref ${ref.ref} (${ref.sha.slice(0, 12)}, ${ref.source})`);

  const plan = planApplyOrder(listing, namespaceOrder(names.namespaces));
  const unexpected = plan.ignored.filter((f) => f !== KUSTOMIZATION_FILE);
  if (unexpected.length > 0) log.warn(`not applied (not <dir>/<kind>-<name>.yaml): ${unexpected.join(', ')}`);
  log.info(
    `apply order: (a) ${CLUSTER_DIR} (no pruning), (b) ExternalSecrets of ${plan.externalSecrets.map((e) => e.namespace).join(', ') || 'none'}, then ${plan.namespaces.map((n) => n.namespace).join(' -> ')} (one ApplySet each)`,
  );
  const previousCluster = await listRefFiles(ctx, ref.sha, `${ctx.k8sDir}/${CLUSTER_DIR}`);
  const removed = previousCluster.ok ? removedClusterObjects(previousCluster.value, plan.cluster?.files ?? []) : [];

  // 2. Plan.
  const planned = await runPlan(ctx, plan);
  if (!planned.ok) {
    log.error([`plan failed; nothing was changed:`, ...planned.failures.map((f) => `  - ${f}`)].join('\n'));
    return EXIT.plan;
  }
  logUnprunedClusterObjects(ctx, removed, `${ref.ref} (${ref.sha.slice(0, 12)})`);
  if (options.planOnly) {
    log.info('plan only: nothing was applied');
    return EXIT.ok;
  }

  if (needsConfirmation(config, options)) {
    // A SIGTERM while the prompt waits must not leave it waiting.
    const confirmed = await Promise.race([askToConfirm(config.name, deps.prompt), cancel.whenRequested().then(() => false)]);
    cancel.throwIfCancelled();
    if (!confirmed) {
      log.error(`not confirmed: nothing was applied (type '${config.name}' exactly, or pass --yes)`);
      return EXIT.notConfirmed;
    }
  }

  // The deploy lock, before the first change; released below whatever happens.
  const holder = deployerIdentity(head);
  const lock = await acquireDeployLock(ctx, holder, new Date());
  if (!lock.ok) {
    log.error(`${lock.message}\nnothing was changed`);
    return EXIT.preflight;
  }
  cancel.forcedExitNotes.push(`The deploy lock stays taken; once no deploy runs, remove it: ${removeLockCommand(ctx)}`);

  // 3.-5. Apply, verify, record. An unexpected exception or a cancel still rolls back what was applied.
  const progress = emptyProgress();
  try {
    if (cancel.requested) {
      log.error(`cancelled (${cancel.reason}) before anything was changed: nothing was applied`);
      return EXIT.notConfirmed;
    }
    return await applyAndVerify(ctx, plan, progress, ref, head, removed, cancel);
  } catch (err) {
    if (err instanceof CancelledError)
      return await fail(ctx, { step: 'apply', check: 'cancelled', detail: `${err.reason} received; no further step was started` }, plan, progress, ref, cancel);
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    return await fail(ctx, { step: 'apply', check: 'internal error', detail }, plan, progress, ref, cancel, { internal: true });
  } finally {
    cancel.beginCleanup();
    await releaseDeployLock(ctx, holder);
  }
}

async function applyAndVerify(
  ctx: DeployContext,
  plan: ApplyPlan,
  progress: ApplyProgress,
  ref: RollbackRef,
  head: string,
  removed: ReturnType<typeof removedClusterObjects>,
  cancel: Cancellation,
): Promise<number> {
  const { log, config, names } = ctx;
  // 3. Apply (CloudFormation, then Kubernetes with per-namespace rollout gates).
  const cfn = await deployCloudFormation(ctx, progress);
  if (cfn) return fail(ctx, cfn, plan, progress, ref, cancel);
  const k8s = await applyKubernetes(ctx, plan, progress, removed, `${ref.ref} (${ref.sha.slice(0, 12)})`);
  if (k8s) return fail(ctx, k8s, plan, progress, ref, cancel);

  // 4. Verify: smoke tests (rollouts were waited for namespace by namespace during the apply).
  log.info('verify: smoke tests');
  const checks = buildSmokeChecks(config, names, readSmokeFacts(path.join(ctx.repoRoot, ctx.k8sDir), names), ctx.kubeContext);
  const results = await runSmokeTests(ctx, checks);
  const failed = results.filter((r) => !r.pass);
  if (failed.length > 0) {
    return fail(ctx, { step: 'verify', check: `smoke tests: ${failed.map((f) => f.name).join('; ')}`, detail: failed.map((f) => `${f.name}: ${f.detail}`).join(' | ') }, plan, progress, ref, cancel);
  }

  // 5. Record what is deployed: the next run's rollback ref.
  if (!(await recordDeployedRevision(ctx, head)))
    log.warn(`deployed, but recording revision ${head} in ${names.namespaces.kubeSystem}/${names.prefix}-deploy-revision failed: a failed next deploy would roll back to the previously recorded revision (or its HEAD~1) instead of this one. Re-run the apply above by hand.`);
  log.info(`deploy of ${config.name} at ${head.slice(0, 12)} succeeded: ${results.length} smoke tests passed`);
  return EXIT.ok;
}

/**
 * Rolls back (when Kubernetes was touched), prints the report and returns the exit code: 7 when the rollback failed,
 * else 1 for an internal error, 5 for a cancelled run (whatever step it was in), else 5 (apply) or 6 (verify).
 */
async function fail(ctx: DeployContext, failure: StepFailure, plan: ApplyPlan, progress: ApplyProgress, ref: RollbackRef, cancel: Cancellation, opts: { readonly internal?: boolean } = {}): Promise<number> {
  const { log } = ctx;
  // The rollback's commands must run even after a cancel.
  cancel.beginCleanup();
  const cancelled = cancel.requested;
  log.error(`${failure.step} failed: ${failure.check}: ${failure.detail}`);
  if (cancelled) log.error(`cancelled (${cancel.reason}): rolling back what this run applied in Kubernetes`);
  const touched = progress.clusterApplied || progress.externalSecretNamespaces.length > 0 || progress.appliedNamespaces.length > 0;
  const outcome = touched
    ? await rollback(ctx, plan, progress, ref)
    : {
        ok: true,
        rolledBack: [],
        notRolledBack: progress.cdkDeployed
          ? ['CloudFormation: not rolled back by this tool. A stack update that failed was rolled back by CloudFormation itself; stack updates that succeeded in this run stay in place.']
          : [],
        manual: [],
      };
  const code = !outcome.ok ? EXIT.rollbackFailed : opts.internal ? EXIT.internal : cancelled || failure.step === 'apply' ? EXIT.applyFailed : EXIT.verifyFailed;
  const section = (title: string, items: readonly string[]) => (items.length > 0 ? [title, ...items.map((i) => `  - ${i}`)] : []);
  log.error(
    [
      `${cancelled ? `DEPLOY CANCELLED by ${cancel.reason}` : 'DEPLOY FAILED'} (${ctx.config.name}, exit ${code})`,
      `failed: ${failure.step}: ${failure.check}`,
      `  ${failure.detail}`,
      ...section('rolled back:', outcome.rolledBack.length > 0 ? outcome.rolledBack : ['nothing in Kubernetes needed it (no Kubernetes object was applied)']),
      ...section('not rolled back:', outcome.notRolledBack),
      ...section(outcome.ok ? 'note:' : 'ROLLBACK FAILED, manual action needed:', outcome.manual),
    ].join('\n'),
  );
  return code;
}
