/**
 * The deploy lock: one mutating deploy per cluster at a time. GitHub's `concurrency` only serialises CI runs; a
 * deploy from a laptop (or a second workflow) would otherwise interleave with it, each rolling back the other's
 * objects. The lock is a coordination.k8s.io/v1 Lease `<prefix>-deploy-lock` in kube-system, created (never
 * applied) before the first mutating step and deleted at the end of the run in every outcome. --plan-only does not
 * take it. A run killed outright (kill -9, a second Ctrl-C) leaves it behind: the refusal names the holder and the
 * command that removes a stale lock.
 */
import * as os from 'os';
import { createDeployLock, deleteDeployLock, deployLockName, getDeployLock } from './commands';
import type { DeployContext } from './context';
import { firstLine } from './runner';

/** `<user>@<host> pid <pid> <git sha>`: enough to find the run (or the machine it died on). */
export function deployerIdentity(sha: string): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
  return `${user}@${os.hostname()} pid ${process.pid} ${sha}`;
}

export function removeLockCommand(ctx: DeployContext): string {
  return `kubectl delete lease ${deployLockName(ctx.names.prefix)} -n ${ctx.names.namespaces.kubeSystem} --context=${ctx.kubeContext}`;
}

export type LockResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

export async function acquireDeployLock(ctx: DeployContext, holder: string, startedAt: Date): Promise<LockResult> {
  const ns = ctx.names.namespaces.kubeSystem;
  const lease = `Lease ${ns}/${deployLockName(ctx.names.prefix)}`;
  const r = await ctx.runner.run(createDeployLock(ctx.kubeContext, ns, ctx.names.prefix, holder, startedAt.toISOString()));
  if (r.code === 0) {
    ctx.log.info(`deploy lock taken (${lease}, holder ${holder})`);
    return { ok: true };
  }
  if (!/AlreadyExists|already exists/.test(r.stderr))
    return { ok: false, message: `could not take the deploy lock (${lease}): ${firstLine(r.stderr) || `exit ${r.code}`}` };
  const held = await ctx.runner.run(getDeployLock(ctx.kubeContext, ns, ctx.names.prefix));
  const [who, since] = held.stdout.trim().split('\t');
  const holderText =
    held.code !== 0 ? `holder unreadable (${firstLine(held.stderr) || `exit ${held.code}`})` : who ? `held by ${who}${since ? ` since ${since}` : ''}` : 'just released (re-run)';
  return {
    ok: false,
    message: `another deploy to this cluster is running: ${lease} is ${holderText}. Wait for it to finish. If that run is gone (killed, runner lost) the lock is stale: remove it, then re-run: ${removeLockCommand(ctx)}`,
  };
}

/**
 * Deletes the lock if this run still holds it (someone may have removed it as stale and another run taken it).
 * Never throws: a lock left behind is reported with the command that removes it.
 */
export async function releaseDeployLock(ctx: DeployContext, holder: string): Promise<boolean> {
  const ns = ctx.names.namespaces.kubeSystem;
  const lease = `Lease ${ns}/${deployLockName(ctx.names.prefix)}`;
  const held = await ctx.runner.run(getDeployLock(ctx.kubeContext, ns, ctx.names.prefix));
  if (held.code !== 0) {
    ctx.log.warn(`deploy lock NOT released: reading ${lease} failed (${firstLine(held.stderr) || `exit ${held.code}`}). Once no deploy runs: ${removeLockCommand(ctx)}`);
    return false;
  }
  const who = held.stdout.trim().split('\t')[0];
  if (who !== holder) {
    ctx.log.warn(`deploy lock not released: ${lease} is ${who ? `held by ${who}` : 'gone'}, not by this run (${holder}); left as it is`);
    return false;
  }
  const r = await ctx.runner.run(deleteDeployLock(ctx.kubeContext, ns, ctx.names.prefix));
  if (r.code !== 0) {
    ctx.log.warn(`deploy lock NOT released: deleting ${lease} failed (${firstLine(r.stderr) || `exit ${r.code}`}). Remove it by hand: ${removeLockCommand(ctx)}`);
    return false;
  }
  ctx.log.info(`deploy lock released (${lease})`);
  return true;
}
