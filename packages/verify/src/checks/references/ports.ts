/**
 * `ports-exist`: every Service `targetPort` (name or number; the `port` when unset) is a declared port of a
 * container of the pods the Service selects, with the same protocol; every probe port (`httpGet`, `tcpSocket`,
 * `grpc`; name or number) is a declared port of the probed container.
 */
import type { Finding, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { containersOf, isEmptySelector, kubeIndex, mapSelector, ofKind, podsSelected } from './kube';
import { type MakeFinding } from '../../rule-set';

function portList(ports: any[] | undefined): string {
  return (ports ?? []).map((p) => `${p.name ? `${p.name}/` : ''}${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ') || 'no ports';
}

export function portsExist(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const rule = 'ports-exist';
  const out: Finding[] = [];
  for (const svc of ofKind(env, 'Service')) {
    const sel = mapSelector(svc.spec?.selector);
    if (!sel || isEmptySelector(sel)) continue;
    const pods = podsSelected(env, svc.metadata.namespace ?? 'default', sel);
    if (!pods.length) continue; // selector-matches reports it
    (svc.spec.ports ?? []).forEach((p: any, i: number) => {
      const target = p.targetPort ?? p.port;
      const protocol = p.protocol ?? 'TCP';
      const found = pods.some((t) =>
        containersOf(t).some(({ container }) =>
          (container.ports ?? []).some((cp: any) => (cp.protocol ?? 'TCP') === protocol && (typeof target === 'number' ? cp.containerPort === target : cp.name === target)),
        ),
      );
      if (!found) {
        const have = pods.map((t) => `${t.ownerId}: ${containersOf(t).map(({ container }) => `${container.name} [${portList(container.ports)}]`).join('; ')}`).join(' | ');
        out.push(f(rule, objectId(svc), `spec.ports[${i}].targetPort`, `targetPort ${JSON.stringify(target)} (${protocol}) of port ${p.name ?? p.port} is not a ${typeof target === 'number' ? 'containerPort' : 'named port'} of the selected pods (${have})`));
      }
    });
  }
  for (const t of kubeIndex(env).podTemplates) {
    for (const { container, path } of containersOf(t)) {
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        const pr = container[probe];
        if (!pr) continue;
        for (const handler of ['httpGet', 'tcpSocket', 'grpc'] as const) {
          const port = pr[handler]?.port;
          if (port === undefined) continue;
          const ok = (container.ports ?? []).some((cp: any) => (typeof port === 'number' ? cp.containerPort === port : cp.name === port));
          if (!ok) out.push(f(rule, t.ownerId, `${path}.${probe}.${handler}.port`, `${probe} of container ${container.name} probes port ${JSON.stringify(port)}, which is not a ${typeof port === 'number' ? 'containerPort' : 'named port'} of that container (${portList(container.ports)})`));
        }
      }
    }
  }
  return out;
}
