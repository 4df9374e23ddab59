/**
 * The deploy CLI end to end: the real scripts/deploy.ts as a child process, with recording stand-ins for aws, cdk,
 * kubectl and curl (see stand-ins.ts) and the real repository (dist/, git history for the rollback ref).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadEnvironment, platformNames, ROLE_RECONCILE_JOB } from '@optibid/constructs-lib';
import { namespaceApplysetId } from '../../src/deploy/applyset';
import { WRITE_OUT } from '../../src/deploy/smoke/public-path';
import { installPublicPathCurl } from './public-path-curl';
import { commandLine, createStandIns, DEPLOY_ARGV, deployEnv, filesAtRevision, gitRev, isMutating, namespaceOf, type Recorded, REPO_ROOT, runDeploy, type StandIns } from './stand-ins';

const ENV = 'production';
const names = platformNames(loadEnvironment(ENV));
const K8S = `dist/k8s/${ENV}`;
const ORDER = [names.namespaces.data, names.namespaces.app, names.namespaces.monitoring, names.namespaces.monitoringAgents];
const APPLYSET = `--applyset=configmaps/${names.prefix}-applyset`;
const OK_ENV = { STANDIN_KUBE_CONTEXT: names.clusterArn, STANDIN_AWS_ACCOUNT: names.account };

const LOCK = `${names.prefix}-deploy-lock`;
const SERVER_SIDE = ['--server-side', '--field-manager=optibid-deploy', '--force-conflicts'];

const sub = (r: Recorded) => r.argv.filter((a) => !a.startsWith('--context='));
const isDryRun = (r: Recorded) => r.argv.includes('--dry-run=server');
/** A real (not dry-run) apply. */
const isApply = (r: Recorded) => r.tool === 'kubectl' && sub(r)[0] === 'apply' && !isDryRun(r);
const isApplySet = (r: Recorded) => isApply(r) && r.argv.includes('--prune');
const isPruneDryRun = (r: Recorded) => r.tool === 'kubectl' && sub(r)[0] === 'apply' && isDryRun(r);
const isDiff = (r: Recorded) => r.tool === 'kubectl' && sub(r)[0] === 'diff';
const isLockTake = (r: Recorded) => r.tool === 'kubectl' && sub(r)[0] === 'create' && (r.stdin ?? '').includes('"Lease"');
const isLockRelease = (r: Recorded) => r.tool === 'kubectl' && commandLine(r) === `kubectl delete lease ${LOCK} -n kube-system`;
/** The ApplySet id kubectl gives each namespace's set (applyset.test.ts checks the computation against known vectors). */
const idOf = (ns: string) => namespaceApplysetId(names.prefix, ns);
const isRolloutStatus = (r: Recorded) => r.tool === 'kubectl' && sub(r)[0] === 'rollout' && sub(r)[1] === 'status';
const afterFailure = (records: Recorded[]) => records.slice(records.findIndex((r) => r.failed) + 1);

let s: StandIns;
beforeEach(() => {
  s = createStandIns();
  installPublicPathCurl(s); // answers like curl through ALB -> NGINX -> app (public-path-curl.ts)
});
afterEach(() => s.cleanup());

/** Every namespaced ApplySet apply uses --prune with the ApplySet, -n of exactly that namespace, KUBECTL_APPLYSET=true. */
function expectScopedApplySet(r: Recorded, namespace: string) {
  expect(r.argv).toEqual(expect.arrayContaining([...SERVER_SIDE, '--prune', APPLYSET]));
  // kubectl labels the members itself and refuses input that already carries the label.
  expect(r.files.flatMap((f) => f.partOf)).toEqual(r.files.flatMap((f) => f.names.map(() => null)));
  expect(r.argv.filter((a) => a === '-n')).toHaveLength(1);
  expect(namespaceOf(r)).toBe(namespace);
  expect(r.env.KUBECTL_APPLYSET).toBe('true');
}

