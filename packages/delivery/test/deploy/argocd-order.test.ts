/**
 * One delivery path: the Argo CD Application of an environment syncs in the order the push deploy applies.
 *
 * For every environment, every object of the committed dist/k8s/<env> is placed twice, each time by the code that
 * really does it: in the deploy step that first applies it (planApplyOrder, the plan the deploy CLI runs: (a)
 * cluster-scoped, (b) ExternalSecrets, (c..) one namespace after the other), and in the sync wave the rendered
 * Application gives it (its kustomize patches applied to the object). The two orders must be the same: one wave
 * per deploy step, waves rising with the steps; and Argo CD must leave unpruned exactly what the deploy never
 * prunes. Both are rendered from constructs-lib delivery/phases.ts; this test is what fails if either side stops
 * reading it (or reads it differently).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ARGOCD_SYNC_OPTIONS_ANNOTATION, ARGOCD_SYNC_WAVE_ANNOTATION, argoApplication, argoAutomatedSync, ENVIRONMENT_INPUTS, loadEnvironment, platformNames } from '@optibid/constructs-lib';
import { type ApplyPlan, namespaceOrder, planApplyOrder } from '../../src/deploy/apply-order';
import { applyClusterScoped, applyNamespaceSet } from '../../src/deploy/commands';
import { listTree } from '../../src/deploy/dist-tree';
import { REPO_ROOT } from './stand-ins';

interface RenderedObject {
  /** Relative to dist/k8s/<env>. */
  readonly file: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

type Patches = ReturnType<typeof argoApplication>['spec']['source']['kustomize']['patches'];
type Annotations = Readonly<Record<string, string>>;

/** The deploy step that first applies each file: 0 = (a) cluster-scoped, 1 = (b) ExternalSecrets, 2.. = (c..). */
function deploySteps(plan: ApplyPlan): Map<string, number> {
  const step = new Map<string, number>();
  const first = (file: string, i: number) => void (step.has(file) || step.set(file, i));
  for (const f of plan.cluster?.files ?? []) first(f, 0);
  for (const es of plan.externalSecrets) for (const f of es.files) first(f, 1);
  plan.namespaces.forEach((n, i) => n.files.forEach((f) => first(f, 2 + i)));
  return step;
}

/**
 * The Argo CD annotations an object gets from the patches, with kustomize's semantics: patches in list order, a
 * later one overriding an earlier one's keys; a target field is an anchored regular expression and an empty field
 * selects everything (kustomize api/types/selector.go). Fields this model does not read fail the test instead of
 * being ignored. The last describe block checks the model against kustomize itself where kubectl is installed.
 */
function argoAnnotations(patches: Patches, obj: RenderedObject): Annotations {
  const out: Record<string, string> = {};
  const matches = (pattern: string | undefined, value: string) => !pattern || new RegExp(`^(?:${pattern})$`).test(value);
  for (const p of patches) {
    const { kind, namespace, ...rest } = p.target;
    if (Object.keys(rest).length > 0) throw new Error(`target fields not modelled here: ${Object.keys(rest).join(', ')}`);
    if (!matches(kind, obj.kind) || !matches(namespace, obj.namespace ?? '')) continue;
    Object.assign(out, parse(p.patch).metadata.annotations);
  }
  return out;
}

