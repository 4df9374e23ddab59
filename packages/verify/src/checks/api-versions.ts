/**
 * `api-versions`: every apiVersion/kind the environment applies (dist/k8s objects and the manifests embedded in the
 * CloudFormation templates) is served (1) by the cluster's Kubernetes version (AWS::EKS::Cluster `Version`) and
 * (2) by the API floor (1.28); custom resources by the CRD provider release the cluster template installs.
 *
 * Rules:
 * - `removed-api`: the version (or the floor, or the installed provider release) no longer serves it; the message
 *   names the release that removed it and the replacement.
 * - `not-yet-served`: served only from a later Kubernetes version (or provider release) than the one selected or the
 *   floor, or by a provider the render does not install.
 * - `unknown-api`: not in src/data/kubernetes-apis.ts (new kinds must be added knowingly).
 * Deprecated-but-served APIs are warnings in the summary, not findings.
 */
import {
  API_FLOOR,
  API_FLOOR_REASON,
  CLIENT_SIDE_APIS,
  compareVersions,
  CRD_PROVIDERS,
  CUSTOM_APIS,
  KUBERNETES_APIS,
  type BuiltinApi,
  type CustomApi,
} from '../data/kubernetes-apis';
import type { CheckResult, Finding, RenderedEnvironment, VerifyCheck } from '../types';
import { appliedObjects, chartVersions, clusterVersion, type AppliedObject } from './api-versions/sources';

const CHECK = 'api-versions';

function lookupBuiltin(apiVersion: string, kind: string): BuiltinApi | undefined {
  return KUBERNETES_APIS.find((a) => a.groupVersion === apiVersion && a.kinds.includes(kind));
}

function lookupCustom(apiVersion: string, kind: string): CustomApi | undefined {
  return CUSTOM_APIS.find((a) => a.groupVersion === apiVersion && a.kinds.includes(kind));
}

interface Target {
  /** `Kubernetes 1.35 (the cluster version)`. */
  readonly name: string;
  readonly version: string;
}

function k8sTargets(selected: string | undefined): Target[] {
  const targets: Target[] = [];
  if (selected) targets.push({ name: `the cluster version ${selected}`, version: selected });
  if (!selected || compareVersions(selected, API_FLOOR) !== 0) targets.push({ name: `the API floor ${API_FLOOR}`, version: API_FLOOR });
  return targets;
}

