/**
 * End to end on real git history: a temporary repository with a small dist/ tree, two commits,
 * and the CLI's main() run against it (no process spawning for the CLI itself, only for git).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { main, parseArgs, UsageError } from '../../src/diff/cli';

let repo: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=diff-test@example.com', '-c', 'user.name=Diff Test', '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', ...args], {
    cwd: repo,
    encoding: 'utf8',
  });
}

function write(path: string, content: unknown): void {
  const file = join(repo, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : path.endsWith('.json') ? JSON.stringify(content, null, 2) : stringify(content));
}

function run(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(argv, repo, { stdout: (s) => (out += s), stderr: (s) => (err += s), color: false });
  return { code, out, err };
}

const deployment = (name: string, app: string, image: string, replicas: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'optibid' },
  spec: {
    replicas,
    selector: { matchLabels: { app } },
    template: { metadata: { labels: { app } }, spec: { containers: [{ name, image }] } },
  },
});

const clusterRole = (verbs: string[]) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'optibid-read-only' },
  rules: [{ apiGroups: [''], resources: ['pods', 'services'], verbs }],
});

const template = (versioning: string, withKey: boolean) => ({
  Resources: {
    DataBucket: { Type: 'AWS::S3::Bucket', Properties: { VersioningConfiguration: { Status: versioning } }, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' },
    ...(withKey ? { BackupsKey: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } } } : {}),
  },
});

const networkPolicy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'backend-ingress', namespace: 'optibid' },
  spec: { podSelector: { matchLabels: { app: 'backend' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }] }] },
};

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'optibid-diff-'));
  git('init', '-q');
  for (const env of ['dev', 'production']) {
    write(`dist/k8s/${env}/optibid/deployment-backend.yaml`, deployment('backend', 'backend', 'ghcr.io/optibid/backend:1.0.0', 2));
    write(`dist/k8s/${env}/optibid/deployment-worker.yaml`, deployment('worker', 'worker', 'ghcr.io/optibid/worker:1.0.0', 1));
    write(`dist/k8s/${env}/optibid/networkpolicy-backend-ingress.yaml`, networkPolicy);
    write(`dist/k8s/${env}/_cluster/clusterrole-optibid-read-only.yaml`, clusterRole(['get', 'list']));
    write(`dist/k8s/${env}/_cluster/namespace-legacy.yaml`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy' } });
    write(`dist/k8s/${env}/kustomization.yaml`, { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['optibid/deployment-backend.yaml'] });
    write(`dist/cloudformation/${env}/optibid-${env}-data.template.json`, template('Suspended', true));
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'base');

  // Second commit: every change lands in dev; production only loses the KMS key.
  write('dist/k8s/dev/optibid/deployment-backend.yaml', deployment('backend', 'backend', 'ghcr.io/optibid/backend:1.1.0', 3));
  write('dist/k8s/dev/optibid/deployment-worker.yaml', deployment('worker', 'worker-v2', 'ghcr.io/optibid/worker:1.0.0', 1));
  unlinkSync(join(repo, 'dist/k8s/dev/optibid/networkpolicy-backend-ingress.yaml'));
  write('dist/k8s/dev/_cluster/clusterrole-optibid-read-only.yaml', clusterRole(['get', 'list', 'delete']));
  unlinkSync(join(repo, 'dist/k8s/dev/_cluster/namespace-legacy.yaml'));
  write('dist/k8s/dev/optibid/service-api.yaml', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'optibid' }, spec: { selector: { app: 'backend' }, ports: [{ port: 80 }] } });
  write('dist/k8s/dev/kustomization.yaml', { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['optibid/service-api.yaml'] });
  write('dist/cloudformation/dev/optibid-dev-data.template.json', template('Enabled', true));
  write('dist/cloudformation/production/optibid-production-data.template.json', template('Suspended', false));
  git('add', '-A');
  git('commit', '-q', '-m', 'change');
});

afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
});

describe('committed history: --base HEAD~1', () => {
  let result: { code: number; out: string; err: string };
  let markdown: string;

  beforeAll(() => {
    result = run('--base', 'HEAD~1', '--markdown', 'diff.md');
    markdown = readFileSync(join(repo, 'diff.md'), 'utf8');
  });

  test('exits 0 and reports per environment', () => {
    expect(result.err).toContain('Markdown report written to');
    expect(result.code).toBe(0);
    expect(result.out).toContain('=== dev ===');
    expect(result.out).toContain('=== production ===');
    expect(result.out).toContain('Kubernetes objects: 1 added, 3 changed, 2 removed');
  });

  test('added, changed and removed objects with field summaries', () => {
    const dev = result.out.slice(result.out.indexOf('=== dev ==='), result.out.indexOf('=== production ==='));
    expect(dev).toContain('  + Service optibid/api');
    expect(dev).toContain('  ~ Deployment optibid/backend\n');
    expect(dev).toContain('      replicas: 2 → 3');
    expect(dev).toContain('      container backend: image ghcr.io/optibid/backend:1.0.0 → ghcr.io/optibid/backend:1.1.0');
    expect(dev).toContain('  ~ Deployment optibid/worker');
    expect(dev).toContain('  ~ ClusterRole optibid-read-only');
    expect(dev).toContain('rules[0].verbs[2]: added delete');
    expect(dev).toContain('  - NetworkPolicy optibid/backend-ingress');
    expect(dev).toContain('  - Namespace legacy');
    // The kustomization file list is not an object of the cluster.
    expect(result.out).not.toContain('Kustomization');
  });

  test('CloudFormation changes come from cloudformation-diff', () => {
    expect(result.out).toContain('~ optibid-dev-data (changed)');
    expect(result.out).toMatch(/\[~\] AWS::S3::Bucket DataBucket/);
    expect(result.out).toMatch(/\[-\] AWS::KMS::Key BackupsKey/);
  });

  test('warnings name the object and the field', () => {
    const warnings = result.out.slice(0, result.out.indexOf('=== dev ==='));
    expect(warnings).toContain('Reviewer must not miss (5):');
    expect(warnings).toContain('⚠ [dev] Deployment optibid/worker — spec.selector:');
    expect(warnings).toContain('⚠ [dev] NetworkPolicy optibid/backend-ingress — (object): NetworkPolicy removed');
    expect(warnings).toContain('⚠ [dev] ClusterRole optibid-read-only — rules: widened: [delete] on pods');
    expect(warnings).toContain('⚠ [dev] Namespace legacy — (object): Namespace removed');
    expect(warnings).toContain('⚠ [production] optibid-production-data/BackupsKey (AWS::KMS::Key) — (resource): stateful resource removed');
    // A bucket property updated in place is not a warning.
    expect(warnings).not.toContain('DataBucket');
  });

  test('the Markdown has the warnings first, tables, details and no colour codes', () => {
    expect(markdown.startsWith('## Rendered diff: `HEAD~1 (')).toBe(true);
    expect(markdown.indexOf('### ⚠️ Reviewer must not miss (5)')).toBeLessThan(markdown.indexOf('### dev'));
    expect(markdown).toContain('- ⚠️ **dev** `Deployment optibid/worker` — `spec.selector`:');
    expect(markdown).toContain('| Kubernetes objects | 1 | 3 | 2 |');
    expect(markdown).toContain('| CloudFormation stacks | 0 | 1 | 0 |');
    expect(markdown).toContain('- ➕ added `Service optibid/api`');
    expect(markdown).toContain('- ✏️ changed `Deployment optibid/backend`\n');
    expect(markdown).toContain('  - `replicas: 2 → 3`');
    expect(markdown).toContain('- ➖ removed `NetworkPolicy optibid/backend-ingress`');
    expect(markdown).toContain('<summary>CloudFormation stack <code>optibid-dev-data</code> changed</summary>');
    expect(markdown).not.toContain('\u001b[');
  });

  test('--fail-on-warnings exits 3; --env limits the output', () => {
    expect(run('--base', 'HEAD~1', '--fail-on-warnings').code).toBe(3);
    const prod = run('--base=HEAD~1', '--env', 'production');
    expect(prod.code).toBe(0);
    expect(prod.out).not.toContain('=== dev ===');
    expect(prod.out).toContain('Reviewer must not miss (1):');
  });

  test('--head compares two commits (ignores the working tree)', () => {
    const r = run('--base', 'HEAD~1', '--head', 'HEAD', '--env', 'dev');
    expect(r.out).toContain('→ HEAD (');
    expect(r.out).toContain('replicas: 2 → 3');
  });
});

describe('uncommitted working tree against --base HEAD', () => {
  beforeAll(() => {
    write('dist/k8s/dev/optibid/deployment-backend.yaml', deployment('backend', 'backend', 'ghcr.io/optibid/backend:1.2.0', 3));
    write('dist/k8s/dev/optibid/configmap-extra.yaml', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra', namespace: 'optibid' }, data: { a: 'b' } });
  });
  afterAll(() => {
    git('checkout', '-q', '--', 'dist');
    rmSync(join(repo, 'dist/k8s/dev/optibid/configmap-extra.yaml'));
  });

  test('shows only the uncommitted (and untracked) changes; unchanged environments say "no changes"', () => {
    const r = run('--base', 'HEAD');
    expect(r.code).toBe(0);
    expect(r.out).toContain('→ working tree');
    expect(r.out).toContain('Reviewer must not miss: nothing flagged.');
    expect(r.out).toContain('Kubernetes objects: 1 added, 1 changed, 0 removed');
    expect(r.out).toContain('  + ConfigMap optibid/extra');
    expect(r.out).toContain('container backend: image ghcr.io/optibid/backend:1.1.0 → ghcr.io/optibid/backend:1.2.0');
    expect(r.out).not.toContain('replicas');
    expect(r.out).toMatch(/=== production ===\nno changes/);
  });

  test('a clean tree reports "no changes" everywhere', () => {
    expect(run('--base', 'HEAD', '--head', 'HEAD').out).toMatch(/=== dev ===\nno changes\n\n=== production ===\nno changes/);
  });
});

describe('usage errors exit 2 and name the flag', () => {
  test.each([
    [['--base', 'nosuchref'], '--base: \'nosuchref\' is not a commit'],
    [[], '--base is required'],
    // node:util parseArgs' own messages.
    [['--base'], "Option '--base <value>' argument missing"],
    [['--base', '--head', 'HEAD'], "Option '--base' argument is ambiguous"],
    [['--base', 'HEAD', '--colour'], "Unknown option '--colour'"],
    [['--base', 'HEAD', '--fail-on-warnings=yes'], "Option '--fail-on-warnings' does not take an argument"],
    [['--base='], '--base needs a non-empty value'],
    [['--base', 'HEAD', '--head', 'HEAD', '--head=HEAD~1'], '--head given twice'],
    [['--base', 'HEAD', '--env', 'qa'], '--env: unknown environment qa'],
    [['--base', 'HEAD', '--head', 'nope'], "--head: 'nope' is not a commit"],
    [['HEAD~1'], "unexpected argument 'HEAD~1'"],
    [['--base', 'HEAD', '--markdown', 'no/such/dir/diff.md'], '--markdown: cannot write'],
  ])('%j', (argv, message) => {
    const r = run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    // Argument and ref problems are found before anything is printed.
    if (!message.startsWith('--markdown')) expect(r.out).toBe('');
  });

  test('outside a git repository --base is reported as unusable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'optibid-nogit-'));
    try {
      let err = '';
      expect(main(['--base', 'HEAD'], dir, { stdout: () => undefined, stderr: (s) => (err += s), color: false })).toBe(2);
      expect(err).toContain('--base:');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('parseArgs accepts --flag=value and repeated/comma-separated --env', () => {
    expect(parseArgs(['--base=main', '--env', 'dev,staging', '--env=production', '--fail-on-warnings'])).toEqual({
      base: 'main',
      envs: ['dev', 'staging', 'production'],
      failOnWarnings: true,
      help: false,
    });
    expect(() => parseArgs(['--base', 'a', '--base', 'b'])).toThrow(UsageError);
  });
});

describe('a stale working tree is named (issue 15): the injected render-and-compare check', () => {
  const runWith = (freshness: (root: string) => readonly string[], ...argv: string[]) => {
    let out = '';
    const code = main(argv, repo, { stdout: (s) => (out += s), stderr: () => undefined, color: false }, freshness);
    return { code, out };
  };

  test('drift between the sources and dist/ is the first thing the reviewer must not miss, and fails --fail-on-warnings', () => {
    let asked = '';
    const r = runWith((root) => ((asked = root), ['M k8s/dev/optibid/deployment-backend.yaml']), '--base', 'HEAD', '--fail-on-warnings');
    expect(asked).toBe(repo);
    expect(r.out).toMatch(/Reviewer must not miss \(\d+\):[\s\S]*dist\/ is not what the working tree's sources render \(1 file\(s\), e\.g\. M k8s\/dev\/optibid\/deployment-backend\.yaml\): run npm run synth/);
    expect(r.code).toBe(3);
  });

  test('a fresh working tree adds nothing; comparing two commits does not ask', () => {
    expect(runWith(() => [], '--base', 'HEAD').out).not.toContain('is not what the working tree');
    let asked = false;
    runWith(() => ((asked = true), ['M x']), '--base', 'HEAD', '--head', 'HEAD');
    expect(asked).toBe(false);
  });
});
