import { stringify } from 'yaml';
import { assertPromql } from '../promql';
import { kubernetesRules } from './kubernetes';
import { certificateRules, metaMonitoringRules } from './platform';
import { postgresRules } from './postgres';
import { redisRules } from './redis';
import { backendLatencyRules, backendSloRules } from './slo';
import type { RuleContext, RuleGroup } from './types';

export * from './types';
export * from './thresholds';
export { runbookUrl } from './common';
export { backendLatencyRules, backendSloRules, errorRatioRecord, LATENCY_P95_RECORD, LATENCY_UNDER_THRESHOLD_RECORD } from './slo';
export { kubernetesRules } from './kubernetes';
export { postgresRules, PGBOUNCER_APP_DATABASE } from './postgres';
export { redisRules } from './redis';
export { certificateRules, metaMonitoringRules } from './platform';

/** Every rule module, in the order its groups are rendered. */
const MODULES: readonly ((ctx: RuleContext) => RuleGroup[])[] = [
  backendSloRules,
  backendLatencyRules,
  kubernetesRules,
  postgresRules,
  redisRules,
  certificateRules,
  metaMonitoringRules,
];

/** All of the platform's rule groups (stable order). Group names are unique: each becomes one file. */
export function platformRuleGroups(ctx: RuleContext): RuleGroup[] {
  const groups = MODULES.flatMap((m) => m(ctx));
  assertPromql(groups.flatMap((g) => g.rules.map((r) => ({ where: `rule group ${g.name}, ${'alert' in r ? `alert ${r.alert}` : `record ${r.record}`}`, expr: r.expr }))));
  const seen = new Set<string>();
  for (const g of groups) {
    if (seen.has(g.name)) throw new Error(`duplicate rule group ${g.name}`);
    seen.add(g.name);
  }
  return groups;
}

/** One Prometheus rule file per group: `{ '<group>.rules.yaml': 'groups: [<group>]' }`. */
export function renderRuleFiles(groups: readonly RuleGroup[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const g of groups) {
    const file = `${g.name}.rules.yaml`;
    if (file in files) throw new Error(`duplicate rule group ${g.name}`);
    files[file] = stringify({ groups: [g] }, { lineWidth: 0 });
  }
  return files;
}
