/**
 * The smoke tests after a deploy: each a named check, one command (curl or kubectl, never in-process HTTP, so tests
 * can stand the tools in) and a verdict on its result. Building and judging are pure; verify.ts runs them.
 */
import type { EnvironmentConfig, PlatformNames } from '@optibid/constructs-lib';
import { kubectl } from './commands';
import type { SmokeFacts } from './dist-facts';
import type { CommandResult, CommandSpec } from './runner';
import { firstLine, shellQuote } from './runner';
import type { Verdict } from './smoke/public-path';
import { diagnosePublicPath, expect200, expect2xx, publicPathCommand } from './smoke/public-path';

export type { Verdict } from './smoke/public-path';

export interface SmokeCheck {
  readonly name: string;
  /** Undefined when the check could not be built from the rendered YAML (then it fails with `problem`). */
  readonly command: CommandSpec | undefined;
  readonly problem?: string;
  judge(result: CommandResult): Verdict;
}

/** kubectl exec has no timeout of its own for the remote command; a hung exec must not hang the deploy. */
const EXEC_TIMEOUT_MS = 60_000;

const exitedZero = (what: string) => (r: CommandResult): Verdict =>
  r.code === 0 ? { pass: true, detail: what } : { pass: false, detail: `exit ${r.code}: ${firstLine(r.stderr) || firstLine(r.stdout) || 'no output'}` };

/** Prometheus `/api/v1/targets?state=active` JSON: pass when every active target is up; names the others. */
export function judgePrometheusTargets(stdout: string): Verdict {
  let body: { status?: string; data?: { activeTargets?: { labels?: Record<string, string>; scrapePool?: string; health?: string; lastError?: string }[] } };
  try {
    body = JSON.parse(stdout);
  } catch {
    return { pass: false, detail: `not a Prometheus targets response: ${firstLine(stdout).slice(0, 120) || 'empty'}` };
  }
  const targets = body.data?.activeTargets;
  if (body.status !== 'success' || !targets) return { pass: false, detail: `Prometheus answered status '${body.status ?? 'none'}'` };
  if (targets.length === 0) return { pass: false, detail: 'no active targets (Prometheus scrapes nothing, not even itself)' };
  const down = targets.filter((t) => t.health !== 'up');
  if (down.length === 0) return { pass: true, detail: `${targets.length} active targets, all up` };
  const describe = (t: (typeof targets)[number]) =>
    `${t.labels?.job ?? t.scrapePool ?? '?'}/${t.labels?.instance ?? '?'} (${t.health ?? 'unknown'}${t.lastError ? `: ${t.lastError}` : ''})`;
  return { pass: false, detail: `${down.length} of ${targets.length} targets not up: ${down.map(describe).join('; ')}` };
}

