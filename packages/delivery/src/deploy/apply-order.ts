/**
 * Which files are applied in which order, from a listing of `dist/k8s/<env>` (pure: paths in, plan out).
 *
 * The render writes `<dir>/<kind>-<name>.yaml` with the lower-cased kind, `<dir>` being the object's namespace or
 * `_cluster` for cluster-scoped objects; kind and name are read back from the file name.
 */
import { CLUSTER_SCOPED_DIR } from '@optibid/rendered';
import { deliveryNamespaceOrder, deliveryPhases, EXTERNAL_SECRET_KIND, type PlatformNames, ROLE_RECONCILE_JOB } from '@optibid/constructs-lib';

export const CLUSTER_DIR = CLUSTER_SCOPED_DIR;

export const WORKLOAD_KINDS = ['deployment', 'statefulset', 'daemonset'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface Workload {
  readonly namespace: string;
  readonly kind: WorkloadKind;
  readonly name: string;
}

export interface ManifestFile {
  /** Relative to the environment directory, with `/`. */
  readonly path: string;
  readonly dir: string;
  /** Lower-cased kind, e.g. `externalsecret`. */
  readonly kind: string;
  readonly name: string;
}

export interface NamespaceStep {
  readonly namespace: string;
  /** Directory relative to the environment directory (equals the namespace). */
  readonly dir: string;
  readonly files: readonly string[];
  /** Deployments, StatefulSets and DaemonSets of the namespace: what `kubectl rollout status` waits for. */
  readonly workloads: readonly Workload[];
  /**
   * Gate Jobs of the namespace (files): applied only once its workloads rolled out, and waited for until they
   * complete before the next namespace is applied. The role-reconcile Job is one: the application tier must not
   * start with a database role the data tier does not have yet.
   */
  readonly gateJobs: readonly string[];
}

export interface ApplyPlan {
  /** Step (a): cluster-scoped objects, including the Namespaces every later step needs. */
  readonly cluster: { readonly dir: string; readonly files: readonly string[] } | undefined;
  /** Step (b): ExternalSecrets of every namespace, so Secrets exist before the pods that mount them start. */
  readonly externalSecrets: readonly { readonly namespace: string; readonly files: readonly string[] }[];
  /** Steps (c)-(e): one ApplySet per namespace, dependencies first. */
  readonly namespaces: readonly NamespaceStep[];
  /** Files no step applies (kustomization.yaml, anything not in a directory). */
  readonly ignored: readonly string[];
}

/**
 * The platform's namespaces in dependency order: the namespace phases of the delivery phases (constructs-lib
 * delivery/phases.ts), which the Argo CD Application's sync waves are rendered from too.
 */
export function namespaceOrder(namespaces: PlatformNames['namespaces']): string[] {
  return deliveryNamespaceOrder(deliveryPhases(namespaces));
}

/**
 * Name prefixes (`<prefix>-<hash>`) of the Jobs a namespace step runs after its rollouts and waits for: the
 * role-reconcile Job of the data tier (constructs-lib naming/services.ts).
 */
export const GATE_JOB_PREFIXES: readonly string[] = [ROLE_RECONCILE_JOB];

export function isGateJob(m: Pick<ManifestFile, 'kind' | 'name'>): boolean {
  return m.kind === 'job' && GATE_JOB_PREFIXES.some((p) => m.name.startsWith(`${p}-`));
}

export function parseManifestPath(rel: string): ManifestFile | undefined {
  const m = /^([^/]+)\/([a-z0-9]+)-(.+)\.ya?ml$/.exec(rel);
  if (!m) return undefined;
  return { path: rel, dir: m[1], kind: m[2], name: m[3] };
}

export function workloadsOf(namespace: string, files: readonly string[]): Workload[] {
  const workloads: Workload[] = [];
  for (const f of files) {
    const m = parseManifestPath(f);
    if (m && (WORKLOAD_KINDS as readonly string[]).includes(m.kind)) workloads.push({ namespace, kind: m.kind as WorkloadKind, name: m.name });
  }
  // Stateful tiers first: a Deployment in the same namespace usually depends on them (PgBouncer on PostgreSQL).
  const rank = (k: WorkloadKind) => ['statefulset', 'deployment', 'daemonset'].indexOf(k);
  return workloads.sort((a, b) => rank(a.kind) - rank(b.kind) || a.name.localeCompare(b.name));
}

/**
 * The apply plan. Namespace directories follow `order` (from the naming contract); a directory present but not in
 * it is applied after them, in name order, so a namespace added to the render is deployed rather than skipped.
 */
export function planApplyOrder(listing: readonly string[], order: readonly string[]): ApplyPlan {
  const byDir = new Map<string, string[]>();
  const ignored: string[] = [];
  for (const rel of [...listing].sort()) {
    const m = parseManifestPath(rel);
    if (!m) {
      ignored.push(rel);
      continue;
    }
    byDir.set(m.dir, [...(byDir.get(m.dir) ?? []), rel]);
  }
  const clusterFiles = byDir.get(CLUSTER_DIR);
  const namespaceDirs = [...byDir.keys()].filter((d) => d !== CLUSTER_DIR);
  const known = order.filter((ns) => byDir.has(ns));
  const extra = namespaceDirs.filter((d) => !order.includes(d)).sort();
  const namespaces = [...known, ...extra].map((ns) => {
    const files = byDir.get(ns) ?? [];
    const gateJobs = files.filter((f) => {
      const m = parseManifestPath(f);
      return m !== undefined && isGateJob(m);
    });
    return { namespace: ns, dir: ns, files, workloads: workloadsOf(ns, files), gateJobs };
  });
  const externalSecrets = namespaces
    .map((s) => ({ namespace: s.namespace, files: s.files.filter((f) => parseManifestPath(f)?.kind === EXTERNAL_SECRET_KIND.toLowerCase()) }))
    .filter((e) => e.files.length > 0);
  return { cluster: clusterFiles ? { dir: CLUSTER_DIR, files: clusterFiles } : undefined, externalSecrets, namespaces, ignored };
}

/**
 * Cluster-scoped objects in the previous revision's `_cluster` that the current one no longer has. They are not
 * pruned (see commands.ts applyClusterScoped): the operator deletes them by hand, deliberately.
 */
export function removedClusterObjects(previousFiles: readonly string[], currentFiles: readonly string[]): ManifestFile[] {
  const base = (f: string) => f.slice(f.lastIndexOf('/') + 1);
  const current = new Set(currentFiles.map(base));
  return previousFiles
    .filter((f) => !current.has(base(f)))
    .map((f) => parseManifestPath(`${CLUSTER_DIR}/${base(f)}`))
    .filter((m): m is ManifestFile => m !== undefined);
}
