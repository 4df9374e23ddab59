/**
 * `traffic`: the picture of who may talk to whom, computed from the rendered NetworkPolicies with Kubernetes
 * semantics (traffic/model.ts), drawn as a Mermaid report, and proved against the committed expectations
 * (traffic/expectations.ts):
 *
 * - `required-flow`: a flow the design needs (backend → pgbouncer:6432, every pod → kube-dns:53, Prometheus → every
 *   scraped pod's prometheus.io/port, …) is not allowed on every listed port.
 * - `forbidden-flow`: a flow the design rules out (frontend → postgres, application → monitoring, …) is allowed on
 *   some port; the message names both ends and the policy rules that allow it.
 *
 * Report: `traffic.md` (Mermaid flowchart + edge table, traffic/render.ts); GitHub renders the Mermaid in the diff.
 */
import type { CheckResult, RenderedEnvironment, VerifyCheck } from '../types';
import { checkForbidden, checkRequired } from './traffic/evaluate';
import { expectationNames, trafficExpectations } from './traffic/expectations';
import { buildTrafficGraph, type TrafficGraph } from './traffic/graph';
import { buildTrafficModel } from './traffic/model';
import { renderMarkdown } from './traffic/render';

export function trafficSummary(graph: TrafficGraph): string {
  const workloads = graph.nodes.filter((n) => n.kind === 'workload').length;
  const toOutside = graph.edges.filter((e) => e.to.kind === 'outside').length;
  const fromOutside = graph.edges.filter((e) => e.from.kind === 'outside').length;
  const hostNet = graph.unrestricted.map((w) => w.id);
  return (
    `traffic: ${workloads} workloads, ${graph.edges.length} edges, ${toOutside} egress-to-outside edges, ${fromOutside} ingress-from-outside edges` +
    (hostNet.length ? `; not governed by NetworkPolicy (hostNetwork): ${hostNet.join(', ')}` : '')
  );
}

export const trafficCheck: VerifyCheck = {
  name: 'traffic',
  description:
    'Computes the allowed flows from the rendered NetworkPolicies (Kubernetes semantics), draws them (traffic.md), and proves the required flows exist and the forbidden ones do not.',
  run(env: RenderedEnvironment): CheckResult {
    const model = buildTrafficModel(env);
    const graph = buildTrafficGraph(model);
    // The environment's expectations: names from the naming module, the application services' flows from the services table.
    const expected = trafficExpectations(expectationNames(env.name));
    const findings = [...checkRequired(model, expected.required, expected.scraping), ...checkForbidden(model, expected.forbidden)];
    const summaryLine = trafficSummary(graph);
    const warnings = model.warnings.map((w) => `  ! ${w}`);
    return {
      findings,
      summary: [summaryLine, ...warnings].join('\n'),
      reports: { 'traffic.md': renderMarkdown(env.name, graph, summaryLine, model.warnings) },
    };
  },
};
