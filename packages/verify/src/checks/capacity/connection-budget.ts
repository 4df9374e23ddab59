/**
 * `connection-budget` (capacity): the PgBouncer pools never hold more server connections on PostgreSQL than the
 * pooling cap, also at the peak of a rollout. Read from the render only, so a hand-edit of dist/ or a construct
 * change is caught:
 *
 * - per pod: the `max_db_connections` of the pgbouncer.ini the pod mounts ([pgbouncer], overridden per database by a
 *   `max_db_connections=` of its [databases] entry), summed over the databases of the file. 0 or unset means
 *   unlimited (PgBouncer's default), which no budget can hold;
 * - pods at the peak: replicas (the HPA maximum for an HPA target) plus the rolling-update surge (Deployment
 *   `maxSurge`, default 25 % rounded up, as Kubernetes resolves it; 0 for Recreate and StatefulSets);
 * - the budget: the Deployment's `optibid.io/pooling-cap` annotation (the config's `database.poolingCap`), which must
 *   itself fit what the server admits to non-superusers: `max_connections - superuser_reserved_connections -
 *   reserved_connections` of the Patroni configuration (bootstrap.dcs.postgresql.parameters) mounted by the pods
 *   behind the [databases] host's Service; without the annotation, that server figure is the budget.
 *
 * Kubernetes counts a terminating pod as gone: the Deployment controller starts the replacement while the old pod is
 * still draining (up to its terminationGracePeriodSeconds), so for those seconds one pod more than `replicas +
 * maxSurge` may hold connections. That overlap is not counted here; PostgreSQL refuses the excess rather than
 * exceeding max_connections.
 */
import { parse as parseYaml } from 'yaml';
import { PLATFORM_ANNOTATIONS } from '@optibid/constructs-lib';
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { parseIni } from '../contract/backup-target';
import { configMapsUsed, kubeIndex, mapSelector, ofKind, podsSelected, type PodTemplate } from '../references/kube';
import { resolveIntOrPercent } from './workloads';

export const CONNECTION_BUDGET_RULE = 'connection-budget';

