import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CLUSTER_SCOPED_DIR, KUSTOMIZATION_FILE, objectPath, parseObjectPath } from '../src/layout';
import { loadK8sDir, loadRenderedEnvironment, loadRenderedTemplates, parseRenderedFiles, RenderedReadError, renderedEnvironmentNames } from '../src/load';
import { objectId } from '../src/objects';

const files = new Map<string, string>([
  [KUSTOMIZATION_FILE, 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [optibid/service-api.yaml, _cluster/namespace-optibid.yaml]\n'],
  ['optibid/service-api.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: optibid\n'],
  ['_cluster/namespace-optibid.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: optibid\n'],
]);

describe('the layout', () => {
  test('one file per object: <namespace|_cluster>/<kind>-<name>.yaml, read back the same way', () => {
    expect(objectPath({ kind: 'Deployment', metadata: { name: 'backend', namespace: 'optibid' } })).toBe('optibid/deployment-backend.yaml');
    expect(objectPath({ kind: 'ClusterRole', metadata: { name: 'reader' } })).toBe(`${CLUSTER_SCOPED_DIR}/clusterrole-reader.yaml`);
    expect(parseObjectPath('optibid/deployment-backend.yaml')).toEqual({ namespace: 'optibid', kindLower: 'deployment', name: 'backend' });
    expect(parseObjectPath('_cluster/clusterrole-reader.yaml')).toEqual({ kindLower: 'clusterrole', name: 'reader' });
    expect(parseObjectPath(KUSTOMIZATION_FILE)).toBeUndefined();
  });
});

describe('the loader', () => {
  let dist: string;
  beforeAll(() => {
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'rendered-load-'));
    for (const [rel, text] of files) {
      fs.mkdirSync(path.dirname(path.join(dist, 'k8s', 'dev', rel)), { recursive: true });
      fs.writeFileSync(path.join(dist, 'k8s', 'dev', rel), text);
    }
    fs.mkdirSync(path.join(dist, 'cloudformation', 'dev'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'cloudformation', 'dev', 'optibid-dev-network.template.json'), JSON.stringify({ Resources: { Vpc: { Type: 'AWS::EC2::VPC' } } }));
  });
  afterAll(() => fs.rmSync(dist, { recursive: true, force: true }));

  test('in-memory render files and the same files on disk read identically; kustomization.yaml is not an object', () => {
    const fromMemory = parseRenderedFiles('dev', files);
    expect(fromMemory.map((o) => [o.file, objectId(o.obj)])).toEqual([
      ['_cluster/namespace-optibid.yaml', 'Namespace/_cluster/optibid'],
      ['optibid/service-api.yaml', 'Service/optibid/api'],
    ]);
    expect(loadK8sDir(path.join(dist, 'k8s', 'dev'), 'dev')).toEqual(fromMemory);
  });

  test('an environment is its objects and its templates by stack name', () => {
    expect(renderedEnvironmentNames(dist)).toEqual(['dev']);
    const env = loadRenderedEnvironment(dist, 'dev');
    expect(Object.keys(env.templates)).toEqual(['optibid-dev-network']);
    expect(env.objects).toHaveLength(2);
    expect(() => loadRenderedEnvironment(dist, 'qa')).toThrow(/no rendered environment "qa"/);
  });

  test('the templates alone: by stack name with their files; none for an environment never rendered; a broken one named', () => {
    const templates = loadRenderedTemplates(dist, 'dev');
    expect([...templates.keys()]).toEqual(['optibid-dev-network']);
    expect(templates.get('optibid-dev-network')).toEqual({ template: loadRenderedEnvironment(dist, 'dev').templates['optibid-dev-network'], file: path.join(dist, 'cloudformation', 'dev', 'optibid-dev-network.template.json') });
    expect(loadRenderedTemplates(dist, 'qa').size).toBe(0);
    const brokenDist = fs.mkdtempSync(path.join(os.tmpdir(), 'rendered-load-broken-'));
    try {
      const file = path.join(brokenDist, 'cloudformation', 'dev', 'optibid-dev-cluster.template.json');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, '{"Resources": {"Cluster": {"Type": "AWS::EKS::Cluster"');
      expect(() => loadRenderedTemplates(brokenDist, 'dev')).toThrow(RenderedReadError);
      expect(() => loadRenderedTemplates(brokenDist, 'dev')).toThrow(new RegExp(`^${file.replace(/[.]/g, '\\.')}: `));
    } finally {
      fs.rmSync(brokenDist, { recursive: true, force: true });
    }
  });

  test('an unreadable file is named, with the parser message', () => {
    const broken = new Map([['optibid/configmap-x.yaml', 'a: [1, 2\n']]);
    expect(() => parseRenderedFiles('dev', broken)).toThrow(RenderedReadError);
    expect(() => parseRenderedFiles('dev', broken)).toThrow(/^optibid\/configmap-x\.yaml: /);
  });
});