export function buildSmokeChecks(config: EnvironmentConfig, names: PlatformNames, facts: SmokeFacts, context: string): SmokeCheck[] {
  const s = names.services;
  const checks: SmokeCheck[] = [];
  const unbuildable = (name: string, problem: string): SmokeCheck => ({
    name,
    command: undefined,
    problem,
    judge: () => ({ pass: false, detail: `cannot build the check from dist/: ${problem}` }),
  });

  // Backend liveness and readiness and the frontend page, from outside, through the public hosts (Route 53, ALB/WAF,
  // NGINX, Service, pod). A failure names the first layer of that path that broke (smoke/public-path.ts).
  const albHasHttps = config.edge.certificateArn !== undefined;
  const through = (url: string, service: { namespace: string; name: string; port: number }, expect: typeof expect2xx, body?: (b: string) => string | undefined): Pick<SmokeCheck, 'command' | 'judge'> => ({
    command: publicPathCommand(url),
    judge: (r) => diagnosePublicPath(r, { url, service: `${service.namespace}/${service.name}:${service.port}`, expect, albHasHttps, body }),
  });
  // The scheme the ALB serves: HTTPS with an ACM certificate; dev has none and listens on HTTP only (EdgeIngress).
  const scheme = config.edge.certificateArn ? 'https' : 'http';
  const api = `${scheme}://${config.ingress.apiHost}`;
  if (facts.backendProbes.ok) {
    const { liveness, readiness } = facts.backendProbes.value;
    checks.push({ name: `backend liveness (${api}${liveness})`, ...through(`${api}${liveness}`, s.backend, expect2xx) });
    checks.push({ name: `backend readiness (${api}${readiness})`, ...through(`${api}${readiness}`, s.backend, expect2xx) });
  } else {
    checks.push(unbuildable('backend liveness and readiness', facts.backendProbes.problem));
  }

  const app = `${scheme}://${config.ingress.appHost}/`;
  checks.push({ name: `frontend page (${app})`, ...through(app, s.frontend, expect200, (b) => (b.trim() === '' ? 'the page is empty' : undefined)) });

  // PgBouncer, from inside its own pod over loopback. The network policies admit only the backend to PgBouncer
  // (and PostgreSQL's egress reaches only PostgreSQL), so pg_isready from the postgres pod to the pgbouncer Service
  // would always time out; loopback is not subject to NetworkPolicy. The image ships the PostgreSQL client tools.
  const dbName = `database through PgBouncer (${s.pgbouncer.namespace}/${s.pgbouncer.name}:${s.pgbouncer.port}, database ${names.database.name})`;
  if (facts.pgbouncerContainer.ok) {
    checks.push({
      name: dbName,
      command: kubectl(
        context,
        ['exec', '-n', s.pgbouncer.namespace, `deployment/${s.pgbouncer.name}`, '-c', facts.pgbouncerContainer.value, '--', 'pg_isready', '-h', '127.0.0.1', '-p', String(s.pgbouncer.port), '-d', names.database.name],
        { timeoutMs: EXEC_TIMEOUT_MS },
      ),
      judge: exitedZero('accepting connections'),
    });
  } else {
    checks.push(unbuildable(dbName, facts.pgbouncerContainer.problem));
  }

  const redisPod = `${s.redis.name}-0`;
  const redisName = `Redis cluster state (${s.redis.namespace}/${redisPod})`;
  if (facts.redisAuth.ok) {
    const { container, aclFile, user } = facts.redisAuth.value;
    // The password goes through REDISCLI_AUTH (not -a), so it is never in a process list or in this log.
    const u = shellQuote(user);
    const script = `REDISCLI_AUTH="$(awk -v u=${u} '$1 == "user" && $2 == u { sub(/^>/, "", $4); print $4; exit }' ${shellQuote(aclFile)})" redis-cli --user ${u} cluster info`;
    checks.push({
      name: redisName,
      command: kubectl(context, ['exec', '-n', s.redis.namespace, redisPod, '-c', container, '--', 'sh', '-c', script], { timeoutMs: EXEC_TIMEOUT_MS }),
      judge: (r) => {
        if (r.code !== 0) return { pass: false, detail: `exit ${r.code}: ${firstLine(r.stderr) || firstLine(r.stdout)}` };
        if (/^cluster_state:ok\s*$/m.test(r.stdout)) return { pass: true, detail: 'cluster_state:ok' };
        const state = /^cluster_state:(\S+)/m.exec(r.stdout)?.[1];
        return { pass: false, detail: state ? `cluster_state:${state}` : `no cluster_state in: ${firstLine(r.stdout) || 'empty output'}` };
      },
    });
  } else {
    checks.push(unbuildable(redisName, facts.redisAuth.problem));
  }

  const promPod = `${s.prometheus.name}-0`;
  const promName = `Prometheus targets (${s.prometheus.namespace}/${promPod})`;
  if (facts.prometheusContainer.ok) {
    checks.push({
      name: promName,
      command: kubectl(
        context,
        ['exec', '-n', s.prometheus.namespace, promPod, '-c', facts.prometheusContainer.value, '--', 'wget', '-qO-', `http://localhost:${s.prometheus.port}/api/v1/targets?state=active`],
        { timeoutMs: EXEC_TIMEOUT_MS },
      ),
      judge: (r) => (r.code === 0 ? judgePrometheusTargets(r.stdout) : { pass: false, detail: `exit ${r.code}: ${firstLine(r.stderr)}` }),
    });
  } else {
    checks.push(unbuildable(promName, facts.prometheusContainer.problem));
  }
  return checks;
}
