import { stringify } from 'yaml';
import type { EnvironmentConfig } from '../config/schema';
import { deliveryPhases, selectorPrecedence, type DeliveryPhase } from '../delivery/phases';
import { platformNames, platformOwnedNamespaces } from '../naming/naming';
import { commentedYaml } from './commented-yaml';

/**
 * Argo CD (pull-based GitOps) as an alternative to the push deploy (`npm run deploy`): one Application per
 * environment that syncs the committed render `dist/k8s/<env>` (a kustomization) from the tracked branch, and an
 * AppProject that confines it to this repository, the platform's namespaces and the cluster-scoped kinds the
 * platform renders. Pure functions of the config; scripts/render.ts writes them to `dist/argocd/<env>/`. They are
 * applied to the Argo CD instance (`kubectl apply -n argocd -f dist/argocd/<env>/`), never part of dist/k8s.
 *
 * One delivery path, two drivers: the Application syncs in the push deploy's order (src/delivery/phases.ts, one
 * sync wave per deploy step, see argoSyncWavePatches), with server-side apply, pruning, and cluster-scoped objects
 * never pruned, as the deploy does.
 */

/** Namespace of the Argo CD instance (its Applications and AppProjects live there). */
export const ARGOCD_NAMESPACE = 'argocd';

/**
 * The cluster Argo CD deploys to: the in-cluster API server, i.e. Argo CD runs in the target cluster. For a hub
 * Argo CD managing several clusters, register the cluster (`argocd cluster add`) and use its API endpoint here.
 */
export const ARGOCD_IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/**
 * Cluster-scoped kinds the platform renders (dist/k8s/<env>/_cluster/): the only cluster-scoped objects the
 * AppProject lets the Application create. A new cluster-scoped kind in the render fails the argocd test until it is
 * listed here.
 */
export const PLATFORM_CLUSTER_SCOPED_KINDS: readonly { readonly group: string; readonly kind: string }[] = [
  { group: '', kind: 'Namespace' },
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
  { group: 'scheduling.k8s.io', kind: 'PriorityClass' },
  { group: 'storage.k8s.io', kind: 'StorageClass' },
  { group: 'cert-manager.io', kind: 'ClusterIssuer' },
  { group: 'external-secrets.io', kind: 'ClusterSecretStore' },
];

/** Sync options of every environment. */
export const ARGOCD_SYNC_OPTIONS = [
  // Server-side apply, like the push deploy: large objects (dashboards ConfigMap, CRD-backed objects) fit, and field
  // ownership is tracked per manager.
  'ServerSideApply=true',
  // Deletions run after every other object is applied and healthy.
  'PruneLast=true',
  // The namespaces are rendered objects (with their Pod Security labels): Argo CD must not create bare ones.
  'CreateNamespace=false',
] as const;


/** Annotations Argo CD reads on a synced object. */
export const ARGOCD_SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
export const ARGOCD_SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';

/** Placeholder kind/name of the wave patches: with a `target`, kustomize patches every object the target selects. */
const PATCH_PLACEHOLDER = { apiVersion: 'v1', kind: 'SyncWave', name: 'every-selected-object' } as const;

/**
 * The deploy phases (src/delivery/phases.ts) as Argo CD sync waves: phase i is wave i (cluster-scoped objects 0, the
 * default wave, ExternalSecrets 1, then one wave per namespace). Argo CD syncs lower waves first and applies the
 * next wave only once every object of the current one is healthy (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/
 * "How Does It Work?"), which is the deploy's gating: ExternalSecrets have a built-in health check on their Ready
 * condition (argoproj/argo-cd resource_customizations/external-secrets.io/ExternalSecret/health.lua), the kubectl
 * wait of step (b); Deployments, StatefulSets and DaemonSets are healthy once rolled out, the rollout status gate of
 * steps (c..). Cluster-scoped objects also carry `argocd.argoproj.io/sync-options: Prune=false`
 * (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#no-prune-resources): the deploy never prunes
 * them either.
 *
 * Kustomize patches of the Application (spec.source.kustomize.patches, Argo CD >= 2.9: "patches follow the same logic
 * as the corresponding Kustomization", https://argo-cd.readthedocs.io/en/stable/user-guide/kustomize/#patches) rather
 * than annotations rendered into every file of dist/k8s: the waves exist only for Argo CD, and the objects the push
 * deploy applies stay byte-identical. Strategic-merge patches add the annotations and keep the ones an object has.
 * A target selects by kind and namespace as anchored regular expressions (kustomize api/types/selector.go), hence
 * one `Kind1|Kind2|...` target for the cluster-scoped kinds. Kustomize applies patches in list order
 * (https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/patches/), so the namespace waves come
 * first and the more specific kind targets after them: an ExternalSecret is in wave 1, not in its namespace's.
 */
export function argoSyncWavePatches(config: EnvironmentConfig) {
  const phases = deliveryPhases(platformNames(config).namespaces);
  const target = (p: DeliveryPhase) =>
    'clusterScoped' in p.select ? { kind: PLATFORM_CLUSTER_SCOPED_KINDS.map((k) => k.kind).join('|') } : 'kind' in p.select ? { kind: p.select.kind } : { namespace: p.select.namespace };
  return phases
    .map((phase, wave) => ({ phase, wave }))
    .sort((a, b) => selectorPrecedence(a.phase.select) - selectorPrecedence(b.phase.select))
    .map(({ phase, wave }) => ({
      target: target(phase),
      patch: stringify({
        apiVersion: PATCH_PLACEHOLDER.apiVersion,
        kind: PATCH_PLACEHOLDER.kind,
        metadata: {
          name: PATCH_PLACEHOLDER.name,
          annotations: { [ARGOCD_SYNC_WAVE_ANNOTATION]: String(wave), ...(phase.prune ? {} : { [ARGOCD_SYNC_OPTIONS_ANNOTATION]: 'Prune=false' }) },
        },
      }),
    }));
}

