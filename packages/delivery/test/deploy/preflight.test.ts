import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import type { DeployContext } from '../../src/deploy/context';
import type { Logger } from '../../src/deploy/log';
import { kubectlSkewOk, parseAwsCliVersion, parseCdkVersion, parseKubectlClientVersion, runPreflight } from '../../src/deploy/preflight';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/deploy/runner';
import { REPO_ROOT } from './stand-ins';

/** In-process stand-in runner: answers by command line, records what was asked. */
class FakeRunner implements CommandRunner {
  readonly calls: string[] = [];
  constructor(private readonly answer: (line: string) => Partial<CommandResult>) {}
  async run(spec: CommandSpec): Promise<CommandResult> {
    const line = [spec.cmd, ...spec.args].join(' ');
    this.calls.push(line);
    return { code: 0, stdout: '', stderr: '', notFound: false, ...this.answer(line) };
  }
}

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined, command: () => undefined, output: () => undefined };
const config = loadEnvironment('staging');
const names = platformNames(config);
const ctx = (runner: CommandRunner): DeployContext => ({ repoRoot: REPO_ROOT, runner, log: silent, config, names, k8sDir: 'dist/k8s/staging', kubeContext: names.clusterArn, rolloutTimeout: '10m', smokeAttempts: 1, sleep: async () => undefined });
const fresh = { check: () => ({ fresh: true, details: '' }) };

describe('tool versions', () => {
  test('parsing', () => {
    expect(parseAwsCliVersion('aws-cli/2.17.3 Python/3.11.9 Linux/6.1 exe/x86_64')).toEqual({ major: 2, minor: 17 });
    expect(parseAwsCliVersion('aws-cli/1.45.11 Python/3.11.7 Linux/6.18 botocore/1.43.11')).toEqual({ major: 1, minor: 45 });
    expect(parseCdkVersion('2.1148.1 (build fcf5e34)')).toEqual({ major: 2, minor: 1148 });
    expect(parseKubectlClientVersion('{"clientVersion":{"major":"1","minor":"32+"}}')).toEqual({ major: 1, minor: 32 });
    expect(parseKubectlClientVersion('not json')).toBeUndefined();
  });

  test('kubectl skew is one minor version either way', () => {
    const server = { major: 1, minor: 35 };
    expect([34, 35, 36].every((minor) => kubectlSkewOk({ major: 1, minor }, server))).toBe(true);
    expect([33, 37].some((minor) => kubectlSkewOk({ major: 1, minor }, server))).toBe(false);
  });
});

describe('preflight (in-process runner)', () => {
  test('passes with the right tools, context and account, and runs nothing but read-only commands', async () => {
    const runner = new FakeRunner((l) => {
      if (l === 'aws --version') return { stdout: 'aws-cli/2.17.3 Python/3.11.9' };
      if (l === 'cdk --version') return { stdout: '2.1148.1 (build fcf5e34)' };
      if (l.startsWith('kubectl version')) return { stdout: '{"clientVersion":{"major":"1","minor":"36"}}' };
      if (l === 'git --version') return { stdout: 'git version 2.43.0' };
      if (l === 'kubectl config current-context') return { stdout: `${names.clusterArn}\n` };
      if (l.startsWith('aws sts')) return { stdout: `${names.account}\n` };
      return { code: 99 };
    });
    expect(await runPreflight(ctx(runner), fresh)).toEqual({ ok: true, failures: [] });
    expect(runner.calls).toHaveLength(6);
  });

  test('every missing tool and a stale dist/ are reported together; checks needing a missing tool are skipped', async () => {
    const runner = new FakeRunner(() => ({ code: 127, notFound: true }));
    const r = await runPreflight(ctx(runner), { check: () => ({ fresh: false, details: 'stale. Fix: run npm run synth and commit dist/' }) });
    expect(r.ok).toBe(false);
    expect(r.failures.map((f) => f.split(':')[0])).toEqual(['aws', 'cdk', 'kubectl', 'git', 'dist/']);
    expect(r.failures[1]).toContain('npm install -g aws-cdk@');
    expect(runner.calls).toEqual(['aws --version', 'cdk --version', 'kubectl version --client -o json', 'git --version']);
  });
});
