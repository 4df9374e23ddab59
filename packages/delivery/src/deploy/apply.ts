/**
 * Step 3: apply, in dependency order. CloudFormation first (the cluster, its add-ons and the AWS resources the YAML
 * refers to), then Kubernetes: (a) cluster-scoped objects incl. Namespaces, (b) every ExternalSecret and a wait
 * until they synced, (c..) one ApplySet per namespace, each gated on its workloads rolling out before the next
 * namespace is applied (the app must not roll onto a data tier that did not come up).
 *
 * ApplyProgress records what this run has touched, so a rollback undoes exactly that and nothing else.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { type ApplyPlan, type ManifestFile, parseManifestPath, type Workload } from './apply-order';
import { namespaceApplysetId, writeManifestCopies } from './applyset';
import { applyClusterScoped, applyFiles, applyNamespaceSet, cdkDeploy, jobLogs, waitExternalSecrets, waitJobComplete } from './commands';
import type { DeployContext } from './context';
import { environmentStacks, logUnprunedClusterObjects } from './plan';
import { firstLine } from './runner';
import { waitForRollouts } from './verify';

export interface ApplyProgress {
  /** Stacks `cdk deploy` was run for (CloudFormation rolls a failed update back itself; successful ones stay). */
  cdkDeployed: boolean;
  clusterApplied: boolean;
  /** Namespaces whose ExternalSecrets step (b) applied. */
  readonly externalSecretNamespaces: string[];
  /** Namespaces applied as an ApplySet, in order; includes one whose apply failed part-way (it may be half-changed). */
  readonly appliedNamespaces: string[];
  /** Deployments whose rollout failed: `kubectl rollout undo` is their fast path back. */
  readonly failedRollouts: Workload[];
}

export function emptyProgress(): ApplyProgress {
  return { cdkDeployed: false, clusterApplied: false, externalSecretNamespaces: [], appliedNamespaces: [], failedRollouts: [] };
}

export interface StepFailure {
  /** `apply` exits 5, `verify` exits 6 (after the rollback). */
  readonly step: 'apply' | 'verify';
  /** Which check or command, e.g. `(d) optibid: rollout deployment/backend`. */
  readonly check: string;
  readonly detail: string;
}

const stepLetter = (i: number) => String.fromCharCode('c'.charCodeAt(0) + i);

export async function deployCloudFormation(ctx: DeployContext, progress: ApplyProgress): Promise<StepFailure | undefined> {
  ctx.log.info('apply: CloudFormation');
  progress.cdkDeployed = true;
  const r = await ctx.runner.run(cdkDeploy(environmentStacks(ctx)), { echo: true });
  if (r.code === 0) return undefined;
  return { step: 'apply', check: 'cdk deploy', detail: `exit ${r.code}: ${firstLine(r.stderr) || 'see output above'}` };
}

