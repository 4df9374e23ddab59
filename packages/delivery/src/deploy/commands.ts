/**
 * Every mutating or cluster-reading command of the deploy, built in one place (pure), so the flags that matter
 * (server-side apply, field manager, ApplySet, context) cannot drift between apply, rollback and tests.
 */
import { applysetParentName } from './applyset';
import type { CommandSpec } from './runner';

/** Server-side apply field manager: the deploy owns exactly the fields it sets, other managers (HPA, operators) keep theirs. */
export const FIELD_MANAGER = 'optibid-deploy';

/**
 * `--server-side` with `--force-conflicts` on every apply and diff this tool runs. The rendered dist/ is the source of
 * truth for every field it sets, and another manager does become co-owner of those fields: `kubectl rollout undo`
 * (our rollback's fast path, and an operator's) writes the pod template under the manager `kubectl-rollout`, after
 * which every server-side apply by optibid-deploy that changes those fields is refused with a conflict, i.e. every
 * later deploy and the rollback's own re-apply would fail until someone forces it by hand. Forcing takes the fields
 * back. It cannot fight the HPA: Deployments that have an HPA do not render `replicas`, so we never set (or force) the
 * field the HPA owns; fields we do not set are never touched, forced or not.
 */
const SERVER_SIDE = ['--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts'] as const;

/**
 * kubectl with the environment's context pinned on every call. Preflight checks that the current context is the
 * cluster's, but a deploy takes minutes and `kubectl config use-context` in another terminal would otherwise
 * redirect the rest of it to another cluster. The flag goes before `--` (arguments after it belong to `kubectl exec`).
 */
export function kubectl(context: string, args: readonly string[], extra: Omit<CommandSpec, 'cmd' | 'args'> = {}): CommandSpec {
  const dashdash = args.indexOf('--');
  const withContext = dashdash < 0 ? [...args, `--context=${context}`] : [...args.slice(0, dashdash), `--context=${context}`, ...args.slice(dashdash)];
  return { cmd: 'kubectl', args: withContext, ...extra };
}

/** `cdk` from PATH (not npx): the version check covers the binary that runs, and tests can stand it in. */
export function cdkDiff(stacks: readonly string[]): CommandSpec {
  return { cmd: 'cdk', args: ['diff', ...stacks] };
}

export function cdkDeploy(stacks: readonly string[]): CommandSpec {
  return { cmd: 'cdk', args: ['deploy', '--require-approval', 'never', ...stacks] };
}

/**
 * One `-f` per directory rather than `-R -f dist/k8s/<env>`: the environment directory also holds
 * kustomization.yaml, which kubectl would try to map as an object (kind Kustomization) and fail on.
 */
export function kubectlDiff(context: string, dirs: readonly string[]): CommandSpec {
  return kubectl(context, ['diff', ...SERVER_SIDE, ...dirs.flatMap((d) => ['-f', d])]);
}

/** Cluster-scoped objects: never pruned (a typo must not delete a Namespace and everything in it). */
export function applyClusterScoped(context: string, dir: string): CommandSpec {
  return kubectl(context, ['apply', ...SERVER_SIDE, '-f', dir]);
}

/**
 * Individual files of one namespace, without pruning (ExternalSecrets ahead of their namespace's ApplySet). The
 * files must carry the namespace's ApplySet label (applyset.ts): applied without it under our field manager, the
 * label kubectl's ApplySet apply set would be removed.
 */
export function applyFiles(context: string, namespace: string, files: readonly string[]): CommandSpec {
  return kubectl(context, ['apply', ...SERVER_SIDE, '-n', namespace, ...files.flatMap((f) => ['-f', f])]);
}

export function waitExternalSecrets(context: string, namespace: string, timeout: string): CommandSpec {
  return kubectl(context, ['wait', '--for=condition=Ready', 'externalsecret', '--all', '-n', namespace, `--timeout=${timeout}`]);
}

export const APPLYSET_ENV = { KUBECTL_APPLYSET: 'true' } as const;

/** The ApplySet parent of a namespace: a ConfigMap in that namespace, so the set (and its pruning) is namespace-scoped. */
export function applysetParent(prefix: string): string {
  return `configmaps/${applysetParentName(prefix)}`;
}

