import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { formatFinding } from '@optibid/rendered';
import { policyCheck } from '../../src/checks/policy/check';
import { schemaCheck } from '../../src/checks/schema';
import { verify } from '../../src/cli';

/**
 * The schema check over dist-like fixture trees (`<fixture>/k8s/dev`, `<fixture>/cloudformation/dev`), in process:
 * jest runs the ESM-only kubernetes-models validators as CommonJS (jest.base.config.js), as Node's require(esm) does.
 */
const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string) => path.join(FIXTURES, name);
const lines = (dist: string) => verify({ dist, checks: [schemaCheck, policyCheck] }).findings.map((f) => formatFinding(f).trim());

describe('schema check', () => {
  test('a valid tree passes the schema and policy checks', () => {
    const out = verify({ dist: fixture('schema-valid'), checks: [schemaCheck, policyCheck] });
    expect(out.findings).toEqual([]);
    expect(out.text).toContain('=== dev (12 objects, 0 templates) ===');
  });

  test('spec.replicas: "x" fails the published schema (the unknown-field rule has nothing to add)', () => {
    expect(lines(fixture('schema-invalid-type'))).toEqual(['✗ [schema/published-schema] Deployment/optibid/backend (optibid/deployment-backend.yaml): spec.replicas must be integer (kubernetes-models/apps/v1/Deployment)']);
  });

  test('an unknown field fails the unknown-field rule only (the ajv validators accept unknown fields)', () => {
    expect(lines(fixture('schema-unknown-field'))).toEqual([
      "✗ [schema/unknown-field] Deployment/optibid/backend spec.template.spec.containers[0].bogusField (optibid/deployment-backend.yaml): spec.template.spec.containers[0].bogusField: unknown field 'bogusField': IContainer has no such field",
    ]);
  });

  test('a file missing from kustomization.yaml, and a listed file that does not exist, are findings', () => {
    expect(lines(fixture('schema-kustomization'))).toEqual(
      expect.arrayContaining([
        expect.stringContaining('[schema/kustomization] Certificate/optibid/api-tls (optibid/certificate-api-tls.yaml): not listed in kustomization.yaml resources'),
        expect.stringContaining('[schema/kustomization] - (optibid/service-gone.yaml): listed in kustomization.yaml but does not exist'),
      ]),
    );
  });

  test('CRD enums are validated; kinds without a published schema are reported once', () => {
    const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-check-'));
    try {
      const files: Record<string, object> = {
        'optibid/certificate-api-tls.yaml': {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name: 'api-tls', namespace: 'optibid' },
          spec: { secretName: 'api-tls', privateKey: { algorithm: 'DSA' }, issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } },
        },
        'optibid/servicemonitor-backend.yaml': { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'backend', namespace: 'optibid' }, spec: {} },
        'optibid/peerauthentication-default.yaml': { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'optibid' }, spec: { mtls: { mode: 'STRICT' } } },
      };
      const k8s = path.join(dist, 'k8s', 'dev');
      fs.mkdirSync(path.join(dist, 'cloudformation', 'dev'), { recursive: true });
      for (const [file, obj] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(k8s, file)), { recursive: true });
        fs.writeFileSync(path.join(k8s, file), stringify(obj));
      }
      fs.writeFileSync(path.join(k8s, 'kustomization.yaml'), stringify({ resources: Object.keys(files) }));
      expect(verify({ dist, checks: [schemaCheck] }).findings.map((f) => formatFinding(f).trim())).toEqual([
        expect.stringMatching(/^✗ \[schema\/published-schema\] Certificate\/optibid\/api-tls .*spec\.privateKey\.algorithm must be equal to one of the allowed values: .*"RSA"/),
        expect.stringMatching(/^✗ \[schema\/published-schema\] ServiceMonitor\/optibid\/backend .*no published schema for monitoring\.coreos\.com\/v1 ServiceMonitor/),
      ]);
    } finally {
      fs.rmSync(dist, { recursive: true, force: true });
    }
  });
});

describe('verify CLI over the schema fixtures (a child process, as CI runs it)', () => {
  const BIN = path.resolve(__dirname, '../../bin/verify.ts');
  const run = (...args: string[]) => spawnSync(process.execPath, ['-r', 'ts-node/register', BIN, ...args], { cwd: path.resolve(__dirname, '../../../..'), encoding: 'utf8', timeout: 120_000 });

  test('exit 0 on a valid tree, 1 on findings, 2 on usage errors', () => {
    const ok = run('--dist', fixture('schema-valid'), '--check', 'schema,policy');
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('verify: 0 finding(s)');
    expect(ok.status).toBe(0);
    const bad = run('--dist', fixture('schema-invalid-type'), '--check', 'schema');
    expect(bad.stdout).toContain('[schema/published-schema] Deployment/optibid/backend');
    expect(bad.status).toBe(1);
    expect(run('--bogus').status).toBe(2);
    const unknownCheck = run('--check', 'nope');
    expect(unknownCheck.stderr).toContain('--check nope: no such check');
    expect(unknownCheck.status).toBe(2);
  });
});
