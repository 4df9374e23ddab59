/**
 * Step 5: roll back what THIS run changed in Kubernetes, and nothing else.
 *
 * - A Deployment whose rollout failed: `kubectl rollout undo` first (the previous ReplicaSet is still there, so this
 *   is the fastest way back to serving). The undo writes the pod template under the field manager `kubectl-rollout`,
 *   which makes it a co-owner of those fields; the re-apply below and every later deploy take them back with
 *   `--force-conflicts` (commands.ts), so the fast path costs nothing later.
 * - Every namespace this run applied (in reverse order): the rollback ref's rendered files for that namespace
 *   (`git ls-tree` + `git show`, written to a temporary directory), applied with the same ApplySet and pruning, so
 *   objects this run added are pruned again and changed ones get their previous spec back.
 * - ExternalSecrets applied in step (b) to a namespace whose ApplySet was not reached: the ones that differ from the
 *   rollback ref are re-applied from it (unchanged ones are not touched).
 * - Not rolled back: cluster-scoped objects (never pruned or reverted automatically) and CloudFormation (a failed
 *   stack update is rolled back by CloudFormation itself; a successful one stays).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { type ApplyPlan, parseManifestPath, type Workload, workloadsOf } from './apply-order';
import type { ApplyProgress } from './apply';
import { namespaceApplysetId, rewriteManifest } from './applyset';
import { applyFiles, applyNamespaceSet, rolloutUndo } from './commands';
import type { DeployContext } from './context';
import type { RollbackRef } from './revision';
import { listRefFiles, showRefFile } from './revision';
import { firstLine, formatCommand } from './runner';
import { waitForRollouts } from './verify';

export interface RollbackOutcome {
  readonly ok: boolean;
  readonly rolledBack: readonly string[];
  readonly notRolledBack: readonly string[];
  /** What an operator must do by hand (when ok is false, or for things never rolled back automatically). */
  readonly manual: readonly string[];
}

const base = (f: string) => f.slice(f.lastIndexOf('/') + 1);

