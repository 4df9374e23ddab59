import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

export interface OperatorRbacProps {
  /** Kubernetes groups the EKS access entries map IAM roles to (naming module). */
  readonly groups: { readonly admins: string; readonly readOnly: string; readonly onCall: string };
  /** Namespaces the on-call group may restart and scale workloads in. */
  readonly onCallNamespaces: readonly string[];
  readonly labels: Record<string, string>;
  /** Prefix of the ClusterRole and binding names (no colons: names become file names in dist/). */
  readonly prefix: string;
}

const READ = ['get', 'list', 'watch'];
/** Everything an operator reads to understand the cluster, Secrets excluded. */
const READ_ONLY_RULES: k8s.PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'pods/log', 'services', 'endpoints', 'configmaps', 'persistentvolumeclaims', 'persistentvolumes', 'nodes', 'namespaces', 'events', 'serviceaccounts', 'resourcequotas', 'limitranges'], verbs: READ },
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: READ },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: READ },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies', 'ingressclasses'], verbs: READ },
  { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: READ },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
  { apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: READ },
  { apiGroups: ['cert-manager.io'], resources: ['certificates', 'clusterissuers', 'certificaterequests'], verbs: READ },
  { apiGroups: ['external-secrets.io'], resources: ['externalsecrets', 'clustersecretstores'], verbs: READ },
];

/** On-call: restart (patch the pod template annotation), scale, and delete a stuck pod; nothing else. */
const ON_CALL_RULES: k8s.PolicyRule[] = [
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['patch'] },
  { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['patch', 'update'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
  { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: ['patch'] },
];

/**
 * RBAC for the humans the EKS access entries let in: admins get cluster-admin, viewers a read-only ClusterRole
 * without Secrets, on-call the read-only role plus restart/scale rights in the application and data namespaces.
 */
export class OperatorRbac extends Construct {
  constructor(scope: Construct, id: string, props: OperatorRbacProps) {
    super(scope, id);
    const { labels, groups } = props;
    const readOnly = `${props.prefix}-read-only`;
    const onCall = `${props.prefix}-on-call`;
    const group = (name: string) => [{ kind: 'Group', name, apiGroup: 'rbac.authorization.k8s.io' }];

    new k8s.KubeClusterRoleBinding(this, 'Admins', {
      metadata: { name: `${props.prefix}-admins`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: group(groups.admins),
    });
    new k8s.KubeClusterRole(this, 'ReadOnlyRole', { metadata: { name: readOnly, labels }, rules: READ_ONLY_RULES });
    for (const [key, g] of [['ReadOnly', groups.readOnly], ['OnCallRead', groups.onCall]] as const) {
      new k8s.KubeClusterRoleBinding(this, key, {
        metadata: { name: `${readOnly}-${key === 'ReadOnly' ? 'viewers' : 'on-call'}`, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: readOnly },
        subjects: group(g),
      });
    }
    new k8s.KubeClusterRole(this, 'OnCallRole', { metadata: { name: onCall, labels }, rules: ON_CALL_RULES });
    // Bound per namespace: on-call may restart the application and data tiers, not the platform's controllers.
    for (const ns of props.onCallNamespaces) {
      new k8s.KubeRoleBinding(this, `OnCall-${ns}`, {
        metadata: { name: onCall, namespace: ns, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: onCall },
        subjects: group(groups.onCall),
      });
    }
  }
}
