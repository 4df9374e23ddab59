import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigValidationError, ENVIRONMENT_INPUTS, production } from '@optibid/constructs-lib';
import * as k8s from '@optibid/k8s-manifests';
import { driftBetween } from '../gate';
import { RENDER_MARKER, renderAll, RenderTargetError, REPO_ROOT } from '../render';

jest.mock('@optibid/k8s-manifests', () => {
  const actual = jest.requireActual('@optibid/k8s-manifests');
  return { ...actual, renderEnvironmentManifests: jest.fn(actual.renderEnvironmentManifests) };
});

/** Every file under `dir` (relative path -> contents). */
function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

function expectSameTree(a: Map<string, Buffer>, b: Map<string, Buffer>, hint: string) {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  const differing = [...a.keys()].filter((k) => !a.get(k)!.equals(b.get(k)!));
  if (differing.length) throw new Error(`${hint}: ${differing.length} file(s) differ, e.g. ${differing.slice(0, 5).join(', ')}`);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'render-test-'));
const cdkOut = path.join(work, 'cdk.out');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('render', () => {
  const first = path.join(work, 'first');
  const second = path.join(work, 'second');
  let summaries: ReturnType<typeof renderAll>;
  beforeAll(() => {
    summaries = renderAll(first, { cdkOut });
    renderAll(second, { cdkOut });
  });

  test('writes templates and manifests for every environment in the documented layout', () => {
    const files = [...readTree(first).keys()];
    for (const env of ENVIRONMENT_INPUTS.map((e) => e.name)) {
      for (const stack of ['network', 'data', 'edge', 'cluster']) expect(files).toContain(`cloudformation/${env}/optibid-${env}-${stack}.template.json`);
      expect(files).toContain(`k8s/${env}/kustomization.yaml`);
      // Argo CD objects: applied to the Argo CD instance, so beside (not inside) the kustomization of k8s/<env>.
      expect(files.filter((f) => f.startsWith(`argocd/${env}/`)).sort()).toEqual([`argocd/${env}/application.yaml`, `argocd/${env}/appproject.yaml`]);
    }
    // The local docker compose stack, from the dev environment only, with every file it mounts.
    expect(files).toContain('compose/docker-compose.yaml');
    const compose = readTree(first).get('compose/docker-compose.yaml')!.toString('utf8');
    const mounted = [...compose.matchAll(/^\s+source: \.\/(\S+)$/gm)].map((m) => `compose/${m[1]}`);
    expect(mounted.length).toBeGreaterThan(0);
    for (const f of mounted) expect(files).toContain(f);
    expect(compose).toContain('dist/k8s/dev');
    for (const env of ENVIRONMENT_INPUTS.map((e) => e.name)) {
      expect(files.filter((f) => f.startsWith(`reports/${env}/`)).sort()).toEqual(['capacity.md', 'cost.md', 'traffic.md'].map((r) => `reports/${env}/${r}`));
    }
    expect(files.filter((f) => !/^(cloudformation|k8s|argocd|compose|reports)\//.test(f))).toEqual([RENDER_MARKER]);
    // The marker lists every other file the render wrote (what a later render may replace).
    expect(JSON.parse(readTree(first).get(RENDER_MARKER)!.toString('utf8')).files).toEqual(files.filter((f) => f !== RENDER_MARKER).sort());
    // Templates only: no assets, manifests or tree files from the cloud assembly.
    expect(files.filter((f) => f.startsWith('cloudformation/') && !f.endsWith('.template.json'))).toEqual([]);
    expect(summaries.map((s) => s.environment)).toEqual(ENVIRONMENT_INPUTS.map((e) => e.name));
    expect(summaries.every((s) => s.stacks === 4 && s.resources > 50)).toBe(true);
  });

  test('the compose stack is rendered from the named environment only when the list contains it', () => {
    const target = path.join(work, 'no-compose');
    renderAll(target, { cdkOut, inputs: ENVIRONMENT_INPUTS.filter((e) => e.name !== 'dev') });
    expect(fs.existsSync(path.join(target, 'compose'))).toBe(false);
    expect(fs.readdirSync(path.join(target, 'argocd')).sort()).toEqual(ENVIRONMENT_INPUTS.map((e) => e.name).filter((n) => n !== 'dev').sort());
  });

  test('a render replaces the whole of a previous render: no stale file survives a rename', () => {
    const target = path.join(work, 'stale');
    fs.mkdirSync(path.join(target, 'k8s', 'dev', 'optibid'), { recursive: true });
    fs.writeFileSync(path.join(target, 'k8s', 'dev', 'optibid', 'deployment-old-name.yaml'), 'kind: Deployment\n');
    // A previous render that wrote it.
    fs.writeFileSync(path.join(target, RENDER_MARKER), JSON.stringify({ files: ['k8s/dev/optibid/deployment-old-name.yaml'] }));
    renderAll(target, { cdkOut });
    expect(fs.existsSync(path.join(target, 'k8s', 'dev', 'optibid', 'deployment-old-name.yaml'))).toBe(false);
    expectSameTree(readTree(target), readTree(first), 'render into a stale target differs');
  });

  test('two renders are byte-identical', () => {
    expectSameTree(readTree(first), readTree(second), 'second render differs from the first');
  });

  // The one drift test: the committed dist/ against a fresh render, file by file (the PR gate's comparison).
  test('the committed dist/ is up to date with the source (run `npm run synth` and commit)', () => {
    const fresh = new Map([...readTree(first)].map(([f, content]) => [f, content.toString('utf8')]));
    expect(driftBetween(fresh, path.join(REPO_ROOT, 'dist'))).toEqual([]);
  });

  test('templates hold no machine paths and no literal secret values', () => {
    for (const [file, content] of readTree(first)) {
      const text = content.toString('utf8');
      // The checkout's own path or a render scratch directory would make output machine-dependent.
      expect({ file, hasPath: text.includes(REPO_ROOT) || text.includes(work) || /cdk\.out/.test(text) }).toEqual({ file, hasPath: false });
      expect({ file, secretString: text.includes('"SecretString"') }).toEqual({ file, secretString: false });
    }
  });
});

describe('a failed render leaves the target exactly as it was', () => {
  /** A previous render (its marker lists its one file). */
  function seededTarget(name: string): string {
    const target = path.join(work, name);
    fs.mkdirSync(path.join(target, 'k8s'), { recursive: true });
    fs.writeFileSync(path.join(target, 'k8s', 'sentinel.yaml'), 'unchanged\n');
    fs.writeFileSync(path.join(target, RENDER_MARKER), JSON.stringify({ files: ['k8s/sentinel.yaml'] }));
    return target;
  }
  const leftovers = () => fs.readdirSync(work).filter((f) => f.startsWith('.render-'));

  test('an invalid config: error names the field, nothing written', () => {
    const target = seededTarget('invalid');
    const before = readTree(target);
    const bad = { ...production, cluster: { ...production.cluster, maxTotalNodes: 5 } };
    expect(() => renderAll(target, { cdkOut, inputs: [bad] })).toThrow(ConfigValidationError);
    expect(() => renderAll(target, { cdkOut, inputs: [bad] })).toThrow(/cluster\.maxTotalNodes: node group minimums sum to 6/);
    expectSameTree(readTree(target), before, 'target changed');
    expect(leftovers()).toEqual([]);
  });

  test.each([
    ['HPA min above max', (c: any) => (c.app.minReplicas = 20), /app\.minReplicas: minReplicas \(20\) must not exceed maxReplicas \(10\)/],
    ['quota below HPA max + surge', (c: any) => (c.app.quota = { requestsCpu: '1', requestsMemory: '1Gi', limitsMemory: '1Gi' }), /app\.quota\.requestsCpu: 1 is smaller than/],
    ['unknown namespace in a policy peer', (c: any) => (c.app.extraBackendClientNamespaces = ['nope']), /app\.extraBackendClientNamespaces\.0: unknown namespace 'nope'/],
    ['invalid hostname', (c: any) => (c.ingress.appHost = 'Not A Host'), /ingress\.appHost: must be a lowercase DNS name/],
    // Values AWS, Kubernetes or the tools reject (issue 15): each names the config field and the rule.
    ['a cron field out of range', (c: any) => (c.database.backups = { fullSchedule: '99 99 * * *' }), /database\.backups\.fullSchedule: must be a CronJob schedule: '99 99 \* \* \*': Constraint error, got value 99 expected range 0-59/],
    ['day-of-week 7 (robfig/cron rejects it)', (c: any) => (c.redis.backupSchedule = '30 3 * * 7'), /redis\.backupSchedule: .*uses 7, which the CronJob controller rejects/],
    ['a VPC larger than /16', (c: any) => (c.network.vpcCidr = '10.0.0.0/8'), /network\.vpcCidr: 10\.0\.0\.0\/8: AWS allows VPC and subnet blocks from \/16 to \/28 \(got \/8\)/],
    ['an EKS node group name over 63 characters (environment 20 + group 40)', (c: any) => ((c.name = 'p'.repeat(20)), (c.cluster.nodeGroups[0].name = 'g'.repeat(40))), /cluster\.nodeGroups\.0\.name: the EKS node group name 'optibid-p{20}-g{40}' has 69 characters: EKS allows at most 63/],
    ['a PostgreSQL memory request above its limit', (c: any) => (c.database.resources = { requests: { cpu: '1', memory: '16Gi' }, limits: { memory: '8Gi' } }), /database\.resources\.requests\.memory: request 16Gi exceeds the limit 8Gi \(Kubernetes rejects a request above its limit\)/],
    ['the production API endpoint open to 0.0.0.0/0 without a reason', (c: any) => (c.cluster.publicAccessCidrs = ['0.0.0.0/0']), /cluster\.publicAccessCidrs: the production API endpoint is open to 0\.0\.0\.0\/0: .*cluster\.openPublicAccessReason/],
    ['a reason for an endpoint that is not open', (c: any) => (c.cluster.openPublicAccessReason = 'because the vendor VPN changes every week'), /cluster\.openPublicAccessReason: is set, but the endpoint is not open to 0\.0\.0\.0\/0/],
    ['a control-plane downgrade against the committed render', (c: any) => (c.cluster.kubernetesVersion = '1.28'), /cluster\.kubernetesVersion: 1\.28 is a downgrade from 1\.35, the control plane of the committed render \(dist\/cloudformation\/production\/optibid-production-cluster\.template\.json\): EKS cannot downgrade/],
    ['a pooling cap above the database connection budget, without a reason', (c: any) => (c.database.poolingCap = 600), /database\.poolingCap: 600 is above the connection budget of 492 that a 8Gi memory limit holds.*database\.poolingCapOverBudgetReason/],
    ['a Redis CPU request above its limit', (c: any) => (c.redis.resources = { requests: { cpu: '2', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } }), /redis\.resources\.requests\.cpu: request 2 exceeds the limit 1/],
  ])('%s: the render fails naming the field and leaves the target untouched', (_label, change, message) => {
    const target = seededTarget(`bad-${String(_label).replace(/\W+/g, '-')}`);
    const before = readTree(target);
    const bad = structuredClone(production) as any;
    change(bad);
    expect(() => renderAll(target, { cdkOut, inputs: [bad] })).toThrow(message);
    expectSameTree(readTree(target), before, 'target changed');
    expect(leftovers()).toEqual([]);
  });

  test('a failure in the last environment, after others rendered: target untouched, staging removed', () => {
    const target = seededTarget('midway');
    const before = readTree(target);
    (k8s.renderEnvironmentManifests as jest.Mock).mockImplementationOnce((cfg) => jest.requireActual('@optibid/k8s-manifests').renderEnvironmentManifests(cfg))
      .mockImplementationOnce(() => {
        throw new Error('boom in staging');
      });
    expect(() => renderAll(target, { cdkOut })).toThrow('boom in staging');
    expectSameTree(readTree(target), before, 'target changed');
    expect(leftovers()).toEqual([]);
  });
});

describe('the render writes only into an empty folder or a previous render, and deletes nothing it did not write', () => {
  const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith('.render-'));

  test('a folder holding a file (no marker) is refused before anything is rendered, and keeps its file', () => {
    const target = path.join(work, 'user-folder');
    fs.mkdirSync(target, { recursive: true });
    fs.writeFileSync(path.join(target, 'notes.txt'), 'mine\n');
    expect(() => renderAll(target, { cdkOut })).toThrow(RenderTargetError);
    expect(() => renderAll(target, { cdkOut })).toThrow(/is not empty and was not written by a render \(no \.optibid-render\.json\).*notes\.txt\. Nothing was written\./);
    expect([...readTree(target).keys()]).toEqual(['notes.txt']);
    expect(leftovers(work)).toEqual([]);
  });

  test('the repository itself (`--out .`) is refused: .git, sources and node_modules are never replaced', () => {
    expect(() => renderAll(REPO_ROOT, { cdkOut })).toThrow(/was not written by a render/);
    expect(fs.existsSync(path.join(REPO_ROOT, 'package.json'))).toBe(true);
  });

  test('a previous render with a file it did not write is refused, naming the file', () => {
    const target = path.join(work, 'render-plus-file');
    renderAll(target, { cdkOut, inputs: ENVIRONMENT_INPUTS.filter((e) => e.name === 'dev') });
    fs.writeFileSync(path.join(target, 'k8s', 'dev', 'my-patch.yaml'), 'kind: ConfigMap\n');
    const before = readTree(target);
    expect(() => renderAll(target, { cdkOut })).toThrow(/holds 1 file\(s\) the render did not write \(k8s\/dev\/my-patch\.yaml\)/);
    expectSameTree(readTree(target), before, 'target changed');
  });

  test('a file as target is refused', () => {
    const file = path.join(work, 'a-file');
    fs.writeFileSync(file, 'x');
    expect(() => renderAll(file, { cdkOut })).toThrow(/is a file, not a folder/);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  test("a killed render's staging folder (it holds the marker) is removed by the next render; a foreign .render-* folder is kept", () => {
    const parent = path.join(work, 'abandoned');
    fs.mkdirSync(path.join(parent, '.render-Ab12Cd'), { recursive: true });
    fs.writeFileSync(path.join(parent, '.render-Ab12Cd', RENDER_MARKER), '{"files":[]}');
    fs.mkdirSync(path.join(parent, '.render-notours'), { recursive: true });
    renderAll(path.join(parent, 'dist'), { cdkOut, inputs: ENVIRONMENT_INPUTS.filter((e) => e.name === 'dev') });
    expect(leftovers(parent)).toEqual(['.render-notours']);
  });
});
