import { PassThrough } from 'stream';
import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import type { DeployContext } from '../../src/deploy/context';
import { streamLogger } from '../../src/deploy/log';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/deploy/runner';
import type { SmokeCheck } from '../../src/deploy/smoke-tests';
import { runSmokeTests, SMOKE_RETRY_DELAY_MS } from '../../src/deploy/verify';

/** A runner answering from a script of results, and a context whose sleep only records. */
function context(results: CommandResult[], attempts: number) {
  const calls: CommandSpec[] = [];
  const sleeps: number[] = [];
  const runner: CommandRunner = { run: async (spec) => (calls.push(spec), results.shift() ?? { code: 0, stdout: '', stderr: '', notFound: false }) };
  const config = loadEnvironment('staging');
  const ctx: DeployContext = {
    repoRoot: '/nonexistent',
    runner,
    log: streamLogger(new PassThrough(), new PassThrough()),
    config,
    names: platformNames(config),
    k8sDir: 'dist/k8s/staging',
    kubeContext: 'ctx',
    rolloutTimeout: '1m',
    smokeAttempts: attempts,
    sleep: async (ms) => void sleeps.push(ms),
  };
  return { ctx, calls, sleeps };
}

const check: SmokeCheck = { name: 'frontend page', command: { cmd: 'curl', args: ['https://app'] }, judge: (r) => ({ pass: r.code === 0, detail: `exit ${r.code}` }) };
const fail: CommandResult = { code: 7, stdout: '', stderr: 'connection refused', notFound: false };
const ok: CommandResult = { code: 0, stdout: '', stderr: '', notFound: false };

test('a check that fails twice and then passes counts as passed after two waits', async () => {
  const { ctx, calls, sleeps } = context([fail, fail, ok], 5);
  expect(await runSmokeTests(ctx, [check])).toEqual([{ name: 'frontend page', pass: true, detail: 'exit 0' }]);
  expect(calls).toHaveLength(3);
  expect(sleeps).toEqual([SMOKE_RETRY_DELAY_MS, SMOKE_RETRY_DELAY_MS]);
});

test('a check that keeps failing fails after exactly smokeAttempts tries, without a wait after the last', async () => {
  const { ctx, calls, sleeps } = context([fail, fail, fail, fail], 3);
  expect(await runSmokeTests(ctx, [check])).toEqual([{ name: 'frontend page', pass: false, detail: 'exit 7' }]);
  expect(calls).toHaveLength(3);
  expect(sleeps).toHaveLength(2);
});

test('a check that cannot be built from dist/ is not retried', async () => {
  const { ctx, calls, sleeps } = context([], 5);
  const unbuildable: SmokeCheck = { name: 'x', command: undefined, problem: 'no Service', judge: () => ({ pass: false, detail: 'cannot build' }) };
  expect((await runSmokeTests(ctx, [unbuildable]))[0].pass).toBe(false);
  expect([calls.length, sleeps.length]).toEqual([0, 0]);
});
