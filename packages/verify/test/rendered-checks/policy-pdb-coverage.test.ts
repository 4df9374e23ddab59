import { pdbCoverage } from '../../src/checks/policy/pdb-coverage';
import { compliantSet, deployment, expectClean, expectFinding, hpa, pdb, ref, withExtra, withObject, without } from './policy-support';

const check = pdbCoverage;
const DEPLOY = ref('Deployment', 'backend');

describe('pdb-coverage', () => {
  test('a compliant set passes', () => {
    expectClean(check, compliantSet());
  });

  test('a single-replica workload without HPA needs no PDB', () => {
    const set = withObject(without(without(compliantSet(), 'PodDisruptionBudget'), 'HorizontalPodAutoscaler'), 'Deployment', 'backend', (d) => (d.spec.replicas = 1));
    expectClean(check, set);
  });

  test('replicas unset (1) with an HPA of minReplicas 1 needs no PDB', () => {
    let set = without(compliantSet(), 'PodDisruptionBudget');
    set = withObject(set, 'Deployment', 'backend', (d) => delete d.spec.replicas);
    set = withObject(set, 'HorizontalPodAutoscaler', 'backend', (h) => delete h.spec.minReplicas);
    expectClean(check, set);
  });

  test('replicas > 1 without a PDB is a finding', () => {
    const set = without(without(compliantSet(), 'PodDisruptionBudget'), 'HorizontalPodAutoscaler');
    expectFinding(check, set, DEPLOY, 'spec.replicas is 2', 'no PodDisruptionBudget of namespace "optibid" selects its pod template labels');
  });

  test('HPA minReplicas > 1 without a PDB is a finding, even with replicas 1', () => {
    const set = withObject(without(compliantSet(), 'PodDisruptionBudget'), 'Deployment', 'backend', (d) => (d.spec.replicas = 1));
    expectFinding(check, set, DEPLOY, 'HorizontalPodAutoscaler "backend" has minReplicas 2', 'no PodDisruptionBudget');
  });

  test('an HPA targeting another kind or namespace does not count', () => {
    const other = hpa('backend', 'elsewhere', 3);
    let set = withObject(without(compliantSet(), 'PodDisruptionBudget'), 'Deployment', 'backend', (d) => (d.spec.replicas = 1));
    set = withObject(set, 'HorizontalPodAutoscaler', 'backend', (h) => (h.spec.scaleTargetRef.kind = 'StatefulSet'));
    expectClean(check, withExtra(set, other));
  });

  test('a StatefulSet with replicas > 1 without a PDB is a finding', () => {
    const sts = deployment('db');
    sts.kind = 'StatefulSet';
    sts.spec.replicas = 3;
    expectFinding(check, withExtra(compliantSet(), sts), ref('StatefulSet', 'db'), 'spec.replicas is 3');
  });

  test('a PDB in another namespace does not count', () => {
    const set = withObject(compliantSet(), 'PodDisruptionBudget', 'backend', (p) => (p.metadata.namespace = 'elsewhere'));
    expectFinding(check, set, DEPLOY, 'no PodDisruptionBudget');
  });

  test('a PDB whose matchLabels are not a subset of the pod labels does not count', () => {
    const set = withObject(compliantSet(), 'PodDisruptionBudget', 'backend', (p) => (p.spec.selector.matchLabels['app.kubernetes.io/component'] = 'worker'));
    expectFinding(check, set, DEPLOY, 'no PodDisruptionBudget');
  });

  test('a PDB without selector selects nothing', () => {
    const set = withObject(compliantSet(), 'PodDisruptionBudget', 'backend', (p) => delete p.spec.selector);
    expectFinding(check, set, DEPLOY, 'no PodDisruptionBudget');
  });

  test('a PDB with an empty selector selects every pod of its namespace', () => {
    expectClean(check, withObject(compliantSet(), 'PodDisruptionBudget', 'backend', (p) => (p.spec.selector = {})));
  });

  describe('matchExpressions', () => {
    const withSelector = (selector: unknown) => withObject(compliantSet(), 'PodDisruptionBudget', 'backend', (p) => (p.spec.selector = selector));

    test.each([
      ['In', { key: 'app.kubernetes.io/component', operator: 'In', values: ['api', 'web'] }],
      ['NotIn', { key: 'app.kubernetes.io/component', operator: 'NotIn', values: ['worker'] }],
      ['NotIn on a missing key', { key: 'tier', operator: 'NotIn', values: ['x'] }],
      ['Exists', { key: 'app.kubernetes.io/name', operator: 'Exists' }],
      ['DoesNotExist', { key: 'canary', operator: 'DoesNotExist' }],
    ])('%s selecting the pods passes', (_name, expression) => {
      expectClean(check, withSelector({ matchLabels: { 'app.kubernetes.io/name': 'backend' }, matchExpressions: [expression] }));
    });

    test.each([
      ['In', { key: 'app.kubernetes.io/component', operator: 'In', values: ['worker'] }],
      ['In on a missing key', { key: 'tier', operator: 'In', values: ['x'] }],
      ['NotIn', { key: 'app.kubernetes.io/component', operator: 'NotIn', values: ['api'] }],
      ['Exists', { key: 'canary', operator: 'Exists' }],
      ['DoesNotExist', { key: 'app.kubernetes.io/name', operator: 'DoesNotExist' }],
      ['an unknown operator', { key: 'app.kubernetes.io/name', operator: 'Gt', values: ['1'] }],
    ])('%s not selecting the pods is a finding', (_name, expression) => {
      expectFinding(check, withSelector({ matchExpressions: [expression] }), DEPLOY, 'no PodDisruptionBudget');
    });
  });

  test('pods selected by two PDBs is a finding (the Eviction API refuses them)', () => {
    const second = pdb('backend-extra');
    second.spec.selector = { matchLabels: { 'app.kubernetes.io/name': 'backend' } };
    expectFinding(check, withExtra(compliantSet(), second), DEPLOY, 'selected by 2 PodDisruptionBudgets (backend, backend-extra)', 'more than one PDB');
  });
});
