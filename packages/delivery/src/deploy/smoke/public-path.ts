/**
 * Smoke checks through a public host, with a diagnosis of WHERE the path broke when they fail.
 *
 * The path: Route 53 (record written by external-dns) -> ALB (AWS Load Balancer Controller, WAF, ACM certificate)
 * -> NGINX Ingress Controller pods (virtual server per host) -> Service -> pod. One curl per attempt (so the retries
 * in verify.ts and the recording stand-ins work as for every other check) gives everything needed to tell the layers
 * apart: curl's exit code, `-w` write-out variables, the response headers (`-D -`) and the body.
 *
 * Only write-out variables old curls have (http_code, remote_ip, ssl_verify_result, redirect_url, time_connect,
 * time_appconnect: all curl >= 7.29) and `-D -`: the preflight does not pin a curl version, so neither
 * `%header{server}` (7.83) nor `%{errormsg}` (7.75) is used; the Server header is parsed from the -D output and the
 * error message read from stderr (`-sS`).
 *
 * The failure detail starts with `layer=<dns|tls|alb-target|nginx|app>: ` (the first layer that failed, in path
 * order); docs/runbooks/deploy.md "When the smoke tests fail" has the first commands to run for each.
 */
import type { CommandResult, CommandSpec } from '../runner';
import { firstLine } from '../runner';

export const PATH_LAYERS = ['dns', 'tls', 'alb-target', 'nginx', 'app'] as const;
export type PathLayer = (typeof PATH_LAYERS)[number];

export interface Verdict {
  readonly pass: boolean;
  readonly detail: string;
}

/** Separates the response (headers, body) from the write-out on curl's stdout. */
export const WRITE_OUT_MARKER = '@@optibid-smoke@@';
const WRITE_OUT_VARS = ['http_code', 'remote_ip', 'ssl_verify_result', 'redirect_url', 'time_connect', 'time_appconnect'] as const;
/** `\n` is curl's own escape in -w (the argument holds a backslash and an n, not a newline). */
export const WRITE_OUT = `\\n${WRITE_OUT_MARKER}\\n${WRITE_OUT_VARS.map((v) => `${v}=%{${v}}`).join('\\n')}\\n`;

export const CURL_MAX_TIME_S = 10;

/**
 * `curl -sS --max-time 10 -D - -w <write-out> <url>`: no -f (an HTTP error must still show its headers and body),
 * no -L (a redirect is a finding, not something to follow).
 */
export function publicPathCommand(url: string): CommandSpec {
  return { cmd: 'curl', args: ['-sS', '--max-time', String(CURL_MAX_TIME_S), '-D', '-', '-w', WRITE_OUT, url] };
}

export interface CurlProbe {
  readonly exit: number;
  /** The final response's status, undefined when there was none (curl's http_code 000). */
  readonly status?: number;
  /** Response headers of the final response, names lower-cased. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
  readonly remoteIp: string;
  readonly sslVerifyResult: number;
  readonly redirectUrl: string;
  /** Seconds; 0 = never got there. Undefined when curl printed no write-out. */
  readonly timeConnect?: number;
  readonly timeAppConnect?: number;
  /** curl's own error line (`curl: (6) Could not resolve host: ...`), from stderr. */
  readonly error: string;
}

/** Splits curl's stdout (`-D -` headers, body, write-out) and stderr into a probe. */
export function parseCurlProbe(r: CommandResult): CurlProbe {
  const at = r.stdout.lastIndexOf(`${WRITE_OUT_MARKER}\n`);
  const response = at >= 0 ? r.stdout.slice(0, at).replace(/\n$/, '') : r.stdout;
  const vars = new Map<string, string>();
  if (at >= 0)
    for (const line of r.stdout.slice(at + WRITE_OUT_MARKER.length + 1).split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) vars.set(line.slice(0, eq), line.slice(eq + 1).trim());
    }

  // Header blocks (-D -): one per response (a 100 Continue or a proxy CONNECT adds one); the last is the answer.
  let rest = response;
  let statusLine = '';
  let headers = new Map<string, string>();
  while (/^HTTP\/[\d.]+ \d{3}/.test(rest)) {
    const end = rest.search(/\r?\n\r?\n/);
    const block = end >= 0 ? rest.slice(0, end) : rest;
    rest = end >= 0 ? rest.slice(end).replace(/^\r?\n\r?\n/, '') : '';
    const lines = block.split(/\r?\n/);
    statusLine = lines[0];
    headers = new Map();
    for (const l of lines.slice(1)) {
      const colon = l.indexOf(':');
      if (colon > 0) headers.set(l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim());
    }
  }

  const num = (v: string | undefined) => (v === undefined || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));
  const error = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  // Status: the write-out, else the status line, else (a -f run) curl's "The requested URL returned error: 503".
  const code = num(vars.get('http_code')) || num(/^HTTP\/[\d.]+ (\d{3})/.exec(statusLine)?.[1]) || num(/returned error: (\d{3})/.exec(r.stderr)?.[1]);
  return {
    exit: r.code,
    status: code && code > 0 ? code : undefined,
    headers,
    body: rest,
    remoteIp: vars.get('remote_ip') ?? '',
    sslVerifyResult: num(vars.get('ssl_verify_result')) ?? 0,
    redirectUrl: vars.get('redirect_url') ?? '',
    timeConnect: num(vars.get('time_connect')),
    timeAppConnect: num(vars.get('time_appconnect')),
    error: error.find((l) => l.startsWith('curl:')) ?? error[0] ?? '',
  };
}

