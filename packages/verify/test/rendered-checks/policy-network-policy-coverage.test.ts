import { networkPolicyCoverage } from '../../src/checks/policy/network-policy-coverage';
import { allowPolicy, compliantSet, defaultDenyPolicy, deployment, expectClean, expectFinding, NS, ref, withExtra, withObject, without } from './policy-support';

const check = networkPolicyCoverage;
const DEPLOY = ref('Deployment', 'backend');
const NAMESPACE = ref('Namespace', NS, null);

describe('network-policy-coverage', () => {
  test('a compliant set passes', () => {
    expectClean(check, compliantSet());
  });

  describe('every pod template is selected by a NetworkPolicy', () => {
    test('selected by the empty podSelector of the default-deny policy only: passes', () => {
      expectClean(check, without(compliantSet(), 'NetworkPolicy', 'backend'));
    });

    test('selected by a matchExpressions policy: no pod finding', () => {
      const denyIngress = defaultDenyPolicy();
      denyIngress.metadata.name = 'deny-ingress';
      denyIngress.spec.policyTypes = ['Ingress'];
      const denyEgress = defaultDenyPolicy();
      denyEgress.metadata.name = 'deny-egress';
      denyEgress.spec.podSelector = { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'DoesNotExist' }] };
      const set = withObject(without(compliantSet(), 'NetworkPolicy', 'default-deny'), 'NetworkPolicy', 'backend', (p) => {
        p.spec.podSelector = { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['backend', 'report'] }] };
      });
      const findings = check.run(withExtra(set, denyIngress, denyEgress));
      expect(findings.map((f) => f.message)).toEqual(['namespace "optibid" runs pods but has no default-deny NetworkPolicy for Egress (podSelector {}, policyTypes [Ingress, Egress], no ingress/egress rules)']);
    });

    test('a pod template no NetworkPolicy selects is a finding', () => {
      const lonely = deployment('lonely');
      const set = withExtra(without(compliantSet(), 'NetworkPolicy', 'default-deny'), lonely);
      expectFinding(check, set, ref('Deployment', 'lonely'), 'pod template (labels app.kubernetes.io/name=lonely', 'is not selected by any NetworkPolicy of namespace "optibid"');
    });

    test('a NetworkPolicy of another namespace does not count', () => {
      let set = without(compliantSet(), 'NetworkPolicy', 'default-deny');
      set = withObject(set, 'NetworkPolicy', 'backend', (p) => (p.metadata.namespace = 'elsewhere'));
      expectFinding(check, set, DEPLOY, 'is not selected by any NetworkPolicy');
    });

    test('the CronJob pod template is checked', () => {
      const set = without(compliantSet(), 'NetworkPolicy', 'default-deny');
      expectFinding(check, set, ref('CronJob', 'report'), 'is not selected by any NetworkPolicy');
    });
  });

  describe('every namespace with pods has a default-deny for Ingress and Egress', () => {
    test('two policies, one per direction, pass', () => {
      const ingress = defaultDenyPolicy();
      ingress.metadata.name = 'deny-ingress';
      ingress.spec.policyTypes = ['Ingress'];
      const egress = defaultDenyPolicy();
      egress.metadata.name = 'deny-egress';
      egress.spec.policyTypes = ['Egress'];
      expectClean(check, withExtra(without(compliantSet(), 'NetworkPolicy', 'default-deny'), ingress, egress));
    });

    test('a namespace without pods needs none', () => {
      const set = without(without(without(compliantSet(), 'Deployment'), 'CronJob'), 'NetworkPolicy');
      expectClean(check, set);
    });

    test('no default-deny is a finding on the Namespace', () => {
      const set = without(compliantSet(), 'NetworkPolicy', 'default-deny');
      expectFinding(check, set, NAMESPACE, 'namespace "optibid" runs pods but has no default-deny NetworkPolicy for Ingress and Egress');
    });

    test('no default-deny in a namespace not rendered here is a finding on its first workload', () => {
      const set = withExtra(compliantSet(), deployment('api', 'elsewhere'), allowPolicy('api', 'elsewhere'));
      expectFinding(check, set, ref('Deployment', 'api', 'elsewhere'), 'namespace "elsewhere" runs pods but has no default-deny');
    });

    test('policyTypes without Egress is a finding', () => {
      const set = withObject(compliantSet(), 'NetworkPolicy', 'default-deny', (p) => (p.spec.policyTypes = ['Ingress']));
      expectFinding(check, set, NAMESPACE, 'no default-deny NetworkPolicy for Egress');
    });

    test('policyTypes unset defaults to Ingress only: a finding for Egress', () => {
      const set = withObject(compliantSet(), 'NetworkPolicy', 'default-deny', (p) => delete p.spec.policyTypes);
      expectFinding(check, set, NAMESPACE, 'no default-deny NetworkPolicy for Egress');
    });

    test('policyTypes without Ingress is a finding', () => {
      const set = withObject(compliantSet(), 'NetworkPolicy', 'default-deny', (p) => (p.spec.policyTypes = ['Egress']));
      expectFinding(check, set, NAMESPACE, 'no default-deny NetworkPolicy for Ingress');
    });

    test('a "default-deny" with an egress rule does not deny egress', () => {
      const set = withObject(compliantSet(), 'NetworkPolicy', 'default-deny', (p) => (p.spec.egress = [{ ports: [{ port: 53, protocol: 'UDP' }] }]));
      expectFinding(check, set, NAMESPACE, 'no default-deny NetworkPolicy for Egress');
    });

    test('a "default-deny" with an allow-all ingress rule does not deny ingress', () => {
      const set = withObject(compliantSet(), 'NetworkPolicy', 'default-deny', (p) => (p.spec.ingress = [{}]));
      expectFinding(check, set, NAMESPACE, 'no default-deny NetworkPolicy for Ingress');
    });

    test('empty rule lists still deny', () => {
      expectClean(check, withObject(compliantSet(), 'NetworkPolicy', 'default-deny', (p) => Object.assign(p.spec, { ingress: [], egress: [] })));
    });

    test('a "default-deny" with a non-empty podSelector is not a default-deny', () => {
      const set = withObject(compliantSet(), 'NetworkPolicy', 'default-deny', (p) => (p.spec.podSelector = { matchLabels: { 'app.kubernetes.io/part-of': 'optibid' } }));
      expectFinding(check, set, NAMESPACE, 'no default-deny NetworkPolicy for Ingress and Egress');
    });
  });
});
