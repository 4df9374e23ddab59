/**
 * The public-host smoke checks name the first layer of the path (dns, tls, alb-target, nginx, app) that failed.
 * Each layer's failure is produced by the public-path curl stand-in (public-path-curl.ts) run through the real
 * SpawnRunner with the commands buildSmokeChecks builds; one end-to-end deploy shows the layer in the report; and,
 * where the machine has curl, the real curl's output is parsed the same way.
 */
import { spawnSync } from 'child_process';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { PassThrough } from 'stream';
import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import type { DeployContext } from '../../src/deploy/context';
import { readSmokeFacts } from '../../src/deploy/dist-facts';
import { streamLogger } from '../../src/deploy/log';
import { type CommandResult, type CommandRunner, SpawnRunner } from '../../src/deploy/runner';
import { diagnosePublicPath, expect2xx, parseCurlProbe, publicPathCommand, WRITE_OUT_MARKER } from '../../src/deploy/smoke/public-path';
import { buildSmokeChecks, type SmokeCheck } from '../../src/deploy/smoke-tests';
import { runSmokeTests } from '../../src/deploy/verify';
import { curlEnv, installPublicPathCurl, type Scenario } from './public-path-curl';
import { createStandIns, deployEnv, REPO_ROOT, runDeploy, type StandIns } from './stand-ins';

const ENV = 'production';
const config = loadEnvironment(ENV);
const names = platformNames(config);
const OK_ENV = { STANDIN_KUBE_CONTEXT: names.clusterArn, STANDIN_AWS_ACCOUNT: names.account };
const silent = streamLogger(new PassThrough(), new PassThrough());
const publicChecks = (cfg = config) =>
  buildSmokeChecks(cfg, platformNames(cfg), readSmokeFacts(path.join(REPO_ROOT, `dist/k8s/${cfg.name}`), platformNames(cfg)), platformNames(cfg).clusterArn).filter((c) => c.command?.cmd === 'curl');

let s: StandIns;
beforeEach(() => {
  s = createStandIns();
  installPublicPathCurl(s);
});
afterEach(() => s.cleanup());

/** Runs a check's command with the stand-in curl playing `scenario`, and judges it. */
async function judged(check: SmokeCheck, scenario: Scenario) {
  const runner = new SpawnRunner(REPO_ROOT, silent, deployEnv(s, curlEnv(scenario)));
  return check.judge(await runner.run(check.command!));
}

