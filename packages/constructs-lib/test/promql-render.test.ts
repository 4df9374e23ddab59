/** A broken expression in a rule module stops the rule groups (and so the render), naming the group and the alert. */
import { platformRuleGroups } from '../src/k8s/monitoring/rules';

jest.mock('../src/k8s/monitoring/rules/redis', () => ({
  ...jest.requireActual('../src/k8s/monitoring/rules/redis'),
  redisRules: () => [{ name: 'redis', rules: [{ alert: 'RedisDown', expr: 'redis_up{job="redis"} ==', labels: { severity: 'critical' }, annotations: { summary: 's', description: 'd', runbook_url: 'u' } }] }],
}));

test('a broken alert fails the rule groups, naming the group, the alert and the column', () => {
  const ctx = { runbookBase: 'https://example.com/runbooks', namespaces: { app: 'optibid', data: 'optibid-data', monitoring: 'monitoring' }, availabilitySlo: 0.999, latency: { sliSeconds: 0.2, pageSeconds: 2 }, alertmanagerReplicas: 3 } as any;
  expect(() => platformRuleGroups(ctx)).toThrow(/rule group redis, alert RedisDown: column 25: unexpected end of expression in "redis_up\{job=\\"redis\\"\} =="/);
});