export async function rollback(ctx: DeployContext, plan: ApplyPlan, progress: ApplyProgress, ref: RollbackRef): Promise<RollbackOutcome> {
  const rolledBack: string[] = [];
  const notRolledBack: string[] = [];
  const manual: string[] = [];
  let ok = true;
  const short = ref.sha.slice(0, 12);
  ctx.log.info(`rollback: to ${ref.ref} (${short}, ${ref.source}); namespaces applied by this run: ${progress.appliedNamespaces.join(', ') || 'none'}`);

  // Fast path first (see above): pods of the previous ReplicaSet come back while the re-apply is prepared.
  for (const w of progress.failedRollouts) {
    const r = await ctx.runner.run(rolloutUndo(ctx.kubeContext, w.namespace, w.kind, w.name), { echo: true });
    if (r.code === 0) rolledBack.push(`kubectl rollout undo ${w.kind}/${w.name} in ${w.namespace}`);
    // Not fatal: the re-apply below restores the previous spec anyway (undo fails e.g. for a Deployment this run created).
    else ctx.log.warn(`rollout undo ${w.kind}/${w.name} in ${w.namespace} failed (${firstLine(r.stderr) || `exit ${r.code}`}); the re-apply restores it`);
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optibid-rollback-'));
  const reapplied: { namespace: string; workloads: Workload[] }[] = [];

  /**
   * Writes the ref's version of `files` (repository paths) into `dir`, with the ApplySet label `partOf` when given;
   * false (and a manual note) on failure.
   */
  const materialize = async (files: readonly string[], dir: string, what: string, partOf?: string): Promise<boolean> => {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of files) {
      const content = await showRefFile(ctx, ref.sha, f);
      if (!content.ok) {
        manual.push(`${what}: ${content.message}`);
        return false;
      }
      const text = partOf === undefined ? content.value : rewriteManifest(content.value, { partOf }).text;
      fs.writeFileSync(path.join(dir, base(f)), text ?? '');
    }
    return true;
  };

  for (const ns of [...progress.appliedNamespaces].reverse()) {
    const step = plan.namespaces.find((s) => s.namespace === ns);
    const repoDir = `${ctx.k8sDir}/${step?.dir ?? ns}`;
    const listed = await listRefFiles(ctx, ref.sha, repoDir);
    if (!listed.ok) {
      ok = false;
      manual.push(`${ns}: not rolled back, ${listed.message}`);
      continue;
    }
    const files = listed.value.filter((f) => /\.ya?ml$/.test(f));
    if (files.length === 0) {
      // An ApplySet apply of nothing would prune the whole namespace: never do that automatically.
      ok = false;
      manual.push(`${ns}: ${ref.ref} has no files under ${repoDir}, so there is no previous revision to re-apply (an empty ApplySet apply would delete everything in ${ns}); decide by hand what ${ns} should run`);
      continue;
    }
    const dir = path.join(tmp, ns);
    if (!(await materialize(files, dir, ns))) {
      ok = false;
      continue;
    }
    const spec = applyNamespaceSet(ctx.kubeContext, ctx.names.prefix, ns, dir);
    const r = await ctx.runner.run(spec, { echo: true });
    if (r.code !== 0) {
      ok = false;
      manual.push(`${ns}: re-applying ${ref.ref} failed (${firstLine(r.stderr) || `exit ${r.code}`}); retry by hand: ${formatCommand(spec)}`);
      continue;
    }
    rolledBack.push(`${ns}: re-applied ${files.length} files from ${ref.ref} (${short}) as ApplySet ${ctx.names.prefix}-applyset (with pruning)`);
    reapplied.push({ namespace: ns, workloads: workloadsOf(ns, files.map((f) => `${ns}/${base(f)}`)) });
  }

  // ExternalSecrets of namespaces this run did not get to apply as a whole.
  for (const es of plan.externalSecrets) {
    if (!progress.externalSecretNamespaces.includes(es.namespace) || progress.appliedNamespaces.includes(es.namespace)) continue;
    const listed = await listRefFiles(ctx, ref.sha, `${ctx.k8sDir}/${es.namespace}`);
    if (!listed.ok) {
      ok = false;
      manual.push(`ExternalSecrets in ${es.namespace}: not checked, ${listed.message}`);
      continue;
    }
    const inRef = new Map(listed.value.filter((f) => parseManifestPath(`${es.namespace}/${base(f)}`)?.kind === 'externalsecret').map((f) => [base(f), f]));
    const changed: string[] = [];
    for (const f of es.files) {
      const refPath = inRef.get(base(f));
      if (!refPath) {
        notRolledBack.push(`ExternalSecret ${base(f)} in ${es.namespace}: added by this run, left in place (the next deploy of ${es.namespace} prunes it if it is gone from dist/)`);
        continue;
      }
      const previous = await showRefFile(ctx, ref.sha, refPath);
      const current = fs.readFileSync(path.join(ctx.repoRoot, ctx.k8sDir, f), 'utf8');
      if (!previous.ok || previous.value !== current) changed.push(refPath);
    }
    if (changed.length === 0) {
      ctx.log.info(`rollback: ExternalSecrets in ${es.namespace} are the same at ${ref.ref}: not touched`);
      continue;
    }
    const dir = path.join(tmp, '_externalsecrets', es.namespace);
    // With the namespace's ApplySet label, as in step (b): without it this apply would take them out of their set.
    if (!(await materialize(changed, dir, `ExternalSecrets in ${es.namespace}`, namespaceApplysetId(ctx.names.prefix, es.namespace)))) {
      ok = false;
      continue;
    }
    const spec = applyFiles(ctx.kubeContext, es.namespace, changed.map((f) => path.join(dir, base(f))));
    const r = await ctx.runner.run(spec, { echo: true });
    if (r.code !== 0) {
      ok = false;
      manual.push(`ExternalSecrets in ${es.namespace}: re-applying ${ref.ref} failed (${firstLine(r.stderr) || `exit ${r.code}`}); retry by hand: ${formatCommand(spec)}`);
    } else rolledBack.push(`ExternalSecrets in ${es.namespace}: ${changed.map(base).join(', ')} re-applied from ${ref.ref}`);
  }

  // The rollback is only done when the previous revision is serving again.
  for (const { namespace, workloads } of [...reapplied].reverse()) {
    const rollout = await waitForRollouts(ctx, workloads);
    if (!rollout.ok && rollout.failed) {
      ok = false;
      const w = rollout.failed;
      const hint =
        w.kind === 'statefulset'
          ? ` A StatefulSet does not replace a pod stuck on the broken revision by itself: check 'kubectl get pods -n ${namespace}' and delete the stuck pod(s) of ${w.name}.`
          : ` Check 'kubectl describe ${w.kind}/${w.name} -n ${namespace}' and 'kubectl get events -n ${namespace}'.`;
      manual.push(`${namespace}: ${w.kind}/${w.name} did not roll out after the rollback (${rollout.detail}).${hint}`);
    }
  }

  if (progress.clusterApplied)
    notRolledBack.push(
      `cluster-scoped objects (${ctx.k8sDir}/_cluster, step (a)) stay at this run's revision: they are never reverted automatically (to revert: git show ${short}:${ctx.k8sDir}/_cluster/<file> | kubectl apply --server-side --field-manager=optibid-deploy --force-conflicts -f - --context=${ctx.kubeContext})`,
    );
  if (progress.cdkDeployed)
    notRolledBack.push(
      'CloudFormation: not rolled back by this tool. A stack update that failed was rolled back by CloudFormation itself; stack updates that succeeded in this run stay in place.',
    );

  if (ok) fs.rmSync(tmp, { recursive: true, force: true });
  else manual.push(`the previous revision's files are kept in ${tmp}`);
  return { ok, rolledBack, notRolledBack, manual };
}
