/**
 * Git revisions: which commit a failed deploy rolls back to, reading that commit's rendered files, and recording
 * the commit a successful deploy applied (a ConfigMap in kube-system, read back by the next deploy).
 */
import { getRecordedRevision, recordRevision, revisionConfigMapName } from './commands';
import type { DeployContext } from './context';
import { firstLine } from './runner';

export interface RollbackRef {
  /** As given or found (`HEAD~1`, a recorded sha, the --rollback-ref value). */
  readonly ref: string;
  /** The commit it resolved to. */
  readonly sha: string;
  /** Where it came from, for the log. */
  readonly source: string;
}

export type Resolved<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

async function resolveCommit(ctx: DeployContext, ref: string): Promise<string | undefined> {
  const r = await ctx.runner.run({ cmd: 'git', args: ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`] });
  const sha = r.stdout.trim();
  return r.code === 0 && /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
}

export async function headRevision(ctx: DeployContext): Promise<string | undefined> {
  return resolveCommit(ctx, 'HEAD');
}

/**
 * The rollback ref: --rollback-ref if given; else the revision the last successful deploy recorded in the cluster;
 * else HEAD~1, but only when the cluster positively says nothing is recorded (`--ignore-not-found`: empty output,
 * exit 0). Failing to READ the record (no access, API server unreachable, wrong context) is a preflight failure, not
 * "nothing recorded": silently rolling back to HEAD~1 could roll a failed deploy back to a revision older or newer
 * than the one that was running.
 */
export async function resolveRollbackRef(ctx: DeployContext, explicit: string | undefined): Promise<Resolved<RollbackRef>> {
  if (explicit !== undefined) {
    const sha = await resolveCommit(ctx, explicit);
    return sha
      ? { ok: true, value: { ref: explicit, sha, source: '--rollback-ref' } }
      : { ok: false, message: `--rollback-ref '${explicit}' is not a commit in this clone (git fetch it, or pass another ref)` };
  }
  const ns = ctx.names.namespaces.kubeSystem;
  const where = `ConfigMap ${ns}/${revisionConfigMapName(ctx.names.prefix)}`;
  const recorded = await ctx.runner.run(getRecordedRevision(ctx.kubeContext, ns, ctx.names.prefix));
  if (recorded.code !== 0)
    return {
      ok: false,
      message: `reading the revision the last successful deploy recorded (${where}) failed (exit ${recorded.code}): ${firstLine(recorded.stderr) || firstLine(recorded.stdout) || 'no output'}. Fix the cluster access, or pass --rollback-ref <git-ref> to name the rollback revision yourself`,
    };
  const rev = recorded.stdout.trim();
  if (rev !== '') {
    const sha = await resolveCommit(ctx, rev);
    if (sha) return { ok: true, value: { ref: rev, sha, source: `recorded by the last successful deploy (${where})` } };
    return {
      ok: false,
      message: `the last successful deploy recorded revision ${rev}, which is not in this clone: run 'git fetch --unshallow' (or 'git fetch origin ${rev}'), or pass --rollback-ref`,
    };
  }
  ctx.log.info(`no deploy revision recorded in the cluster (${where} does not exist or has no revision): rolling back to HEAD~1 if needed`);
  const sha = await resolveCommit(ctx, 'HEAD~1');
  return sha
    ? { ok: true, value: { ref: 'HEAD~1', sha, source: 'fallback: no revision recorded in the cluster' } }
    : { ok: false, message: 'no deploy revision is recorded in the cluster and HEAD~1 does not exist (shallow clone?): git fetch --deepen=1, or pass --rollback-ref' };
}

/** Files of one directory at a commit, as repository paths (`git ls-tree`, trailing `/` so `optibid` is not `optibid-data`). */
export async function listRefFiles(ctx: DeployContext, sha: string, dir: string): Promise<Resolved<string[]>> {
  const r = await ctx.runner.run({ cmd: 'git', args: ['ls-tree', '-r', '--name-only', sha, `${dir.replace(/\/$/, '')}/`] });
  if (r.code !== 0) return { ok: false, message: `git ls-tree failed: ${firstLine(r.stderr) || `exit ${r.code}`}` };
  return { ok: true, value: r.stdout.split('\n').filter((l) => l.trim() !== '') };
}

export async function showRefFile(ctx: DeployContext, sha: string, file: string): Promise<Resolved<string>> {
  const r = await ctx.runner.run({ cmd: 'git', args: ['show', `${sha}:${file}`] });
  return r.code === 0 ? { ok: true, value: r.stdout } : { ok: false, message: `git show ${sha}:${file} failed: ${firstLine(r.stderr) || `exit ${r.code}`}` };
}

export async function recordDeployedRevision(ctx: DeployContext, sha: string): Promise<boolean> {
  const r = await ctx.runner.run(recordRevision(ctx.kubeContext, ctx.names.namespaces.kubeSystem, ctx.names.prefix, sha), { echo: true });
  return r.code === 0;
}