/** Rollback re-applies: exactly `namespaces`, each with the rollback ref's file set for that namespace. */
function expectRolledBack(records: Recorded[], namespaces: string[], rev = 'HEAD~1') {
  const reapplied = afterFailure(records).filter(isApplySet);
  expect(reapplied.map(namespaceOf)).toEqual(namespaces);
  for (const r of reapplied) {
    const ns = namespaceOf(r)!;
    expectScopedApplySet(r, ns);
    expect(r.files).toHaveLength(1);
    expect(r.files[0].arg).not.toContain('dist/k8s'); // the previous revision's files, not the current dist/
    expect(r.files[0].names).toEqual(filesAtRevision(rev, `${K8S}/${ns}`));
    expect(r.files[0].names.length).toBeGreaterThan(0);
  }
}

/** The deploy lock was taken before anything changed and released by the very last command. */
function expectLockTakenAndReleasedLast(records: Recorded[]) {
  const take = records.findIndex(isLockTake);
  expect(take).toBeGreaterThanOrEqual(0);
  expect(take).toBeLessThan(records.findIndex((r) => isMutating(r) && !isLockTake(r)));
  expect(isLockRelease(records[records.length - 1])).toBe(true);
  expect(records.filter(isLockRelease)).toHaveLength(1);
}

