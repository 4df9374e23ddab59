/**
 * `pod-references`: what a pod template names exists in the render.
 * - ConfigMaps (volumes, projected volumes, `envFrom`, `configMapKeyRef`) are rendered ConfigMaps, and the keys a
 *   pod picks (`items[].key`, `configMapKeyRef.key`) are in them; `optional: true` references are excused.
 * - Secrets (volumes, projected volumes, `envFrom`, `secretKeyRef`, `imagePullSecrets`) are produced by an
 *   ExternalSecret (`spec.target.name`, default its name), a cert-manager Certificate (`spec.secretName`), a rendered
 *   Secret, or are in {@link KNOWN_EXTERNAL_SECRETS}; and the keys a pod picks are keys that producer writes.
 * - ServiceAccounts (`default` exists in every namespace), PersistentVolumeClaims (`persistentVolumeClaim`),
 *   PriorityClasses (rendered, or built in: {@link BUILT_IN_PRIORITY_CLASSES}).
 * - StorageClasses of StatefulSet `volumeClaimTemplates` and of PersistentVolumeClaims (no `storageClassName` means
 *   the default class, which must then exist; `""` means no dynamic provisioning and is accepted).
 */
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { containersOf, kubeIndex, ofKind, type PodTemplate } from './kube';
import { type MakeFinding } from '../../rule-set';
import { BUILT_IN_PRIORITY_CLASSES } from './system';

/**
 * Secrets the cluster has although nothing rendered produces them, with the reason. Kept tiny on purpose: every entry
 * is a secret a pod may name without the render proving it exists. Empty today: the rendered pods only name secrets
 * that an ExternalSecret or a Certificate writes.
 */
export const KNOWN_EXTERNAL_SECRETS: readonly { namespace?: string; name: string; reason: string }[] = [];

/** ConfigMaps the cluster has without a rendered object: `kube-root-ca.crt`, published by Kubernetes in every namespace. */
export const KNOWN_EXTERNAL_CONFIGMAPS: readonly { name: string; keys: readonly string[]; reason: string }[] = [
  { name: 'kube-root-ca.crt', keys: ['ca.crt'], reason: 'the root CA bundle kube-controller-manager publishes in every namespace' },
];

/** Who produces a Secret, and the keys it will hold (undefined = cannot be known from the render). */
export interface SecretSource {
  readonly source: string;
  readonly keys?: ReadonlySet<string>;
}

const sourcesCache = new WeakMap<RenderedEnvironment, Map<string, SecretSource>>();

/** Every Secret the render produces, by `<namespace>/<name>`. */
export function secretSources(env: RenderedEnvironment): Map<string, SecretSource> {
  let m = sourcesCache.get(env);
  if (m) return m;
  m = new Map();
  for (const es of ofKind(env, 'ExternalSecret')) {
    const ns = es.metadata.namespace ?? 'default';
    const target = es.spec?.target ?? {};
    const name = target.name ?? es.metadata.name;
    let keys: Set<string> | undefined;
    const tpl = target.template;
    if (tpl && (tpl.mergePolicy ?? 'Replace') === 'Replace') keys = tpl.templateFrom?.length ? undefined : new Set(Object.keys(tpl.data ?? {}));
    else if (es.spec?.dataFrom?.length) keys = undefined;
    else keys = new Set([...(es.spec?.data ?? []).map((d: any) => d.secretKey), ...(tpl ? Object.keys(tpl.data ?? {}) : [])]);
    m.set(`${ns}/${name}`, { source: objectId(es), ...(keys ? { keys } : {}) });
  }
  for (const c of ofKind(env, 'Certificate')) {
    if (c.spec?.secretName) m.set(`${c.metadata.namespace ?? 'default'}/${c.spec.secretName}`, { source: objectId(c), keys: new Set(['tls.crt', 'tls.key', 'ca.crt', ...(c.spec.keystores?.jks ? ['keystore.jks', 'truststore.jks'] : []), ...(c.spec.keystores?.pkcs12 ? ['keystore.p12', 'truststore.p12'] : [])]) });
  }
  for (const s of ofKind(env, 'Secret')) {
    m.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, { source: objectId(s), keys: new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})]) });
  }
  for (const k of KNOWN_EXTERNAL_SECRETS) m.set(`${k.namespace ?? '*'}/${k.name}`, { source: `known external secret (${k.reason})` });
  sourcesCache.set(env, m);
  return m;
}

