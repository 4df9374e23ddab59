import { k8s } from 'cdk8s-plus-28';
import type { ResourcesConfig } from '../config/app-schema';
import { podIdentityAgentEgress } from './network-peers';

/**
 * The Pod Security "restricted" profile, field by field, for pods and containers (cdk8s-plus-28 defaults omit
 * seccompProfile and capabilities.drop, so every field is set here explicitly).
 */
export function restrictedPodSecurityContext(uid: number): k8s.PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } };
}

export function restrictedContainerSecurityContext(uid: number): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Requests and limits from the config shape (CPU limit only when set: throttling hurts latency). */
export function containerResources(r: ResourcesConfig): k8s.ResourceRequirements {
  const q = (v: string) => k8s.Quantity.fromString(v);
  return {
    requests: { cpu: q(r.requests.cpu), memory: q(r.requests.memory) },
    limits: { memory: q(r.limits.memory), ...(r.limits.cpu ? { cpu: q(r.limits.cpu) } : {}) },
  };
}

/** Egress to the EKS Pod Identity agent: the network-policy helper's rule (network-peers.ts podIdentityAgentEgress). */
export const POD_IDENTITY_AGENT: k8s.NetworkPolicyEgressRule = podIdentityAgentEgress();
