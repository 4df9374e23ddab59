import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import { parse } from 'yaml';
import { emptyProgress } from '../../src/deploy/apply';
import type { ApplyPlan } from '../../src/deploy/apply-order';
import { APPLYSET_PART_OF_LABEL, namespaceApplysetId } from '../../src/deploy/applyset';
import type { DeployContext } from '../../src/deploy/context';
import type { Logger } from '../../src/deploy/log';
import { rollback } from '../../src/deploy/rollback';
import type { CommandResult, CommandRunner } from '../../src/deploy/runner';

const config = loadEnvironment('staging');
const names = platformNames(config);
const K8S = 'dist/k8s/staging';
const FILE = 'optibid/externalsecret-backend-secrets.yaml';
const externalSecret = (refresh: string) =>
  `apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  labels:\n    app.kubernetes.io/name: backend-secrets\n  name: backend-secrets\n  namespace: optibid\nspec:\n  refreshInterval: ${refresh}\n`;
const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined, command: () => undefined, output: () => undefined };

test('ExternalSecrets re-applied from the rollback ref keep their ApplySet label (and the same forced server-side apply)', async () => {
  const repoRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rollback-test-'));
  try {
    fs.mkdirSync(path.join(repoRoot, K8S, 'optibid'), { recursive: true });
    fs.writeFileSync(path.join(repoRoot, K8S, FILE), externalSecret('5m')); // this run's version
    const applied: { args: readonly string[]; files: Record<string, unknown>[] }[] = [];
    const runner: CommandRunner = {
      run: async (spec): Promise<CommandResult> => {
        const ok = { code: 0, stdout: '', stderr: '', notFound: false };
        if (spec.cmd === 'git' && spec.args[0] === 'ls-tree') return { ...ok, stdout: `${K8S}/${FILE}\n` };
        if (spec.cmd === 'git' && spec.args[0] === 'show') return { ...ok, stdout: externalSecret('1h') }; // the ref's version
        if (spec.cmd === 'kubectl' && spec.args[0] === 'apply') {
          const files = spec.args.flatMap((a, i) => (spec.args[i - 1] === '-f' ? [parse(fs.readFileSync(a, 'utf8')) as Record<string, unknown>] : []));
          applied.push({ args: spec.args, files });
          return ok;
        }
        return { ...ok, code: 99, stderr: `unexpected: ${spec.cmd} ${spec.args.join(' ')}` };
      },
    };
    const ctx: DeployContext = { repoRoot, runner, log: silent, config, names, k8sDir: K8S, kubeContext: names.clusterArn, rolloutTimeout: '1m', smokeAttempts: 1, sleep: async () => undefined };
    // Step (b) applied optibid's ExternalSecrets, then the deploy failed before optibid's ApplySet apply.
    const plan: ApplyPlan = { cluster: undefined, externalSecrets: [{ namespace: 'optibid', files: [FILE] }], namespaces: [], ignored: [] };
    const progress = { ...emptyProgress(), externalSecretNamespaces: ['optibid'] };
    const outcome = await rollback(ctx, plan, progress, { ref: 'HEAD~1', sha: 'b'.repeat(40), source: 'test' });

    expect(outcome.ok).toBe(true);
    expect(applied).toHaveLength(1);
    expect(applied[0].args).toEqual(expect.arrayContaining(['--server-side', '--field-manager=optibid-deploy', '--force-conflicts', '-n', 'optibid']));
    expect(applied[0].files).toEqual([
      expect.objectContaining({
        spec: { refreshInterval: '1h' },
        metadata: expect.objectContaining({ labels: { 'app.kubernetes.io/name': 'backend-secrets', [APPLYSET_PART_OF_LABEL]: namespaceApplysetId(names.prefix, 'optibid') } }),
      }),
    ]);
  } finally {
    fs.rmSync(repoRoot, { recursive: true, force: true });
  }
});
