import { MissingKinds, missingCrdKinds } from '../../src/deploy/crds';

const diffError = [
  'error: resource mapping not found for name: "letsencrypt-production" namespace: "" from "dist/k8s/production/_cluster/clusterissuer-letsencrypt-production.yaml": no matches for kind "ClusterIssuer" in version "cert-manager.io/v1"',
  'ensure CRDs are installed first',
  '',
].join('\n');

const applyErrors = [
  'Warning: resource configmaps/x is missing the kubectl.kubernetes.io/last-applied-configuration annotation',
  'error: resource mapping not found for name: "optibid-tls" namespace: "optibid" from "d/certificate-optibid-tls.yaml": no matches for kind "Certificate" in version "cert-manager.io/v1"',
  'ensure CRDs are installed first',
  'error: resource mapping not found for name: "data-ca" namespace: "optibid-data" from "d/issuer-data-ca.yaml": no matches for kind "Issuer" in version "cert-manager.io/v1"',
  'ensure CRDs are installed first',
  'error: resource mapping not found for name: "other" namespace: "optibid-data" from "d/certificate-other.yaml": no matches for kind "Certificate" in version "cert-manager.io/v1"',
  'ensure CRDs are installed first',
].join('\n');

test('the kinds named by "no matches for kind" errors, each once', () => {
  expect(missingCrdKinds(diffError)).toEqual([{ kind: 'ClusterIssuer', apiVersion: 'cert-manager.io/v1' }]);
  expect(missingCrdKinds(applyErrors)).toEqual([
    { kind: 'Certificate', apiVersion: 'cert-manager.io/v1' },
    { kind: 'Issuer', apiVersion: 'cert-manager.io/v1' },
  ]);
});

test('any other error makes it a real failure (undefined)', () => {
  expect(missingCrdKinds(`${diffError}error: Unauthorized\n`)).toBeUndefined();
  expect(missingCrdKinds('Error from server (Forbidden): deployments.apps "backend" is forbidden\n')).toBeUndefined();
  expect(missingCrdKinds('')).toBeUndefined();
  expect(missingCrdKinds('ensure CRDs are installed first\n')).toBeUndefined(); // no kind named: nothing to leave out
});

test('MissingKinds reports only newly found kinds (so a retry loop always progresses)', () => {
  const m = new MissingKinds();
  expect(m.addFrom(diffError)).toHaveLength(1);
  expect(m.addFrom(diffError)).toEqual([]);
  expect(m.addFrom(applyErrors).map((k) => k.kind)).toEqual(['Certificate', 'Issuer']);
  expect(m.has({ kind: 'Issuer', apiVersion: 'cert-manager.io/v1' })).toBe(true);
  expect(m.has({ kind: 'Issuer', apiVersion: 'cert-manager.io/v1alpha2' })).toBe(false);
  expect(m.describe()).toBe('ClusterIssuer (cert-manager.io/v1), Certificate (cert-manager.io/v1), Issuer (cert-manager.io/v1)');
});
