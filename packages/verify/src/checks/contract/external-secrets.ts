/**
 * `external-secrets`: what the ExternalSecrets read exists in AWS Secrets Manager, and the External Secrets identity
 * may read exactly that.
 *
 * - Every ExternalSecret's store (`spec.secretStoreRef`) is rendered and admits the ExternalSecret's namespace
 *   (ClusterSecretStore `spec.conditions`: namespaces, namespaceSelector, namespaceRegexes).
 * - Every `spec.data[].remoteRef.key` and `spec.dataFrom[].extract.key` of an ExternalSecret on a Secrets Manager
 *   store names an `AWS::SecretsManager::Secret` `Name` of the templates; `dataFrom[].find` matches at least one.
 * - Every `spec.data[].remoteRef.property` is a JSON key the secret's value holds: the keys its
 *   `optibid.io/secret-keys` tag lists (the data stack tags every platform secret), else those of its
 *   GenerateSecretString (template keys + GenerateStringKey). A misspelt property (`dsnn`) syncs nothing.
 * - Every AWS store's `spec.provider.aws.region` is the templates' region.
 * - The identity the store reads with (the External Secrets chart's service account, or `auth.jwt.serviceAccountRef`)
 *   has a role whose policies allow `secretsmanager:GetSecretValue` on
 *   `arn:aws:secretsmanager:<region>:<account>:secret:<name>-??????` for every secret read; and every resource it is
 *   granted GetSecretValue on is a single secret (`<name>-??????`) of this account and region that an ExternalSecret
 *   reads or the templates define — wildcards and unknown secrets are reported.
 */
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { helmCharts, iamAllows, iamMatch, resourceId, secretsByName, templatesAccount, templatesRegion, type Statement } from '../../cfn';
import { kubeIndex, ofKind, selectorMatches } from '../references/kube';
import { type MakeFinding } from '../../rule-set';
import { chartServiceAccount, externalNamespaces } from '../references/system';
import { identityOf, statementsOf } from './identity';
import { closestName, SECRET_KEYS_TAG } from '@optibid/constructs-lib/data';

const GET = 'secretsmanager:GetSecretValue';

/** A secret name from a `remoteRef.key`: the name itself, or the name inside a secret ARN. */
function secretName(key: string): string {
  const m = /^arn:aws[a-z-]*:secretsmanager:[^:]*:\d{12}:secret:(.+?)(-[A-Za-z0-9]{6})?$/.exec(key);
  return m ? m[1] : key;
}

/** The JSON keys a secret's value holds: its keys tag, else what GenerateSecretString writes; undefined when unknown. */
function secretValueKeys(props: any): string[] | undefined {
  const tag = (props?.Tags ?? []).find((t: any) => t?.Key === SECRET_KEYS_TAG);
  if (typeof tag?.Value === 'string') return tag.Value.split(/\s+/).filter(Boolean);
  const g = props?.GenerateSecretString;
  if (!g) return undefined;
  let template: Record<string, unknown> = {};
  try {
    template = typeof g.SecretStringTemplate === 'string' ? JSON.parse(g.SecretStringTemplate) : {};
  } catch {
    return undefined;
  }
  return [...Object.keys(template), ...(typeof g.GenerateStringKey === 'string' ? [g.GenerateStringKey] : [])];
}

function closest(name: string, names: string[]): string {
  const score = (a: string) => {
    let i = 0;
    while (i < a.length && i < name.length && a[i] === name[i]) i++;
    return i;
  };
  const best = [...names].sort((a, b) => score(b) - score(a))[0];
  return best ? `; closest defined: ${best}` : '';
}

function admits(env: RenderedEnvironment, store: KubeObject, namespace: string): boolean {
  const conditions: any[] = store.spec?.conditions ?? [];
  if (!conditions.length) return true;
  const labels = kubeIndex(env).namespaces.get(namespace) ?? externalNamespaces(env).get(namespace)?.labels ?? { 'kubernetes.io/metadata.name': namespace };
  return conditions.some(
    (c) =>
      (c.namespaces ?? []).includes(namespace) ||
      (c.namespaceSelector && selectorMatches(c.namespaceSelector, labels)) ||
      (c.namespaceRegexes ?? []).some((r: string) => new RegExp(r).test(namespace)),
  );
}

