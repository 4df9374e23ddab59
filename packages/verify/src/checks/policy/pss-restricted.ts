/**
 * Pod Security Standard "restricted" (Kubernetes v1.28 profile, which includes "baseline"), applied to the pod templates
 * of namespaces that enforce it, so a violation fails here rather than as a rejected pod at admission time.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { asArray, containersOf, isRecord, podTemplates, type PodTemplate, type SecurityContext } from '@optibid/rendered';

const NAME = 'pss-restricted';

export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
export const EXCEPTION_ANNOTATION = 'optibid.io/pod-security-exception';

/** Volume types "restricted" allows (any other, hostPath first of all, is refused). */
export const ALLOWED_VOLUME_TYPES: readonly string[] = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

/** Safe sysctls of the v1.28 baseline profile. */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
]);

const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SECCOMP_TYPES = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_TYPES = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

function seLinuxViolations(where: string, sc: SecurityContext): string[] {
  const o = sc.seLinuxOptions;
  if (!isRecord(o)) return [];
  const out: string[] = [];
  if (o.type !== undefined && !SELINUX_TYPES.has(String(o.type))) {
    out.push(`${where}.seLinuxOptions.type "${o.type}" is not one of container_t, container_init_t, container_kvm_t (PSS baseline: SELinux)`);
  }
  for (const f of ['user', 'role'] as const) {
    if (o[f]) out.push(`${where}.seLinuxOptions.${f} must not be set (PSS baseline: SELinux)`);
  }
  return out;
}

function appArmorViolation(where: string, sc: SecurityContext): string[] {
  const t = isRecord(sc.appArmorProfile) ? sc.appArmorProfile.type : undefined;
  return t !== undefined && !APPARMOR_TYPES.has(String(t)) ? [`${where}.appArmorProfile.type must be RuntimeDefault or Localhost, not ${t} (PSS baseline: AppArmor)`] : [];
}