export interface PublicPathExpectation {
  /** The URL curl was given. */
  readonly url: string;
  /** The in-cluster Service behind the host (named when NGINX cannot reach it), e.g. `optibid/backend:8000`. */
  readonly service: string;
  /** Which statuses count as the app answering correctly (`2xx`, `200`). */
  readonly expect: { readonly describe: string; test(status: number): boolean };
  /** The environment's ALB has an HTTPS listener (edge.certificateArn set); without one only HTTP 80 is open. */
  readonly albHasHttps: boolean;
  /** A check on the body of an accepted response; returns the problem, or undefined when it is fine. */
  readonly body?: (body: string) => string | undefined;
}

/** curl exit codes of a failed TLS handshake or certificate verification. */
const TLS_EXITS = new Set([35, 51, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91]);
/** The error pages NGINX writes itself (server_tokens off: `nginx`; on: `nginx/1.27.3`). */
const NGINX_PAGE = /<center>nginx(\/[\d.]+)?<\/center>/i;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const fail = (layer: PathLayer, what: string): Verdict => ({ pass: false, detail: `layer=${layer}: ${what}` });
const snippet = (body: string) => {
  const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return text === '' ? 'empty body' : `body '${text.length > 120 ? `${text.slice(0, 120)}...` : text}'`;
};

/** Same URL ignoring the scheme (a redirect to itself, or an HTTPS -> HTTP downgrade that comes straight back). */
function sameResource(location: string, url: string): boolean {
  try {
    const a = new URL(location, url);
    const b = new URL(url);
    return a.host === b.host && a.pathname === b.pathname && a.search === b.search;
  } catch {
    return false;
  }
}

/**
 * Diagnoses one curl run of {@link publicPathCommand}, layer by layer in path order, stopping at the first that
 * failed: dns (nothing resolved) -> tls (handshake/verify) -> alb-target (no connection, or the ALB answered itself:
 * no healthy NGINX target, WAF) -> nginx (NGINX answered itself: default server, redirect loop, limits, no upstream)
 * -> app (the app's own answer is not the expected one).
 */