describe('public-host smoke checks: the failing layer', () => {
  test('there are three, all through the public hosts, one curl each', () => {
    expect(publicChecks().map((c) => c.name)).toEqual([
      'backend liveness (https://api.optibid.energy/healthz)',
      'backend readiness (https://api.optibid.energy/readyz)',
      'frontend page (https://app.optibid.energy/)',
    ]);
    for (const c of publicChecks()) expect(c.command).toEqual(publicPathCommand(c.name.replace(/^.*\((.*)\)$/, '$1')));
  });

  test("the default stand-in curl (stand-ins.ts) answers like the app behind NGINX: all pass", async () => {
    const plain = createStandIns();
    try {
      const runner = new SpawnRunner(REPO_ROOT, silent, deployEnv(plain));
      for (const c of publicChecks()) expect(c.judge(await runner.run(c.command!))).toEqual({ pass: true, detail: 'HTTP 200 at 203.0.113.10' });
    } finally {
      plain.cleanup();
    }
  });

  test('everything answering: all pass', async () => {
    for (const c of publicChecks()) expect(await judged(c, 'ok')).toEqual({ pass: true, detail: 'HTTP 200 at 203.0.113.10' });
  });

  const cases: [Scenario, string, RegExp][] = [
    ['dns', 'dns', /api\.optibid\.energy does not resolve \(curl: \(6\) Could not resolve host: api\.optibid\.energy\)/],
    ['tls', 'tls', /TLS handshake\/verification with api\.optibid\.energy at 203\.0\.113\.10 failed \(curl: \(60\) SSL: no alternative certificate subject name.*ssl_verify_result=62/],
    ['tls-handshake', 'tls', /curl: \(35\)/],
    ['connect-refused', 'alb-target', /resolves at 203\.0\.113\.10 but no connection to port 443/],
    ['alb-503', 'alb-target', /^layer=alb-target: HTTP 503 \(server: awselb\/2\.0\) at 203\.0\.113\.10 from the ALB: no healthy NGINX target: check the target group health \/ NGINX pods/],
    ['alb-502', 'alb-target', /HTTP 502 \(server: awselb\/2\.0\).*refused or reset/],
    ['alb-504', 'alb-target', /HTTP 504 \(server: awselb\/2\.0\).*did not answer in time/],
    ['waf-403', 'alb-target', /HTTP 403 \(server: awselb\/2\.0\).*WAF/],
    ['nginx-404', 'nginx', /HTTP 404 \(server: nginx\).*from NGINX's default server: no virtual server \/ location for api\.optibid\.energy\/readyz/],
    ['nginx-loop', 'nginx', /HTTP 301 \(server: nginx\).*redirect loop: https:\/\/api\.optibid\.energy\/readyz redirects to https:\/\/api\.optibid\.energy\/readyz .*X-Forwarded-Proto/],
    ['nginx-413', 'nginx', /HTTP 413.*client_max_body_size/],
    ['nginx-429', 'nginx', /HTTP 429.*rate limited/],
    ['nginx-502', 'nginx', /HTTP 502 \(server: nginx\).*NGINX got no answer from optibid\/backend:8000/],
    ['app-503', 'app', /HTTP 503 \(server: nginx\).*from optibid\/backend:8000, expected 2xx \(body '\{"status":"not ready","checks":\{"database":"unavailable"\}\}'\)/],
    ['app-500', 'app', /HTTP 500 \(server: nginx\).*from optibid\/backend:8000/],
    ['hang', 'app', /no response within 10 s/],
  ];
  test.each(cases)('%s -> layer=%s', async (scenario, layer, what) => {
    const readiness = publicChecks()[1];
    const v = await judged(readiness, scenario);
    expect(v.pass).toBe(false);
    expect(v.detail.startsWith(`layer=${layer}: `)).toBe(true);
    expect(v.detail).toMatch(what);
  });

  test('the frontend page must have a body; the backend probes need only a 2xx', async () => {
    const [liveness, , frontend] = publicChecks();
    expect(await judged(frontend, 'app-empty')).toEqual({ pass: false, detail: expect.stringMatching(/^layer=app: HTTP 200 \(server: nginx\).*optibid\/frontend:3000 but the page is empty/) });
    expect((await judged(liveness, 'app-empty')).pass).toBe(true);
  });

  test('an environment without edge.certificateArn (dev: ALB on HTTP 80 only) is checked over http, one with it over https', () => {
    const dev = loadEnvironment('dev');
    expect(dev.edge.certificateArn).toBeUndefined();
    const urls = (env: string) => publicChecks(loadEnvironment(env)).map((c) => c.command!.args.find((a: string) => /^https?:\/\//.test(a)));
    expect(urls('dev').every((u) => u!.startsWith('http://'))).toBe(true);
    expect(urls('production').every((u) => u!.startsWith('https://'))).toBe(true);
  });

  test('retries are kept: a host that does not resolve yet, then answers, passes', async () => {
    const results: CommandResult[] = [];
    for (const scenario of ['dns', 'alb-503', 'ok'] as Scenario[]) results.push(await new SpawnRunner(REPO_ROOT, silent, deployEnv(s, curlEnv(scenario))).run(publicChecks()[0].command!));
    const runner: CommandRunner = { run: async () => results.shift()! };
    const sleeps: number[] = [];
    const ctx: DeployContext = { repoRoot: REPO_ROOT, runner, log: silent, config, names, k8sDir: `dist/k8s/${ENV}`, kubeContext: names.clusterArn, rolloutTimeout: '1m', smokeAttempts: 3, sleep: async (ms) => void sleeps.push(ms) };
    expect(await runSmokeTests(ctx, [publicChecks()[0]])).toEqual([{ name: publicChecks()[0].name, pass: true, detail: 'HTTP 200 at 203.0.113.10' }]);
    expect(sleeps).toHaveLength(2);
  });

  test('a failing layer appears in the deploy report; exit 6', () => {
    const run = runDeploy(s, ['--env', ENV, '--yes', '--smoke-attempts', '1'], { ...OK_ENV, ...curlEnv('alb-503', '/readyz$') });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('FAIL smoke: backend readiness (https://api.optibid.energy/readyz): layer=alb-target: HTTP 503 (server: awselb/2.0)');
    expect(run.stderr).toContain('no healthy NGINX target: check the target group health / NGINX pods');
    expect(run.stdout).toContain('PASS smoke: backend liveness (https://api.optibid.energy/healthz): HTTP 200');
    expect(run.stdout).toContain('PASS smoke: frontend page');
  });
});

describe('parsing curl output', () => {
  const probe = (stdout: string, code = 0, stderr = '') => parseCurlProbe({ code, stdout, stderr, notFound: false });

  test('the last header block is the answer (100 Continue first), header names case-insensitive, body kept', () => {
    const p = probe(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nServer: nginx\r\n\r\n<center>nginx</center>\n${WRITE_OUT_MARKER}\nhttp_code=404\nremote_ip=1.2.3.4\n`);
    expect([p.status, p.headers.get('server'), p.body, p.remoteIp]).toEqual([404, 'nginx', '<center>nginx</center>', '1.2.3.4']);
  });

  test('no write-out (a -f style failure): the status comes from the status line or curl\'s error', () => {
    expect(probe('HTTP/2 503\r\nserver: awselb/2.0\r\n\r\n').status).toBe(503);
    expect(probe('', 22, 'curl: (22) The requested URL returned error: 503').status).toBe(503);
    expect(probe(`\n${WRITE_OUT_MARKER}\nhttp_code=000\n`, 6, 'curl: (6) Could not resolve host: x').status).toBeUndefined();
  });

  test('an app redirect elsewhere is the app; one to itself over HTTP is the NGINX loop', () => {
    const e = { url: 'https://app.example.com/', service: 'ns/frontend:3000', expect: expect2xx, albHasHttps: true };
    const out = (loc: string) => ({ code: 0, stdout: `HTTP/2 302\r\nserver: nginx\r\nlocation: ${loc}\r\n\r\n\n${WRITE_OUT_MARKER}\nhttp_code=302\n`, stderr: '', notFound: false });
    expect(diagnosePublicPath(out('/login'), e).detail).toMatch(/^layer=app: HTTP 302 \(server: nginx\) to \/login/);
    expect(diagnosePublicPath(out('http://app.example.com/'), e).detail).toMatch(/^layer=nginx: .*redirect loop/);
  });

  test('a missing curl is not blamed on a layer', () => {
    expect(diagnosePublicPath({ code: 127, stdout: '', stderr: 'curl: not found on PATH', notFound: true }, { url: 'https://a.example.com/', service: 's', expect: expect2xx, albHasHttps: true }).detail).toMatch(/^not diagnosed: curl is not on PATH/);
  });
});

const hasCurl = spawnSync('sh', ['-c', 'command -v curl']).status === 0;
(hasCurl ? describe : describe.skip)('with the real curl (a local server playing the ALB, NGINX and the app)', () => {
  let server: http.Server;
  let base = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/alb-503') res.writeHead(503, { Server: 'awselb/2.0', 'Content-Type': 'text/html' }).end('<html><center><h1>503 Service Temporarily Unavailable</h1></center></html>');
      else if (req.url === '/nginx-404') res.writeHead(404, { Server: 'nginx', 'Content-Type': 'text/html' }).end('<html><center><h1>404 Not Found</h1></center><hr><center>nginx</center></html>');
      else if (req.url === '/loop') res.writeHead(301, { Server: 'nginx', Location: `${base}/loop` }).end('<html><hr><center>nginx</center></html>');
      else res.writeHead(200, { Server: 'nginx', 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/_proxy$/i.test(k)));
  const real = new SpawnRunner(REPO_ROOT, silent, { ...env, NO_PROXY: '*', no_proxy: '*' });
  const diagnose = async (url: string) => diagnosePublicPath(await real.run(publicPathCommand(url)), { url, service: 'optibid/backend:8000', expect: expect2xx, albHasHttps: true });

  test.each([
    ['/healthz', undefined],
    ['/alb-503', 'alb-target'],
    ['/nginx-404', 'nginx'],
    ['/loop', 'nginx'],
  ])('%s', async (p, layer) => {
    const v = await diagnose(`${base}${p}`);
    if (layer === undefined) expect(v).toEqual({ pass: true, detail: 'HTTP 200 at 127.0.0.1' });
    else expect(v.detail.startsWith(`layer=${layer}: `)).toBe(true);
  });

  test('a closed port: no connection (alb-target)', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect((await diagnose(`http://127.0.0.1:${port}/healthz`)).detail).toMatch(/^layer=alb-target: .*no connection to port/);
  });
});
