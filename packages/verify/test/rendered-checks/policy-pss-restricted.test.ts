import { pssRestricted } from '../../src/checks/policy/pss-restricted';
import type { RenderedObject } from '@optibid/rendered';
import { compliantSet, deployment, expectClean, expectFinding, namespace, NS, ref, rendered, withContainer, withExtra, withObject, withPodSpec } from './policy-support';

const check = pssRestricted;
const DEPLOY = ref('Deployment', 'backend');

describe('pss-restricted', () => {
  test('a compliant restricted namespace passes', () => {
    expectClean(check, compliantSet());
  });

  describe('namespaces', () => {
    test('a namespace that is not in the object set is skipped', () => {
      const set = withObject(compliantSet(), 'Deployment', 'backend', (d) => {
        d.metadata.namespace = 'elsewhere';
        d.spec.template.spec.hostNetwork = true;
      });
      expectClean(check, set);
    });

    test.each(['baseline', 'privileged'])('pods of a %s namespace (with an exception reason) are skipped', (level) => {
      const set = withObject(compliantSet(), 'Namespace', NS, (n) => {
        n.metadata.labels['pod-security.kubernetes.io/enforce'] = level;
        n.metadata.annotations = { 'optibid.io/pod-security-exception': 'node exporter reads host metrics' };
      });
      expectClean(check, withPodSpec((s) => (s.hostNetwork = true), set));
    });

    test.each(['baseline', 'privileged'])('a %s namespace without an exception annotation is a finding', (level) => {
      const set = withObject(compliantSet(), 'Namespace', NS, (n) => (n.metadata.labels['pod-security.kubernetes.io/enforce'] = level));
      expectFinding(check, set, ref('Namespace', NS, null), `enforces "${level}"`, 'optibid.io/pod-security-exception');
    });

    test('a namespace without an enforce label and without exception is a finding', () => {
      const set = withObject(compliantSet(), 'Namespace', NS, (n) => delete n.metadata.labels['pod-security.kubernetes.io/enforce']);
      expectFinding(check, set, ref('Namespace', NS, null), 'has no pod-security.kubernetes.io/enforce label', 'restricted');
    });

    test('an exception annotation with a blank reason is a finding', () => {
      const set = withObject(compliantSet(), 'Namespace', NS, (n) => {
        n.metadata.labels['pod-security.kubernetes.io/enforce'] = 'baseline';
        n.metadata.annotations = { 'optibid.io/pod-security-exception': '  ' };
      });
      expectFinding(check, set, ref('Namespace', NS, null), 'optibid.io/pod-security-exception');
    });

    test('each pod is judged by its own namespace', () => {
      const tools = namespace('tools');
      tools.metadata.labels!['pod-security.kubernetes.io/enforce'] = 'baseline';
      tools.metadata.annotations = { 'optibid.io/pod-security-exception': 'debug tooling' };
      const inTools = deployment('debug', 'tools');
      inTools.spec.template.spec.hostPID = true;
      const inOther = deployment('worker', 'other');
      inOther.spec.template.spec.hostPID = true;
      const set = withExtra(compliantSet(), tools, namespace('other'), inTools, inOther);
      expect(check.run(set).map((f) => f.object)).toEqual([ref('Deployment', 'worker', 'other')]);
    });
  });

  type Case = [string, () => RenderedObject[], string[]];
  const cases: Case[] = [
    ['hostNetwork', () => withPodSpec((s) => (s.hostNetwork = true)), ['spec.template.spec.hostNetwork must not be true', 'host namespaces']],
    ['hostPID', () => withPodSpec((s) => (s.hostPID = true)), ['spec.template.spec.hostPID must not be true']],
    ['hostIPC', () => withPodSpec((s) => (s.hostIPC = true)), ['spec.template.spec.hostIPC must not be true']],
    ['privileged', () => withContainer((c) => (c.securityContext.privileged = true)), ['container "backend": securityContext.privileged must not be true', 'privileged containers']],
    ['privileged init container', () => withContainer((c) => (c.securityContext.privileged = true), 'initContainers'), ['initContainer "migrate": securityContext.privileged']],
    ['hostPath volume', () => withPodSpec((s) => s.volumes.push({ name: 'docker', hostPath: { path: '/var/run/docker.sock' } })), ['volume "docker": hostPath volumes are forbidden']],
    ['disallowed volume type', () => withPodSpec((s) => s.volumes.push({ name: 'share', nfs: { server: 'nfs', path: '/' } })), ['volume "share": volume type nfs is not allowed', 'volume types']],
    ['hostPort', () => withContainer((c) => (c.ports[0].hostPort = 8080)), ['container "backend": ports hostPort 8080 is forbidden', 'host ports']],
    ['allowPrivilegeEscalation unset', () => withContainer((c) => delete c.securityContext.allowPrivilegeEscalation), ['container "backend": securityContext.allowPrivilegeEscalation must be false']],
    ['allowPrivilegeEscalation true', () => withContainer((c) => (c.securityContext.allowPrivilegeEscalation = true)), ['container "backend": securityContext.allowPrivilegeEscalation must be false', 'privilege escalation']],
    ['allowPrivilegeEscalation on an init container', () => withContainer((c) => delete c.securityContext.allowPrivilegeEscalation, 'initContainers'), ['initContainer "migrate": securityContext.allowPrivilegeEscalation must be false']],
    [
      'allowPrivilegeEscalation on an ephemeral container',
      () => withPodSpec((s) => (s.ephemeralContainers = [{ name: 'debug', image: 'busybox:1.36', securityContext: { capabilities: { drop: ['ALL'] } } }])),
      ['ephemeralContainer "debug": securityContext.allowPrivilegeEscalation must be false'],
    ],
    ['runAsNonRoot nowhere', () => withPodSpec((s) => delete s.securityContext.runAsNonRoot), ['container "backend": securityContext.runAsNonRoot must be true at pod or container level', 'running as non-root']],
    ['runAsNonRoot false on the pod', () => withPodSpec((s) => (s.securityContext.runAsNonRoot = false)), ['spec.template.spec.securityContext.runAsNonRoot must not be false']],
    ['runAsNonRoot false on a container', () => withContainer((c) => (c.securityContext.runAsNonRoot = false)), ['container "backend": securityContext.runAsNonRoot must not be false']],
    ['runAsUser 0 on the pod', () => withPodSpec((s) => (s.securityContext.runAsUser = 0)), ['spec.template.spec.securityContext.runAsUser must not be 0', 'non-root user']],
    ['runAsUser 0 on a container', () => withContainer((c) => (c.securityContext.runAsUser = 0), 'initContainers'), ['initContainer "migrate": securityContext.runAsUser must not be 0']],
    ['seccomp nowhere', () => withPodSpec((s) => delete s.securityContext.seccompProfile), ['container "backend": securityContext.seccompProfile.type must be RuntimeDefault or Localhost at pod or container level', 'seccomp']],
    ['seccomp Unconfined on the pod', () => withPodSpec((s) => (s.securityContext.seccompProfile.type = 'Unconfined')), ['spec.template.spec.securityContext.seccompProfile.type must be RuntimeDefault or Localhost, not Unconfined']],
    ['seccomp Unconfined on a container', () => withContainer((c) => (c.securityContext.seccompProfile = { type: 'Unconfined' })), ['container "backend": securityContext.seccompProfile.type must be RuntimeDefault or Localhost, not Unconfined']],
    ['capabilities.drop without ALL', () => withContainer((c) => (c.securityContext.capabilities.drop = ['NET_RAW'])), ['container "backend": securityContext.capabilities.drop must include ALL', 'capabilities']],
    ['no capabilities on an init container', () => withContainer((c) => delete c.securityContext.capabilities, 'initContainers'), ['initContainer "migrate": securityContext.capabilities.drop must include ALL']],
    ['capabilities.add beyond NET_BIND_SERVICE', () => withContainer((c) => (c.securityContext.capabilities.add = ['NET_BIND_SERVICE', 'SYS_ADMIN'])), ['container "backend": securityContext.capabilities.add may only contain NET_BIND_SERVICE, not SYS_ADMIN']],
    ['Windows hostProcess', () => withPodSpec((s) => (s.securityContext.windowsOptions = { hostProcess: true })), ['windowsOptions.hostProcess must not be true']],
    ['procMount Unmasked', () => withContainer((c) => (c.securityContext.procMount = 'Unmasked')), ['container "backend": securityContext.procMount must be Default']],
    ['unsafe sysctl', () => withPodSpec((s) => (s.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }])), ['"kernel.msgmax" is not a safe sysctl']],
    ['SELinux type', () => withContainer((c) => (c.securityContext.seLinuxOptions = { type: 'spc_t' })), ['seLinuxOptions.type "spc_t"']],
    ['SELinux user', () => withPodSpec((s) => (s.securityContext.seLinuxOptions = { user: 'system_u' })), ['seLinuxOptions.user must not be set']],
    ['AppArmor Unconfined field', () => withContainer((c) => (c.securityContext.appArmorProfile = { type: 'Unconfined' })), ['appArmorProfile.type must be RuntimeDefault or Localhost, not Unconfined']],
    [
      'AppArmor unconfined annotation',
      () => withObject(compliantSet(), 'Deployment', 'backend', (d) => (d.spec.template.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/backend': 'unconfined' })),
      ['container.apparmor.security.beta.kubernetes.io/backend must be runtime/default'],
    ],
  ];

  test.each(cases)('%s is a finding on the workload', (_name, build, fragments) => {
    expectFinding(check, build(), DEPLOY, ...fragments);
  });

  describe('passing variants', () => {
    test('runAsNonRoot and seccomp set on every container instead of the pod', () => {
      const set = withPodSpec((s) => {
        delete s.securityContext.runAsNonRoot;
        delete s.securityContext.seccompProfile;
        for (const c of [...s.containers, ...s.initContainers]) {
          c.securityContext.runAsNonRoot = true;
          c.securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'profiles/backend.json' };
        }
      });
      expectClean(check, set);
    });

    test('capabilities.add NET_BIND_SERVICE, hostPort 0, allowed volume types and safe sysctls pass', () => {
      const set = withPodSpec((s) => {
        s.containers[0].securityContext.capabilities.add = ['NET_BIND_SERVICE'];
        s.containers[0].ports[0].hostPort = 0;
        s.securityContext.sysctls = [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }];
        s.securityContext.seLinuxOptions = { type: 'container_t', level: 's0:c123,c456' };
        s.volumes.push(
          { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
          { name: 'token', projected: { sources: [] } },
          { name: 's', secret: { secretName: 's' } },
          { name: 'd', downwardAPI: { items: [] } },
          { name: 'c', csi: { driver: 'secrets-store.csi.k8s.io' } },
          { name: 'e', ephemeral: { volumeClaimTemplate: { spec: {} } } },
        );
      });
      expectClean(check, set);
    });

    test('CronJob and bare Pod templates are checked too', () => {
      const cron = withObject(compliantSet(), 'CronJob', 'report', (c) => (c.spec.jobTemplate.spec.template.spec.hostPID = true));
      expectFinding(check, cron, ref('CronJob', 'report'), 'spec.jobTemplate.spec.template.spec.hostPID must not be true');
      const pod = rendered({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: NS }, spec: { containers: [{ name: 'sh', image: 'busybox:1.36' }] } });
      const findings = check.run([...compliantSet(), pod]);
      expect(findings.filter((f) => f.object === ref('Pod', 'debug')).map((f) => f.message)).toEqual(
        expect.arrayContaining([expect.stringContaining('container "sh": securityContext.allowPrivilegeEscalation must be false')]),
      );
    });
  });
});
