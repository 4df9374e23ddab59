/** Step 2: the plan. Read-only: `cdk diff` of the environment's stacks and a server-side `kubectl diff` of dist/. */
import type { ApplyPlan, ManifestFile } from './apply-order';
import { cdkDiff, kubectl, kubectlDiff } from './commands';
import type { DeployContext } from './context';
import { firstLine } from './runner';

export function environmentStacks(ctx: DeployContext): string[] {
  const s = ctx.names.stacks;
  return [s.network, s.data, s.edge, s.cluster];
}

/** Directories applied, in apply order, relative to the repository root. */
export function appliedDirs(ctx: DeployContext, plan: ApplyPlan): string[] {
  return [...(plan.cluster ? [plan.cluster.dir] : []), ...plan.namespaces.map((n) => n.dir)].map((d) => `${ctx.k8sDir}/${d}`);
}

export function logUnprunedClusterObjects(ctx: DeployContext, removed: readonly ManifestFile[], refLabel: string): void {
  if (removed.length === 0) return;
  ctx.log.warn(
    [
      `${removed.length} cluster-scoped object(s) are in ${refLabel} but no longer in dist/: not pruned (cluster-scoped objects never are), delete by hand once nothing uses them:`,
      ...removed.map((m) => `  kubectl delete ${m.kind}/${m.name} --context=${ctx.kubeContext}`),
    ].join('\n'),
  );
}

export interface PlanOutcome {
  readonly ok: boolean;
  readonly failures: readonly string[];
}

/** Runs both diffs (even when the first fails) so one run shows every problem. */
export async function runPlan(ctx: DeployContext, plan: ApplyPlan): Promise<PlanOutcome> {
  const failures: string[] = [];
  ctx.log.info('plan: CloudFormation');
  const cdk = await ctx.runner.run(cdkDiff(environmentStacks(ctx)), { echo: true });
  if (cdk.code !== 0) failures.push(`cdk diff failed (exit ${cdk.code}): ${firstLine(cdk.stderr) || firstLine(cdk.stdout) || 'see output above'}`);

  ctx.log.info('plan: Kubernetes (server-side dry run against the cluster)');
  // A server-side dry run of a namespaced object fails when its namespace does not exist yet (first deploy, or a
  // namespace added in this change): those directories are reported as "all new" instead of diffed.
  const existing = await ctx.runner.run(kubectl(ctx.kubeContext, ['get', 'namespaces', '-o', 'name']));
  if (existing.code !== 0) {
    failures.push(`kubectl get namespaces failed (exit ${existing.code}): ${firstLine(existing.stderr) || 'no output'}`);
    return { ok: false, failures };
  }
  const present = new Set(existing.stdout.split('\n').map((l) => l.trim().replace(/^namespace\//, '')).filter(Boolean));
  const missing = plan.namespaces.filter((n) => !present.has(n.namespace));
  for (const n of missing) ctx.log.info(`namespace ${n.namespace} does not exist yet: its ${n.files.length} object(s) will all be created (not diffed)`);
  const dirs = appliedDirs({ ...ctx }, { ...plan, namespaces: plan.namespaces.filter((n) => present.has(n.namespace)) });
  const kd = await ctx.runner.run(kubectlDiff(ctx.kubeContext, dirs), { echo: true });
  // kubectl diff: 0 = no differences, 1 = differences (the normal case before a deploy), >1 = kubectl or diff failed.
  if (kd.code === 0) ctx.log.info('kubectl diff: no differences');
  else if (kd.code === 1) ctx.log.info('kubectl diff: differences shown above');
  else failures.push(`kubectl diff failed (exit ${kd.code}): ${firstLine(kd.stderr) || 'see output above'}`);
  return { ok: failures.length === 0, failures };
}
