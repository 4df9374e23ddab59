/**
 * `selector-matches`: Services, PodDisruptionBudgets, NetworkPolicies (`spec.podSelector`) and the targets of HPAs
 * select at least one pod template of their namespace.
 * `hpa-target`: an HPA's `scaleTargetRef` names a Deployment or StatefulSet (apps/v1) rendered in its namespace.
 */
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { describeSelector, isEmptySelector, kubeIndex, mapSelector, ofKind, podsSelected, type LabelSelector } from './kube';
import { type MakeFinding } from '../../rule-set';

/** The pod template that comes closest to a selector's matchLabels, and where it differs (a hint for the reader). */
function closest(env: RenderedEnvironment, namespace: string, sel: LabelSelector): string {
  const wanted = Object.entries(sel.matchLabels ?? {});
  if (!wanted.length) return '';
  let best: { id: string; misses: string[] } | undefined;
  for (const t of kubeIndex(env).podTemplates.filter((x) => x.namespace === namespace)) {
    const misses = wanted.filter(([k, v]) => t.labels[k] !== v && !(t.runtimeLabels[k] ?? []).includes(v)).map(([k, v]) => `${k}=${v} (has ${t.labels[k] === undefined ? 'no such label' : `${k}=${t.labels[k]}`})`);
    if (misses.length < wanted.length && (!best || misses.length < best.misses.length)) best = { id: t.ownerId, misses };
  }
  return best ? `; closest is ${best.id}, which lacks ${best.misses.join(', ')}` : '';
}

function noPods(env: RenderedEnvironment, ns: string, sel: LabelSelector): string {
  return `selects no pod: no pod template in namespace ${ns} matches ${describeSelector(sel)}${closest(env, ns, sel)}`;
}

export function selectorMatches(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const rule = 'selector-matches';
  const out: Finding[] = [];
  const nsOf = (o: KubeObject) => o.metadata.namespace ?? 'default';
  for (const svc of ofKind(env, 'Service')) {
    const sel = mapSelector(svc.spec?.selector);
    if (!sel || isEmptySelector(sel)) continue; // no selector: endpoints are managed by hand (or ExternalName)
    if (!podsSelected(env, nsOf(svc), sel).length) out.push(f(rule, objectId(svc), 'spec.selector', `Service ${noPods(env, nsOf(svc), sel)}`));
  }
  for (const pdb of ofKind(env, 'PodDisruptionBudget')) {
    const sel: LabelSelector | undefined = pdb.spec?.selector;
    if (!sel) {
      out.push(f(rule, objectId(pdb), 'spec.selector', 'PodDisruptionBudget has no selector: it protects no pod'));
      continue;
    }
    if (!podsSelected(env, nsOf(pdb), sel).length) out.push(f(rule, objectId(pdb), 'spec.selector', `PodDisruptionBudget ${noPods(env, nsOf(pdb), sel)}`));
  }
  for (const np of ofKind(env, 'NetworkPolicy')) {
    const sel: LabelSelector | undefined = np.spec?.podSelector;
    if (!sel || isEmptySelector(sel)) continue; // {} = every pod of the namespace
    if (!podsSelected(env, nsOf(np), sel).length) out.push(f(rule, objectId(np), 'spec.podSelector', `NetworkPolicy ${noPods(env, nsOf(np), sel)}: it applies to nothing`));
  }
  for (const hpa of ofKind(env, 'HorizontalPodAutoscaler')) {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const target = kubeIndex(env).get(ref.kind, nsOf(hpa), ref.name);
    if (!target) continue; // hpa-target reports it
    const sel: LabelSelector | undefined = target.spec?.selector;
    const labels = target.spec?.template?.metadata?.labels ?? {};
    const own = kubeIndex(env).podTemplates.find((t) => t.owner === target);
    const matches = sel && own && podsSelected(env, nsOf(target), sel).includes(own);
    if (!matches) out.push(f(rule, objectId(hpa), 'spec.scaleTargetRef', `the scale target ${objectId(target)} selects ${describeSelector(sel)}, which does not match its own pod template (${describeSelector({ matchLabels: labels })}): the HPA would count no pods`));
  }
  return out;
}

export function hpaTarget(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const rule = 'hpa-target';
  const out: Finding[] = [];
  for (const hpa of ofKind(env, 'HorizontalPodAutoscaler')) {
    const ns = hpa.metadata.namespace ?? 'default';
    const ref = hpa.spec?.scaleTargetRef;
    if (!ref?.kind || !ref?.name) {
      out.push(f(rule, objectId(hpa), 'spec.scaleTargetRef', 'HPA has no scaleTargetRef kind and name'));
      continue;
    }
    if (ref.kind !== 'Deployment' && ref.kind !== 'StatefulSet') {
      out.push(f(rule, objectId(hpa), 'spec.scaleTargetRef.kind', `HPA scales a ${ref.kind}: only a Deployment or StatefulSet is expected`));
      continue;
    }
    if (ref.apiVersion !== undefined && ref.apiVersion !== 'apps/v1') {
      out.push(f(rule, objectId(hpa), 'spec.scaleTargetRef.apiVersion', `HPA names ${ref.kind} in ${ref.apiVersion}: ${ref.kind} is served as apps/v1`));
    }
    if (!kubeIndex(env).get(ref.kind, ns, ref.name)) {
      const others = ofKind(env, ref.kind).filter((o) => (o.metadata.namespace ?? 'default') === ns).map((o) => o.metadata.name);
      out.push(f(rule, objectId(hpa), 'spec.scaleTargetRef.name', `HPA scales ${ref.kind}/${ns}/${ref.name}, which is not rendered (${ref.kind}s in ${ns}: ${others.join(', ') || 'none'})`));
    }
  }
  return out;
}
