/**
 * `network-peers`: every NetworkPolicy peer points at something. A `namespaceSelector` matches at least one
 * namespace (rendered Namespaces with their labels plus `kubernetes.io/metadata.name`, which the API server sets;
 * namespaces every cluster has; namespaces of the charts/manifests the templates install). A `podSelector` matches at
 * least one pod template in the selected namespaces (the policy's own namespace when no namespaceSelector), counting
 * the pods of CDK-installed charts and EKS add-ons by the labels listed in `./system`. Empty selectors (`{}`) mean
 * "all" and are fine.
 *
 * `ingress-backends`: every Ingress backend (`defaultBackend`, `rules[].http.paths[].backend`) names a Service of the
 * Ingress's namespace and a port (number or name) that Service exposes; every TLS `secretName` is a Secret the
 * render produces (as in `pod-references`).
 */
import type { Finding, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { describeSelector, isEmptySelector, kubeIndex, ofKind, selectorMatches, type LabelSelector, type Labels } from './kube';
import { type MakeFinding } from '../../rule-set';
import { secretSource } from './pod-refs';
import { externalNamespaces, externalPods } from './system';

export function networkPeers(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const rule = 'network-peers';
  const out: Finding[] = [];
  const ix = kubeIndex(env);
  const namespaces = new Map<string, { labels: Labels; source: string }>();
  for (const [n, e] of externalNamespaces(env)) namespaces.set(n, e);
  for (const [n, labels] of ix.namespaces) namespaces.set(n, { labels, source: `Namespace/_cluster/${n}` });
  const extPods = externalPods(env);
  for (const np of ofKind(env, 'NetworkPolicy')) {
    const own = np.metadata.namespace ?? 'default';
    for (const dir of ['ingress', 'egress'] as const) {
      const side = dir === 'ingress' ? 'from' : 'to';
      (np.spec?.[dir] ?? []).forEach((r: any, i: number) => {
        (r[side] ?? []).forEach((peer: any, j: number) => {
          const base = `spec.${dir}[${i}].${side}[${j}]`;
          if (peer.ipBlock) return;
          let targets = [own];
          if (peer.namespaceSelector) {
            const sel: LabelSelector = peer.namespaceSelector;
            targets = [...namespaces.entries()].filter(([, e]) => isEmptySelector(sel) || selectorMatches(sel, e.labels)).map(([n]) => n);
            if (!targets.length) {
              out.push(f(rule, objectId(np), `${base}.namespaceSelector`, `${dir} peer selects no namespace: none of ${[...namespaces.keys()].sort().join(', ')} matches ${describeSelector(sel)}`));
              return;
            }
          }
          const podSel: LabelSelector | undefined = peer.podSelector;
          if (!podSel || isEmptySelector(podSel)) return;
          const rendered = ix.podTemplates.filter((t) => targets.includes(t.namespace) && selectorMatches(podSel, t.labels, t.runtimeLabels));
          const external = extPods.filter((p) => targets.includes(p.namespace) && selectorMatches(podSel, p.labels));
          if (!rendered.length && !external.length) {
            const inNs = ix.podTemplates.filter((t) => targets.includes(t.namespace)).map((t) => `${t.ownerId} (app.kubernetes.io/name=${t.labels['app.kubernetes.io/name'] ?? '-'})`);
            const ext = extPods.filter((p) => targets.includes(p.namespace)).map((p) => `${p.source} (${describeSelector({ matchLabels: { ...p.labels } })})`);
            out.push(f(rule, objectId(np), `${base}.podSelector`, `${dir} peer selects no pod: nothing in namespace ${targets.join(', ')} matches ${describeSelector(podSel)} (pods there: ${[...inNs, ...ext].join('; ') || 'none known'})`));
          }
        });
      });
    }
  }
  return out;
}

export function ingressBackends(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const rule = 'ingress-backends';
  const out: Finding[] = [];
  const ix = kubeIndex(env);
  for (const ing of ofKind(env, 'Ingress')) {
    const ns = ing.metadata.namespace ?? 'default';
    const backends: { b: any; field: string }[] = [];
    if (ing.spec?.defaultBackend) backends.push({ b: ing.spec.defaultBackend, field: 'spec.defaultBackend' });
    (ing.spec?.rules ?? []).forEach((r: any, i: number) => (r.http?.paths ?? []).forEach((p: any, j: number) => backends.push({ b: p.backend, field: `spec.rules[${i}].http.paths[${j}].backend` })));
    for (const { b, field } of backends) {
      const s = b?.service;
      if (!s) continue; // resource backends point at CRDs, not Services
      const svc = ix.get('Service', ns, s.name);
      if (!svc) {
        out.push(f(rule, objectId(ing), `${field}.service.name`, `backend Service ${ns}/${s.name} is not rendered (Services in ${ns}: ${ofKind(env, 'Service').filter((x) => x.metadata.namespace === ns).map((x) => x.metadata.name).join(', ') || 'none'})`));
        continue;
      }
      const ports: any[] = svc.spec?.ports ?? [];
      const ok = s.port?.number !== undefined ? ports.some((p) => p.port === s.port.number) : s.port?.name !== undefined ? ports.some((p) => p.name === s.port.name) : ports.length === 1;
      if (!ok) {
        const wanted = s.port?.number ?? s.port?.name ?? '(no port)';
        out.push(f(rule, objectId(ing), `${field}.service.port`, `backend port ${JSON.stringify(wanted)} is not a port of Service ${ns}/${s.name} (ports: ${ports.map((p) => `${p.name ?? '-'}/${p.port}`).join(', ')})`));
      }
    }
    (ing.spec?.tls ?? []).forEach((t: any, i: number) => {
      if (t.secretName && !secretSource(env, ns, t.secretName)) {
        out.push(f(rule, objectId(ing), `spec.tls[${i}].secretName`, `TLS Secret ${ns}/${t.secretName} is produced by no Certificate, ExternalSecret or rendered Secret`));
      }
    });
  }
  return out;
}