export async function applyKubernetes(ctx: DeployContext, plan: ApplyPlan, progress: ApplyProgress, removedClusterObjects: readonly ManifestFile[], refLabel: string): Promise<StepFailure | undefined> {
  const at = (dir: string) => `${ctx.k8sDir}/${dir}`;
  const failed = (check: string, r: { code: number; stderr: string }): StepFailure => ({ step: 'apply', check, detail: `exit ${r.code}: ${firstLine(r.stderr) || 'see output above'}` });

  if (plan.cluster) {
    ctx.log.info(`apply (a): cluster-scoped objects (${plan.cluster.files.length} files, no pruning)`);
    progress.clusterApplied = true;
    const r = await ctx.runner.run(applyClusterScoped(ctx.kubeContext, at(plan.cluster.dir)), { echo: true });
    if (r.code !== 0) return failed('(a) cluster-scoped objects', r);
    logUnprunedClusterObjects(ctx, removedClusterObjects, refLabel);
  }

  if (plan.externalSecrets.length > 0) {
    ctx.log.info(`apply (b): ExternalSecrets of ${plan.externalSecrets.map((e) => e.namespace).join(', ')}`);
    // Copies that carry their namespace's ApplySet label: applied without it (same field manager, no --applyset),
    // the label the namespace's ApplySet apply set would be removed, taking the ExternalSecrets out of their set.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optibid-externalsecrets-'));
    try {
      for (const es of plan.externalSecrets) {
        progress.externalSecretNamespaces.push(es.namespace);
        const { written } = writeManifestCopies(path.join(ctx.repoRoot, ctx.k8sDir), es.files, path.join(tmp, es.namespace), { partOf: namespaceApplysetId(ctx.names.prefix, es.namespace) });
        const r = await ctx.runner.run(applyFiles(ctx.kubeContext, es.namespace, written), { echo: true });
        if (r.code !== 0) return failed(`(b) ExternalSecrets in ${es.namespace}`, r);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    for (const es of plan.externalSecrets) {
      const r = await ctx.runner.run(waitExternalSecrets(ctx.kubeContext, es.namespace, ctx.rolloutTimeout), { echo: true });
      if (r.code !== 0) return failed(`(b) ExternalSecrets Ready in ${es.namespace}`, r);
    }
  }

  for (const [i, step] of plan.namespaces.entries()) {
    const label = `(${stepLetter(i)}) ${step.namespace}`;
    progress.appliedNamespaces.push(step.namespace);
    const gates = step.gateJobs;
    if (gates.length === 0) {
      ctx.log.info(`apply ${label}: ${step.files.length} files as ApplySet ${ctx.names.prefix}-applyset, pruning inside ${step.namespace} only`);
      const r = await ctx.runner.run(applyNamespaceSet(ctx.kubeContext, ctx.names.prefix, step.namespace, at(step.dir)), { echo: true });
      if (r.code !== 0) return failed(label, r);
    } else {
      // Everything but the gate Jobs first (as the same ApplySet: an older gate Job is pruned here), so they start
      // only once the namespace's workloads run the new revision.
      const rest = step.files.filter((f) => !gates.includes(f));
      ctx.log.info(`apply ${label}: ${rest.length} files as ApplySet ${ctx.names.prefix}-applyset, pruning inside ${step.namespace} only; ${gates.length} gate Job(s) after the rollouts`);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optibid-gate-'));
      try {
        // Plain copies: the ApplySet apply refuses input that carries the ApplySet label already.
        const dir = path.join(tmp, step.dir);
        fs.mkdirSync(dir, { recursive: true });
        for (const f of rest) fs.copyFileSync(path.join(ctx.repoRoot, ctx.k8sDir, f), path.join(dir, path.basename(f)));
        const r = await ctx.runner.run(applyNamespaceSet(ctx.kubeContext, ctx.names.prefix, step.namespace, dir), { echo: true });
        if (r.code !== 0) return failed(label, r);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    }
    const rollout = await waitForRollouts(ctx, step.workloads);
    if (!rollout.ok && rollout.failed) {
      if (rollout.failed.kind === 'deployment') progress.failedRollouts.push(rollout.failed);
      return { step: 'verify', check: `${label}: rollout ${rollout.failed.kind}/${rollout.failed.name}`, detail: rollout.detail ?? '' };
    }
    if (gates.length > 0) {
      const gateFailure = await runGateJobs(ctx, step, label);
      if (gateFailure) return gateFailure;
    }
  }
  return undefined;
}

/**
 * The gate Jobs of a namespace step, once its workloads rolled out: the whole namespace directory again as the
 * ApplySet (it adds the Jobs and changes nothing else), then a wait for every gate Job to complete. A Job that does
 * not complete within the rollout timeout fails the step: the next namespace is not applied.
 */
async function runGateJobs(ctx: DeployContext, step: ApplyPlan['namespaces'][number], label: string): Promise<StepFailure | undefined> {
  const jobs = step.gateJobs.map((f) => parseManifestPath(f)!.name);
  ctx.log.info(`apply ${label}: gate Job(s) ${jobs.map((j) => `job/${j}`).join(', ')}, now that ${step.namespace} rolled out`);
  const r = await ctx.runner.run(applyNamespaceSet(ctx.kubeContext, ctx.names.prefix, step.namespace, `${ctx.k8sDir}/${step.dir}`), { echo: true });
  if (r.code !== 0) return { step: 'apply', check: `${label}: gate Jobs`, detail: `exit ${r.code}: ${firstLine(r.stderr) || 'see output above'}` };
  for (const job of jobs) {
    const w = await ctx.runner.run(waitJobComplete(ctx.kubeContext, step.namespace, job, ctx.rolloutTimeout), { echo: true });
    if (w.code !== 0) {
      const logs = await ctx.runner.run(jobLogs(ctx.kubeContext, step.namespace, job));
      const last = logs.stdout.trim().split('\n').slice(-1)[0] ?? '';
      ctx.log.error(`FAIL job/${job} in ${step.namespace} did not complete${last ? `: ${last}` : ''}`);
      return { step: 'verify', check: `${label}: job/${job}`, detail: `did not complete within ${ctx.rolloutTimeout} (exit ${w.code}: ${firstLine(w.stderr) || 'no output'})${last ? `; last log line: ${last}` : ''}` };
    }
    ctx.log.info(`PASS job/${job} in ${step.namespace} completed`);
  }
  return undefined;
}
