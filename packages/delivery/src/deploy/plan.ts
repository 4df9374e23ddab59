/**
 * Step 2: the plan. Read-only: `cdk diff` of the environment's stacks, a server-side `kubectl diff` of dist/, and what
 * each namespace's ApplySet would prune (a server-side dry run of the very apply step (c..) runs).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ApplyPlan, ManifestFile } from './apply-order';
import { describeKind, namespaceApplysetId, writeManifestCopies } from './applyset';
import { applyNamespaceSet, cdkDiff, kubectl, kubectlDiff } from './commands';
import type { DeployContext } from './context';
import { MissingKinds } from './crds';
import { firstLine } from './runner';

export function environmentStacks(ctx: DeployContext): string[] {
  const s = ctx.names.stacks;
  return [s.network, s.data, s.edge, s.cluster];
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

/** Runs every part of the plan (even when one fails) so one run shows every problem. */
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
  const existingNamespaces = plan.namespaces.filter((n) => present.has(n.namespace));

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optibid-plan-'));
  const missingKinds = new MissingKinds();
  try {
    const diffFailure = await diffKubernetes(ctx, plan, existingNamespaces, tmp, missingKinds);
    if (diffFailure) failures.push(diffFailure);
    failures.push(...(await previewPrune(ctx, existingNamespaces, tmp, missingKinds)));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (missingKinds.size > 0)
    ctx.log.warn(
      `not in the plan: objects of ${missingKinds.describe()}. Their CRDs are not installed in the cluster yet (a Helm chart that cdk deploy installs after this plan, presumably added in this change), so the API server cannot dry-run them; they are created by the apply. If no chart in this change installs those CRDs, the apply will fail on them.`,
    );
  return { ok: failures.length === 0, failures };
}

type Step = ApplyPlan['namespaces'][number];

/**
 * `kubectl diff` of the cluster-scoped objects and of every existing namespace. The namespaced objects are diffed
 * from copies that carry their namespace's ApplySet label (see applyset.ts): without it the diff, run under our field
 * manager, shows the label kubectl's ApplySet apply set being removed from every object.
 * Objects of kinds whose CRD is not installed yet are left out (crds.ts), one more try per newly found kind.
 */
async function diffKubernetes(ctx: DeployContext, plan: ApplyPlan, namespaces: readonly Step[], tmp: string, missingKinds: MissingKinds): Promise<string | undefined> {
  const envDir = path.join(ctx.repoRoot, ctx.k8sDir);
  for (let attempt = 1; ; attempt++) {
    const root = path.join(tmp, `diff-${attempt}`);
    const inputs: string[] = [];
    if (plan.cluster) {
      const copy = writeManifestCopies(envDir, plan.cluster.files, path.join(root, plan.cluster.dir), { drop: missingKinds.has });
      // Unchanged: diff dist/ itself (the logged command can be re-run as is).
      if (copy.dropped === 0) inputs.push(`${ctx.k8sDir}/${plan.cluster.dir}`);
      else if (copy.written.length > 0) inputs.push(path.join(root, plan.cluster.dir));
    }
    for (const n of namespaces) {
      const copy = writeManifestCopies(envDir, n.files, path.join(root, n.dir), { partOf: namespaceApplysetId(ctx.names.prefix, n.namespace), drop: missingKinds.has });
      if (copy.written.length > 0) inputs.push(path.join(root, n.dir));
    }
    if (inputs.length === 0) {
      ctx.log.info('kubectl diff: nothing to diff');
      return undefined;
    }
    const kd = await ctx.runner.run(kubectlDiff(ctx.kubeContext, inputs), { echo: true });
    // kubectl diff: 0 = no differences, 1 = differences (the normal case before a deploy), >1 = kubectl or diff failed.
    if (kd.code === 0) ctx.log.info('kubectl diff: no differences');
    else if (kd.code === 1) ctx.log.info('kubectl diff: differences shown above');
    else {
      const added = missingKinds.addFrom(kd.stderr);
      if (added.length > 0) {
        ctx.log.warn(`kubectl diff: the cluster has no CRD yet for ${added.map(describeKind).join(', ')} (kubectl showed no diff at all); diffing again without objects of those kinds`);
        continue;
      }
      return `kubectl diff failed (exit ${kd.code}): ${firstLine(kd.stderr) || 'see output above'}`;
    }
    return undefined;
  }
}

/**
 * What each existing namespace's ApplySet would prune: the exact apply of step (c..) as a server-side dry run
 * (`--dry-run=server`: the API server evaluates it and persists nothing). Its input is dist/ itself, WITHOUT the
 * ApplySet label (kubectl adds it, and refuses input that already has it).
 */
async function previewPrune(ctx: DeployContext, namespaces: readonly Step[], tmp: string, missingKinds: MissingKinds): Promise<string[]> {
  const failures: string[] = [];
  const set = `ApplySet ${ctx.names.prefix}-applyset`;
  for (const n of namespaces) {
    for (let attempt = 1; ; attempt++) {
      let input = `${ctx.k8sDir}/${n.dir}`;
      if (missingKinds.size > 0) {
        const dir = path.join(tmp, `prune-${attempt}`, n.dir);
        const copy = writeManifestCopies(path.join(ctx.repoRoot, ctx.k8sDir), n.files, dir, { drop: missingKinds.has });
        if (copy.written.length === 0) {
          ctx.log.info(`${set} in ${n.namespace}: no object left to dry-run (all of kinds without a CRD yet)`);
          break;
        }
        if (copy.dropped > 0) input = dir;
      }
      const r = await ctx.runner.run(applyNamespaceSet(ctx.kubeContext, ctx.names.prefix, n.namespace, input, { dryRun: true }));
      if (r.code === 0) {
        const pruned = r.stdout
          .split('\n')
          .map((l) => /^(\S+) pruned\b/.exec(l.trim())?.[1])
          .filter((o): o is string => o !== undefined);
        if (pruned.length === 0) ctx.log.info(`${set} in ${n.namespace}: prunes nothing`);
        else ctx.log.warn([`${set} in ${n.namespace} would PRUNE (delete) ${pruned.length} object(s) no longer in dist/:`, ...pruned.map((o) => `  ${o}`)].join('\n'));
        break;
      }
      const added = missingKinds.addFrom(r.stderr);
      if (added.length > 0) {
        ctx.log.warn(`${set} dry run in ${n.namespace}: the cluster has no CRD yet for ${added.map(describeKind).join(', ')}; trying again without objects of those kinds`);
        continue;
      }
      failures.push(`${set} dry run in ${n.namespace} failed (exit ${r.code}): ${firstLine(r.stderr) || firstLine(r.stdout) || 'no output'}`);
      break;
    }
  }
  return failures;
}