/** `key=value key2=value2` of a [databases] entry (libpq-style). */
function connectionParams(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of s.matchAll(/([a-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) out.set(m[1], m[2].replace(/^'|'$/g, ''));
  return out;
}

/** The pgbouncer.ini files a pod template mounts: ConfigMap, key, parsed text. */
function pgbouncerFiles(env: RenderedEnvironment, t: PodTemplate): { cm: KubeObject; key: string; ini: Map<string, Map<string, string>> }[] {
  const ix = kubeIndex(env);
  const out: { cm: KubeObject; key: string; ini: Map<string, Map<string, string>> }[] = [];
  for (const name of configMapsUsed(t)) {
    const cm = ix.get('ConfigMap', t.namespace, name);
    for (const [key, text] of Object.entries<unknown>(cm?.data ?? {})) {
      if (typeof text !== 'string' || !/^\s*\[pgbouncer\]\s*$/m.test(text)) continue;
      out.push({ cm: cm!, key, ini: parseIni(text) });
    }
  }
  return out;
}

/** What the PostgreSQL server behind `host` admits to non-superusers, from the Patroni configuration its pods mount. */
function serverBound(env: RenderedEnvironment, host: string, fallbackNs: string): { bound: number; text: string; source: string } | undefined {
  const m = /^([a-z0-9-]+)(?:\.([a-z0-9-]+))?(?:\.svc(?:\.cluster\.local)?)?$/.exec(host);
  if (!m) return undefined;
  const [, svcName, ns = fallbackNs] = m;
  const ix = kubeIndex(env);
  const svc = ix.get('Service', ns, svcName);
  if (!svc?.spec?.selector) return undefined;
  for (const t of podsSelected(env, ns, mapSelector(svc.spec.selector))) {
    for (const name of configMapsUsed(t)) {
      const cm = ix.get('ConfigMap', ns, name);
      for (const [key, text] of Object.entries<unknown>(cm?.data ?? {})) {
        if (typeof text !== 'string' || !/\.ya?ml$/.test(key)) continue;
        let doc: any;
        try {
          doc = parseYaml(text, { version: '1.1' });
        } catch {
          continue;
        }
        const params = doc?.bootstrap?.dcs?.postgresql?.parameters ?? doc?.postgresql?.parameters;
        const max = Number(params?.max_connections);
        if (!Number.isFinite(max) || max <= 0) continue;
        const su = Number(params?.superuser_reserved_connections ?? 3);
        const reserved = Number(params?.reserved_connections ?? 0);
        return {
          bound: max - su - reserved,
          text: `max_connections ${max} - superuser_reserved_connections ${su}${reserved ? ` - reserved_connections ${reserved}` : ''} = ${max - su - reserved}`,
          source: `${objectId(cm!)} data[${JSON.stringify(key)}]`,
        };
      }
    }
  }
  return undefined;
}

export function connectionBudget(env: RenderedEnvironment): Finding[] {
  const out: Finding[] = [];
  const f = (object: string, field: string | undefined, message: string): Finding => ({ check: 'capacity', rule: CONNECTION_BUDGET_RULE, env: env.name, object, ...(field !== undefined ? { field } : {}), message });
  const hpas = new Map<string, KubeObject>();
  for (const h of ofKind(env, 'HorizontalPodAutoscaler')) {
    const ref = h.spec?.scaleTargetRef;
    if (ref) hpas.set(`${h.metadata.namespace ?? 'default'}/${ref.kind}/${ref.name}`, h);
  }
  for (const t of kubeIndex(env).podTemplates) {
    const files = pgbouncerFiles(env, t);
    if (!files.length) continue;
    const o = t.owner;
    if (o.kind === 'CronJob' || o.kind === 'Job' || o.kind === 'Pod') continue;
    // Pods at the peak of a rollout.
    const hpa = hpas.get(`${t.namespace}/${o.kind}/${o.metadata.name}`);
    const replicas = hpa ? Number(hpa.spec?.maxReplicas ?? 1) : Number(o.spec?.replicas ?? 1);
    const strategy = o.spec?.strategy ?? {};
    const surgeRaw = o.kind === 'Deployment' && strategy.type !== 'Recreate' ? (strategy.rollingUpdate?.maxSurge ?? '25%') : 0;
    const surge = resolveIntOrPercent(surgeRaw, replicas, true);
    const pods = replicas + surge;
    const podsText = `(replicas ${replicas}${hpa ? ` (HPA ${objectId(hpa)} maxReplicas)` : ''} + maxSurge ${surge}${typeof surgeRaw === 'string' ? ` (${surgeRaw})` : ''})`;
    for (const { cm, key, ini } of files) {
      const where = `${objectId(cm)} data[${JSON.stringify(key)}]`;
      const cmField = `data[${JSON.stringify(key)}]`;
      const global = Number(ini.get('pgbouncer')?.get('max_db_connections') ?? 0);
      let perPod = 0;
      let unlimited: string | undefined;
      const hosts = new Set<string>();
      for (const [db, entry] of ini.get('databases') ?? []) {
        const p = connectionParams(entry);
        const n = Number(p.get('max_db_connections') ?? global);
        if (!(n > 0)) unlimited = db;
        perPod += n > 0 ? n : 0;
        if (p.get('host')) hosts.add(p.get('host')!);
      }
      if (unlimited !== undefined) {
        out.push(f(objectId(cm), cmField, `pgbouncer.ini of ${t.ownerId} sets no max_db_connections (0 = unlimited) for database ${unlimited}: its server connections are bounded only by pool sizes times users, so no connection budget holds`));
        continue;
      }
      const peak = pods * perPod;
      const capRaw = o.metadata.annotations?.[PLATFORM_ANNOTATIONS.poolingCap];
      const cap = capRaw !== undefined ? Number(capRaw) : undefined;
      const servers = [...hosts].map((h) => ({ host: h, s: serverBound(env, h, t.namespace) }));
      for (const { host, s } of servers) {
        if (!s) out.push(f(objectId(cm), cmField, `pgbouncer.ini of ${t.ownerId} connects to ${host}, whose PostgreSQL max_connections is not in the render (no Service there selecting pods that mount a Patroni configuration with max_connections): the connection budget cannot be proven`));
        else if (cap !== undefined && cap > s.bound) out.push(f(objectId(o), `metadata.annotations[${JSON.stringify(PLATFORM_ANNOTATIONS.poolingCap)}]`, `pooling cap ${cap} of ${t.ownerId} is above what PostgreSQL at ${host} admits to non-superusers (${s.text}, ${s.source})`));
      }
      const bounds = servers.flatMap(({ s }) => (s ? [s] : []));
      const budget = cap ?? (bounds.length ? Math.min(...bounds.map((b) => b.bound)) : undefined);
      if (capRaw !== undefined && !(cap! > 0)) out.push(f(objectId(o), `metadata.annotations[${JSON.stringify(PLATFORM_ANNOTATIONS.poolingCap)}]`, `pooling cap annotation ${JSON.stringify(capRaw)} is not a positive number`));
      if (budget === undefined || !(budget > 0)) continue;
      if (peak > budget) {
        const budgetText = cap !== undefined ? `the pooling cap ${cap} (${PLATFORM_ANNOTATIONS.poolingCap})` : `what PostgreSQL admits to non-superusers (${bounds.map((b) => `${b.text}, ${b.source}`).join('; ')})`;
        out.push(
          f(objectId(o), surge > 0 ? 'spec.strategy.rollingUpdate.maxSurge' : 'spec.replicas', `rollout peak of ${t.ownerId}: ${podsText} x max_db_connections ${perPod} (${where}) = ${peak} server connections, above ${budgetText}: (replicas + maxSurge) x max_db_connections must be <= the cap (lower maxSurge or max_db_connections)`),
        );
      }
    }
  }
  return out;
}
