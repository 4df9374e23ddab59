import type { EnvironmentConfig } from '../config/schema';
import { platformNames, platformOwnedNamespaces } from '../naming/naming';
import { commentedYaml } from './commented-yaml';

/**
 * Argo CD (pull-based GitOps) as an alternative to the push deploy (`npm run deploy`): one Application per
 * environment that syncs the committed render `dist/k8s/<env>` (a kustomization) from the tracked branch, and an
 * AppProject that confines it to this repository, the platform's namespaces and the cluster-scoped kinds the
 * platform renders. Pure functions of the config; scripts/render.ts writes them to `dist/argocd/<env>/`. They are
 * applied to the Argo CD instance (`kubectl apply -n argocd -f dist/argocd/<env>/`), never part of dist/k8s.
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
      source: { repoURL: d.repositoryUrl, targetRevision: d.branch, path: d.manifestsPath },
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
      ];
  return new Map([
    [
      'application.yaml',
      commentedYaml(argoApplication(config), header, {
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