/** Every way the two orders disagree, one line each ([] when they agree). */
function orderDisagreements(objects: readonly RenderedObject[], steps: ReadonlyMap<string, number>, annotations: (o: RenderedObject) => Annotations): string[] {
  const problems: string[] = [];
  const wavesOfStep = new Map<number, Map<number, string[]>>();
  for (const o of objects) {
    const step = steps.get(o.file);
    if (step === undefined) {
      problems.push(`${o.file}: applied by no deploy step`);
      continue;
    }
    const a = annotations(o);
    const wave = Number(a[ARGOCD_SYNC_WAVE_ANNOTATION] ?? '0');
    const byWave = wavesOfStep.get(step) ?? new Map<number, string[]>();
    byWave.set(wave, [...(byWave.get(wave) ?? []), o.file]);
    wavesOfStep.set(step, byWave);
    // The deploy never prunes cluster-scoped objects (step (a), applyClusterScoped has no --prune) and prunes the rest.
    const unpruned = (a[ARGOCD_SYNC_OPTIONS_ANNOTATION] ?? '').split(',').map((s) => s.trim()).includes('Prune=false');
    if (unpruned !== (step === 0)) problems.push(`${o.file}: Argo CD ${unpruned ? 'never prunes it' : 'prunes it'}, the deploy ${step === 0 ? 'never does' : 'does'}`);
  }
  let previous: { step: number; wave: number } | undefined;
  for (const step of [...wavesOfStep.keys()].sort((a, b) => a - b)) {
    const waves = [...wavesOfStep.get(step)!.entries()].sort(([a], [b]) => a - b);
    if (waves.length > 1) problems.push(`deploy step ${step} is split over Argo CD waves ${waves.map(([w, files]) => `${w} (${files[0]}${files.length > 1 ? `, +${files.length - 1}` : ''})`).join(', ')}`);
    const [lowest] = waves[0];
    if (previous && lowest <= previous.wave) problems.push(`deploy step ${step} comes after step ${previous.step}, but Argo CD syncs ${waves[0][1][0]} in wave ${lowest}, not after wave ${previous.wave}`);
    previous = { step, wave: waves[waves.length - 1][0] };
  }
  return problems;
}

function renderedObjects(envDir: string, listing: readonly string[]): RenderedObject[] {
  return listing
    .filter((f) => f !== 'kustomization.yaml')
    .map((file) => {
      const o = parse(fs.readFileSync(path.join(envDir, file), 'utf8'));
      return { file, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) };
    });
}

const ENVS = ENVIRONMENT_INPUTS.map((e) => e.name);

