/**
 * The deploy CLI end to end: the real bin/deploy.ts as a child process, with recording stand-ins for aws, cdk,
 * kubectl and curl (see stand-ins.ts) and the real repository (dist/, git history for the rollback ref).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import { commandLine, createStandIns, filesAtRevision, gitRev, isMutating, namespaceOf, type Recorded, runDeploy, type StandIns } from './stand-ins';

const ENV = 'production';
const names = platformNames(loadEnvironment(ENV));
const K8S = `dist/k8s/${ENV}`;
const ORDER = [names.namespaces.data, names.namespaces.app, names.namespaces.monitoring, names.namespaces.monitoringAgents];
const APPLYSET = `--applyset=configmaps/${names.prefix}-applyset`;
const OK_ENV = { STANDIN_KUBE_CONTEXT: names.clusterArn, STANDIN_AWS_ACCOUNT: names.account };

const sub = (r: Recorded) => r.argv.filter((a) => !a.startsWith('--context='));
const isApply = (r: Recorded) => r.tool === 'kubectl' && sub(r)[0] === 'apply';
const isApplySet = (r: Recorded) => isApply(r) && r.argv.includes('--prune');
const isRolloutStatus = (r: Recorded) => r.tool === 'kubectl' && sub(r)[0] === 'rollout' && sub(r)[1] === 'status';
const afterFailure = (records: Recorded[]) => records.slice(records.findIndex((r) => r.failed) + 1);

let s: StandIns;
beforeEach(() => {
  s = createStandIns();
});
afterEach(() => s.cleanup());

/** Every namespaced ApplySet apply uses --prune with the ApplySet, -n of exactly that namespace, KUBECTL_APPLYSET=true. */
function expectScopedApplySet(r: Recorded, namespace: string) {
  expect(r.argv).toEqual(expect.arrayContaining(['--server-side', '--field-manager=optibid-deploy', '--prune', APPLYSET]));
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

describe('npm run deploy against recording stand-ins', () => {
  test('--plan-only runs cdk diff and kubectl diff (exit 1 = differences, not an error) and nothing mutating; exit 0', () => {
    const run = runDeploy(s, ['--env', ENV, '--plan-only'], OK_ENV);
    expect(run.code).toBe(0);
    const lines = run.records.map(commandLine);
    expect(lines).toContain(`cdk diff ${Object.values(names.stacks).join(' ')}`);
    const diff = run.records.find((r) => r.tool === 'kubectl' && sub(r)[0] === 'diff')!;
    expect(diff.argv).toEqual(expect.arrayContaining(['--server-side']));
    expect(diff.files.map((f) => f.arg)).toEqual([`${K8S}/_cluster`, ...ORDER.map((ns) => `${K8S}/${ns}`)]);
    expect(run.records.filter(isMutating).map(commandLine)).toEqual([]);
    expect(run.stdout).toContain('[deploy] $ kubectl diff --server-side');
    expect(run.stdout).toContain('plan only: nothing was applied');
  });

  test('--plan-only on an empty cluster diffs the cluster-scoped objects only and reports the namespaces as all new', () => {
    const run = runDeploy(s, ['--env', ENV, '--plan-only'], { ...OK_ENV, STANDIN_NAMESPACES: 'default kube-system' });
    expect(run.code).toBe(0);
    const diff = run.records.find((r) => r.tool === 'kubectl' && sub(r)[0] === 'diff')!;
    expect(diff.files.map((f) => f.arg)).toEqual([`${K8S}/_cluster`]);
    for (const ns of ORDER) expect(run.stdout).toMatch(new RegExp(`namespace ${ns} does not exist yet: its \\d+ object\\(s\\) will all be created`));
    expect(run.records.filter(isMutating).map(commandLine)).toEqual([]);
  });

  test('a full deploy applies in dependency order, one namespace-scoped ApplySet each, gated on rollouts, then smoke tests and records the revision', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes'], OK_ENV);
    expect(run.code).toBe(0);
    const recs = run.records;
    const idx = (pred: (r: Recorded) => boolean) => recs.findIndex(pred);

    // CloudFormation first.
    const cdkDeploy = idx((r) => r.tool === 'cdk' && sub(r)[0] === 'deploy');
    expect(commandLine(recs[cdkDeploy])).toBe(`cdk deploy --require-approval never ${Object.values(names.stacks).join(' ')}`);
    expect(idx(isApply)).toBeGreaterThan(cdkDeploy);

    const applies = recs.filter((r) => isApply(r) && r.stdin === undefined);
    // (a) cluster-scoped, no pruning, no namespace.
    expect(applies[0].files.map((f) => f.arg)).toEqual([`${K8S}/_cluster`]);
    expect(applies[0].argv).not.toContain('--prune');
    expect(namespaceOf(applies[0])).toBeUndefined();
    expect(applies[0].files[0].names).toContain(`namespace-${names.namespaces.app}.yaml`);
    // (b) ExternalSecrets of every namespace, only ExternalSecrets, no pruning; then a wait per namespace.
    const es = applies.slice(1, 1 + ORDER.length);
    expect(es.map(namespaceOf)).toEqual(ORDER);
    for (const r of es) {
      expect(r.argv).not.toContain('--prune');
      expect(r.files.flatMap((f) => f.names).every((n) => n.startsWith('externalsecret-'))).toBe(true);
    }
    const waits = recs.filter((r) => r.tool === 'kubectl' && sub(r)[0] === 'wait');
    expect(waits.map(namespaceOf)).toEqual(ORDER);
    expect(waits.every((w) => w.argv.includes('--for=condition=Ready') && w.argv.includes('externalsecret') && w.argv.includes('--all'))).toBe(true);
    const lastWait = recs.lastIndexOf(waits[waits.length - 1]);
    // (c)-(f) one ApplySet per namespace, in order, after the ExternalSecrets are Ready.
    const sets = recs.filter(isApplySet);
    expect(sets.map(namespaceOf)).toEqual(ORDER);
    sets.forEach((r, i) => {
      expectScopedApplySet(r, ORDER[i]);
      expect(r.files.map((f) => f.arg)).toEqual([`${K8S}/${ORDER[i]}`]);
      expect(recs.indexOf(r)).toBeGreaterThan(lastWait);
    });
    expect(applies).toHaveLength(1 + ORDER.length + ORDER.length);

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
        `curl -fsS --max-time 10 https://${'api.optibid.energy'}/healthz`,
        `curl -fsS --max-time 10 https://api.optibid.energy/readyz`,
        `curl -fsS --max-time 10 -o /dev/null -w %{http_code} https://app.optibid.energy/`,
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

    // The deployed commit is recorded last, for the next run's rollback.
    const record = recs[recs.length - 1];
    expect(isApply(record) && record.stdin).toBeTruthy();
    expect(JSON.parse(record.stdin!)).toMatchObject({ kind: 'ConfigMap', metadata: { name: `${names.prefix}-deploy-revision`, namespace: 'kube-system' }, data: { revision: gitRev('HEAD') } });

    // Every cluster call names the environment's context; nothing is ever deleted.
    for (const r of recs.filter((r) => r.tool === 'kubectl' && !['version', 'config'].includes(r.argv[0]))) expect(r.argv).toContain(`--context=${names.clusterArn}`);
    expect(lines.filter((l) => / delete /.test(l))).toEqual([]);
    expect(run.stdout).toContain(`[deploy] $ KUBECTL_APPLYSET=true kubectl apply --server-side --field-manager=optibid-deploy --prune ${APPLYSET} -n optibid-data -f ${K8S}/optibid-data`);
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
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, STANDIN_FAIL: `kubectl apply .*-n optibid -f ${K8S}/optibid ` });
    expect(run.code).toBe(5);
    expectRolledBack(run.records, [names.namespaces.app, names.namespaces.data]);
    const after = afterFailure(run.records);
    expect(after.filter(isApply).every((r) => r.argv.includes('--prune'))).toBe(true); // no _cluster re-apply
    const notApplied: string[] = [names.namespaces.monitoring, names.namespaces.monitoringAgents];
    expect(after.filter((r) => notApplied.includes(namespaceOf(r) ?? ''))).toEqual([]);
    expect(run.stderr).toContain('failed: apply: (d) optibid');
    expect(run.stderr).toMatch(/not rolled back:\n.*cluster-scoped objects/);
  });

  test('a failed cdk deploy stops before Kubernetes: nothing to roll back there, CloudFormation rolls itself back; exit 5', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, STANDIN_FAIL: '^cdk deploy' });
    expect(run.code).toBe(5);
    expect(run.records.filter(isApply)).toEqual([]);
    expect(run.stderr).toContain('failed: apply: cdk deploy');
    expect(run.stderr).toContain('A stack update that failed was rolled back by CloudFormation itself');
  });

  test('when the rollback itself fails, exit 7 with the manual action', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, STANDIN_FAIL: 'kubectl rollout status.*deployment/backend' });
    expect(run.code).toBe(7);
    expect(run.stderr).toContain('ROLLBACK FAILED, manual action needed:');
    expect(run.stderr).toContain('deployment/backend did not roll out after the rollback');
    const kept = /previous revision's files are kept in (\/\S+optibid-rollback-\S+)/.exec(run.stderr)?.[1];
    expect(kept && fs.existsSync(path.join(kept, 'optibid'))).toBeTruthy();
    fs.rmSync(kept!, { recursive: true, force: true });
  });

  test('the rollback ref recorded by the last successful deploy is preferred over HEAD~1', () => {
    const recorded = gitRev('HEAD~2');
    const run = runDeploy(s, ['--env', ENV, '--yes'], { ...OK_ENV, STANDIN_RECORDED_REVISION: recorded, STANDIN_FAIL: '^curl .*/healthz' });
    expect(run.code).toBe(6);
    expect(run.stdout).toContain(`[deploy] $ git ls-tree -r --name-only ${recorded} ${K8S}/optibid/`);
    expectRolledBack(run.records, [...ORDER].reverse(), recorded);
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
  });

  test('--env nosuch exits 2 listing the environments; --help prints the exit codes', () => {
    const run = runDeploy(s, ['--env', 'nosuch'], OK_ENV);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('valid environments are dev, staging, production');
    expect(run.records).toEqual([]);
    const bad = runDeploy(s, ['--env', ENV, '--force'], OK_ENV);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown flag '--force'");
    const help = runDeploy(s, ['--help']);
    expect(help.code).toBe(0);
    for (const code of [0, 2, 3, 4, 5, 6, 7, 8]) expect(help.stdout).toMatch(new RegExp(`^  ${code}  `, 'm'));
  });
});
