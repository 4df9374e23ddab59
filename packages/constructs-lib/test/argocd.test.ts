import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { IAppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject';
import type { IApplication } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { parse } from 'yaml';
import { ARGOCD_IN_CLUSTER_SERVER, ARGOCD_NAMESPACE, argoApplication, argoAppProject, argoSyncWavePatches, renderArgoCd } from '../src/argocd';
import { ENVIRONMENT_INPUTS, loadEnvironment } from '../src/environments';
import { platformNames } from '../src/naming/naming';

/**
 * The Argo CD Application and AppProject of every environment: valid against @kubernetes-models/argo-cd (the CRD
 * schemas), pointing at a committed dist/k8s/<env> kustomization, automated sync everywhere but production, and a
 * project that admits exactly what the render contains.
 */

const REPO = path.resolve(__dirname, '../../..');
const ENVS = ENVIRONMENT_INPUTS.map((e) => e.name);

/**
 * `.validate()` of the published models. @kubernetes-models is ESM-only, which jest cannot load, so the validation
 * runs in a plain node process (dynamic import, documents on stdin); each document gives `null` or the error.
 */
function validateWithModels(docs: readonly { kind: string }[]): (string | null)[] {
  const script = `
    const { Application } = await import('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application');
    const { AppProject } = await import('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject');
    const models = { Application, AppProject };
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const out = JSON.parse(input).map((doc) => {
      const Model = models[doc.kind];
      if (!Model) return 'no model for kind ' + doc.kind;
      try { new Model(doc).validate(); return null; } catch (e) { return String(e.message); }
    });
    process.stdout.write(JSON.stringify(out));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: __dirname, input: JSON.stringify(docs), encoding: 'utf8' });
  return JSON.parse(out);
}

describe.each(ENVS)('Argo CD, %s', (env) => {
  const config = loadEnvironment(env);
  const names = platformNames(config);
  // Compile-time check against the published interfaces (tsc -p tsconfig.json checks the test files).
  const app: IApplication = argoApplication(config);
  const project: IAppProject = argoAppProject(config);

  test('Application and AppProject validate against the @kubernetes-models/argo-cd models', () => {
    expect(validateWithModels([app, project])).toEqual([null, null]);
  });

  test('the rendered files are the objects (application.yaml, appproject.yaml)', () => {
    const files = renderArgoCd(config);
    expect([...files.keys()].sort()).toEqual(['application.yaml', 'appproject.yaml']);
    expect(parse(files.get('application.yaml')!)).toEqual(argoApplication(config));
    expect(parse(files.get('appproject.yaml')!)).toEqual(argoAppProject(config));
  });

  test('source: this repository, the tracked branch, the committed kustomization of the environment', () => {
    expect(app.metadata).toMatchObject({ name: names.delivery.argoApplication, namespace: ARGOCD_NAMESPACE });
    // kustomize: the sync-wave patches (their order against the push deploy: packages/delivery/test/deploy/argocd-order.test.ts).
    expect(app.spec.source).toEqual({ repoURL: names.delivery.repositoryUrl, targetRevision: names.delivery.branch, path: names.delivery.manifestsPath, kustomize: { patches: argoSyncWavePatches(config) } });
    expect(app.spec.source!.path).toBe(`dist/k8s/${env}`);
    // Kustomize picks up the kustomization.yaml of the committed render.
    const kustomization = path.join(REPO, app.spec.source!.path!, 'kustomization.yaml');
    expect(fs.existsSync(kustomization)).toBe(true);
    expect(parse(fs.readFileSync(kustomization, 'utf8')).kind).toBe('Kustomization');
    expect(app.spec.destination).toEqual({ server: ARGOCD_IN_CLUSTER_SERVER, namespace: names.namespaces.app });
  });

  test('sync: server-side apply, prune last, namespaces never created by Argo CD', () => {
    expect(app.spec.syncPolicy!.syncOptions).toEqual(['ServerSideApply=true', 'PruneLast=true', 'CreateNamespace=false']);
  });

  test(env === 'production' ? 'production: no automated sync (a person syncs)' : `${env}: automated sync with prune and selfHeal`, () => {
    if (config.tier === 'production') {
      expect(app.spec.syncPolicy!.automated).toBeUndefined();
      expect(fs.readFileSync(path.join(REPO, 'dist', 'argocd', env, 'application.yaml'), 'utf8')).not.toMatch(/^\s+automated:/m);
    } else {
      expect(app.spec.syncPolicy!.automated).toEqual({ prune: true, selfHeal: true, allowEmpty: false });
    }
  });

  test('the AppProject admits exactly the repository, the rendered namespaces and the rendered cluster-scoped kinds', () => {
    expect(app.spec.project).toBe(project.metadata!.name);
    expect(project.spec!.sourceRepos).toEqual([names.delivery.repositoryUrl]);
    const dist = path.join(REPO, 'dist', 'k8s', env);
    const namespaceDirs = fs.readdirSync(dist, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== '_cluster').map((d) => d.name);
    expect(project.spec!.destinations!.map((d) => d.namespace).sort()).toEqual(namespaceDirs.sort());
    expect(project.spec!.destinations!.every((d) => d.server === ARGOCD_IN_CLUSTER_SERVER)).toBe(true);
    expect(project.spec!.destinations!.map((d) => d.namespace)).toContain(app.spec.destination.namespace);
    const clusterKinds = new Set(
      fs.readdirSync(path.join(dist, '_cluster')).map((f) => {
        const o = parse(fs.readFileSync(path.join(dist, '_cluster', f), 'utf8'));
        return `${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}`;
      }),
    );
    expect(project.spec!.clusterResourceWhitelist!.map((k) => `${k.group}/${k.kind}`).sort()).toEqual([...clusterKinds].sort());
  });
  // That dist/argocd holds exactly these files, outside dist/k8s, is the drift and layout tests' job (scripts/test/render.test.ts).
});

describe('the model validation is live', () => {
  const config = loadEnvironment('dev');
  test.each([
    ['a missing destination', (a: any) => delete a.spec.destination],
    ['prune not a boolean', (a: any) => (a.spec.syncPolicy.automated.prune = 'yes')],
    ['retry limit not a number', (a: any) => (a.spec.syncPolicy.retry.limit = 'five')],
    ['syncOptions not a list', (a: any) => (a.spec.syncPolicy.syncOptions = 'ServerSideApply=true')],
  ])('a broken Application fails: %s', (_label, breakIt) => {
    const broken = structuredClone(argoApplication(config)) as any;
    breakIt(broken);
    const [error] = validateWithModels([broken]);
    expect(error).toEqual(expect.any(String));
  });

  test('a broken AppProject fails', () => {
    const broken = structuredClone(argoAppProject(config)) as any;
    broken.spec.clusterResourceWhitelist = [{ group: '' }];
    expect(validateWithModels([broken])[0]).toMatch(/kind/);
  });
});
