/**
 * Every mutating or cluster-reading command of the deploy, built in one place (pure), so the flags that matter
 * (server-side apply, field manager, ApplySet, context) cannot drift between apply, rollback and tests.
 */
import type { CommandSpec } from './runner';

/** Server-side apply field manager: the deploy owns exactly the fields it sets, other managers (HPA, operators) keep theirs. */
export const FIELD_MANAGER = 'optibid-deploy';

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
  return kubectl(context, ['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, ...dirs.flatMap((d) => ['-f', d])]);
}

/** Cluster-scoped objects: never pruned (a typo must not delete a Namespace and everything in it). */
export function applyClusterScoped(context: string, dir: string): CommandSpec {
  return kubectl(context, ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', dir]);
}

/** Individual files of one namespace, without pruning (ExternalSecrets ahead of their namespace's ApplySet). */
export function applyFiles(context: string, namespace: string, files: readonly string[]): CommandSpec {
  return kubectl(context, ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-n', namespace, ...files.flatMap((f) => ['-f', f])]);
}

export function waitExternalSecrets(context: string, namespace: string, timeout: string): CommandSpec {
  return kubectl(context, ['wait', '--for=condition=Ready', 'externalsecret', '--all', '-n', namespace, `--timeout=${timeout}`]);
}

export const APPLYSET_ENV = { KUBECTL_APPLYSET: 'true' } as const;

/** The ApplySet parent of a namespace: a ConfigMap in that namespace, so the set (and its pruning) is namespace-scoped. */
export function applysetParent(prefix: string): string {
  return `configmaps/${prefix}-applyset`;
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
export function applyNamespaceSet(context: string, prefix: string, namespace: string, dir: string): CommandSpec {
  return kubectl(
    context,
    ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--prune', `--applyset=${applysetParent(prefix)}`, '-n', namespace, '-f', dir],
    { env: APPLYSET_ENV },
  );
}

export function rolloutStatus(context: string, namespace: string, kind: string, name: string, timeout: string): CommandSpec {
  return kubectl(context, ['rollout', 'status', '-n', namespace, `${kind}/${name}`, `--timeout=${timeout}`]);
}

export function rolloutUndo(context: string, namespace: string, kind: string, name: string): CommandSpec {
  return kubectl(context, ['rollout', 'undo', '-n', namespace, `${kind}/${name}`]);
}

export function revisionConfigMapName(prefix: string): string {
  return `${prefix}-deploy-revision`;
}

export function getRecordedRevision(context: string, namespace: string, prefix: string): CommandSpec {
  return kubectl(context, ['get', 'configmap', revisionConfigMapName(prefix), '-n', namespace, '-o', 'jsonpath={.data.revision}']);
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
  return kubectl(context, ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'], {
    input: JSON.stringify(configMap),
    inputLabel: `ConfigMap ${namespace}/${name} {revision: ${revision}}`,
  });
}
