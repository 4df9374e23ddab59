import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';

/**
 * The gate CLI runs in a child process: kubernetes-models is ESM-only, which jest cannot load, while
 * `node --import tsx` can (the ajv validators of the `schema` gate need it).
 */
const CLI = path.resolve(__dirname, '../../src/gates/cli.ts');
const FIXTURES = path.join(__dirname, 'fixtures');

function runCli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const fixture = (name: string) => path.join(FIXTURES, name);

describe('gates CLI', () => {
  test('a valid tree passes every gate: exit 0', () => {
    const r = runCli('--dir', fixture('schema-valid'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('dev: 12 objects, 0 findings (schema 0, schema-strict 0, policy 0, kustomization 0)');
    expect(r.status).toBe(0);
  });

  test('spec.replicas: "x" fails the schema gate: exit 1', () => {
    const r = runCli('--dir', fixture('schema-invalid-type'));
    expect(r.stdout).toContain('[schema] dev/optibid/deployment-backend.yaml (Deployment/optibid/backend): spec.replicas must be integer');
    expect(r.stdout).toContain("[schema-strict] dev/optibid/deployment-backend.yaml (Deployment/optibid/backend): spec.replicas: Type 'string' is not assignable to type 'number'.");
    expect(r.stdout).toMatch(/^dev: 9 objects, 2 findings \(schema 1, schema-strict 1, policy 0, kustomization 0\)$/m);
    expect(r.status).toBe(1);
  });

  test('an unknown field fails the schema-strict gate: exit 1', () => {
    const r = runCli('--dir', fixture('schema-unknown-field'));
    expect(r.stdout).toContain(
      "[schema-strict] dev/optibid/deployment-backend.yaml (Deployment/optibid/backend): spec.template.spec.containers[0].bogusField: Object literal may only specify known properties, and 'bogusField' does not exist in type 'IContainer'.",
    );
    // The ajv validators accept unknown fields: only schema-strict catches it.
    expect(r.stdout).not.toContain('[schema] ');
    expect(r.status).toBe(1);
  });

  test('a file missing from kustomization.yaml (and a listed file that does not exist) fails: exit 1', () => {
    const r = runCli('--dir', fixture('schema-kustomization'));
    expect(r.stdout).toContain('[kustomization] dev/optibid/certificate-api-tls.yaml (Certificate/optibid/api-tls): not listed in kustomization.yaml resources');
    expect(r.stdout).toContain('[kustomization] dev/optibid/service-gone.yaml (-): listed in kustomization.yaml but does not exist');
    expect(r.status).toBe(1);
  });

  test('the schema gate validates CRD enums and reports kinds without a published schema', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-gate-'));
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
      for (const [file, obj] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, 'dev', file)), { recursive: true });
        fs.writeFileSync(path.join(dir, 'dev', file), stringify(obj));
      }
      fs.writeFileSync(path.join(dir, 'dev', 'kustomization.yaml'), stringify({ resources: Object.keys(files) }));
      const r = runCli('--dir', dir, '--only', 'schema,schema-strict,kustomization');
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('['));
      expect(lines).toEqual([
        expect.stringMatching(/^\[schema\] dev\/optibid\/certificate-api-tls\.yaml \(Certificate\/optibid\/api-tls\): spec\.privateKey\.algorithm must be equal to one of the allowed values: .*"RSA"/),
        expect.stringMatching(/^\[schema-strict\] dev\/optibid\/certificate-api-tls\.yaml .*spec\.privateKey\.algorithm: Type '"DSA"' is not assignable/),
        expect.stringMatching(/^\[schema\] dev\/optibid\/servicemonitor-backend\.yaml .*no published schema for monitoring\.coreos\.com\/v1 ServiceMonitor/),
      ]);
      expect(r.status).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad arguments or a missing directory: exit 2', () => {
    expect(runCli('--bogus').status).toBe(2);
    expect(runCli('--only', 'nope').status).toBe(2);
    const r = runCli('--dir', path.join(FIXTURES, 'does-not-exist'));
    expect(r.stderr).toContain('no rendered manifests at');
    expect(r.status).toBe(2);
  });
});
