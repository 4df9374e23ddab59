/**
 * `npm run verify`: runs every check over every environment rendered under dist/, prints each check's summary
 * (capacity and cost tables...) and every finding, and exits 1 when there is any finding. It reads only dist/.
 *
 * Usage: npm run verify [-- --env <env>] [--dist <dir>]
 * Exit codes: 0 no findings, 1 findings, 2 usage error (unknown flag or environment, no dist/).
 */
import * as path from 'path';
import { CHECKS } from './checks';
import { loadRenderedEnvironment, renderedEnvironmentNames } from './load';
import type { Finding, VerifyCheck } from './types';

export interface VerifyOptions {
  readonly dist: string;
  readonly envs?: readonly string[];
  readonly checks?: readonly VerifyCheck[];
}

export interface VerifyOutcome {
  readonly findings: Finding[];
  /** Printable text, in check order per environment. */
  readonly text: string;
  /** Report files by path relative to dist/reports/ (`<env>/<file>`). */
  readonly reports: Map<string, string>;
  /** Milliseconds per check name, summed over environments. */
  readonly timings: Record<string, number>;
}

export function formatFinding(f: Finding): string {
  return `  ✗ [${f.check}/${f.rule}] ${f.object}${f.field ? ` ${f.field}` : ''}: ${f.message}`;
}

/** Runs the checks; pure apart from reading dist/. */
export function verify(opts: VerifyOptions): VerifyOutcome {
  const checks = opts.checks ?? CHECKS;
  const envs = opts.envs ?? renderedEnvironmentNames(opts.dist);
  const findings: Finding[] = [];
  const reports = new Map<string, string>();
  const timings: Record<string, number> = {};
  const lines: string[] = [];
  for (const name of envs) {
    const env = loadRenderedEnvironment(opts.dist, name);
    lines.push(`\n=== ${name} ===`);
    for (const check of checks) {
      const t0 = process.hrtime.bigint();
      const result = check.run(env);
      timings[check.name] = (timings[check.name] ?? 0) + Number(process.hrtime.bigint() - t0) / 1e6;
      findings.push(...result.findings);
      lines.push(`-- ${check.name}: ${result.findings.length === 0 ? 'ok' : `${result.findings.length} finding(s)`}`);
      if (result.summary) lines.push(result.summary.replace(/\n+$/, ''));
      for (const f of result.findings) lines.push(formatFinding(f));
      for (const [file, content] of Object.entries(result.reports ?? {})) reports.set(`${name}/${file}`, content);
    }
  }
  return { findings, text: lines.join('\n'), reports, timings };
}

/** The report files the render writes to dist/reports (the same checks, over a freshly rendered tree). */
export function buildReports(dist: string): Map<string, string> {
  return verify({ dist }).reports;
}

export function main(argv: readonly string[], repoRoot: string): number {
  let dist = path.join(repoRoot, 'dist');
  const envs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--env' && argv[i + 1]) envs.push(argv[++i]);
    else if (a === '--dist' && argv[i + 1]) dist = path.resolve(argv[++i]);
    else {
      console.error(`verify: unknown or incomplete argument "${a}" (usage: npm run verify [-- --env <env>] [--dist <dir>])`);
      return 2;
    }
  }
  let available: string[];
  try {
    available = renderedEnvironmentNames(dist);
  } catch {
    console.error(`verify: ${dist} has no rendered k8s/ tree: run npm run synth first`);
    return 2;
  }
  const unknown = envs.filter((e) => !available.includes(e));
  if (unknown.length) {
    console.error(`verify: --env ${unknown.join(', ')}: not rendered under ${dist} (rendered: ${available.join(', ')})`);
    return 2;
  }
  const t0 = Date.now();
  const outcome = verify({ dist, envs: envs.length ? envs : undefined });
  console.log(outcome.text);
  const timing = Object.entries<number>(outcome.timings)
    .map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`)
    .join(', ');
  console.log(`\nverify: ${outcome.findings.length} finding(s) in ${((Date.now() - t0) / 1000).toFixed(2)} s (${timing})`);
  return outcome.findings.length ? 1 : 0;
}
