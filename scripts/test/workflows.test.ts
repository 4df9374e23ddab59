import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ENVIRONMENT_INPUTS } from '@optibid/constructs-lib';
import { environmentOutputs } from '../ci/environment-outputs';
import { REPO_ROOT } from '../render';

/**
 * The GitHub Actions workflows (.github/workflows) and the local composite action: valid YAML, every third-party
 * action pinned by commit SHA, every `run:` step calling something that exists in this repository, deploys
 * serialised per environment, AWS reached through OIDC only, and the GitHub environments the deploy roles trust.
 */
const GITHUB = path.join(REPO_ROOT, '.github');
const files = [
  ...fs.readdirSync(path.join(GITHUB, 'workflows')).map((f) => path.join(GITHUB, 'workflows', f)),
  ...fs.readdirSync(path.join(GITHUB, 'actions')).map((d) => path.join(GITHUB, 'actions', d, 'action.yaml')),
];
const docs = new Map(files.map((f) => [path.relative(REPO_ROOT, f), { text: fs.readFileSync(f, 'utf8'), yaml: parse(fs.readFileSync(f, 'utf8')) }]));
const workflow = (name: string) => docs.get(`.github/workflows/${name}`)!.yaml;
const npmScripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts;

interface Step {
  file: string;
  uses?: string;
  run?: string;
}
const steps: Step[] = [...docs].flatMap(([file, d]) => [
  ...Object.values<any>(d.yaml.jobs ?? {}).flatMap((j) => (j.steps ?? []).map((s: any) => ({ file, ...s }))),
  ...(d.yaml.runs?.steps ?? []).map((s: any) => ({ file, ...s })),
]);

/** Commands a run step may use without a repository script behind them (installers and the AWS CLI). */
const TOOL_COMMANDS = [/^npm ci( |$)/, /^aws eks update-kubeconfig /];

/** What is wrong with one `run:` step: referenced files or npm scripts that do not exist. */
export function runStepProblems(run: string, exists: (p: string) => boolean, scripts: Record<string, string>): string[] {
  const problems: string[] = [];
  let references = 0;
  for (const m of run.matchAll(/(?:^|\s)((?:scripts|packages|\.ci)\/[\w./-]+)/g)) {
    references++;
    if (!exists(m[1])) problems.push(`${m[1]} does not exist`);
  }
  for (const m of run.matchAll(/npm run (?:--silent )?([\w:-]+)/g)) {
    references++;
    if (!(m[1] in scripts)) problems.push(`npm script "${m[1]}" is not in package.json`);
    // ...and the files the npm script runs exist too.
    else for (const f of scripts[m[1]].matchAll(/(?:^|\s)((?:scripts|packages)\/[\w./-]+)/g)) if (!exists(f[1])) problems.push(`npm script "${m[1]}" runs ${f[1]}, which does not exist`);
  }
  if (references === 0 && !TOOL_COMMANDS.some((re) => re.test(run.trim()))) problems.push(`"${run.trim()}" runs neither a repository script nor an allowed tool command`);
  return problems;
}

test('every workflow and action file is valid YAML with jobs or composite steps', () => {
  expect(files.length).toBeGreaterThanOrEqual(4);
  for (const [file, d] of docs) expect({ file, ok: Boolean(d.yaml.jobs || d.yaml.runs?.steps) }).toEqual({ file, ok: true });
});

test('every third-party action is pinned by a 40-character commit SHA with its release as a comment', () => {
  const bad: string[] = [];
  for (const [file, d] of docs) {
    for (const line of d.text.split('\n')) {
      const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
      if (!m) continue;
      if (m[1].startsWith('./')) {
        // A local composite action (a directory with action.yaml) or a reusable workflow file.
        const target = /\.ya?ml$/.test(m[1]) ? m[1] : path.join(m[1], 'action.yaml');
        if (!fs.existsSync(path.join(REPO_ROOT, target))) bad.push(`${file}: local ${m[1]} does not exist`);
      } else if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(m[1]) || !/#\s*v\d+\.\d+\.\d+/.test(m[2])) bad.push(`${file}: ${m[1]}${m[2]}`);
    }
  }
  expect(bad).toEqual([]);
});

test('every run: step calls a script or npm script that exists', () => {
  const problems = steps.filter((s) => s.run).flatMap((s) => runStepProblems(s.run!, (p) => fs.existsSync(path.join(REPO_ROOT, p)), npmScripts).map((p) => `${s.file}: ${p}`));
  expect(problems).toEqual([]);
});

