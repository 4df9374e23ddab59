/** The interactive production confirmation, through the CLI's main() in-process (injected terminal and prompt). */
import * as os from 'os';
import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import { main } from '../../src/deploy/cli';
import type { Logger } from '../../src/deploy/log';
import { SpawnRunner } from '../../src/deploy/runner';
import { createStandIns, isMutating, REPO_ROOT, type StandIns } from './stand-ins';

const names = platformNames(loadEnvironment('production'));
let s: StandIns;
beforeEach(() => {
  s = createStandIns();
});
afterEach(() => s.cleanup());

function deps(answer: string) {
  const lines: string[] = [];
  const log: Logger = {
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
    command: (l) => lines.push(`$ ${l}`),
    output: () => undefined,
  };
  const questions: string[] = [];
  const env = { PATH: `${s.binDir}:${s.toolsDir}`, HOME: os.tmpdir(), STANDIN_LOG: s.logFile, STANDIN_KUBE_CONTEXT: names.clusterArn, STANDIN_AWS_ACCOUNT: names.account };
  return {
    lines,
    questions,
    deps: {
      repoRoot: REPO_ROOT,
      runner: new SpawnRunner(REPO_ROOT, log, env),
      log,
      freshness: { check: () => ({ fresh: true, details: 'injected' }) },
      stdinIsTTY: true,
      prompt: async (q: string) => {
        questions.push(q);
        return answer;
      },
      print: () => undefined,
    },
  };
}

test('on a terminal, production asks after the plan; a wrong answer refuses with exit 8 and nothing mutating', async () => {
  const d = deps('prod');
  expect(await main(['--env', 'production'], d.deps)).toBe(8);
  expect(d.questions).toEqual(['Deploy to production? type the environment name to continue: ']);
  const records = s.records();
  expect(records.some((r) => r.tool === 'cdk' && r.argv[0] === 'diff')).toBe(true);
  expect(records.filter(isMutating)).toEqual([]);
});

test('typing the environment name deploys', async () => {
  const d = deps('production');
  expect(await main(['--env', 'production'], d.deps)).toBe(0);
  expect(s.records().some((r) => r.tool === 'cdk' && r.argv[0] === 'deploy')).toBe(true);
});

test('--yes and --plan-only never ask', async () => {
  for (const argv of [['--env', 'production', '--yes'], ['--env', 'production', '--plan-only']]) {
    const d = deps('');
    expect(await main(argv, d.deps)).toBe(0);
    expect(d.questions).toEqual([]);
  }
});