/** Production is synced by a person; every other tier syncs itself. */
export function argoAutomatedSync(config: EnvironmentConfig): boolean {
  return config.tier !== 'production';
}

export function argoAppProject(config: EnvironmentConfig) {
  const names = platformNames(config);
  return {
    apiVersion: 'argoproj.io/v1alpha1' as const,
    kind: 'AppProject' as const,
    metadata: { name: names.delivery.argoApplication, namespace: ARGOCD_NAMESPACE, labels: { 'app.kubernetes.io/part-of': names.prefix } },
    spec: {
      description: `OptiBid platform, ${config.name}: rendered manifests of ${names.delivery.repository} (${names.delivery.manifestsPath})`,
      sourceRepos: [names.delivery.repositoryUrl],
      destinations: platformOwnedNamespaces(platformNames(config).namespaces).map((namespace) => ({ server: ARGOCD_IN_CLUSTER_SERVER, namespace })),
      clusterResourceWhitelist: PLATFORM_CLUSTER_SCOPED_KINDS.map((k) => ({ group: k.group, kind: k.kind })),
    },
  };
}

export function argoApplication(config: EnvironmentConfig) {
  const names = platformNames(config);
  const d = names.delivery;
  return {
    apiVersion: 'argoproj.io/v1alpha1' as const,
    kind: 'Application' as const,
    // No resources-finalizer: deleting the Application leaves the platform (and its data volumes) running.
    metadata: { name: d.argoApplication, namespace: ARGOCD_NAMESPACE, labels: { 'app.kubernetes.io/part-of': names.prefix } },
    spec: {
      project: d.argoApplication,
      // Kustomize is detected from dist/k8s/<env>/kustomization.yaml (it lists every rendered object).
      source: { repoURL: d.repositoryUrl, targetRevision: d.branch, path: d.manifestsPath, kustomize: { patches: argoSyncWavePatches(config) } },
      // Every rendered object names its namespace; this is only the default for one that would not.
      destination: { server: ARGOCD_IN_CLUSTER_SERVER, namespace: names.namespaces.app },
      syncPolicy: {
        ...(argoAutomatedSync(config) ? { automated: { prune: true, selfHeal: true, allowEmpty: false } } : {}),
        syncOptions: [...ARGOCD_SYNC_OPTIONS],
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      },
      revisionHistoryLimit: 10,
    },
  };
}

export type ArgoApplication = ReturnType<typeof argoApplication>;
export type ArgoAppProject = ReturnType<typeof argoAppProject>;

/** `application.yaml` and `appproject.yaml` of one environment (relative path -> content). */
export function renderArgoCd(config: EnvironmentConfig): Map<string, string> {
  const names = platformNames(config);
  const auto = argoAutomatedSync(config);
  const header = [
    `Argo CD Application of ${config.name} (rendered by \`npm run synth\` from the environment config; do not edit).`,
    `Apply to the Argo CD instance: kubectl apply -n ${ARGOCD_NAMESPACE} -f dist/argocd/${config.name}/`,
    'Pull-based alternative to the push deploy (npm run deploy): use one or the other for an environment, never both,',
    'or the two field managers fight over the same objects.',
    'Needs resource tracking by annotation (the Argo CD 3 default; on 2.x set application.resourceTrackingMethod:',
    'annotation in argocd-cm): label tracking would overwrite the app.kubernetes.io/instance labels the selectors use.',
    'Needs Argo CD 2.9 or later (spec.source.kustomize.patches).',
  ].join('\n');
  const syncComment = auto
    ? [
        `${config.tier}: automated sync. Prune removes objects deleted from the render; selfHeal reverts drift (a manual`,
        'kubectl edit) to what is committed. allowEmpty=false: an empty render never prunes everything.',
      ]
    : [
        'production: manual sync (no `automated`). A commit makes the Application OutOfSync and a person syncs it after',
        "review, as a push deploy waits for the GitHub environment's approval. Automated prune could delete objects on",
        "a render mistake with nobody watching, and selfHeal would undo an on-call engineer's emergency change mid-incident.",
        'Sync with prune (argocd app sync --prune), as the push deploy prunes: a manual sync prunes only when asked to.',
      ];
  return new Map([
    [
      'application.yaml',
      commentedYaml(argoApplication(config), header, {
        'spec.source.kustomize': [
          "Sync waves in the push deploy's order, one per deploy step (packages/constructs-lib/src/delivery/phases.ts):",
          `${deliveryPhases(names.namespaces).map((p, wave) => `${wave} ${p.name}${p.prune ? '' : ' (never pruned)'}`).join(', ')}.`,
          'A wave starts once every object of the waves before it is healthy. Patches on top of the committed kustomization',
          '(applied in order, later ones win), so dist/k8s stays exactly what the push deploy applies. The kind and name in',
          'each patch are placeholders: kustomize patches every object its target selects.',
        ].join('\n'),
        'spec.destination': [
          'Argo CD runs in the target cluster (in-cluster API server). For a hub Argo CD managing several clusters,',
          "register this cluster and set server to the cluster's API endpoint.",
        ].join('\n'),
        'spec.syncPolicy': syncComment.join('\n'),
      }),
    ],
    [
      'appproject.yaml',
      commentedYaml(
        argoAppProject(config),
        [
          `Argo CD AppProject of ${config.name}: the Application may only read ${names.delivery.repositoryUrl},`,
          'deploy into the platform namespaces and create the cluster-scoped kinds the platform renders.',
        ].join('\n'),
      ),
    ],
  ]);
}
