import { POLICY_CHECKS } from '../../src/checks/policy';
import { formatFinding } from '@optibid/rendered';
import { compliantSet, withContainer } from './policy-support';


describe('POLICY_CHECKS', () => {
  test('each rule has a unique name (findings are reported as policy/<name>) and a sentence saying why', () => {
    expect(new Set(POLICY_CHECKS.map((c) => c.name)).size).toBe(POLICY_CHECKS.length);
    for (const c of POLICY_CHECKS) expect(c.description.trim().length).toBeGreaterThan(40);
  });

  test('the CPU-limit decision is explained in the resources description', () => {
    expect(POLICY_CHECKS.find((c) => c.name === 'resources')!.description).toMatch(/limits\.cpu.*throttl/);
  });

  test('a fully compliant fixture set produces no finding from any check', () => {
    const findings = POLICY_CHECKS.flatMap((c) => c.run(compliantSet()));
    expect(findings.map(formatFinding)).toEqual([]);
  });

  test('every finding is tagged with the name of the check that raised it', () => {
    const broken = withContainer((c) => {
      c.image = 'backend';
      delete c.resources;
      delete c.readinessProbe;
      delete c.securityContext;
    });
    const findings = POLICY_CHECKS.flatMap((c) => c.run(broken).map((f) => [c.name, f.rule]));
    expect(findings.length).toBeGreaterThan(5);
    for (const [name, check] of findings) expect(check).toBe(name);
    expect(new Set(findings.map(([n]) => n))).toEqual(new Set(['pss-restricted', 'resources', 'probes', 'pinned-images']));
  });

  test('checks do not mutate their input and tolerate malformed objects', () => {
    const set = compliantSet();
    const before = JSON.stringify(set);
    for (const c of POLICY_CHECKS) c.run(set);
    expect(JSON.stringify(set)).toBe(before);
    const odd = [
      { env: 'test', file: 'x.yaml', obj: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'optibid' }, spec: { template: { spec: { containers: 'nope', volumes: [null] } } } } },
      { env: 'test', file: 'y.yaml', obj: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'y' }, spec: { containers: [null, { name: 'c', securityContext: null, resources: { requests: 'x' } }] } } },
      { env: 'test', file: 'z.yaml', obj: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'z', namespace: 'optibid' } } },
    ];
    for (const c of POLICY_CHECKS) expect(() => c.run([...set, ...odd] as never)).not.toThrow();
  });
});
