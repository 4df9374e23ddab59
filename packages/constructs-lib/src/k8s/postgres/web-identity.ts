import type { k8s } from 'cdk8s-plus-28';
import { WEB_IDENTITY, type WorkloadIdentityName } from '../../naming/naming';

/**
 * IRSA for the pgBackRest pods, written out in the YAML rather than left to the EKS pod identity webhook.
 *
 * pgBackRest `repo1-s3-key-type=web-id` needs `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE` in its environment
 * (pgbackrest/pgbackrest release/2.55.1 src/storage/s3/helper.c; it fails with "option 'repo1-s3-key-type' is
 * 'web-id' but 'AWS_ROLE_ARN' and 'AWS_WEB_IDENTITY_TOKEN_FILE' are not set" otherwise). On EKS the webhook injects
 * them from the ServiceAccount's `eks.amazonaws.com/role-arn` annotation, but only as a mutating admission webhook
 * with `failurePolicy: Ignore` (aws/amazon-eks-pod-identity-webhook v0.6.17 deploy/mutatingwebhook.yaml), at pod
 * creation: a pod created while it does not answer starts without credentials and WAL archiving fails silently
 * until someone notices. So the render sets the variables and the projected token volume itself, with the
 * webhook's own names (volume `aws-iam-token`, mount `/var/run/secrets/eks.amazonaws.com/serviceaccount`, file
 * `token`, audience `sts.amazonaws.com`): the webhook then skips the variables (already defined), the volume (a
 * volume of that name exists) and the mount (the container mounts it) (pkg/handler/handler.go addEnvToContainer /
 * getPodSpecPatch), and the pod is the same with or without it. The ServiceAccount keeps the annotation, for the
 * other containers of the pods and the Redis snapshot upload that shares the backup service account.
 *
 * A projected serviceAccountToken volume is independent of `automountServiceAccountToken` (which only controls the
 * API token at /var/run/secrets/kubernetes.io/serviceaccount): the backup jobs keep automount off.
 */

/** The ServiceAccount annotations of an identity: the IRSA role ARN, for an IRSA identity. */
export function webIdentityAnnotations(id: WorkloadIdentityName): Record<string, string> {
  return id.credentials === 'irsa' ? { [WEB_IDENTITY.roleArnAnnotation]: id.roleArn } : {};
}

/** `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE` for a container that calls AWS as this IRSA identity. */
export function webIdentityEnv(id: WorkloadIdentityName): k8s.EnvVar[] {
  if (id.credentials !== 'irsa') return [];
  return [
    { name: WEB_IDENTITY.roleArnEnv, value: id.roleArn },
    { name: WEB_IDENTITY.tokenFileEnv, value: WEB_IDENTITY.tokenFile },
  ];
}

/** The token mount of such a container. */
export function webIdentityMounts(id: WorkloadIdentityName): k8s.VolumeMount[] {
  return id.credentials === 'irsa' ? [{ name: WEB_IDENTITY.tokenVolume, mountPath: WEB_IDENTITY.tokenMountPath, readOnly: true }] : [];
}

/** The projected service account token (audience sts.amazonaws.com) the pod's IRSA containers read. */
export function webIdentityVolumes(id: WorkloadIdentityName): k8s.Volume[] {
  if (id.credentials !== 'irsa') return [];
  return [
    {
      name: WEB_IDENTITY.tokenVolume,
      projected: { sources: [{ serviceAccountToken: { audience: WEB_IDENTITY.audience, expirationSeconds: WEB_IDENTITY.tokenExpirationSeconds, path: WEB_IDENTITY.tokenPath } }] },
    },
  ];
}