/** Every violation of "restricted" in one pod template, as finding messages. */
export function restrictedViolations(t: PodTemplate): string[] {
  const spec = t.spec;
  const p = t.specPath;
  const psc: SecurityContext = isRecord(spec.securityContext) ? spec.securityContext : {};
  const out: string[] = [];

  // Pod level.
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[f] === true) out.push(`${p}.${f} must not be true (PSS baseline: host namespaces)`);
  }
  if (psc.windowsOptions?.hostProcess === true) out.push(`${p}.securityContext.windowsOptions.hostProcess must not be true (PSS baseline: HostProcess)`);
  for (const v of asArray<Record<string, unknown>>(spec.volumes)) {
    if (!isRecord(v)) continue;
    for (const type of Object.keys(v).filter((k) => k !== 'name')) {
      if (type === 'hostPath') out.push(`volume "${v.name}": hostPath volumes are forbidden (PSS baseline: HostPath volumes)`);
      else if (!ALLOWED_VOLUME_TYPES.includes(type)) out.push(`volume "${v.name}": volume type ${type} is not allowed, only ${ALLOWED_VOLUME_TYPES.join(', ')} (PSS restricted: volume types)`);
    }
  }
  for (const s of asArray<{ name?: string }>(psc.sysctls)) {
    if (!SAFE_SYSCTLS.has(String(s?.name))) out.push(`${p}.securityContext.sysctls: "${s?.name}" is not a safe sysctl (PSS baseline: sysctls)`);
  }
  out.push(...seLinuxViolations(`${p}.securityContext`, psc), ...appArmorViolation(`${p}.securityContext`, psc));
  for (const [k, v] of Object.entries(t.annotations)) {
    if (k.startsWith(APPARMOR_ANNOTATION) && v !== 'runtime/default' && !v.startsWith('localhost/')) {
      out.push(`annotation ${k} must be runtime/default or localhost/<profile>, not "${v}" (PSS baseline: AppArmor)`);
    }
  }
  if (psc.runAsNonRoot === false) out.push(`${p}.securityContext.runAsNonRoot must not be false (PSS restricted: running as non-root)`);
  if (psc.runAsUser === 0) out.push(`${p}.securityContext.runAsUser must not be 0 (PSS restricted: running as non-root user)`);
  const podSeccomp = isRecord(psc.seccompProfile) ? psc.seccompProfile.type : undefined;
  if (podSeccomp !== undefined && !SECCOMP_TYPES.has(String(podSeccomp))) {
    out.push(`${p}.securityContext.seccompProfile.type must be RuntimeDefault or Localhost, not ${podSeccomp} (PSS restricted: seccomp)`);
  }

  // Every container, init and ephemeral ones included.
  for (const { container, ref } of containersOf(spec)) {
    const sc: SecurityContext = isRecord(container.securityContext) ? container.securityContext : {};
    if (sc.privileged === true) out.push(`${ref}: securityContext.privileged must not be true (PSS baseline: privileged containers)`);
    if (sc.windowsOptions?.hostProcess === true) out.push(`${ref}: securityContext.windowsOptions.hostProcess must not be true (PSS baseline: HostProcess)`);
    for (const port of asArray<{ hostPort?: number; containerPort?: number }>(container.ports)) {
      if (port?.hostPort) out.push(`${ref}: ports hostPort ${port.hostPort} is forbidden (PSS baseline: host ports)`);
    }
    if (sc.procMount !== undefined && sc.procMount !== 'Default') out.push(`${ref}: securityContext.procMount must be Default, not ${sc.procMount} (PSS baseline: /proc mount type)`);
    out.push(...seLinuxViolations(`${ref}: securityContext`, sc), ...appArmorViolation(`${ref}: securityContext`, sc));
    if (sc.allowPrivilegeEscalation !== false) out.push(`${ref}: securityContext.allowPrivilegeEscalation must be false (PSS restricted: privilege escalation)`);
    if (sc.runAsNonRoot === false) out.push(`${ref}: securityContext.runAsNonRoot must not be false (PSS restricted: running as non-root)`);
    else if (sc.runAsNonRoot !== true && psc.runAsNonRoot !== true) out.push(`${ref}: securityContext.runAsNonRoot must be true at pod or container level (PSS restricted: running as non-root)`);
    if (sc.runAsUser === 0) out.push(`${ref}: securityContext.runAsUser must not be 0 (PSS restricted: running as non-root user)`);
    const seccomp = isRecord(sc.seccompProfile) ? sc.seccompProfile.type : undefined;
    if (seccomp !== undefined && !SECCOMP_TYPES.has(String(seccomp))) {
      out.push(`${ref}: securityContext.seccompProfile.type must be RuntimeDefault or Localhost, not ${seccomp} (PSS restricted: seccomp)`);
    } else if (seccomp === undefined && podSeccomp === undefined) {
      out.push(`${ref}: securityContext.seccompProfile.type must be RuntimeDefault or Localhost at pod or container level (PSS restricted: seccomp)`);
    }
    const caps = isRecord(sc.capabilities) ? sc.capabilities : {};
    if (!asArray<string>(caps.drop).includes('ALL')) out.push(`${ref}: securityContext.capabilities.drop must include ALL (PSS restricted: capabilities)`);
    for (const cap of asArray<string>(caps.add)) {
      if (cap !== 'NET_BIND_SERVICE') out.push(`${ref}: securityContext.capabilities.add may only contain NET_BIND_SERVICE, not ${cap} (PSS restricted: capabilities)`);
    }
  }
  return out;
}

export const pssRestricted: PolicyCheck = {
  name: NAME,
  description:
    `Pods in namespaces labelled ${ENFORCE_LABEL}: restricted meet the Pod Security Standard "restricted" (no host namespaces, privileged containers, hostPath or host ports; ` +
    `non-root, no privilege escalation, RuntimeDefault/Localhost seccomp, capabilities drop ALL), so admission never rejects them, ` +
    `and a namespace that does not enforce "restricted" gives its reason in annotation ${EXCEPTION_ANNOTATION}.`,
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    const restricted = new Set<string>();
    for (const o of objects) {
      if (o.obj.kind !== 'Namespace') continue;
      const level = o.obj.metadata?.labels?.[ENFORCE_LABEL];
      if (level === 'restricted') {
        restricted.add(o.obj.metadata.name);
        continue;
      }
      const reason = o.obj.metadata?.annotations?.[EXCEPTION_ANNOTATION];
      if (typeof reason !== 'string' || !reason.trim()) {
        const current = level === undefined ? `has no ${ENFORCE_LABEL} label (so "privileged")` : `enforces "${level}"`;
        findings.push(finding(NAME, o, `Namespace ${current} instead of "restricted": label it ${ENFORCE_LABEL}: restricted, or give the reason in annotation ${EXCEPTION_ANNOTATION}`));
      }
    }
    for (const t of podTemplates(objects)) {
      if (!restricted.has(t.namespace)) continue;
      for (const message of restrictedViolations(t)) findings.push(finding(NAME, t.owner, message));
    }
    return findings;
  },
};