/** The producer of a Secret in a namespace, if the render has one. */
export function secretSource(env: RenderedEnvironment, namespace: string, name: string): SecretSource | undefined {
  const m = secretSources(env);
  return m.get(`${namespace}/${name}`) ?? m.get(`*/${name}`);
}

function configMapKeys(env: RenderedEnvironment, namespace: string, name: string): Set<string> | undefined {
  const cm = kubeIndex(env).get('ConfigMap', namespace, name);
  if (cm) return new Set([...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})]);
  const known = KNOWN_EXTERNAL_CONFIGMAPS.find((k) => k.name === name);
  return known ? new Set(known.keys) : undefined;
}

/** The default StorageClass(es) of the render (annotation `storageclass.kubernetes.io/is-default-class: "true"`). */
export function defaultStorageClasses(env: RenderedEnvironment): KubeObject[] {
  return ofKind(env, 'StorageClass').filter((s) => (s.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] ?? s.metadata.annotations?.['storageclass.beta.kubernetes.io/is-default-class']) === 'true');
}

function checkTemplate(env: RenderedEnvironment, t: PodTemplate, f: MakeFinding): Finding[] {
  const rule = 'pod-references';
  const out: Finding[] = [];
  const ix = kubeIndex(env);
  const ns = t.namespace;
  const configMap = (name: string, optional: boolean, keys: string[], field: string, what: string) => {
    if (optional) return;
    const have = configMapKeys(env, ns, name);
    if (!have) return out.push(f(rule, t.ownerId, field, `${what} names ConfigMap ${ns}/${name}, which is not rendered (and the reference is not optional)`));
    const missing = keys.filter((k) => !have.has(k));
    if (missing.length) out.push(f(rule, t.ownerId, field, `${what} picks key(s) ${missing.join(', ')} of ConfigMap ${ns}/${name}, which holds only ${[...have].join(', ') || 'nothing'}`));
    return undefined;
  };
  const secret = (name: string, optional: boolean, keys: string[], field: string, what: string) => {
    if (optional) return;
    const src = secretSource(env, ns, name);
    if (!src) return out.push(f(rule, t.ownerId, field, `${what} names Secret ${ns}/${name}, which no ExternalSecret (spec.target.name), Certificate (spec.secretName) or rendered Secret produces, and which is not a known external secret`));
    const missing = src.keys ? keys.filter((k) => !src.keys!.has(k)) : [];
    if (missing.length) out.push(f(rule, t.ownerId, field, `${what} picks key(s) ${missing.join(', ')} of Secret ${ns}/${name}, but ${src.source} writes only ${[...src.keys!].join(', ') || 'nothing'}`));
    return undefined;
  };
  (t.spec.volumes ?? []).forEach((v: any, i: number) => {
    const vf = `${t.specPath}.volumes[${i}]`;
    if (v.configMap) configMap(v.configMap.name, v.configMap.optional === true, (v.configMap.items ?? []).map((x: any) => x.key), `${vf}.configMap`, `volume ${v.name}`);
    if (v.secret) secret(v.secret.secretName, v.secret.optional === true, (v.secret.items ?? []).map((x: any) => x.key), `${vf}.secret`, `volume ${v.name}`);
    (v.projected?.sources ?? []).forEach((s: any, j: number) => {
      if (s.configMap) configMap(s.configMap.name, s.configMap.optional === true, (s.configMap.items ?? []).map((x: any) => x.key), `${vf}.projected.sources[${j}].configMap`, `projected volume ${v.name}`);
      if (s.secret) secret(s.secret.name, s.secret.optional === true, (s.secret.items ?? []).map((x: any) => x.key), `${vf}.projected.sources[${j}].secret`, `projected volume ${v.name}`);
    });
    if (v.persistentVolumeClaim && !ix.get('PersistentVolumeClaim', ns, v.persistentVolumeClaim.claimName)) {
      out.push(f(rule, t.ownerId, `${vf}.persistentVolumeClaim.claimName`, `volume ${v.name} mounts PersistentVolumeClaim ${ns}/${v.persistentVolumeClaim.claimName}, which is not rendered`));
    }
  });
  for (const { container: c, path } of containersOf(t)) {
    (c.envFrom ?? []).forEach((e: any, i: number) => {
      if (e.configMapRef) configMap(e.configMapRef.name, e.configMapRef.optional === true, [], `${path}.envFrom[${i}].configMapRef`, `container ${c.name} envFrom`);
      if (e.secretRef) secret(e.secretRef.name, e.secretRef.optional === true, [], `${path}.envFrom[${i}].secretRef`, `container ${c.name} envFrom`);
    });
    (c.env ?? []).forEach((e: any, i: number) => {
      const cm = e.valueFrom?.configMapKeyRef;
      if (cm) configMap(cm.name, cm.optional === true, [cm.key], `${path}.env[${i}].valueFrom.configMapKeyRef`, `container ${c.name} env ${e.name}`);
      const sk = e.valueFrom?.secretKeyRef;
      if (sk) secret(sk.name, sk.optional === true, [sk.key], `${path}.env[${i}].valueFrom.secretKeyRef`, `container ${c.name} env ${e.name}`);
    });
  }
  (t.spec.imagePullSecrets ?? []).forEach((p: any, i: number) => secret(p.name, false, [], `${t.specPath}.imagePullSecrets[${i}]`, 'imagePullSecrets'));
  const sa = t.spec.serviceAccountName ?? t.spec.serviceAccount;
  if (sa && sa !== 'default' && !ix.get('ServiceAccount', ns, sa)) {
    out.push(f(rule, t.ownerId, `${t.specPath}.serviceAccountName`, `pods run under ServiceAccount ${ns}/${sa}, which is not rendered`));
  }
  const pc = t.spec.priorityClassName;
  if (pc && !BUILT_IN_PRIORITY_CLASSES.includes(pc) && !ix.get('PriorityClass', undefined, pc)) {
    out.push(f(rule, t.ownerId, `${t.specPath}.priorityClassName`, `pods use PriorityClass ${pc}, which is not rendered (rendered: ${ofKind(env, 'PriorityClass').map((p) => p.metadata.name).join(', ') || 'none'}; built in: ${BUILT_IN_PRIORITY_CLASSES.join(', ')})`));
  }
  return out;
}

