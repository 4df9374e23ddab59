/**
 * `npm run verify`: runs every check over every environment rendered under dist/ — schema (published schemas,
 * unknown fields, kustomization), policy, contract, references, API versions, capacity, cost, traffic — prints each
 * check's summary (capacity and cost tables...) and every finding, and exits 1 when there is any finding.
 * It reads only dist/ (through @optibid/rendered).
 *
 * Usage: npm run verify [-- --env <env>]... [--dist <dir>] [--check <name>[,<name>...]] [--report-resources]
 * Exit codes: 0 no findings, 1 findings, 2 usage error (unknown flag, check or environment; no dist/; unreadable file).
 */
import * as path from 'path';
import { parseArgs } from 'util';
import { formatFinding, loadRenderedEnvironment, RenderedReadError, renderedEnvironmentNames, type Finding, type RenderedEnvironment } from '@optibid/rendered';
import { CHECKS, REPORT_CHECKS } from './checks';
import type { VerifyCheck } from './types';

export { formatFinding };

export interface VerifyOptions {
  /** A dist-like root to read (ignored when `environments` is given). */
  readonly dist?: string;
  /** Environments already loaded (a render held in memory), instead of reading `dist`. */
  readonly environments?: readonly RenderedEnvironment[];
  /** Environment names to check. @default every environment */
  readonly envs?: readonly string[];
  /** @default CHECKS */
  readonly checks?: readonly VerifyCheck[];
}

export interface VerifyOutcome {
  readonly findings: Finding[];
  /** Printable text, in check order per environment. */
  readonly text: string;
  /** Report files by path relative to dist/reports/ (`<env>/<file>`). */
  readonly reports: Map<string, string>;
  /** Milliseconds per check name, summed over environments (`load` is reading dist/). */
  readonly timings: Record<string, number>;
}

/** Runs the checks; pure apart from reading dist/. */
export function verify(opts: VerifyOptions): VerifyOutcome {
  const checks = opts.checks ?? CHECKS;
  if (!opts.environments && opts.dist === undefined) throw new Error('verify needs dist or environments');
  const envs = opts.envs ?? opts.environments?.map((e) => e.name) ?? renderedEnvironmentNames(opts.dist!);
  const findings: Finding[] = [];
  const reports = new Map<string, string>();
  const timings: Record<string, number> = { load: 0 };
  const lines: string[] = [];
  const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
  for (const name of envs) {
    let t0 = process.hrtime.bigint();
    const env = opts.environments?.find((e) => e.name === name) ?? loadRenderedEnvironment(opts.dist!, name);
    timings.load += ms(t0);
    lines.push(`\n=== ${name} (${env.objects.length} objects, ${Object.keys(env.templates).length} templates) ===`);
    for (const check of checks) {
      t0 = process.hrtime.bigint();
      const result = check.run(env);
      timings[check.name] = (timings[check.name] ?? 0) + ms(t0);
      findings.push(...result.findings);
      lines.push(`-- ${check.name}: ${result.findings.length === 0 ? 'ok' : `${result.findings.length} finding(s)`}`);
      if (result.summary) lines.push(result.summary.replace(/\n+$/, ''));
      for (const f of result.findings) lines.push(formatFinding(f));
      for (const [file, content] of Object.entries(result.reports ?? {})) reports.set(`${name}/${file}`, content);
    }
  }
  return { findings, text: lines.join('\n'), reports, timings };
}

/** The report files the render writes to dist/reports (the checks that produce reports, over rendered environments). */
export function buildReports(environments: readonly RenderedEnvironment[]): Map<string, string> {
  return verify({ environments, checks: REPORT_CHECKS }).reports;
}

export const USAGE = 'usage: npm run verify [-- --env <env>]... [--dist <dir>] [--check <name>[,<name>...]] [--report-resources]';

export interface VerifyArgs {
  readonly dist: string;
  readonly envs: readonly string[];
  readonly checks: readonly VerifyCheck[];
  readonly reportResources: boolean;
}

/** The CLI's arguments, or a usage error message. */
export function parseVerifyArgs(argv: readonly string[], repoRoot: string): VerifyArgs | string {
  let values: { env?: string[]; dist?: string; check?: string[]; 'report-resources'?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { env: { type: 'string', multiple: true }, dist: { type: 'string' }, check: { type: 'string', multiple: true }, 'report-resources': { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return (err as Error).message;
  }
  const names = (values.check ?? []).flatMap((c) => c.split(',')).filter(Boolean);
  const unknown = names.filter((n) => !CHECKS.some((c) => c.name === n));
  if (unknown.length) return `--check ${unknown.join(', ')}: no such check (checks: ${CHECKS.map((c) => c.name).join(', ')})`;
  return {
    dist: values.dist ? path.resolve(values.dist) : path.join(repoRoot, 'dist'),
    envs: values.env ?? [],
    checks: names.length ? CHECKS.filter((c) => names.includes(c.name)) : CHECKS,
    reportResources: values['report-resources'] ?? false,
  };
}

export function main(argv: readonly string[], repoRoot: string): number {
  const args = parseVerifyArgs(argv, repoRoot);
  if (typeof args === 'string') {
    console.error(`verify: ${args}\n${USAGE}`);
    return 2;
  }
  let available: string[];
  try {
    available = renderedEnvironmentNames(args.dist);
  } catch {
    console.error(`verify: ${args.dist} has no rendered k8s/ tree: run npm run synth first`);
    return 2;
  }
  const unknown = args.envs.filter((e) => !available.includes(e));
  if (unknown.length) {
    console.error(`verify: --env ${unknown.join(', ')}: not rendered under ${args.dist} (rendered: ${available.join(', ')})`);
    return 2;
  }
  const t0 = Date.now();
  let outcome: VerifyOutcome;
  try {
    outcome = verify({ dist: args.dist, envs: args.envs.length ? args.envs : undefined, checks: args.checks });
  } catch (err) {
    if (!(err instanceof RenderedReadError)) throw err;
    console.error(`verify: cannot read ${err.file}: ${err.reason}`);
    return 2;
  }
  console.log(outcome.text);
  const timing = Object.entries<number>(outcome.timings)
    .map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`)
    .join(', ');
  console.log(`\nverify: ${outcome.findings.length} finding(s) in ${((Date.now() - t0) / 1000).toFixed(2)} s (${timing})`);
  if (args.reportResources) console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
  return outcome.findings.length ? 1 : 0;
}
