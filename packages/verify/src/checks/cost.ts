/**
 * cost: the monthly bill of one environment at minimum and at maximum scale, per line item, from the render and a
 * dated us-west-2 list-price table (src/data/prices-us-west-2.ts). Usage-based items rest on stated assumptions.
 *
 * Rule: `price-missing` — an input the bill needs has no price (an instance type, a volume type, a Kubernetes
 * version absent from the support calendar); the finding names the resource and the field.
 */
import type { VerifyCheck } from '../types';
import { costModel } from './cost/lines';
import { costMarkdown, costSummary } from './cost/report';

export const costCheck: VerifyCheck = {
  name: 'cost',
  description: 'Prices the rendered environment per month at minimum and maximum scale from dated us-west-2 list prices (usage items on stated assumptions); every priced input must have a price.',
  run: (env) => {
    const m = costModel(env);
    return { findings: m.findings, summary: costSummary(m), reports: { 'cost.md': costMarkdown(m) } };
  },
};
