import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import type { DeployContext } from '../../src/deploy/context';
import type { Logger } from '../../src/deploy/log';
import { resolveRollbackRef } from '../../src/deploy/revision';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/deploy/runner';

const SHA = 'a'.repeat(40);
const config = loadEnvironment('staging');
const names = platformNames(config);

function context(revisionRead: Partial<CommandResult>) {
  const calls: string[] = [];
  const infos: string[] = [];
  const runner: CommandRunner = {
    run: async (spec: CommandSpec) => {
      const line = [spec.cmd, ...spec.args].join(' ');
      calls.push(line);
      const base = { code: 0, stdout: '', stderr: '', notFound: false };
      if (line.startsWith('kubectl get configmap')) return { ...base, ...revisionRead };
      if (line.startsWith('git rev-parse')) return { ...base, stdout: `${SHA}\n` };
      return { ...base, code: 99 };
    },
  };
  const log: Logger = { info: (m) => void infos.push(m), warn: () => undefined, error: () => undefined, command: () => undefined, output: () => undefined };
  const ctx: DeployContext = { repoRoot: '/nonexistent', runner, log, config, names, k8sDir: 'dist/k8s/staging', kubeContext: names.clusterArn, rolloutTimeout: '10m', smokeAttempts: 1, sleep: async () => undefined };
  return { ctx, calls, infos };
}

test('nothing recorded (--ignore-not-found: empty output, exit 0): HEAD~1, and the log says why', async () => {
  const { ctx, calls, infos } = context({ stdout: '' });
  expect(await resolveRollbackRef(ctx, undefined)).toEqual({ ok: true, value: { ref: 'HEAD~1', sha: SHA, source: 'fallback: no revision recorded in the cluster' } });
  expect(calls[0]).toContain('--ignore-not-found');
  expect(infos.join('\n')).toContain('no deploy revision recorded in the cluster');
});

test('reading the record fails (Forbidden, unreachable, ...): a preflight failure naming the error, no fallback', async () => {
  const { ctx, calls } = context({ code: 1, stderr: 'Error from server (Forbidden): configmaps "x" is forbidden: User "ci" cannot get resource "configmaps" in the namespace "kube-system"\n' });
  const r = await resolveRollbackRef(ctx, undefined);
  expect(r.ok).toBe(false);
  expect(!r.ok && r.message).toContain('failed (exit 1): Error from server (Forbidden)');
  expect(calls.some((c) => c.includes('HEAD~1'))).toBe(false);
});

test('a recorded revision is used', async () => {
  const { ctx } = context({ stdout: SHA });
  const r = await resolveRollbackRef(ctx, undefined);
  expect(r.ok && r.value.ref).toBe(SHA);
});