export const apiVersionsCheck: VerifyCheck = {
  name: 'api-versions',
  description:
    'Every apiVersion/kind applied (dist/k8s and manifests embedded in the templates) is served by the cluster\'s Kubernetes version and the 1.28 API floor, and custom resources by the installed CRD provider release.',
  run(env: RenderedEnvironment): CheckResult {
    const findings: Finding[] = [];
    const warnings = new Map<string, number>();
    const { objects, unreadable } = appliedObjects(env);
    const cluster = clusterVersion(env);
    const charts = chartVersions(env);
    const targets = k8sTargets(cluster.version);
    const finding = (o: AppliedObject, rule: string, message: string) => findings.push({ check: CHECK, rule, env: env.name, object: o.object, field: o.field, message });

    for (const o of objects) {
      const gvk = `${o.apiVersion} ${o.kind}`;
      if (CLIENT_SIDE_APIS.some((c) => c.groupVersion === o.apiVersion && c.kinds.includes(o.kind))) continue;
      const builtin = lookupBuiltin(o.apiVersion, o.kind);
      if (builtin) {
        const removedFor = targets.filter((t) => builtin.removed && compareVersions(t.version, builtin.removed) >= 0);
        const earlyFor = targets.filter((t) => compareVersions(t.version, builtin.introduced) < 0);
        if (removedFor.length) {
          finding(o, 'removed-api', `${gvk} was removed in Kubernetes ${builtin.removed} (deprecated in ${builtin.deprecated ?? '?'}), so ${removedFor.map((t) => t.name).join(' and ')} does not serve it: use ${builtin.replacement ?? 'its successor'}`);
        } else if (earlyFor.length) {
          finding(o, 'not-yet-served', `${gvk} is served from Kubernetes ${builtin.introduced}, later than ${earlyFor.map((t) => t.name).join(' and ')}${earlyFor.some((t) => t.version === API_FLOOR) ? ` (${API_FLOOR_REASON})` : ''}`);
        } else if (builtin.deprecated && targets.some((t) => compareVersions(t.version, builtin.deprecated!) >= 0)) {
          const key = `${gvk}: deprecated since Kubernetes ${builtin.deprecated}${builtin.removed ? `, removed in ${builtin.removed}` : ''}; use ${builtin.replacement ?? 'its successor'}`;
          warnings.set(key, (warnings.get(key) ?? 0) + 1);
        }
        continue;
      }
      const custom = lookupCustom(o.apiVersion, o.kind);
      if (custom) {
        const provider = CRD_PROVIDERS.find((p) => p.key === custom.provider);
        const installed = provider?.charts.map((c) => charts.get(c)).find((c) => c !== undefined);
        if (!provider || !installed) {
          finding(o, 'not-yet-served', `${gvk} is a custom resource of ${provider?.project ?? custom.provider} (served from ${custom.servedFrom}), and no Helm chart in the templates installs it (${provider ? `charts ${provider.charts.join(', ')}` : 'unknown provider'})`);
          continue;
        }
        const version = installed.version;
        if (custom.unservedFrom && compareVersions(version, custom.unservedFrom) >= 0) {
          finding(o, 'removed-api', `${gvk} is no longer served since ${provider.project} ${custom.unservedFrom}, and ${installed.from} installs ${version}: use ${custom.replacement ?? 'its successor'} (source: ${custom.source})`);
        } else if (compareVersions(version, custom.servedFrom) < 0) {
          finding(o, 'not-yet-served', `${gvk} is served from ${provider.project} ${custom.servedFrom}, later than the ${version} that ${installed.from} installs (source: ${custom.source})`);
        } else if (custom.deprecatedFrom && compareVersions(version, custom.deprecatedFrom) >= 0) {
          const key = `${gvk}: deprecated since ${provider.project} ${custom.deprecatedFrom}${custom.unservedFrom ? `, unserved from ${custom.unservedFrom}` : ''}; use ${custom.replacement ?? 'its successor'}`;
          warnings.set(key, (warnings.get(key) ?? 0) + 1);
        }
        continue;
      }
      finding(o, 'unknown-api', `${gvk} is not in the API table (packages/verify/src/data/kubernetes-apis.ts): add it with the Kubernetes version (or CRD provider release) that serves it, and its source`);
    }

    const kinds = new Set(objects.map((o) => `${o.apiVersion} ${o.kind}`));
    const embedded = objects.filter((o) => o.source !== 'dist/k8s').length;
    const providers = CRD_PROVIDERS.map((p) => {
      const c = p.charts.map((x) => charts.get(x)).find((x) => x !== undefined);
      return c ? `${p.key} ${c.version}` : undefined;
    }).filter((x): x is string => x !== undefined);
    const lines = [
      `api-versions: Kubernetes ${cluster.version ?? 'unknown'}${cluster.from ? ` (${cluster.from})` : ''}, API floor ${API_FLOOR}; ${kinds.size} apiVersion/kind pairs in ${objects.length} objects (${embedded} embedded in templates); CRD providers: ${providers.join(', ') || 'none'}`,
    ];
    if (cluster.version && compareVersions(cluster.version, API_FLOOR) < 0) lines.push(`  ! the cluster version ${cluster.version} is below the API floor ${API_FLOOR}`);
    if (!cluster.version) lines.push('  ! no literal AWS::EKS::Cluster Version in the templates: only the API floor was checked');
    for (const u of unreadable) lines.push(`  ! ${u}: Manifest could not be read as JSON; its objects were not checked`);
    for (const [w, n] of [...warnings].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) lines.push(`  ! warning: ${w} (${n} object${n === 1 ? '' : 's'})`);
    if (warnings.size === 0) lines.push('  no deprecated APIs in use');
    return { findings, summary: lines.join('\n') };
  },
};
