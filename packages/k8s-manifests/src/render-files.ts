import { App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { KUSTOMIZATION_FILE, objectPath } from '@optibid/rendered';

// The layout (`<namespace|_cluster>/<kind>-<name>.yaml`) is spelled once, in @optibid/rendered.
export { CLUSTER_SCOPED_DIR, objectPath } from '@optibid/rendered';

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** Top-level keys come in the order people read them; everything else is sorted for stable diffs. */
const TOP_LEVEL_ORDER = ['apiVersion', 'kind', 'metadata', 'spec', 'data', 'stringData', 'rules', 'subjects', 'roleRef'];

function sortKeys(value: unknown, top = false): unknown {
  if (Array.isArray(value)) return value.map((v) => sortKeys(v));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value as object).sort((a, b) => {
    if (top) {
      const ia = TOP_LEVEL_ORDER.indexOf(a);
      const ib = TOP_LEVEL_ORDER.indexOf(b);
      if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
    }
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return Object.fromEntries(keys.map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
}


/**
 * Renders the charts of one cdk8s app to files, one object per file, plus a kustomization.yaml listing them all.
 * Fails on two objects that would land in the same file (same kind, namespace and name).
 */
export function renderChartFiles(charts: readonly Chart[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const chart of charts) {
    for (const obj of chart.toJson() as KubeObject[]) {
      const path = objectPath(obj);
      if (files.has(path)) throw new Error(`Two objects render to ${path}: kind/namespace/name must be unique`);
      files.set(path, stringify(sortKeys(obj, true), { lineWidth: 0 }));
    }
  }
  const resources = [...files.keys()].sort();
  files.set(KUSTOMIZATION_FILE, stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }, { lineWidth: 0 }));
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A cdk8s App that never writes to disk itself: the render script owns dist/. */
export function newK8sApp(): App {
  return new App({ outdir: '/nonexistent-cdk8s-outdir' });
}
