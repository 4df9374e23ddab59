import { assertPromql, PromqlError, promqlProblems } from '../src/k8s/monitoring/promql';
import { dashboardFiles } from '../src/k8s/monitoring/dashboards';
import { platformRuleGroups } from '../src/k8s/monitoring/rules';

describe('PromQL at render time, with the Prometheus grammar (@prometheus-io/lezer-promql)', () => {
  test('well-formed expressions parse; Grafana interval variables are read as durations', () => {
    expect(promqlProblems('sum by (le) (rate(http_request_duration_seconds_bucket{job="backend"}[5m])) > 0.5')).toEqual([]);
    expect(promqlProblems('rate(x[$__rate_interval])', { grafana: true })).toEqual([]);
    expect(promqlProblems('rate(x[$__rate_interval])')).not.toEqual([]);
  });

  test.each([
    ['rate(x[5m]', /column 11: unexpected end of expression/],
    ['sum(x) by', /unexpected end of expression/],
    ['up ==', /unexpected end of expression/],
    ['min(redis_cluster_state{job="redis"} < 1', /column/],
    ['   ', /empty expression/],
  ])('%j is refused with where it breaks', (expr, message) => {
    expect(promqlProblems(expr).join('; ')).toMatch(message);
  });

  test('a broken expression fails naming the rule, every broken one listed', () => {
    expect(() => assertPromql([{ where: 'rule group a, alert A', expr: 'up ==' }, { where: 'rule group b, record b:x', expr: 'sum(' }, { where: 'ok', expr: 'up' }])).toThrow(PromqlError);
    try {
      assertPromql([{ where: 'rule group a, alert A', expr: 'up ==' }, { where: 'rule group b, record b:x', expr: 'sum(' }]);
    } catch (err) {
      expect((err as PromqlError).problems).toEqual([expect.stringMatching(/^rule group a, alert A: column 6: /), expect.stringMatching(/^rule group b, record b:x: /)]);
    }
  });

  const namespaces = { app: 'optibid', data: 'optibid-data', monitoring: 'monitoring' };

  test('every rule and dashboard query of the platform parses (the check runs on the real rules and panels)', () => {
    expect(platformRuleGroups({ runbookBase: 'https://example.com/runbooks', namespaces, availabilitySlo: 0.999, latency: { sliSeconds: 0.2, pageSeconds: 2 }, alertmanagerReplicas: 3 } as any).length).toBeGreaterThan(0);
    const files = Object.keys(dashboardFiles({ namespaces, availabilitySlo: 0.999, latencySliSeconds: 0.2 } as any));
    expect(files.length).toBeGreaterThan(0);
  });
});
