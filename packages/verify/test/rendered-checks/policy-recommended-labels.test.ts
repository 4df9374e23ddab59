import { RECOMMENDED_LABELS, recommendedLabels as check } from '../../src/checks/policy/recommended-labels';
import { compliantSet, expectClean, expectFinding, NS, ref, withObject } from './policy-support';

describe('recommended-labels', () => {
  test('a compliant set passes', () => {
    expectClean(check, compliantSet());
  });

  test.each(RECOMMENDED_LABELS)('a missing %s is a finding', (label) => {
    expectFinding(check, withObject(compliantSet(), 'Service', 'backend', (s) => delete s.metadata.labels[label]), ref('Service', 'backend'), `recommended label(s) ${label}`);
  });

  test.each(RECOMMENDED_LABELS)('an empty %s is a finding', (label) => {
    expectFinding(check, withObject(compliantSet(), 'Service', 'backend', (s) => (s.metadata.labels[label] = ' ')), ref('Service', 'backend'), label);
  });

  test('an object without labels is one finding listing all six', () => {
    const set = withObject(compliantSet(), 'Namespace', NS, (n) => delete n.metadata.labels);
    expectFinding(check, set, ref('Namespace', NS, null), RECOMMENDED_LABELS.join(', '));
  });

  test('every kind is checked, not only workloads', () => {
    for (const kind of ['NetworkPolicy', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'ServiceAccount']) {
      const name = kind === 'NetworkPolicy' ? 'default-deny' : 'backend';
      const set = withObject(compliantSet(), kind, name, (o) => delete o.metadata.labels['app.kubernetes.io/version']);
      expectFinding(check, set, ref(kind, name), 'app.kubernetes.io/version');
    }
  });

  test('pod template labels are not required to carry them', () => {
    expectClean(check, withObject(compliantSet(), 'Deployment', 'backend', (d) => (d.spec.template.metadata.labels = { app: 'backend' })));
  });
});