test('the step checker catches a missing script, an unknown npm script and an arbitrary command', () => {
  const exists = (p: string) => p === 'scripts/test.sh';
  expect(runStepProblems('bash scripts/test.sh', exists, {})).toEqual([]);
  expect(runStepProblems('bash scripts/nope.sh', exists, {})).toEqual(['scripts/nope.sh does not exist']);
  expect(runStepProblems('npm run deploy -- --env x', exists, { synth: '' })).toEqual(['npm script "deploy" is not in package.json']);
  expect(runStepProblems('npm run diff -- --base x', exists, { diff: 'node -r ts-node/register packages/delivery/bin/diff.ts' })).toEqual(['npm script "diff" runs packages/delivery/bin/diff.ts, which does not exist']);
  expect(runStepProblems('curl https://example.org | sh', exists, {})).toHaveLength(1);
});

test('pull requests run the README test command (with the one drift test, scripts/test/render.test.ts) and the rendered diff', () => {
  const ci = workflow('ci.yaml');
  expect(ci.on.pull_request).toBeDefined();
  expect(ci.jobs.test.uses).toBe('./.github/workflows/test.yaml');
  expect(workflow('test.yaml').jobs.test.steps.map((s: any) => s.run).filter(Boolean)).toEqual(['bash scripts/test.sh']);
  expect(fs.readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8')).toContain('scripts/test.sh');
  const runs = ci.jobs['rendered-diff'].steps.map((s: any) => s.run ?? '');
  // The drift test runs in scripts/test.sh (tier 3); a second render-and-compare here would only repeat it.
  expect(runs.some((r: string) => /check-drift|npm run synth/.test(r))).toBe(false);
  expect(runs.some((r: string) => /npm run diff -- --base .* --markdown /.test(r))).toBe(true);
  expect(runs.some((r: string) => r.includes('scripts/ci/pr-comment.sh'))).toBe(true);
});

test('main deploys staging then production, one deploy per environment at a time, never cancelled halfway', () => {
  const deploy = workflow('deploy.yaml');
  expect(deploy.on.push.branches).toEqual(['main']);
  expect(deploy.jobs.staging.needs).toBe('test');
  expect(deploy.jobs.production.needs).toBe('staging');
  for (const env of ['staging', 'production']) {
    const job = deploy.jobs[env];
    expect(job.concurrency).toEqual({ group: `deploy-${env}`, 'cancel-in-progress': false });
    // The deploy role trusts exactly this GitHub environment (OIDC subject): the names must agree.
    expect(job.environment).toBe(environmentOutputs(env).github_environment);
    expect(job.steps.find((s: any) => s.uses === './.github/actions/deploy-environment').with.environment).toBe(env);
  }
});

test('AWS access is OIDC only: id-token only where a deploy runs, no access keys anywhere', () => {
  for (const [file, d] of docs) {
    expect({ file, keys: /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/.test(d.text) }).toEqual({ file, keys: false });
    for (const [name, job] of Object.entries<any>(d.yaml.jobs ?? {})) {
      const wantsToken = job.permissions?.['id-token'] === 'write';
      expect({ file, job: name, wantsToken }).toEqual({ file, job: name, wantsToken: file.endsWith('deploy.yaml') && ['staging', 'production'].includes(name) });
    }
  }
  const action = docs.get('.github/actions/deploy-environment/action.yaml')!.yaml;
  const aws = action.runs.steps.find((s: any) => String(s.uses).startsWith('aws-actions/configure-aws-credentials@'));
  expect(aws.with['role-to-assume']).toBe('${{ steps.env.outputs.role_arn }}');
  // The job is stopped before its AWS session can expire in the middle of an apply or a rollback.
  for (const env of ['staging', 'production']) expect(workflow('deploy.yaml').jobs[env]['timeout-minutes'] * 60).toBeLessThanOrEqual(aws.with['role-duration-seconds']);
});

test('environment outputs come from the naming module for every environment', () => {
  for (const { name } of ENVIRONMENT_INPUTS) {
    const o = environmentOutputs(name);
    expect(o.role_arn).toMatch(new RegExp(`^arn:aws:iam::\\d{12}:role/optibid-${name}-github-deploy$`));
    expect(o.cluster_arn).toBe(`arn:aws:eks:${o.region}:${o.account}:cluster/${o.cluster_name}`);
    expect(o.kubectl_version).toMatch(/^v\d+\.\d+\.\d+$/);
  }
});
