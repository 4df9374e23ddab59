/**
 * A recording stand-in for curl that answers like the real curl does on each layer of the public path (Route 53 ->
 * ALB -> NGINX -> app), for the smoke tests' layer diagnosis. Not a real tool.
 *
 * `installPublicPathCurl(standIns)` replaces the curl of createStandIns() (stand-ins.ts) in its bin directory. It
 * records each call in the same JSON-lines log, honours STANDIN_FAIL / STANDIN_FAIL_COUNT / STANDIN_FAIL_EXIT like the
 * other stand-ins, and otherwise answers from a scenario:
 *
 *   STANDIN_CURL_SCENARIO=<name>   what the path does (see SCENARIOS; default 'ok')
 *   STANDIN_CURL_MATCH=<regex>     ... only for URLs matching this (the others get 'ok'); default: every URL
 *
 * Like curl it honours `-D -` (response headers to stdout, CRLF), `-o <file>` (body not on stdout) and `-w <format>`
 * (the %{variables} the smoke tests use, `\n` escapes; written after the body, also when the transfer failed), and
 * writes `curl: (<exit>) <message>` to stderr on failure.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { StandIns } from './stand-ins';

/** Each scenario as curl would see it: a transfer error (exit, message) and/or a response. */
export const SCENARIOS = {
  ok: { status: 200, headers: { Server: 'nginx', 'Content-Type': 'text/html', 'Strict-Transport-Security': 'max-age=31536000' }, body: '<!doctype html><title>OptiBid</title>ok\n' },
  dns: { exit: 6, message: 'Could not resolve host: {host}' },
  tls: { exit: 60, remoteIp: '203.0.113.10', sslVerify: 62, time: 0.01, message: "SSL: no alternative certificate subject name matches target host name '{host}'" },
  'tls-handshake': { exit: 35, remoteIp: '203.0.113.10', time: 0.01, message: 'OpenSSL/3.0.13: error:0A000410:SSL routines::sslv3 alert handshake failure' },
  'connect-refused': { exit: 7, remoteIp: '203.0.113.10', message: "Failed to connect to {host} port 443 after 11 ms: Couldn't connect to server" },
  'alb-503': { status: 503, headers: { Server: 'awselb/2.0', 'Content-Type': 'text/html' }, body: '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n' },
  'alb-502': { status: 502, headers: { Server: 'awselb/2.0', 'Content-Type': 'text/html' }, body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n' },
  'alb-504': { status: 504, headers: { Server: 'awselb/2.0', 'Content-Type': 'text/html' }, body: '<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n' },
  'waf-403': { status: 403, headers: { Server: 'awselb/2.0', 'Content-Type': 'text/html' }, body: '<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n</body>\r\n</html>\r\n' },
  'nginx-404': { status: 404, headers: { Server: 'nginx', 'Content-Type': 'text/html' }, body: '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n' },
  'nginx-loop': { status: 301, headers: { Server: 'nginx', Location: '{url}', 'Content-Type': 'text/html' }, body: '<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n' },
  'nginx-413': { status: 413, headers: { Server: 'nginx', 'Content-Type': 'text/html' }, body: '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n' },
  'nginx-429': { status: 429, headers: { Server: 'nginx', 'Content-Type': 'text/html' }, body: '<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n' },
  'nginx-502': { status: 502, headers: { Server: 'nginx', 'Content-Type': 'text/html' }, body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n' },
  'app-503': { status: 503, headers: { Server: 'nginx', 'Content-Type': 'application/json' }, body: '{"status":"not ready","checks":{"database":"unavailable"}}' },
  'app-500': { status: 500, headers: { Server: 'nginx', 'Content-Type': 'application/json' }, body: '{"detail":"Internal Server Error"}' },
  'app-empty': { status: 200, headers: { Server: 'nginx', 'Content-Type': 'text/html' }, body: '' },
  hang: { exit: 28, remoteIp: '203.0.113.10', time: 0.02, message: 'Operation timed out after 10001 milliseconds with 0 bytes received' },
} as const;
export type Scenario = keyof typeof SCENARIOS;

const SOURCE = String.raw`
'use strict';
// Recording stand-in for curl, not the real tool (see packages/delivery/test/deploy/public-path-curl.ts).
const fs = require('fs');
const argv = process.argv.slice(2);
const env = process.env;
const logFile = env.STANDIN_LOG;
const line = ['curl', ...argv].join(' ');
const rec = { tool: 'curl', argv, env: { KUBECTL_APPLYSET: env.KUBECTL_APPLYSET === undefined ? null : env.KUBECTL_APPLYSET }, files: [] };
let told = false;
if (env.STANDIN_FAIL && new RegExp(env.STANDIN_FAIL).test(line)) {
  const max = env.STANDIN_FAIL_COUNT ? Number(env.STANDIN_FAIL_COUNT) : Infinity;
  const counter = logFile + '.failcount';
  const n = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
  if (n < max) { told = true; fs.writeFileSync(counter, String(n + 1)); rec.failed = true; }
}
fs.appendFileSync(logFile, JSON.stringify(rec) + '\n');
if (told) { process.stderr.write('stand-in curl: told to fail (STANDIN_FAIL matched)\n'); process.exit(Number(env.STANDIN_FAIL_EXIT || 1)); }

const opt = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const url = argv[argv.length - 1];
const host = new URL(url).host;
const scenarios = __SCENARIOS__;
const chosen = !env.STANDIN_CURL_MATCH || new RegExp(env.STANDIN_CURL_MATCH).test(url) ? env.STANDIN_CURL_SCENARIO || 'ok' : 'ok';
const sc = scenarios[chosen];
if (!sc) { process.stderr.write('stand-in curl: unknown STANDIN_CURL_SCENARIO ' + chosen + '\n'); process.exit(2); }
const fill = (s) => String(s).split('{host}').join(host).split('{url}').join(url);

let stdout = '';
if (sc.status) {
  const head = ['HTTP/1.1 ' + sc.status + ' X', ...Object.entries(sc.headers || {}).map(([k, v]) => k + ': ' + fill(v)), 'Content-Length: ' + Buffer.byteLength(sc.body || '')];
  if (opt('-D') === '-') stdout += head.join('\r\n') + '\r\n\r\n';
  const out = opt('-o');
  if (out === undefined) stdout += sc.body || '';
  else if (out !== '/dev/null') fs.writeFileSync(out, sc.body || '');
}
const location = sc.headers && sc.headers.Location ? fill(sc.headers.Location) : '';
const connected = sc.status || sc.time ? 0.012 : 0;
const vars = {
  http_code: String(sc.status || 0).padStart(3, '0'),
  remote_ip: sc.status ? '203.0.113.10' : sc.remoteIp || '',
  ssl_verify_result: String(sc.sslVerify || 0),
  redirect_url: location,
  time_connect: connected.toFixed(6),
  time_appconnect: (sc.status || (sc.time && sc.exit !== 60 && sc.exit !== 35) ? 0.034 : 0).toFixed(6),
};
const w = opt('-w');
if (w !== undefined) stdout += w.replace(/\\n/g, '\n').replace(/%\{(\w+)\}/g, (m, v) => (v in vars ? vars[v] : ''));
process.stdout.write(stdout);
if (sc.exit) { process.stderr.write('curl: (' + sc.exit + ') ' + fill(sc.message) + '\n'); process.exit(sc.exit); }
`;

/** Replaces the stand-in curl in `standIns.binDir` with the public-path one. */
export function installPublicPathCurl(standIns: StandIns): void {
  fs.writeFileSync(path.join(standIns.binDir, 'curl'), `#!${process.execPath}\n${SOURCE.replace('__SCENARIOS__', JSON.stringify(SCENARIOS))}`, { mode: 0o755 });
}

/** The environment (for deployEnv / runDeploy) that makes the public-path curl play `scenario`, for URLs matching `match`. */
export function curlEnv(scenario: Scenario, match?: string): Record<string, string> {
  return { STANDIN_CURL_SCENARIO: scenario, ...(match ? { STANDIN_CURL_MATCH: match } : {}) };
}