describe.each(ENVS)('Argo CD syncs %s in the push deploy order', (env) => {
  const config = loadEnvironment(env);
  const names = platformNames(config);
  const envDir = path.join(REPO_ROOT, 'dist', 'k8s', env);
  const listing = listTree(envDir);
  const plan = planApplyOrder(listing, namespaceOrder(names.namespaces));
  const steps = deploySteps(plan);
  const objects = renderedObjects(envDir, listing);
  const app = argoApplication(config);
  const patches = app.spec.source.kustomize.patches;

  test('every rendered object: one wave per deploy step, in the same order; unpruned exactly where the deploy never prunes', () => {
    expect(objects.length).toBeGreaterThan(50);
    expect(orderDisagreements(objects, steps, (o) => argoAnnotations(patches, o))).toEqual([]);
    // The waves, spelled out: cluster-scoped 0, ExternalSecrets 1, then the namespaces in the deploy's order.
    const waveOf = (file: string) => Number(argoAnnotations(patches, objects.find((o) => o.file === file)!)[ARGOCD_SYNC_WAVE_ANNOTATION] ?? '0');
    expect(waveOf('_cluster/namespace-optibid-data.yaml')).toBe(0);
    expect(waveOf(plan.externalSecrets[0].files[0])).toBe(1);
    expect(plan.namespaces.map((n) => waveOf(n.files.find((f) => !f.includes('/externalsecret-'))!))).toEqual([2, 3, 4, 5]);
  });

  test('both apply server-side and prune (the deploy in its namespace ApplySets, Argo CD automatically or when a person syncs)', () => {
    expect(applyNamespaceSet('ctx', names.prefix, 'optibid', 'dir').args).toEqual(expect.arrayContaining(['--server-side', '--prune']));
    expect(applyClusterScoped('ctx', 'dir').args).not.toContain('--prune');
    expect(app.spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
    if (argoAutomatedSync(config)) expect(app.spec.syncPolicy.automated).toMatchObject({ prune: true });
    else expect(app.spec.syncPolicy.automated).toBeUndefined();
  });
});

describe('the comparison fails when the orders disagree', () => {
  const config = loadEnvironment('production');
  const names = platformNames(config);
  const envDir = path.join(REPO_ROOT, 'dist', 'k8s', 'production');
  const listing = listTree(envDir);
  const objects = renderedObjects(envDir, listing);
  const patches = argoApplication(config).spec.source.kustomize.patches;
  const order = namespaceOrder(names.namespaces);

  test('a namespace the phases do not know: the deploy applies it last, Argo CD would sync it in wave 0', () => {
    const extra: RenderedObject = { file: 'zeta/deployment-z.yaml', kind: 'Deployment', name: 'z', namespace: 'zeta' };
    const steps = deploySteps(planApplyOrder([...listing, extra.file], order));
    expect(orderDisagreements([...objects, extra], steps, (o) => argoAnnotations(patches, o))).toEqual([expect.stringMatching(/^deploy step 6 comes after step 5, but Argo CD syncs zeta\/deployment-z.yaml in wave 0/)]);
  });

  test('the deploy applying the namespaces in another order', () => {
    const steps = deploySteps(planApplyOrder(listing, [order[1], order[0], ...order.slice(2)]));
    expect(orderDisagreements(objects, steps, (o) => argoAnnotations(patches, o))).toEqual([expect.stringMatching(/^deploy step 3 comes after step 2, but Argo CD syncs optibid-data\/\S+ in wave 2, not after wave 3/)]);
  });

  test('a cluster-scoped kind without its wave patch: pruned by Argo CD, never by the deploy', () => {
    const crd: RenderedObject = { file: '_cluster/customresourcedefinition-widgets.example.com.yaml', kind: 'CustomResourceDefinition', name: 'widgets.example.com' };
    const steps = deploySteps(planApplyOrder([...listing, crd.file], order));
    expect(orderDisagreements([...objects, crd], steps, (o) => argoAnnotations(patches, o))).toEqual([`${crd.file}: Argo CD prunes it, the deploy never does`]);
  });

  test('ExternalSecrets left in their namespace wave (kind patch before the namespace patches)', () => {
    const kindFirst = [...patches].sort((a, b) => Number(Boolean(b.target.kind)) - Number(Boolean(a.target.kind)));
    const problems = orderDisagreements(objects, deploySteps(planApplyOrder(listing, order)), (o) => argoAnnotations(kindFirst, o));
    expect(problems[0]).toMatch(/^deploy step 1 is split over Argo CD waves 2 .*, 3 .*, 4 .*, 5 /);
  });
});

/** kustomize itself (kubectl kustomize) on the committed render plus the Application's patches, as Argo CD builds it. */
const kubectlKustomize = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
(kubectlKustomize ? describe : describe.skip)('the patch model matches kustomize (kubectl kustomize; skipped without kubectl)', () => {
  test.each(ENVS)('%s', (env) => {
    const config = loadEnvironment(env);
    const envDir = path.join(REPO_ROOT, 'dist', 'k8s', env);
    const patches = argoApplication(config).spec.source.kustomize.patches;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optibid-argocd-order-'));
    try {
      fs.cpSync(envDir, tmp, { recursive: true });
      const kustomization = parse(fs.readFileSync(path.join(tmp, 'kustomization.yaml'), 'utf8'));
      fs.writeFileSync(path.join(tmp, 'kustomization.yaml'), stringify({ ...kustomization, patches }));
      const built = spawnSync('kubectl', ['kustomize', tmp], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      expect(built.stderr).toBe('');
      expect(built.status).toBe(0);
      const argoKeys = (a: Record<string, string> | undefined) => Object.fromEntries(Object.entries(a ?? {}).filter(([k]) => k.startsWith('argocd.argoproj.io/')));
      const fromKustomize = new Map(
        parseAllDocuments(built.stdout)
          .map((d) => d.toJS())
          .map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, argoKeys(o.metadata.annotations)]),
      );
      const objects = renderedObjects(envDir, listTree(envDir));
      expect(fromKustomize.size).toBe(objects.length);
      for (const o of objects) expect([o.file, fromKustomize.get(`${o.kind}/${o.namespace ?? ''}/${o.name}`)]).toEqual([o.file, argoAnnotations(patches, o)]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