function checkStorageClass(env: RenderedEnvironment, f: MakeFinding, object: string, field: string, className: string | undefined, what: string): Finding[] {
  if (className === '') return [];
  if (className === undefined) {
    return defaultStorageClasses(env).length ? [] : [f('pod-references', object, field, `${what} sets no storageClassName, so it needs the default StorageClass, and no rendered StorageClass is the default`)];
  }
  return kubeIndex(env).get('StorageClass', undefined, className) ? [] : [f('pod-references', object, field, `${what} uses StorageClass ${className}, which is not rendered (rendered: ${ofKind(env, 'StorageClass').map((s) => s.metadata.name).join(', ') || 'none'})`)];
}

export function podReferences(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const out: Finding[] = [];
  for (const t of kubeIndex(env).podTemplates) out.push(...checkTemplate(env, t, f));
  for (const sts of ofKind(env, 'StatefulSet')) {
    (sts.spec?.volumeClaimTemplates ?? []).forEach((v: any, i: number) => out.push(...checkStorageClass(env, f, objectId(sts), `spec.volumeClaimTemplates[${i}].spec.storageClassName`, v.spec?.storageClassName, `volumeClaimTemplate ${v.metadata?.name}`)));
  }
  for (const pvc of ofKind(env, 'PersistentVolumeClaim')) out.push(...checkStorageClass(env, f, objectId(pvc), 'spec.storageClassName', pvc.spec?.storageClassName, 'PersistentVolumeClaim'));
  return out;
}
