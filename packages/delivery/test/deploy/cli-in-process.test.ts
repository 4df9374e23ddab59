/**
 * The CLI's main() in this process against the recording stand-ins (see stand-ins.ts runDeployInProcess), for what
 * a child process cannot be made to do on cue: an internal error (an exception in the tool itself) at a chosen
 * command, and a cancel (what scripts/deploy.ts's SIGINT/SIGTERM handlers request) at a chosen command.
 */
import * as fs from 'fs';
import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import { Cancellation } from '../../src/deploy/cancel';
import { commandLine, createStandIns, isMutating, namespaceOf, type Recorded, runDeployInProcess, type StandIns } from './stand-ins';

const ENV = 'production';
const names = platformNames(loadEnvironment(ENV));
const OK_ENV = { STANDIN_KUBE_CONTEXT: names.clusterArn, STANDIN_AWS_ACCOUNT: names.account };
const LOCK_RELEASE = `kubectl delete lease ${names.prefix}-deploy-lock -n kube-system`;
const BACKEND_ROLLOUT = /^kubectl rollout status .*deployment\/backend/;
/** The rollback's re-apply (from the previous revision's files in a temporary directory) fails. */
const FAIL_ROLLBACK = { STANDIN_FAIL: '^kubectl apply .*--prune .*-f \\S*optibid-rollback-' };

const sub = (r: Recorded) => r.argv.filter((a) => !a.startsWith('--context='));
const isApplySet = (r: Recorded) => r.tool === 'kubectl' && sub(r)[0] === 'apply' && r.argv.includes('--prune') && !r.argv.includes('--dry-run=server');
const lastCommand = (records: Recorded[]) => commandLine(records[records.length - 1]);

/** Removes the previous revision's files a failed rollback keeps for the operator. */
function removeKept(stderr: string) {
  const kept = /previous revision's files are kept in (\/\S+optibid-rollback-\S+)/.exec(stderr)?.[1];
  if (kept) fs.rmSync(kept, { recursive: true, force: true });
}

let s: StandIns;
beforeEach(() => {
  s = createStandIns();
});
afterEach(() => s.cleanup());

/** Throws (a bug in the tool) the first time a command matching `pattern` is about to run. */
function throwOnce(pattern: RegExp) {
  let thrown = false;
  return (_: unknown, line: string) => {
    if (!thrown && pattern.test(line)) {
      thrown = true;
      throw new Error('simulated bug in the deploy tool');
    }
  };
}

describe('internal error during the apply', () => {
  test('the rollback runs; exit 1 when it succeeds', async () => {
    const run = await runDeployInProcess(s, ['--env', ENV, '--yes'], OK_ENV, { intercept: throwOnce(BACKEND_ROLLOUT) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('apply failed: internal error: Error: simulated bug in the deploy tool');
    expect(run.stderr).toContain(`DEPLOY FAILED (${ENV}, exit 1)`);
    expect(run.records.filter(isApplySet).slice(-2).map(namespaceOf)).toEqual([names.namespaces.app, names.namespaces.data]);
    expect(lastCommand(run.records)).toBe(LOCK_RELEASE);
  });

  test('exit 7 (not 1) when the rollback failed too: manual action is needed', async () => {
    const run = await runDeployInProcess(s, ['--env', ENV, '--yes'], { ...OK_ENV, ...FAIL_ROLLBACK }, { intercept: throwOnce(BACKEND_ROLLOUT) });
    removeKept(run.stderr);
    expect(run.code).toBe(7);
    expect(run.stderr).toContain(`DEPLOY FAILED (${ENV}, exit 7)`);
    expect(run.stderr).toContain('ROLLBACK FAILED, manual action needed:');
    expect(lastCommand(run.records)).toBe(LOCK_RELEASE);
  });
});

describe('cancellation (SIGINT/SIGTERM)', () => {
  /** Requests cancellation while the first command matching `pattern` runs. */
  function cancelAt(c: Cancellation, pattern: RegExp) {
    return (_: unknown, line: string) => {
      if (pattern.test(line)) c.request('SIGINT');
    };
  }

  test('during the apply: nothing new starts, what was applied is rolled back, the lock is released; exit 5', async () => {
    const c = new Cancellation();
    const run = await runDeployInProcess(s, ['--env', ENV, '--yes'], OK_ENV, { cancellation: c, intercept: cancelAt(c, BACKEND_ROLLOUT) });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('cancelled (SIGINT): rolling back what this run applied in Kubernetes');
    expect(run.stderr).toContain(`DEPLOY CANCELLED by SIGINT (${ENV}, exit 5)`);
    const at = run.records.findIndex((r) => BACKEND_ROLLOUT.test(commandLine(r)));
    const after = run.records.slice(at + 1);
    // Only the rollback (re-apply of optibid, then optibid-data, from the previous revision) and the lock release.
    expect(after.filter(isMutating).map((r) => (isApplySet(r) ? `re-apply ${namespaceOf(r)}` : commandLine(r)))).toEqual([
      `re-apply ${names.namespaces.app}`,
      `re-apply ${names.namespaces.data}`,
      LOCK_RELEASE,
    ]);
    expect(after.some((r) => r.tool === 'curl')).toBe(false);
    expect(lastCommand(run.records)).toBe(LOCK_RELEASE);
  });

  test('during the apply, with a failing rollback: exit 7', async () => {
    const c = new Cancellation();
    const run = await runDeployInProcess(s, ['--env', ENV, '--yes'], { ...OK_ENV, ...FAIL_ROLLBACK }, { cancellation: c, intercept: cancelAt(c, BACKEND_ROLLOUT) });
    removeKept(run.stderr);
    expect(run.code).toBe(7);
    expect(run.stderr).toContain('ROLLBACK FAILED, manual action needed:');
    expect(lastCommand(run.records)).toBe(LOCK_RELEASE);
  });

  test('during the plan: stops there, nothing changed, no lock taken; exit 8', async () => {
    const c = new Cancellation();
    const run = await runDeployInProcess(s, ['--env', ENV, '--yes'], OK_ENV, { cancellation: c, intercept: cancelAt(c, /^cdk diff/) });
    expect(run.code).toBe(8);
    expect(run.stderr).toContain('cancelled (SIGINT) before anything was changed: nothing was applied');
    expect(lastCommand(run.records)).toMatch(/^cdk diff/);
    expect(run.records.filter(isMutating)).toEqual([]);
  });

  test('while the production confirmation waits: the prompt is abandoned; exit 8, nothing changed', async () => {
    const c = new Cancellation();
    const run = await runDeployInProcess(s, ['--env', ENV], OK_ENV, {
      cancellation: c,
      prompt: () => {
        setTimeout(() => c.request('SIGTERM'), 20);
        return new Promise<string>(() => undefined); // nobody answers
      },
    });
    expect(run.code).toBe(8);
    expect(run.stderr).toContain('cancelled (SIGTERM) before anything was changed');
    expect(run.records.filter(isMutating)).toEqual([]);
  });
});
