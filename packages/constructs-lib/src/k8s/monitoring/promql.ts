/**
 * PromQL expressions of the alerting/recording rules and the dashboards, parsed at render time with the Prometheus
 * project's own grammar (npm @prometheus-io/lezer-promql: the Lezer grammar Prometheus' web UI uses). A broken
 * expression fails the render naming the rule or panel and the column, before anything is written; promtool (the
 * real-server tier) remains the proof that Prometheus loads and evaluates them.
 */
import { parser } from '@prometheus-io/lezer-promql';

/**
 * Grafana's interval variables, which Grafana replaces before the query reaches Prometheus
 * (grafana.com/docs/grafana/latest/datasources/prometheus/template-variables/: $__rate_interval, $__interval,
 * $__range): stood in for by durations so the grammar sees what Prometheus will.
 */
const GRAFANA_DURATIONS: Readonly<Record<string, string>> = { __rate_interval: '5m', __interval: '1m', __range: '1h', __interval_ms: '60000' };

/** Where and why the grammar rejects `expr` (empty when it parses). */
export function promqlProblems(expr: string, opts: { readonly grafana?: boolean } = {}): string[] {
  const text = opts.grafana ? expr.replace(/\$\{?(__[a-z_]+)\}?/g, (m, v: string) => GRAFANA_DURATIONS[v] ?? m) : expr;
  if (!text.trim()) return ['empty expression'];
  const problems: string[] = [];
  parser.parse(text).iterate({
    enter(node) {
      if (!node.type.isError) return;
      const near = text.slice(node.from, node.from + 12);
      problems.push(`column ${node.from + 1}: unexpected ${near ? `'${near}'` : 'end of expression'}`);
    },
  });
  return problems;
}

/** A rendered expression the grammar rejects. */
export class PromqlError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`PromQL that Prometheus would reject (the render stops; nothing was written):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PromqlError';
  }
}

/** Throws a PromqlError listing every broken expression of `exprs` (`where` names the rule or panel). */
export function assertPromql(exprs: readonly { readonly where: string; readonly expr: string; readonly grafana?: boolean }[]): void {
  const problems = exprs.flatMap(({ where, expr, grafana }) => promqlProblems(expr, { grafana }).map((p) => `${where}: ${p} in ${JSON.stringify(expr)}`));
  if (problems.length) throw new PromqlError(problems);
}