export function externalSecrets(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const rule = 'external-secrets';
  const out: Finding[] = [];
  const ix = kubeIndex(env);
  const defined = secretsByName(env);
  const definedNames = [...defined.keys()];
  const region = templatesRegion(env);
  const account = templatesAccount(env);
  /** Secret names read, per store (`<kind>/<ns>/<name>`), with who reads them. */
  const reads = new Map<KubeObject, Map<string, string[]>>();

  for (const es of ofKind(env, 'ExternalSecret')) {
    const ns = es.metadata.namespace ?? 'default';
    const ref = es.spec?.secretStoreRef ?? {};
    const kind = ref.kind ?? 'SecretStore';
    const store = kind === 'ClusterSecretStore' ? ix.get('ClusterSecretStore', undefined, ref.name) : ix.get('SecretStore', ns, ref.name);
    if (!store) {
      out.push(f(rule, objectId(es), 'spec.secretStoreRef', `names ${kind} ${ref.name}, which is not rendered: the ExternalSecret will never sync`));
      continue;
    }
    if (kind === 'ClusterSecretStore' && !admits(env, store, ns)) {
      const allowed = (store.spec.conditions ?? []).flatMap((c: any) => c.namespaces ?? []).join(', ');
      out.push(f(rule, objectId(es), 'spec.secretStoreRef.name', `ClusterSecretStore ${ref.name} does not admit namespace ${ns} (its spec.conditions admit ${allowed || 'only selected namespaces'}): the ExternalSecret will not sync and Secret ${ns}/${es.spec?.target?.name ?? es.metadata.name} is never written`));
    }
    const aws = store.spec?.provider?.aws;
    if (!aws || (aws.service ?? 'SecretsManager') !== 'SecretsManager') continue;
    const perStore = reads.get(store) ?? new Map<string, string[]>();
    reads.set(store, perStore);
    const read = (key: string, field: string) => {
      const name = secretName(key);
      if (!defined.has(name)) {
        out.push(f(rule, objectId(es), field, `names AWS Secrets Manager secret "${key}", which no AWS::SecretsManager::Secret Name in the templates defines${closest(name, definedNames)}`));
        return;
      }
      perStore.set(name, [...(perStore.get(name) ?? []), `${objectId(es)} ${field}`]);
    };
    (es.spec?.data ?? []).forEach((d: any, i: number) => {
      if (d.remoteRef?.key === undefined) return;
      read(String(d.remoteRef.key), `spec.data[${i}].remoteRef.key`);
      const secret = defined.get(secretName(String(d.remoteRef.key)));
      const keys = secret ? secretValueKeys(secret.properties) : undefined;
      const property = d.remoteRef.property;
      if (keys && property !== undefined && !keys.includes(String(property))) {
        const hint = closestName(String(property), keys, 2);
        out.push(f(rule, objectId(es), `spec.data[${i}].remoteRef.property`, `"${property}" is not a key of secret ${secretName(String(d.remoteRef.key))} (it holds ${keys.join(', ')})${hint ? `; did you mean "${hint}"?` : ''}: the ExternalSecret would fail to sync`));
      }
    });
    (es.spec?.dataFrom ?? []).forEach((d: any, i: number) => {
      if (d.extract?.key !== undefined) read(String(d.extract.key), `spec.dataFrom[${i}].extract.key`);
      if (d.find) {
        const re = d.find.name?.regexp ? new RegExp(d.find.name.regexp) : undefined;
        const matched = definedNames.filter((n) => (!re || re.test(n)) && (!d.find.path || n.startsWith(d.find.path)));
        if (!matched.length) out.push(f(rule, objectId(es), `spec.dataFrom[${i}].find`, `finds no secret: no AWS::SecretsManager::Secret Name of the templates matches ${JSON.stringify(d.find)}`));
        else for (const n of matched) perStore.set(n, [...(perStore.get(n) ?? []), `${objectId(es)} spec.dataFrom[${i}].find`]);
      }
    });
  }

  for (const store of [...ofKind(env, 'ClusterSecretStore'), ...ofKind(env, 'SecretStore')]) {
    const aws = store.spec?.provider?.aws;
    if (!aws) continue;
    if (region && aws.region !== region) out.push(f(rule, objectId(store), 'spec.provider.aws.region', `store reads AWS region ${aws.region ?? '(unset)'}, but the templates deploy the secrets to ${region}`));
    if ((aws.service ?? 'SecretsManager') !== 'SecretsManager') continue;
    if (aws.auth?.secretRef) {
      out.push(f(rule, objectId(store), 'spec.provider.aws.auth.secretRef', 'store authenticates with static access keys from a Secret instead of the workload identity the templates define'));
      continue;
    }
    let ns: string | undefined;
    let sa: string | undefined;
    let via: string;
    const jwt = aws.auth?.jwt?.serviceAccountRef;
    if (jwt) {
      ns = jwt.namespace ?? store.metadata.namespace;
      sa = jwt.name;
      via = 'spec.provider.aws.auth.jwt.serviceAccountRef';
    } else {
      const chart = helmCharts(env).find((c) => c.chart === 'external-secrets');
      ns = chart?.namespace;
      sa = chart ? (chartServiceAccount(chart) ?? chart.release) : undefined;
      via = chart ? `the service account of chart ${chart.release} (${resourceId(chart)})` : 'the External Secrets controller';
    }
    if (!ns || !sa) {
      out.push(f(rule, objectId(store), 'spec.provider.aws', `store reads AWS with ${via}, but the templates install no External Secrets chart: which identity reads the secrets cannot be told`));
      continue;
    }
    const id = identityOf(env, ns, sa);
    if (!id.roles.length) {
      out.push(f(rule, objectId(store), 'spec.provider.aws', `store reads AWS as ServiceAccount ${ns}/${sa} (${via}), which has no role in the templates (no Pod Identity association or IRSA role)`));
      continue;
    }
    const roleIds = id.roles.map(resourceId).join(', ');
    const statements = statementsOf(env, id);
    const read = reads.get(store) ?? new Map<string, string[]>();
    for (const [name, who] of [...read.entries()].sort()) {
      const arn = `arn:aws:secretsmanager:${region}:${account}:secret:${name}-AbCdEf`;
      if (!iamAllows(statements, GET, arn)) {
        out.push(f(rule, id.roles[0] ? resourceId(id.roles[0]) : objectId(store), 'Properties.Policies', `the External Secrets identity (ServiceAccount ${ns}/${sa}, role ${roleIds}) is not allowed ${GET} on secret ${name} (arn ...:secret:${name}-??????), which ${who[0]}${who.length > 1 ? ` and ${who.length - 1} more` : ''} read${who.length > 1 ? '' : 's'}`));
      }
    }
    for (const s of statements) out.push(...extraGrants(s, read, defined, region, account, rule, f));
  }
  return out;
}