describe('npm run deploy against recording stand-ins', () => {
  test('--plan-only runs cdk diff and kubectl diff (exit 1 = differences, not an error) and nothing mutating; exit 0', () => {
    const run = runDeploy(s, ['--env', ENV, '--plan-only'], OK_ENV);
    expect(run.code).toBe(0);
    const lines = run.records.map(commandLine);
    expect(lines).toContain(`cdk diff ${Object.values(names.stacks).join(' ')}`);
    const diff = run.records.find(isDiff)!;
    // --force-conflicts: after a `kubectl rollout undo` (manager kubectl-rollout) the diff would otherwise fail on the conflict.
    expect(diff.argv).toEqual(expect.arrayContaining(SERVER_SIDE));
    // The cluster-scoped objects from dist/ itself; each namespace from copies of ALL its files that carry the
    // namespace's ApplySet label (without it the diff, under our field manager, shows the label being removed).
    expect(diff.files[0].arg).toBe(`${K8S}/_cluster`);
    expect(diff.files[0].partOf.every((p) => p === null)).toBe(true);
    expect(diff.files.slice(1).map((f) => path.basename(f.arg))).toEqual(ORDER);
    for (const [i, ns] of ORDER.entries()) {
      const f = diff.files[i + 1];
      expect(f.arg).not.toContain('dist/k8s');
      expect(f.names).toEqual(fs.readdirSync(path.join(REPO_ROOT, K8S, ns)).sort());
      expect(f.partOf).toEqual(f.names.map(() => idOf(ns)));
    }
    // What each ApplySet would prune: the real apply as a server-side dry run, per namespace, from dist/ unlabelled.
    const dryRuns = run.records.filter(isPruneDryRun);
    expect(dryRuns.map(namespaceOf)).toEqual(ORDER);
    dryRuns.forEach((r, i) => {
      expectScopedApplySet(r, ORDER[i]);
      expect(r.files.map((f) => f.arg)).toEqual([`${K8S}/${ORDER[i]}`]);
    });
    expect(run.stdout).toContain(`ApplySet ${names.prefix}-applyset in optibid: prunes nothing`);
    expect(run.records.filter(isMutating).map(commandLine)).toEqual([]);
    expect(run.records.some(isLockTake)).toBe(false);
    expect(run.stdout).toContain('[deploy] $ kubectl diff --server-side --field-manager=optibid-deploy --force-conflicts');
    expect(run.stdout).toContain('plan only: nothing was applied');
  });

  test('the plan shows what each ApplySet would prune', () => {
    const run = runDeploy(s, ['--env', ENV, '--plan-only'], { ...OK_ENV, STANDIN_DRYRUN_PRUNED: 'optibid=deployment.apps/old-worker,optibid=service/old-worker' });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`ApplySet ${names.prefix}-applyset in optibid would PRUNE (delete) 2 object(s) no longer in dist/:\n[deploy] WARNING:   deployment.apps/old-worker\n[deploy] WARNING:   service/old-worker`);
    expect(run.stdout).toContain(`ApplySet ${names.prefix}-applyset in optibid-data: prunes nothing`);
  });

  test('custom resources whose CRD the same change adds (installed by cdk deploy, after the plan) are left out of the plan with a warning, not a failure', () => {
    const missing = ['cert-manager.io/v1 Certificate', 'cert-manager.io/v1 Issuer', 'cert-manager.io/v1 ClusterIssuer'];
    const run = runDeploy(s, ['--env', ENV, '--plan-only'], { ...OK_ENV, STANDIN_MISSING_CRDS: missing.join(',') });
    expect(run.code).toBe(0);
    // kubectl diff stops at the first unknown kind: one more diff per kind found, the last one without any of them.
    const diffs = run.records.filter(isDiff);
    expect(diffs.length).toBeGreaterThan(1);
    const last = diffs[diffs.length - 1];
    const diffed = last.files.flatMap((f) => f.names);
    expect(diffed.filter((n) => /^(certificate|issuer|clusterissuer)-/.test(n))).toEqual([]);
    expect(diffed).toContain('deployment-backend.yaml');
    expect(diffed).toContain('namespace-optibid.yaml');
    expect(last.files[0].arg).not.toBe(`${K8S}/_cluster`); // a copy without the ClusterIssuers
    expect(run.stderr).toMatch(/not in the plan: objects of .*Certificate \(cert-manager\.io\/v1\)/);
    for (const kind of ['ClusterIssuer', 'Certificate', 'Issuer']) expect(run.stderr).toContain(`no CRD yet for ${kind} (cert-manager.io/v1)`);
    // The prune dry runs leave them out too, so they run (and show) instead of failing.
    const dryRuns = run.records.filter(isPruneDryRun).filter((r) => !r.failed);
    expect(new Set(dryRuns.map(namespaceOf))).toEqual(new Set(ORDER));
    expect(run.records.filter(isMutating).map(commandLine)).toEqual([]);
  });

  test('a full deploy applies in dependency order, one namespace-scoped ApplySet each, gated on rollouts, then smoke tests and records the revision', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes'], OK_ENV);
    expect(run.code).toBe(0);
    const recs = run.records;
    const idx = (pred: (r: Recorded) => boolean) => recs.findIndex(pred);

    // No revision recorded yet: the cluster says so (--ignore-not-found, empty output), so HEAD~1 it is.
    const revisionRead = recs.find((r) => r.tool === 'kubectl' && sub(r)[0] === 'get' && sub(r)[1] === 'configmap')!;
    expect(revisionRead.argv).toContain('--ignore-not-found');
    expect(run.stdout).toContain('no deploy revision recorded in the cluster');

    // The deploy lock before anything changes, released by the very last command.
    expectLockTakenAndReleasedLast(recs);
    const lease = JSON.parse(recs.find(isLockTake)!.stdin!);
    expect(lease).toMatchObject({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LOCK, namespace: 'kube-system' } });
    expect(lease.spec.holderIdentity).toMatch(new RegExp(`^\\S+@\\S+ pid \\d+ ${gitRev('HEAD')}$`));
    expect(Number.isNaN(Date.parse(lease.metadata.annotations['optibid.io/deploy-started-at']))).toBe(false);

    // Every apply and diff forces conflicts (a `kubectl rollout undo` makes kubectl-rollout co-owner of the pod template).
    for (const r of recs.filter((r) => isApply(r) || isPruneDryRun(r) || isDiff(r))) expect(r.argv).toEqual(expect.arrayContaining(SERVER_SIDE));

    // CloudFormation first.
    const cdkDeploy = idx((r) => r.tool === 'cdk' && sub(r)[0] === 'deploy');
    expect(idx(isLockTake)).toBeLessThan(cdkDeploy);
    expect(commandLine(recs[cdkDeploy])).toBe(`cdk deploy --require-approval never ${Object.values(names.stacks).join(' ')}`);
    expect(idx(isApply)).toBeGreaterThan(cdkDeploy);

    const applies = recs.filter((r) => isApply(r) && r.stdin === undefined);
    // (a) cluster-scoped, no pruning, no namespace.
    expect(applies[0].files.map((f) => f.arg)).toEqual([`${K8S}/_cluster`]);
    expect(applies[0].argv).not.toContain('--prune');
    expect(namespaceOf(applies[0])).toBeUndefined();
    expect(applies[0].files[0].names).toContain(`namespace-${names.namespaces.app}.yaml`);
    // (b) ExternalSecrets of every namespace, only ExternalSecrets, no pruning; then a wait per namespace. They are
    // applied from copies carrying their namespace's ApplySet label: applied without it under our field manager,
    // the label the ApplySet apply set would be removed (taking them out of their set).
    const es = applies.slice(1, 1 + ORDER.length);
    expect(es.map(namespaceOf)).toEqual(ORDER);
    for (const r of es) {
      expect(r.argv).not.toContain('--prune');
      expect(r.files.flatMap((f) => f.names).every((n) => n.startsWith('externalsecret-'))).toBe(true);
      expect(r.files.flatMap((f) => f.names).sort()).toEqual(fs.readdirSync(path.join(REPO_ROOT, K8S, namespaceOf(r)!)).filter((n) => n.startsWith('externalsecret-')).sort());
      expect(r.files.flatMap((f) => f.partOf)).toEqual(r.files.map(() => idOf(namespaceOf(r)!)));
    }
    const waits = recs.filter((r) => r.tool === 'kubectl' && sub(r)[0] === 'wait' && r.argv.includes('externalsecret'));
    expect(waits.map(namespaceOf)).toEqual(ORDER);
    expect(waits.every((w) => w.argv.includes('--for=condition=Ready') && w.argv.includes('externalsecret') && w.argv.includes('--all'))).toBe(true);
    const lastWait = recs.lastIndexOf(waits[waits.length - 1]);
    // (c)-(f) one ApplySet per namespace, in order, after the ExternalSecrets are Ready. A namespace with gate Jobs
    // (the data tier's role-reconcile Job) is applied without them first, from a copy, and whole once it rolled out.
    const gates = (ns: string) => fs.readdirSync(path.join(REPO_ROOT, K8S, ns)).filter((n) => n.startsWith(`job-${ROLE_RECONCILE_JOB}-`));
    const allSets = recs.filter(isApplySet);
    const sets = ORDER.map((ns) => allSets.find((r) => namespaceOf(r) === ns)!);
    expect(allSets.map(namespaceOf)).toEqual(ORDER.flatMap((ns) => (gates(ns).length > 0 ? [ns, ns] : [ns])));
    sets.forEach((r, i) => {
      expectScopedApplySet(r, ORDER[i]);
      if (gates(ORDER[i]).length === 0) expect(r.files.map((f) => f.arg)).toEqual([`${K8S}/${ORDER[i]}`]);
      else {
        expect(r.files[0].names).toEqual(fs.readdirSync(path.join(REPO_ROOT, K8S, ORDER[i])).filter((n) => !gates(ORDER[i]).includes(n)).sort());
        const whole = allSets[allSets.indexOf(r) + 1];
        expect(whole.files.map((f) => f.arg)).toEqual([`${K8S}/${ORDER[i]}`]);
        // The gate Jobs after the namespace's rollouts, each waited for before the next namespace.
        const jobWaits = recs.filter((w) => w.tool === 'kubectl' && sub(w)[0] === 'wait' && namespaceOf(w) === ORDER[i] && !w.argv.includes('externalsecret'));
        expect(jobWaits.map((w) => sub(w)[2])).toEqual(gates(ORDER[i]).map((n) => `job/${n.replace(/^job-/, '').replace(/\.yaml$/, '')}`));
        for (const w of jobWaits) {
          expect(w.argv).toContain('--for=condition=complete');
          expect(recs.indexOf(w)).toBeGreaterThan(recs.indexOf(whole));
          if (i + 1 < ORDER.length) expect(recs.indexOf(w)).toBeLessThan(recs.indexOf(sets[i + 1]));
        }
        for (const ro of recs.filter((x) => isRolloutStatus(x) && namespaceOf(x) === ORDER[i])) expect(recs.indexOf(ro)).toBeLessThan(recs.indexOf(whole));
      }
      expect(recs.indexOf(r)).toBeGreaterThan(lastWait);
    });
    expect(applies).toHaveLength(1 + ORDER.length + allSets.length);

    // Each namespace's rollouts are waited for before the next namespace is applied.
    const rollouts = recs.filter(isRolloutStatus);
    expect(rollouts.map((r) => `${namespaceOf(r)} ${sub(r)[4]}`)).toEqual(
      expect.arrayContaining([`${names.namespaces.data} statefulset/postgres`, `${names.namespaces.app} deployment/backend`, `${names.namespaces.monitoringAgents} daemonset/fluent-bit`]),
    );
    for (const r of rollouts) {
      const ns = namespaceOf(r)!;
      const i = ORDER.indexOf(ns);
      expect(recs.indexOf(r)).toBeGreaterThan(recs.indexOf(sets[i]));
      if (i + 1 < sets.length) expect(recs.indexOf(r)).toBeLessThan(recs.indexOf(sets[i + 1]));
      expect(r.argv).toContain('--timeout=10m');
    }

    // Smoke tests after the last rollout.
    const lines = recs.map(commandLine);
    expect(lines).toEqual(
      expect.arrayContaining([
        `curl -sS --max-time 10 -D - -w ${WRITE_OUT} https://${'api.optibid.energy'}/healthz`,
        `curl -sS --max-time 10 -D - -w ${WRITE_OUT} https://api.optibid.energy/readyz`,
        `curl -sS --max-time 10 -D - -w ${WRITE_OUT} https://app.optibid.energy/`,
        `kubectl exec -n ${names.namespaces.data} deployment/pgbouncer -c pgbouncer -- pg_isready -h 127.0.0.1 -p 6432 -d ${names.database.name}`,
        `kubectl exec -n monitoring prometheus-0 -c prometheus -- wget -qO- http://localhost:9090/api/v1/targets?state=active`,
      ]),
    );
    const redis = recs.find((r) => r.tool === 'kubectl' && r.argv.includes('redis-0'))!;
    expect(sub(redis).slice(0, 7)).toEqual(['exec', '-n', names.namespaces.data, 'redis-0', '-c', 'redis', '--']);
    expect(redis.argv[redis.argv.length - 1]).toMatch(/redis-cli --user exporter cluster info$/);
    expect(redis.argv[redis.argv.length - 1]).toContain('/etc/redis/acl/users.acl');
    expect(idx((r) => r.tool === 'curl')).toBeGreaterThan(recs.lastIndexOf(rollouts[rollouts.length - 1]));
    expect(run.stdout.match(/PASS smoke:/g)).toHaveLength(6);

    // The deployed commit is recorded last (before releasing the lock), for the next run's rollback.
    const record = recs.filter(isApply).pop()!;
    expect(recs.indexOf(record)).toBeGreaterThan(recs.findIndex((r) => r.tool === 'curl'));
    expect(isApply(record) && record.stdin).toBeTruthy();
    expect(JSON.parse(record.stdin!)).toMatchObject({ kind: 'ConfigMap', metadata: { name: `${names.prefix}-deploy-revision`, namespace: 'kube-system' }, data: { revision: gitRev('HEAD') } });

    // Every cluster call names the environment's context; nothing is ever deleted.
    for (const r of recs.filter((r) => r.tool === 'kubectl' && !['version', 'config'].includes(r.argv[0]))) expect(r.argv).toContain(`--context=${names.clusterArn}`);
    expect(lines.filter((l) => / delete /.test(l))).toEqual([`kubectl delete lease ${LOCK} -n kube-system`]);
    expect(run.stdout).toContain(`[deploy] $ KUBECTL_APPLYSET=true kubectl apply --server-side --field-manager=optibid-deploy --force-conflicts --prune ${APPLYSET} -n optibid-data -f ${K8S}/optibid-data`);
  });

  test('a failed rollout of the backend: rollout undo, re-apply of exactly the namespaces applied so far from HEAD~1, nothing else touched; exit 6', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, STANDIN_FAIL: 'kubectl rollout status.*deployment/backend', STANDIN_FAIL_COUNT: '1' });
    expect(run.code).toBe(6);
    const after = afterFailure(run.records);
    expect(commandLine(after.find(isMutating)!)).toBe(`kubectl rollout undo -n ${names.namespaces.app} deployment/backend`);
    expectRolledBack(run.records, [names.namespaces.app, names.namespaces.data]);
    // Namespaces this run had not applied yet are not touched by the rollback (nor applied at all).
    for (const ns of [names.namespaces.monitoring, names.namespaces.monitoringAgents]) {
      expect(after.filter((r) => namespaceOf(r) === ns)).toEqual([]);
      expect(run.records.filter((r) => isApplySet(r) && namespaceOf(r) === ns)).toEqual([]);
    }
    expect(run.records.filter((r) => r.tool === 'curl')).toEqual([]);
    expect(after.some((r) => r.tool === 'cdk')).toBe(false);
    expect(run.stderr).toContain('failed: verify: (d) optibid: rollout deployment/backend');
    expect(run.stderr).toMatch(/rolled back:\n.*kubectl rollout undo deployment\/backend in optibid/);
    expect(run.stderr).toContain('CloudFormation: not rolled back by this tool');
    expectLockTakenAndReleasedLast(run.records);
  });

  test('a failing smoke test (/readyz) rolls back every namespace applied; exit 6', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes', '--smoke-attempts', '1'], { ...OK_ENV, STANDIN_FAIL: '^curl .*/readyz' });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('FAIL smoke: backend readiness (https://api.optibid.energy/readyz)');
    expect(run.stdout).toContain('PASS smoke: backend liveness');
    // All smoke tests ran (the report shows everything that is wrong), then the rollback, in reverse apply order.
    expect(run.records.filter((r) => r.tool === 'curl')).toHaveLength(3);
    expectRolledBack(run.records, [...ORDER].reverse());
    expect(afterFailure(run.records).some((r) => sub(r)[0] === 'rollout' && sub(r)[1] === 'undo')).toBe(false);
    expect(run.records.some((r) => r.stdin?.includes('deploy-revision'))).toBe(false);
  });

  test('a failing apply of optibid rolls back the namespaces applied so far (optibid part-way, optibid-data), not _cluster; exit 5', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, STANDIN_FAIL: `^kubectl apply (?!.*--dry-run).*-n optibid -f ${K8S}/optibid ` });
    expect(run.code).toBe(5);
    expectRolledBack(run.records, [names.namespaces.app, names.namespaces.data]);
    const after = afterFailure(run.records);
    expect(after.filter(isApply).every((r) => r.argv.includes('--prune'))).toBe(true); // no _cluster re-apply
    const notApplied: string[] = [names.namespaces.monitoring, names.namespaces.monitoringAgents];
    expect(after.filter((r) => notApplied.includes(namespaceOf(r) ?? ''))).toEqual([]);
    expect(run.stderr).toContain('failed: apply: (d) optibid');
    expect(run.stderr).toMatch(/not rolled back:\n.*cluster-scoped objects/);
    expectLockTakenAndReleasedLast(run.records);
  });

  test('a failed cdk deploy stops before Kubernetes: nothing to roll back there, CloudFormation rolls itself back; exit 5', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, STANDIN_FAIL: '^cdk deploy' });
    expect(run.code).toBe(5);
    expect(run.records.filter(isApply)).toEqual([]);
    expect(run.stderr).toContain('failed: apply: cdk deploy');
    expect(run.stderr).toContain('A stack update that failed was rolled back by CloudFormation itself');
    expectLockTakenAndReleasedLast(run.records);
  });

  test('when the rollback itself fails, exit 7 with the manual action', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, STANDIN_FAIL: 'kubectl rollout status.*deployment/backend' });
    expect(run.code).toBe(7);
    expect(run.stderr).toContain('ROLLBACK FAILED, manual action needed:');
    expect(run.stderr).toContain('deployment/backend did not roll out after the rollback');
    const kept = /previous revision's files are kept in (\/\S+optibid-rollback-\S+)/.exec(run.stderr)?.[1];
    expect(kept && fs.existsSync(path.join(kept, 'optibid'))).toBeTruthy();
    fs.rmSync(kept!, { recursive: true, force: true });
    expectLockTakenAndReleasedLast(run.records);
  });

  test('the rollback ref recorded by the last successful deploy is preferred over HEAD~1', () => {
    const recorded = gitRev('HEAD~2');
    const run = runDeploy(s, ['--env', ENV, '--yes', '--smoke-attempts', '1'], { ...OK_ENV, STANDIN_RECORDED_REVISION: recorded, STANDIN_FAIL: '^curl .*/healthz' });
    expect(run.code).toBe(6);
    expect(run.stdout).toContain(`[deploy] $ git ls-tree -r --name-only ${recorded} ${K8S}/optibid/`);
    expectRolledBack(run.records, [...ORDER].reverse(), recorded);
  });

  test('an error reading the recorded revision is a preflight failure naming it, not a silent fallback to HEAD~1: exit 3', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, STANDIN_FAIL: '^kubectl get configmap .*deploy-revision' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`rollback ref: reading the revision the last successful deploy recorded (ConfigMap kube-system/${names.prefix}-deploy-revision) failed (exit 1): stand-in kubectl: told to fail`);
    expect(run.stderr).toContain('--rollback-ref');
    expect(run.stdout).not.toContain('HEAD~1');
    expect(run.records.filter(isMutating)).toEqual([]);
  });

  test('another deploy holding the lock: refused naming the holder and how to remove a stale lock; exit 3, nothing mutating', () => {
    const holder = 'alice@laptop pid 4242 0123456789abcdef0123456789abcdef01234567';
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, STANDIN_LOCK_HOLDER: holder });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`Lease kube-system/${LOCK} is held by ${holder} since 2025-01-01T00:00:00.000Z`);
    expect(run.stderr).toContain(`kubectl delete lease ${LOCK} -n kube-system --context=${names.clusterArn}`);
    // The refused create is the only (attempted) change; the other run's lock is not released.
    expect(run.records.filter(isMutating).map(commandLine)).toEqual(['kubectl create -f -']);
    expect(run.records.some(isLockRelease)).toBe(false);
    expect(run.records.some((r) => r.tool === 'cdk' && sub(r)[0] === 'deploy')).toBe(false);
  });

  test('the dist/ freshness test seam is ignored (with a warning) unless NODE_ENV=test', () => {
    // No kube context, so the run stops in preflight whatever the real render check finds.
    const run = runDeploy(s, ['--env', ENV, '--plan-only'], { ...OK_ENV, STANDIN_KUBE_CONTEXT: '', NODE_ENV: undefined, OPTIBID_DEPLOY_SKIP_RENDER_CHECK: 'fresh' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('OPTIBID_DEPLOY_SKIP_RENDER_CHECK is ignored (it is a test seam, honoured only with NODE_ENV=test)');
    expect(run.stdout).toContain('rendering every environment from the source');
    expect(run.stdout).not.toContain('stub: fresh');
    const honoured = runDeploy(s, ['--env', ENV, '--plan-only'], { ...OK_ENV, STANDIN_KUBE_CONTEXT: '' });
    expect(honoured.stderr).toContain('dist/ freshness check replaced by the test seam OPTIBID_DEPLOY_SKIP_RENDER_CHECK=fresh');
    expect(honoured.stdout).not.toContain('rendering every environment from the source');
  });

  test('SIGTERM during the apply: no further step, rollback of what was applied, lock released; exit 5', async () => {
    const env = deployEnv(s, { ...OK_ENV, STANDIN_SLEEP: 'kubectl rollout status.*deployment/backend', STANDIN_SLEEP_MS: '2500' });
    const child = spawn(process.execPath, [...DEPLOY_ARGV, '--env', ENV, '--yes'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Signal while the (slow) rollout status of the backend runs.
    for (let i = 0; i < 600 && !s.records().some((r) => r.tool === 'kubectl' && r.argv.includes('deployment/backend')); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const code = await exited;
    const recs = s.records();
    expect(code).toBe(5);
    expect(stderr).toContain('SIGTERM: cancelled');
    expect(stderr).toContain('DEPLOY CANCELLED by SIGTERM');
    // Nothing after the backend rollout but the rollback (optibid, then optibid-data) and the lock release.
    const at = recs.findIndex((r) => r.tool === 'kubectl' && r.argv.includes('deployment/backend'));
    const after = recs.slice(at + 1);
    expect(after.some((r) => r.tool === 'curl')).toBe(false);
    expect(after.filter(isApplySet).map(namespaceOf)).toEqual([names.namespaces.app, names.namespaces.data]);
    expect(after.filter(isApplySet).every((r) => !r.files[0].arg.includes('dist/k8s'))).toBe(true);
    const notReached: string[] = [names.namespaces.monitoring, names.namespaces.monitoringAgents];
    expect(recs.filter((r) => isApplySet(r) && notReached.includes(namespaceOf(r)!))).toEqual([]);
    expectLockTakenAndReleasedLast(recs);
    expect(stdout).toContain('deploy lock released');
  });

  test('a stale dist/ is refused in preflight: exit 3, nothing mutating', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, OPTIBID_DEPLOY_SKIP_RENDER_CHECK: 'stale' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('preflight failed');
    expect(run.stderr).toContain('run npm run synth and commit');
    expect(run.records.filter(isMutating)).toEqual([]);
    expect(run.records.some((r) => r.tool === 'cdk' && r.argv[0] === 'diff')).toBe(false);
  });

  test('production without --yes and without a terminal refuses: exit 8, nothing mutating', () => {
    const run = runDeploy(s, ['--env', ENV], OK_ENV);
    expect(run.code).toBe(8);
    expect(run.stderr).toContain('--yes');
    expect(run.records.filter(isMutating)).toEqual([]);
  });

  test('a missing kubectl fails preflight naming it: exit 3', () => {
    s.cleanup();
    s = createStandIns({ omit: ['kubectl'] });
    const run = runDeploy(s, ['--env', ENV, '--yes'], OK_ENV);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('kubectl: not found on PATH');
    expect(run.records.filter(isMutating)).toEqual([]);
  });

  test('a wrong kube context fails preflight naming the active one and the update-kubeconfig command: exit 3', () => {
    const other = 'arn:aws:eks:us-west-2:222222222222:cluster/optibid-staging';
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, STANDIN_KUBE_CONTEXT: other });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`'${other}' is active`);
    expect(run.stderr).toContain(`aws eks update-kubeconfig --name ${names.clusterName} --region ${names.region}`);
    expect(run.records.filter(isMutating)).toEqual([]);
  });

  test('preflight reports every failure together (kubectl skew, wrong AWS account, no context)', () => {
    const run = runDeploy(s, ['--env', ENV, '--plan-only'], { STANDIN_KUBECTL_MINOR: '32', STANDIN_AWS_ACCOUNT: '999999999999', STANDIN_KUBE_CONTEXT: '' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('preflight failed (3 problems)');
    expect(run.stderr).toContain('kubectl: client 1.32 is outside 1.34-1.36');
    expect(run.stderr).toContain(`signed in to account 999999999999, environment ${ENV} is in account ${names.account}`);
    expect(run.stderr).toContain('kube context: none is active');
  });

  test('a kubectl diff error (exit > 1) fails the plan: exit 4, nothing mutating', () => {
    const run = runDeploy(s, ['--env', 'staging', '--yes'], { ...OK_ENV, STANDIN_KUBE_CONTEXT: platformNames(loadEnvironment('staging')).clusterArn, STANDIN_AWS_ACCOUNT: platformNames(loadEnvironment('staging')).account, STANDIN_FAIL: '^kubectl diff', STANDIN_FAIL_EXIT: '2' });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('kubectl diff failed (exit 2)');
    expect(run.records.filter(isMutating)).toEqual([]);
    expect(run.records.some(isLockTake)).toBe(false);
  });

  test('--env nosuch exits 2 listing the environments; --help prints the exit codes', () => {
    const run = runDeploy(s, ['--env', 'nosuch'], OK_ENV);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('valid environments are dev, staging, production');
    expect(run.records).toEqual([]);
    const bad = runDeploy(s, ['--env', ENV, '--force'], OK_ENV);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--force'");
    const help = runDeploy(s, ['--help']);
    expect(help.code).toBe(0);
    for (const code of [0, 2, 3, 4, 5, 6, 7, 8]) expect(help.stdout).toMatch(new RegExp(`^  ${code}  `, 'm'));
  });
});
