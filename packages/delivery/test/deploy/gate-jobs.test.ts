/**
 * Gate Jobs (the role-reconcile Job of the data tier): planned from the file names, applied only once their
 * namespace rolled out, and waited for until they complete before the next namespace is applied.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadEnvironment, platformNames, ROLE_RECONCILE_JOB } from '@optibid/constructs-lib';
import { applyKubernetes, emptyProgress } from '../../src/deploy/apply';
import { GATE_JOB_PREFIXES, namespaceOrder, planApplyOrder } from '../../src/deploy/apply-order';
import type { DeployContext } from '../../src/deploy/context';
import type { Logger } from '../../src/deploy/log';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/deploy/runner';

const config = loadEnvironment('production');
const names = platformNames(config);
const K8S = 'dist/k8s/production';
const DATA = names.namespaces.data;
const APP = names.namespaces.app;
const ROLES_JOB = `${ROLE_RECONCILE_JOB}-0a1b2c3d`;
const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined, command: () => undefined, output: () => undefined };

const LISTING = [
  `${DATA}/statefulset-postgres.yaml`,
  `${DATA}/deployment-pgbouncer.yaml`,
  `${DATA}/job-${ROLES_JOB}.yaml`,
  `${DATA}/job-redis-bootstrap-a556ac45.yaml`,
  `${DATA}/configmap-${ROLE_RECONCILE_JOB}.yaml`,
  `${APP}/deployment-backend.yaml`,
];

test('the role-reconcile Job is a gate Job of the data namespace; other Jobs are not', () => {
  expect(GATE_JOB_PREFIXES).toEqual([ROLE_RECONCILE_JOB]);
  const plan = planApplyOrder(LISTING, namespaceOrder(names.namespaces));
  const data = plan.namespaces.find((n) => n.namespace === DATA)!;
  expect(data.gateJobs).toEqual([`${DATA}/job-${ROLES_JOB}.yaml`]);
  // Still a member of its namespace's ApplySet (applied again with the rest once the rollouts are done).
  expect(data.files).toContain(`${DATA}/job-${ROLES_JOB}.yaml`);
  expect(plan.namespaces.find((n) => n.namespace === APP)!.gateJobs).toEqual([]);
});

interface Call {
  readonly line: string;
  /** For an ApplySet apply: the file names behind its -f (a directory's files). */
  readonly files?: string[];
}

function deployWith(fail: (spec: CommandSpec) => boolean) {
  const repoRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-jobs-test-'));
  for (const f of LISTING) {
    fs.mkdirSync(path.join(repoRoot, K8S, path.dirname(f)), { recursive: true });
    fs.writeFileSync(path.join(repoRoot, K8S, f), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${path.basename(f, '.yaml')}\n`);
  }
  const calls: Call[] = [];
  const runner: CommandRunner = {
    run: async (spec): Promise<CommandResult> => {
      const args = spec.args.filter((a) => !a.startsWith('--context='));
      const line = [spec.cmd, ...args].join(' ');
      const fi = args.indexOf('-f');
      const target = fi >= 0 ? (path.isAbsolute(args[fi + 1]) ? args[fi + 1] : path.join(repoRoot, args[fi + 1])) : undefined;
      const files = args.includes('--prune') && target ? fs.readdirSync(target).sort() : undefined;
      calls.push({ line, ...(files ? { files } : {}) });
      if (fail(spec)) return { code: 1, stdout: spec.args[0] === 'logs' ? 'reconcile: optibid_pricing cannot log in\n' : '', stderr: 'error: timed out waiting for the condition', notFound: false };
      return { code: 0, stdout: spec.args[0] === 'logs' ? 'reconcile: optibid_pricing cannot log in\n' : '', stderr: '', notFound: false };
    },
  };
  const ctx: DeployContext = { repoRoot, runner, log: silent, config, names, k8sDir: K8S, kubeContext: names.clusterArn, rolloutTimeout: '5m', smokeAttempts: 1, sleep: async () => undefined };
  const plan = planApplyOrder(LISTING, namespaceOrder(names.namespaces));
  const progress = emptyProgress();
  return {
    run: async () => {
      try {
        return { failure: await applyKubernetes(ctx, plan, progress, [], 'HEAD~1'), calls, progress };
      } finally {
        fs.rmSync(repoRoot, { recursive: true, force: true });
      }
    },
  };
}

const isApplySet = (c: Call) => c.line.startsWith('kubectl apply') && c.line.includes('--prune');

test('data tier without the gate Job, its rollouts, then the gate Job, waited for, then the application tier', async () => {
  const { failure, calls } = await deployWith(() => false).run();
  expect(failure).toBeUndefined();
  const steps = calls.map((c) => c.line.replace(/ -f \S+/, (m) => (m.includes('optibid-gate-') ? ' -f <copy>' : m)));
  const roles = `job/${ROLES_JOB}`;
  expect(steps.filter((l) => !l.startsWith('kubectl apply --server-side --field-manager=optibid-deploy --force-conflicts -n'))).toEqual([
    expect.stringMatching(new RegExp(`^kubectl apply .*--prune --applyset=configmaps/${names.prefix}-applyset -n ${DATA} -f <copy>$`)),
    `kubectl rollout status -n ${DATA} statefulset/postgres --timeout=5m`,
    `kubectl rollout status -n ${DATA} deployment/pgbouncer --timeout=5m`,
    expect.stringMatching(new RegExp(`^kubectl apply .*--prune --applyset=configmaps/${names.prefix}-applyset -n ${DATA} -f ${K8S}/${DATA}$`)),
    `kubectl wait --for=condition=complete ${roles} -n ${DATA} --timeout=5m`,
    expect.stringMatching(new RegExp(`^kubectl apply .*--prune --applyset=configmaps/${names.prefix}-applyset -n ${APP} -f ${K8S}/${APP}$`)),
    `kubectl rollout status -n ${APP} deployment/backend --timeout=5m`,
  ]);
  const applies = calls.filter(isApplySet);
  // The first data-tier apply is everything but the gate Job (the redis bootstrap Job included); the second is all of it.
  expect(applies[0].files).toEqual(LISTING.filter((f) => f.startsWith(`${DATA}/`) && !f.includes(ROLES_JOB)).map((f) => path.basename(f)).sort());
  expect(applies[1].files).toContain(`job-${ROLES_JOB}.yaml`);
});

test('a gate Job that does not complete stops the deploy before the application tier', async () => {
  const { failure, calls, progress } = await deployWith((spec) => spec.args[0] === 'wait' || spec.args[0] === 'logs').run();
  expect(failure).toEqual({ step: 'verify', check: `(c) ${DATA}: job/${ROLES_JOB}`, detail: expect.stringContaining('did not complete within 5m') });
  expect(failure!.detail).toContain('reconcile: optibid_pricing cannot log in');
  expect(calls.some((c) => new RegExp(`-n ${APP}( |$)`).test(c.line))).toBe(false);
  expect(calls.some((c) => c.line === `kubectl logs job/${ROLES_JOB} -n ${DATA} --tail=20`)).toBe(true);
  // The rollback re-applies what this run applied: the data namespace only.
  expect(progress.appliedNamespaces).toEqual([DATA]);
});
