import {
  applyClusterScoped,
  applyFiles,
  applyNamespaceSet,
  createDeployLock,
  deleteDeployLock,
  getDeployLock,
  getRecordedRevision,
  kubectlDiff,
  recordRevision,
} from '../../src/deploy/commands';

const CTX = 'arn:aws:eks:us-west-2:1:cluster/x';

describe('server-side apply and diff force conflicts', () => {
  // After `kubectl rollout undo` (manager kubectl-rollout) co-owns the pod template, a server-side apply or diff by
  // optibid-deploy that changes those fields is refused unless it forces.
  const specs = {
    diff: kubectlDiff(CTX, ['a', 'b']),
    cluster: applyClusterScoped(CTX, 'dir'),
    files: applyFiles(CTX, 'ns', ['f1']),
    applyset: applyNamespaceSet(CTX, 'p', 'ns', 'dir'),
    dryRun: applyNamespaceSet(CTX, 'p', 'ns', 'dir', { dryRun: true }),
    record: recordRevision(CTX, 'kube-system', 'p', 'abc'),
  };
  test.each(Object.entries(specs))('%s', (_, spec) => {
    expect(spec.args).toEqual(expect.arrayContaining(['--server-side', '--field-manager=optibid-deploy', '--force-conflicts']));
  });

  test('the prune preview is the ApplySet apply plus --dry-run=server, nothing else', () => {
    const real = applyNamespaceSet(CTX, 'p', 'ns', 'dir');
    const dry = applyNamespaceSet(CTX, 'p', 'ns', 'dir', { dryRun: true });
    expect(dry.args.filter((a) => a !== '--dry-run=server')).toEqual(real.args);
    expect(dry.args).toContain('--dry-run=server');
    expect(dry.env).toEqual({ KUBECTL_APPLYSET: 'true' });
    expect(real.args).not.toContain('--dry-run=server');
  });
});

test('the recorded revision is read with --ignore-not-found (nothing recorded = empty output, not an error)', () => {
  expect(getRecordedRevision(CTX, 'kube-system', 'p').args).toEqual(['get', 'configmap', 'p-deploy-revision', '-n', 'kube-system', '--ignore-not-found', '-o', 'jsonpath={.data.revision}', `--context=${CTX}`]);
});

test('the deploy lock is a Lease created (not applied) in kube-system, read with jsonpath, deleted by name', () => {
  const take = createDeployLock(CTX, 'kube-system', 'p', 'me@host pid 1 abc', '2025-01-01T00:00:00.000Z');
  expect(take.args).toEqual(['create', '-f', '-', `--context=${CTX}`]);
  expect(JSON.parse(take.input!)).toEqual({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'p-deploy-lock', namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'optibid-deploy' }, annotations: { 'optibid.io/deploy-started-at': '2025-01-01T00:00:00.000Z' } },
    spec: { holderIdentity: 'me@host pid 1 abc' },
  });
  expect(getDeployLock(CTX, 'kube-system', 'p').args).toEqual([
    'get',
    'lease',
    'p-deploy-lock',
    '-n',
    'kube-system',
    '--ignore-not-found',
    '-o',
    'jsonpath={.spec.holderIdentity}{"\\t"}{.metadata.annotations.optibid\\.io/deploy-started-at}',
    `--context=${CTX}`,
  ]);
  expect(deleteDeployLock(CTX, 'kube-system', 'p').args).toEqual(['delete', 'lease', 'p-deploy-lock', '-n', 'kube-system', `--context=${CTX}`]);
});
