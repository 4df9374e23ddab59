import { serviceAccount } from '../../src/checks/policy/service-account';
import { compliantSet, expectClean, expectFinding, ref, serviceAccountObject, withExtra, withObject, withPodSpec, without } from './policy-support';

const check = serviceAccount;
const DEPLOY = ref('Deployment', 'backend');

describe('service-account', () => {
  test('a compliant set passes', () => {
    expectClean(check, compliantSet());
  });

  test('serviceAccountName unset is a finding', () => {
    expectFinding(check, withPodSpec((s) => delete s.serviceAccountName), DEPLOY, 'spec.template.spec.serviceAccountName is not set', 'ServiceAccount "default"');
  });

  test('serviceAccountName default is a finding', () => {
    expectFinding(check, withPodSpec((s) => (s.serviceAccountName = 'default')), DEPLOY, 'spec.template.spec.serviceAccountName is "default"');
  });

  test('a ServiceAccount missing from the object set is a finding', () => {
    expectFinding(check, withPodSpec((s) => (s.serviceAccountName = 'ghost')), DEPLOY, 'serviceAccountName "ghost" names no ServiceAccount of namespace "optibid"');
  });

  test('a ServiceAccount of another namespace does not count', () => {
    const set = withExtra(without(compliantSet(), 'ServiceAccount'), serviceAccountObject('backend', 'elsewhere'));
    expectFinding(check, set, DEPLOY, 'serviceAccountName "backend" names no ServiceAccount of namespace "optibid"');
  });

  test('the CronJob pod template is checked', () => {
    const set = withObject(compliantSet(), 'CronJob', 'report', (c) => delete c.spec.jobTemplate.spec.template.spec.serviceAccountName);
    expectFinding(check, set, ref('CronJob', 'report'), 'spec.jobTemplate.spec.template.spec.serviceAccountName is not set');
  });

  describe('automountServiceAccountToken', () => {
    const podUnset = (set = compliantSet()) => withPodSpec((s) => delete s.automountServiceAccountToken, set);

    test('set on the pod only: passes', () => {
      expectClean(check, withObject(compliantSet(), 'ServiceAccount', 'backend', (sa) => delete sa.automountServiceAccountToken));
    });

    test('set on the ServiceAccount only: passes', () => {
      expectClean(check, podUnset());
    });

    test('set true (explicitly) passes', () => {
      const set = withObject(podUnset(), 'ServiceAccount', 'backend', (sa) => (sa.automountServiceAccountToken = true));
      expectClean(check, set);
    });

    test('set on neither the pod nor the ServiceAccount is a finding', () => {
      const set = withObject(podUnset(), 'ServiceAccount', 'backend', (sa) => delete sa.automountServiceAccountToken);
      expectFinding(check, set, DEPLOY, 'neither spec.template.spec.automountServiceAccountToken nor ServiceAccount "backend"', 'set automountServiceAccountToken explicitly');
    });

    test('unset on a pod whose ServiceAccount is not rendered is a finding', () => {
      const set = podUnset(without(compliantSet(), 'ServiceAccount'));
      expectFinding(check, set, DEPLOY, 'set automountServiceAccountToken explicitly', 'not in the rendered objects');
    });
  });
});
