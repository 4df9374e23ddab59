/** Readiness and liveness probes on long-running containers, and probe ports that exist. */
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { asArray, containersOf, isRecord, LONG_RUNNING_KINDS, podTemplates, type ContainerPort, type Probe } from '@optibid/rendered';

const NAME = 'probes';

const PROBES = ['readinessProbe', 'livenessProbe', 'startupProbe'] as const;

export const probes: PolicyCheck = {
  name: NAME,
  description:
    'Every container of a Deployment, StatefulSet or DaemonSet has a readinessProbe (no traffic before it is ready) and a livenessProbe (restarted when it hangs), ' +
    'init containers and Jobs/CronJobs being exempt, and every probe that targets a named port names one of its container\'s ports.',
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const t of podTemplates(objects)) {
      const longRunning = LONG_RUNNING_KINDS.has(t.owner.obj.kind);
      for (const { container, ref, type } of containersOf(t.spec)) {
        if (longRunning && type === 'container') {
          for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
            if (!isRecord(container[probe])) {
              findings.push(finding(NAME, t.owner, `${ref}: ${probe} is required (containers of a ${t.owner.obj.kind} need readiness and liveness probes)`));
            }
          }
        }
        const portNames = asArray<ContainerPort>(container.ports)
          .map((p) => p?.name)
          .filter((n): n is string => typeof n === 'string');
        for (const probe of PROBES) {
          const spec = container[probe] as Probe | undefined;
          if (!isRecord(spec)) continue;
          for (const handler of ['httpGet', 'tcpSocket'] as const) {
            const port = isRecord(spec[handler]) ? spec[handler]!.port : undefined;
            if (typeof port === 'string' && !/^\d+$/.test(port) && !portNames.includes(port)) {
              const known = portNames.length ? `named ports: ${portNames.join(', ')}` : 'it names no port';
              findings.push(finding(NAME, t.owner, `${ref}: ${probe}.${handler}.port "${port}" is not a named port of the container (${known})`));
            }
          }
        }
      }
    }
    return findings;
  },
};