export function diagnosePublicPath(r: CommandResult, e: PublicPathExpectation): Verdict {
  if (r.notFound) return { pass: false, detail: `not diagnosed: curl is not on PATH (${firstLine(r.stderr)}); install curl` };
  const p = parseCurlProbe(r);
  const url = new URL(e.url);
  const host = url.host;
  const https = url.protocol === 'https:';
  const port = url.port || (https ? '443' : '80');
  const err = p.error || `curl exit ${p.exit}`;
  const at = p.remoteIp ? ` at ${p.remoteIp}` : '';

  if (p.status === undefined) {
    // No HTTP response at all: the failure is at or before the load balancer's listener.
    if (p.exit === 6) return fail('dns', `${host} does not resolve (${err}): no Route 53 record yet (external-dns writes it from the edge Ingress) or the zone is not delegated`);
    if (p.exit === 28 && /resolv/i.test(p.error)) return fail('dns', `resolving ${host} timed out (${err})`);
    if (TLS_EXITS.has(p.exit) || (p.exit !== 0 && p.sslVerifyResult !== 0))
      return fail('tls', `TLS handshake/verification with ${host}${at} failed (${err}; ssl_verify_result=${p.sslVerifyResult}): the ALB's ACM certificate must be issued and cover ${host}`);
    if (p.exit === 7 || (p.exit === 28 && p.timeConnect === 0)) {
      const noListener = https && !e.albHasHttps ? `; this environment has no edge.certificateArn, so the ALB listens on HTTP 80 only` : '';
      return fail('alb-target', `${host} resolves${at} but no connection to port ${port} (${err}): the ALB is not provisioned yet, has no listener on ${port}, or the record points at an old load balancer${noListener}`);
    }
    if (p.exit === 28 && https && p.timeAppConnect === 0) return fail('tls', `TLS handshake with ${host}${at} timed out (${err})`);
    if (p.exit === 52 || p.exit === 56) return fail('alb-target', `the connection to ${host}${at} closed without an HTTP response (${err})`);
    if (p.exit === 28)
      return fail('app', `connected to ${host}${at} but no response within ${CURL_MAX_TIME_S} s (${err}): a hung upstream (the ALB and NGINX wait for ${e.service} longer than this check)`);
    return { pass: false, detail: `not diagnosed: no HTTP response (${err})` };
  }

  const status = p.status;
  const server = p.headers.get('server') ?? '';
  const location = p.headers.get('location') ?? p.redirectUrl;
  const seen = `HTTP ${status}${server ? ` (server: ${server})` : ''}${at}`;

  // The ALB answering itself (awselb/2.0): the request never reached NGINX.
  if (/^awselb/i.test(server) || (server === '' && [502, 503, 504].includes(status))) {
    const from = server ? 'from the ALB' : 'with no Server header (taken to be the ALB)';
    if (status === 503) return fail('alb-target', `${seen} ${from}: no healthy NGINX target: check the target group health / NGINX pods (ALB health check HTTP /nginx-health:80)`);
    if (status === 502) return fail('alb-target', `${seen} ${from}: the target (an NGINX pod) refused or reset the connection or sent a malformed response: NGINX pods restarting, or the target port is wrong`);
    if (status === 504) return fail('alb-target', `${seen} ${from}: the target (an NGINX pod) did not answer in time: security group or NetworkPolicy between the ALB and the NGINX pods`);
    if (status === 403) return fail('alb-target', `${seen} from the ALB: blocked by the WAF web ACL (rate rule or a managed rule) or an ALB listener rule`);
    return fail('alb-target', `${seen} from the ALB itself (fixed response or redirect): the listener did not forward to NGINX`);
  }

  // NGINX answering itself (its own error page or redirect): the request never reached the app.
  const nginxPage = NGINX_PAGE.test(p.body);
  if (REDIRECTS.has(status) && location && sameResource(location, e.url))
    return fail('nginx', `${seen}: redirect loop: ${e.url} redirects to ${location} (NGINX redirects to HTTPS from X-Forwarded-Proto: it does not see 'https' from the ALB)`);
  if (status === 413) return fail('nginx', `${seen}: request entity too large (NGINX client_max_body_size)`);
  if (status === 429) return fail('nginx', `${seen}: rate limited (NGINX limit_req for this host/path; or the WAF/client IP is shared)`);
  if (nginxPage) {
    if (status === 404)
      return fail('nginx', `${seen} from NGINX's default server: no virtual server / location for ${host}${url.pathname} (the Ingress for ${host} is missing, not accepted by the NGINX Ingress Controller, or lacks the path)`);
    if (status === 400 && /plain HTTP request was sent to HTTPS port/i.test(p.body))
      return fail('nginx', `${seen}: the ALB sends plain HTTP to an NGINX HTTPS port (target port / backend protocol mismatch)`);
    if ([502, 503, 504].includes(status))
      return fail('nginx', `${seen} from NGINX: NGINX got no answer from ${e.service} (no ready endpoints, pods refusing connections, or an upstream timeout; a 503 can also be an NGINX rate limit)`);
    if (REDIRECTS.has(status)) return fail('nginx', `${seen}: NGINX redirects ${e.url} to ${location || '(no Location)'}`);
    return fail('nginx', `${seen}: NGINX answered itself (${snippet(p.body)})`);
  }

  // The app's own answer.
  if (!e.expect.test(status)) {
    const where = REDIRECTS.has(status) ? ` to ${location || '(no Location)'}` : '';
    return fail('app', `${seen}${where} from ${e.service}, expected ${e.expect.describe} (${snippet(p.body)})`);
  }
  if (p.exit !== 0) return fail('app', `${seen} from ${e.service} but the transfer did not complete (${err})`);
  const bodyProblem = e.body?.(p.body);
  if (bodyProblem) return fail('app', `${seen} from ${e.service} but ${bodyProblem}`);
  return { pass: true, detail: `HTTP ${status}${at}` };
}

export const expect2xx = { describe: '2xx', test: (s: number) => s >= 200 && s < 300 };
export const expect200 = { describe: '200', test: (s: number) => s === 200 };
