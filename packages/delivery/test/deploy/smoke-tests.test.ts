import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import { readSmokeFacts } from '../../src/deploy/dist-facts';
import { compareTrees } from '../../src/deploy/freshness';
import { WRITE_OUT_MARKER } from '../../src/deploy/smoke/public-path';
import { buildSmokeChecks, judgePrometheusTargets } from '../../src/deploy/smoke-tests';
import { REPO_ROOT } from './stand-ins';

const config = loadEnvironment('production');
const names = platformNames(config);
const dist = path.join(REPO_ROOT, 'dist/k8s/production');
const result = (stdout: string, code = 0) => ({ code, stdout, stderr: '', notFound: false });
/** What `curl -sS -D - -w <write-out>` prints for a response (see smoke/public-path.ts). */
const curlOut = (status: number, server: string, body: string) =>
  `HTTP/2 ${status}\r\nserver: ${server}\r\ncontent-type: text/html\r\n\r\n${body}\n${WRITE_OUT_MARKER}\nhttp_code=${status}\nremote_ip=203.0.113.10\nssl_verify_result=0\nredirect_url=\ntime_connect=0.01\ntime_appconnect=0.03\n`;

describe('smoke tests', () => {
  test('facts come from the rendered YAML: probe paths, container names, the Redis ACL file and user', () => {
    const facts = readSmokeFacts(dist, names);
    expect(facts.backendProbes).toEqual({ ok: true, value: { liveness: '/healthz', readiness: '/readyz' } });
    expect(facts.pgbouncerContainer).toEqual({ ok: true, value: 'pgbouncer' });
    expect(facts.redisAuth).toEqual({ ok: true, value: { container: 'redis', aclFile: '/etc/redis/acl/users.acl', user: 'exporter' } });
    expect(facts.prometheusContainer).toEqual({ ok: true, value: 'prometheus' });
  });

  test('a fact missing from dist/ makes its check fail with the reason instead of crashing', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-'));
    const checks = buildSmokeChecks(config, names, readSmokeFacts(empty, names), names.clusterArn);
    fs.rmSync(empty, { recursive: true });
    const unbuilt = checks.filter((c) => !c.command);
    expect(unbuilt.map((c) => c.name)).toEqual(['backend liveness and readiness', expect.stringContaining('PgBouncer'), expect.stringContaining('Redis'), expect.stringContaining('Prometheus')]);
    expect(unbuilt[0].judge(result('')).detail).toContain('deployment-backend.yaml');
  });

  test('verdicts', () => {
    const checks = buildSmokeChecks(config, names, readSmokeFacts(dist, names), names.clusterArn);
    const byName = (s: string) => checks.find((c) => c.name.includes(s))!;
    expect(byName('frontend').judge(result(curlOut(200, 'nginx', '<!doctype html><title>OptiBid</title>'))).pass).toBe(true);
    expect(byName('frontend').judge(result(curlOut(503, 'awselb/2.0', '<html>503</html>'))).pass).toBe(false);
    expect(byName('frontend').judge(result('503', 22)).pass).toBe(false);
    expect(byName('frontend').judge(result('200')).pass).toBe(false); // no headers, no write-out: not a response
    expect(byName('Redis').judge(result('cluster_state:ok\ncluster_slots_assigned:16384\n')).pass).toBe(true);
    expect(byName('Redis').judge(result('cluster_state:fail\n'))).toEqual({ pass: false, detail: 'cluster_state:fail' });
    expect(byName('readiness').judge({ code: 22, stdout: '', stderr: 'curl: (22) The requested URL returned error: 503', notFound: false }).pass).toBe(false);
    // The Redis password never appears in the command line (REDISCLI_AUTH from the mounted ACL file, not -a).
    expect(byName('Redis').command!.args.join(' ')).not.toMatch(/ -a /);
  });

  test('Prometheus targets: every active target up, down ones named by job/instance', () => {
    const body = (targets: object[]) => JSON.stringify({ status: 'success', data: { activeTargets: targets } });
    expect(judgePrometheusTargets(body([{ labels: { job: 'a', instance: 'i:1' }, health: 'up' }])).pass).toBe(true);
    const down = judgePrometheusTargets(
      body([
        { labels: { job: 'a', instance: 'i:1' }, health: 'up' },
        { labels: { job: 'redis', instance: 'redis-2:9121' }, health: 'down', lastError: 'connection refused' },
        { labels: { job: 'pgbouncer', instance: '10.0.0.1:9127' }, health: 'unknown' },
      ]),
    );
    expect(down).toEqual({ pass: false, detail: '2 of 3 targets not up: redis/redis-2:9121 (down: connection refused); pgbouncer/10.0.0.1:9127 (unknown)' });
    expect(judgePrometheusTargets(body([])).pass).toBe(false);
    expect(judgePrometheusTargets('<html>').pass).toBe(false);
  });
});

describe('dist/ freshness comparison', () => {
  test('lists differing, missing and extra files byte for byte', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fresh-'));
    const write = (rel: string, content: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), content);
    };
    write('rendered/k8s/dev/a.yaml', 'a');
    write('rendered/k8s/dev/b.yaml', 'b');
    write('rendered/cloudformation/dev/s.json', '{}');
    write('dist/k8s/dev/a.yaml', 'a');
    write('dist/k8s/dev/c.yaml', 'c');
    write('dist/cloudformation/dev/s.json', '{ }');
    expect(compareTrees(path.join(root, 'rendered'), path.join(root, 'dist'))).toEqual([
      'dist/cloudformation/dev/s.json (differs)',
      'dist/k8s/dev/b.yaml (missing from dist/)',
      'dist/k8s/dev/c.yaml (in dist/ but not rendered by the source)',
    ]);
    fs.rmSync(root, { recursive: true });
  });
});