function extraGrants(s: Statement, read: Map<string, string[]>, defined: Map<string, unknown>, region: string | undefined, account: string | undefined, rule: string, f: MakeFinding): Finding[] {
  const granted = s.notActions ? !s.notActions.some((a) => iamMatch(a, GET, 'action')) : s.actions.some((a) => iamMatch(a, GET, 'action'));
  if (s.effect !== 'Allow' || !granted) return [];
  const out: Finding[] = [];
  if (s.notResources) return [f(rule, s.object, `${s.field}.NotResource`, `grants ${GET} on everything but ${s.notResources.join(', ')}: far beyond the secrets the ExternalSecrets read`)];
  s.resources.forEach((p, i) => {
    const field = `${s.field}.Resource${s.resources.length > 1 ? `[${i}]` : ''}`;
    const m = /^arn:aws[a-z-]*:secretsmanager:([^:]*):([^:]*):secret:(.*)$/.exec(p);
    if (!m) {
      out.push(f(rule, s.object, field, `grants ${GET} on ${p}, which is not one Secrets Manager secret: it covers secrets beyond the ones the templates define`));
      return;
    }
    const name = m[3].replace(/-\?{6}$/, '');
    if (/[*?]/.test(name) || /[*?]/.test(m[1]) || /[*?]/.test(m[2])) {
      out.push(f(rule, s.object, field, `grants ${GET} on the wildcard ${p}: it covers secrets beyond the ones the templates define (grant each secret as ...:secret:<name>-??????)`));
      return;
    }
    if ((region && m[1] !== region) || (account && m[2] !== account)) {
      out.push(f(rule, s.object, field, `grants ${GET} on ${p}, in ${m[1]}/${m[2]} rather than the templates' ${region}/${account}`));
      return;
    }
    if (!read.has(name) && !defined.has(name)) out.push(f(rule, s.object, field, `grants ${GET} on secret ${name}, which no ExternalSecret reads and no AWS::SecretsManager::Secret of the templates defines`));
  });
  return out;
}