/**
 * One namespace directory as one ApplySet, pruning what left it.
 *
 * Why an ApplySet and not `--prune -l <selector>`: label-selector pruning deletes every object that matches the
 * selector in the namespaces it visits, within a built-in allowlist of kinds (custom resources such as ExternalSecret
 * or Certificate are silently never pruned, unless listed by hand), and it cannot tell our objects from another
 * tool's that carry the same labels. An ApplySet records its members explicitly (a parent object with the set's
 * id and the group-kinds it contains, each member labelled with that id), so pruning deletes only objects this
 * tool applied earlier, of any kind; with the parent inside the namespace and `-n`, it never leaves that namespace
 * (kubectl refuses a file whose object names another namespace).
 */
export function applyNamespaceSet(context: string, prefix: string, namespace: string, dir: string, opts: { readonly dryRun?: boolean } = {}): CommandSpec {
  return kubectl(
    context,
    ['apply', ...SERVER_SIDE, ...(opts.dryRun ? ['--dry-run=server'] : []), '--prune', `--applyset=${applysetParent(prefix)}`, '-n', namespace, '-f', dir],
    { env: APPLYSET_ENV },
  );
}

export function rolloutStatus(context: string, namespace: string, kind: string, name: string, timeout: string): CommandSpec {
  return kubectl(context, ['rollout', 'status', '-n', namespace, `${kind}/${name}`, `--timeout=${timeout}`]);
}

/** Waits until a Job has completed (its Complete condition); a Job that fails keeps it false until the timeout. */
export function waitJobComplete(context: string, namespace: string, name: string, timeout: string): CommandSpec {
  return kubectl(context, ['wait', '--for=condition=complete', `job/${name}`, '-n', namespace, `--timeout=${timeout}`]);
}

/** The last lines of a Job's pod log, for the failure report. */
export function jobLogs(context: string, namespace: string, name: string): CommandSpec {
  return kubectl(context, ['logs', `job/${name}`, '-n', namespace, '--tail=20']);
}

export function rolloutUndo(context: string, namespace: string, kind: string, name: string): CommandSpec {
  return kubectl(context, ['rollout', 'undo', '-n', namespace, `${kind}/${name}`]);
}

export function revisionConfigMapName(prefix: string): string {
  return `${prefix}-deploy-revision`;
}

/** Empty output and exit 0 when nothing is recorded (`--ignore-not-found`); any other failure exits non-zero. */
export function getRecordedRevision(context: string, namespace: string, prefix: string): CommandSpec {
  return kubectl(context, ['get', 'configmap', revisionConfigMapName(prefix), '-n', namespace, '--ignore-not-found', '-o', 'jsonpath={.data.revision}']);
}

/** Records the deployed commit (server-side apply of a ConfigMap given on stdin). */
export function recordRevision(context: string, namespace: string, prefix: string, revision: string): CommandSpec {
  const name = revisionConfigMapName(prefix);
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER } },
    data: { revision },
  };
  return kubectl(context, ['apply', ...SERVER_SIDE, '-f', '-'], {
    input: JSON.stringify(configMap),
    inputLabel: `ConfigMap ${namespace}/${name} {revision: ${revision}}`,
  });
}

export function deployLockName(prefix: string): string {
  return `${prefix}-deploy-lock`;
}

/** When the run holding the deploy lock started (ISO 8601), on the Lease. */
export const LOCK_STARTED_ANNOTATION = 'optibid.io/deploy-started-at';

/**
 * Takes the deploy lock: `kubectl create` (not apply) of a Lease, so the API server refuses it with AlreadyExists
 * while another run holds it. Creation is atomic: of two runs racing, exactly one gets it.
 */
export function createDeployLock(context: string, namespace: string, prefix: string, holder: string, startedAt: string): CommandSpec {
  const name = deployLockName(prefix);
  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER }, annotations: { [LOCK_STARTED_ANNOTATION]: startedAt } },
    spec: { holderIdentity: holder },
  };
  return kubectl(context, ['create', '-f', '-'], { input: JSON.stringify(lease), inputLabel: `Lease ${namespace}/${name} {holderIdentity: ${holder}}` });
}

/** `<holderIdentity>\t<started-at>` of the deploy lock; empty output when there is none. */
export function getDeployLock(context: string, namespace: string, prefix: string): CommandSpec {
  const started = LOCK_STARTED_ANNOTATION.replace(/\./g, '\\.');
  return kubectl(context, ['get', 'lease', deployLockName(prefix), '-n', namespace, '--ignore-not-found', '-o', `jsonpath={.spec.holderIdentity}{"\\t"}{.metadata.annotations.${started}}`]);
}

export function deleteDeployLock(context: string, namespace: string, prefix: string): CommandSpec {
  return kubectl(context, ['delete', 'lease', deployLockName(prefix), '-n', namespace]);
}
