import { hpaPdbCompat, pdbAllowsDisruption, resolveIntOrPercent } from '../../src/checks/policy/hpa-pdb-compat';
import { compliantSet, expectClean, expectFinding, ref, withObject, without } from './policy-support';

const check = hpaPdbCompat;
const PDB = ref('PodDisruptionBudget', 'backend');

/** The compliant set with the PDB budget replaced and the HPA minReplicas set. */
function setWith(budget: Record<string, unknown>, minReplicas = 2) {
  let set = withObject(compliantSet(), 'PodDisruptionBudget', 'backend', (p) => {
    delete p.spec.maxUnavailable;
    Object.assign(p.spec, budget);
  });
  set = withObject(set, 'HorizontalPodAutoscaler', 'backend', (h) => (h.spec.minReplicas = minReplicas));
  return set;
}

describe('resolveIntOrPercent', () => {
  test.each<[unknown, number, number | undefined]>([
    [1, 3, 1],
    [0, 3, 0],
    ['50%', 3, 2],
    ['34%', 3, 2],
    ['33%', 3, 1],
    ['1%', 2, 1],
    ['0%', 5, 0],
    ['100%', 4, 4],
    ['2', 3, undefined],
    ['x%', 3, undefined],
    [-1, 3, undefined],
    [1.5, 3, undefined],
  ])('%p of %p pods is %p (percentages round up)', (value, pods, expected) => {
    expect(resolveIntOrPercent(value, pods)).toBe(expected);
  });
});

describe('pdbAllowsDisruption', () => {
  test('a PDB with neither field constrains nothing', () => {
    expect(pdbAllowsDisruption({ selector: {} }, 2, 'h')).toEqual({ ok: true });
  });
});

describe('hpa-pdb-compat', () => {
  test('a compliant set (maxUnavailable 1, minReplicas 2) passes', () => {
    expectClean(check, compliantSet());
  });

  test.each<[Record<string, unknown>, number]>([
    [{ minAvailable: 1 }, 2],
    [{ minAvailable: 2 }, 3],
    [{ minAvailable: '50%' }, 3],
    [{ minAvailable: '50%' }, 2],
    [{ maxUnavailable: '25%' }, 2],
    [{ maxUnavailable: '1%' }, 2],
    [{ maxUnavailable: 2 }, 3],
  ])('%p at minReplicas %p allows a disruption', (budget, min) => {
    expectClean(check, setWith(budget, min));
  });

  test.each<[Record<string, unknown>, number, string]>([
    [{ minAvailable: 2 }, 2, 'spec.minAvailable 2 keeps 2 pod(s) available at HorizontalPodAutoscaler "backend" minReplicas 2'],
    [{ minAvailable: 3 }, 2, 'spec.minAvailable 3 keeps 3 pod(s)'],
    [{ minAvailable: '100%' }, 3, 'spec.minAvailable "100%" keeps 3 pod(s)'],
    [{ minAvailable: '60%' }, 2, 'spec.minAvailable "60%" keeps 2 pod(s)'],
    [{ minAvailable: 1 }, 1, 'spec.minAvailable 1 keeps 1 pod(s) available at HorizontalPodAutoscaler "backend" minReplicas 1'],
  ])('%p at minReplicas %p is a finding: HPA minReplicas must be above what the PDB keeps', (budget, min, fragment) => {
    expectFinding(check, setWith(budget, min), PDB, fragment, 'HPA minReplicas must be above what the PDB keeps', '(Deployment "backend")');
  });

  test.each<[Record<string, unknown>, string]>([
    [{ maxUnavailable: 0 }, 'spec.maxUnavailable 0 resolves to 0'],
    [{ maxUnavailable: '0%' }, 'spec.maxUnavailable "0%" resolves to 0'],
  ])('%p is a finding: maxUnavailable must be >= 1', (budget, fragment) => {
    expectFinding(check, setWith(budget), PDB, fragment, 'maxUnavailable must be >= 1');
  });

  test('minReplicas unset defaults to 1', () => {
    const set = withObject(setWith({ minAvailable: 1 }), 'HorizontalPodAutoscaler', 'backend', (h) => delete h.spec.minReplicas);
    expectFinding(check, set, PDB, 'minReplicas 1');
  });

  test('an invalid or contradictory budget is a finding', () => {
    expectFinding(check, setWith({ minAvailable: '1' }), PDB, 'spec.minAvailable "1" is neither a non-negative integer nor a percentage');
    expectFinding(check, setWith({ maxUnavailable: 'half' }), PDB, 'spec.maxUnavailable "half" is neither');
    expectFinding(check, setWith({ minAvailable: 1, maxUnavailable: 1 }), PDB, 'sets both minAvailable and maxUnavailable');
  });

  test('without HPA, or with a PDB that does not select the pods, there is nothing to check', () => {
    expectClean(check, without(setWith({ minAvailable: 2 }), 'HorizontalPodAutoscaler'));
    const unrelated = withObject(setWith({ minAvailable: 2 }), 'PodDisruptionBudget', 'backend', (p) => (p.spec.selector.matchLabels = { 'app.kubernetes.io/name': 'other' }));
    expectClean(check, unrelated);
  });

  test('an HPA whose target is not rendered, or lives in another namespace, is skipped', () => {
    expectClean(check, withObject(setWith({ minAvailable: 2 }), 'HorizontalPodAutoscaler', 'backend', (h) => (h.spec.scaleTargetRef.name = 'ghost')));
    expectClean(check, withObject(setWith({ minAvailable: 2 }), 'HorizontalPodAutoscaler', 'backend', (h) => (h.metadata.namespace = 'elsewhere')));
  });
});
