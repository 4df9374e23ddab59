/**
 * "Reviewer must not miss": changes that fail on apply, lose data, or widen access.
 *
 * Each rule is a small named function from a before/after pair to findings, so each can be tested
 * on its own and the list can grow without touching the others.
 */
import { kubernetesMinor } from '@optibid/constructs-lib/data';
import { ResourceImpact, type TemplateDiff } from '@aws-cdk/cloudformation-diff';
import { deepEqual, diffValues, formatChange, formatValue, getIn, isPlainObject } from './field-diff';
import { displayName, type K8sObject } from './k8s-objects';
import { WORKLOAD_KINDS } from './summaries';

export interface Warning {
  env: string;
  /** Name of the rule that raised it (stable; useful for filtering and tests). */
  rule: string;
  /** The object, e.g. `Deployment optibid/backend` or `optibid-dev-data/BackupsBucket (AWS::S3::Bucket)`. */
  object: string;
  /** The field, e.g. `spec.selector`. */
  field: string;
  message: string;
}

export type Finding = Pick<Warning, 'object' | 'field' | 'message'>;
export type K8sRule = (before: K8sObject | undefined, after: K8sObject | undefined) => Finding[];

type Doc = Record<string, unknown>;

/** Canonical JSON (sorted keys) so set membership ignores key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isPlainObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

function both(before: K8sObject | undefined, after: K8sObject | undefined, kinds: readonly string[]): [K8sObject, K8sObject] | undefined {
  return before && after && kinds.includes(after.kind) && before.kind === after.kind ? [before, after] : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function strings(v: unknown): string[] {
  return list(v).map(String);
}

function firstPaths(a: unknown, b: unknown, base: string, max = 3): string {
  const changes = diffValues(a, b, base);
  const shown = changes.slice(0, max).map(formatChange);
  return shown.join('; ') + (changes.length > max ? `; … and ${changes.length - max} more` : '');
}

// ---- workloads -------------------------------------------------------------------------------

export const workloadSelectorChanged: K8sRule = (before, after) => {
  const pair = both(before, after, [...WORKLOAD_KINDS]);
  if (!pair) return [];
  const keys = after!.kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'selector'] : ['spec', 'selector'];
  const a = getIn(pair[0].doc, keys);
  const b = getIn(pair[1].doc, keys);
  if (deepEqual(a, b)) return [];
  return [
    {
      object: displayName(pair[1]),
      field: keys.join('.'),
      message: `${formatValue(a)} → ${formatValue(b)}. The selector is immutable: kubectl apply fails; the ${pair[1].kind} must be deleted and recreated (pods are replaced, plan for the downtime).`,
    },
  ];
};

/** Other fields the API server refuses to update in place. */
export const workloadImmutableFieldChanged: K8sRule = (before, after) => {
  const out: Finding[] = [];
  const sts = both(before, after, ['StatefulSet']);
  if (sts) {
    for (const f of ['serviceName', 'podManagementPolicy']) {
      const a = getIn(sts[0].doc, ['spec', f]);
      const b = getIn(sts[1].doc, ['spec', f]);
      if (!deepEqual(a, b)) {
        out.push({ object: displayName(sts[1]), field: `spec.${f}`, message: `${formatValue(a)} → ${formatValue(b)}. Immutable on a StatefulSet: kubectl apply fails; delete (with --cascade=orphan) and recreate.` });
      }
    }
  }
  const job = both(before, after, ['Job']);
  if (job && !deepEqual(getIn(job[0].doc, ['spec', 'template']), getIn(job[1].doc, ['spec', 'template']))) {
    out.push({
      object: displayName(job[1]),
      field: 'spec.template',
      message: `${firstPaths(getIn(job[0].doc, ['spec', 'template']), getIn(job[1].doc, ['spec', 'template']), 'spec.template')}. A Job's pod template is immutable: kubectl apply fails; delete the Job first.`,
    });
  }
  return out;
};

export const volumeClaimTemplatesChanged: K8sRule = (before, after) => {
  const pair = both(before, after, ['StatefulSet']);
  if (!pair) return [];
  const a = getIn(pair[0].doc, ['spec', 'volumeClaimTemplates']);
  const b = getIn(pair[1].doc, ['spec', 'volumeClaimTemplates']);
  if (deepEqual(a, b)) return [];
  return [
    {
      object: displayName(pair[1]),
      field: 'spec.volumeClaimTemplates',
      message: `${firstPaths(a, b, 'spec.volumeClaimTemplates')}. Immutable: kubectl apply fails, and existing PVCs are not changed by recreating the StatefulSet; plan the volume migration (data at risk).`,
    },
  ];
};

export const persistentVolumeClaimChanged: K8sRule = (before, after) => {
  if (before?.kind === 'PersistentVolumeClaim' && !after) {
    return [{ object: displayName(before), field: '(object)', message: 'PersistentVolumeClaim removed: pruning it deletes the claim, and with a Delete reclaim policy the volume and its data.' }];
  }
  const pair = both(before, after, ['PersistentVolumeClaim']);
  if (!pair) return [];
  const a = getIn(pair[0].doc, ['spec']);
  const b = getIn(pair[1].doc, ['spec']);
  if (deepEqual(a, b)) return [];
  return [
    {
      object: displayName(pair[1]),
      field: 'spec',
      message: `${firstPaths(a, b, 'spec')}. A PVC spec is immutable except a storage increase on an expandable StorageClass: apply may fail, and recreating the claim loses its data.`,
    },
  ];
};

// ---- network policy --------------------------------------------------------------------------

const DIRECTIONS = [
  { dir: 'ingress', peer: 'from', type: 'Ingress' },
  { dir: 'egress', peer: 'to', type: 'Egress' },
] as const;

/** Which directions a policy restricts (policyTypes, or the API default when it is omitted). */
function policyTypes(spec: Doc): Set<string> {
  const explicit = strings(spec.policyTypes);
  if (explicit.length > 0) return new Set(explicit);
  return new Set(spec.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress']);
}

const ANY_PEER = '<any peer>';
const ANY_PORT = '<all ports>';

/** Every (peer, port) pair a direction allows; an omitted/empty list means "any". */
function grants(rules: unknown, peerKey: string): { pairs: Set<string>; peers: Set<string>; ports: Set<string> } {
  const pairs = new Set<string>();
  const peers = new Set<string>();
  const ports = new Set<string>();
  for (const r of list(rules)) {
    const rule = isPlainObject(r) ? r : {};
    const ps = list(rule[peerKey]).length > 0 ? list(rule[peerKey]).map((p) => formatValue(p, 200)) : [ANY_PEER];
    const qs = list(rule.ports).length > 0 ? list(rule.ports).map(describePort) : [ANY_PORT];
    for (const p of ps) {
      peers.add(p);
      for (const q of qs) {
        ports.add(q);
        pairs.add(`${p} @ ${q}`);
      }
    }
  }
  return { pairs, peers, ports };
}

function describePort(p: unknown): string {
  if (!isPlainObject(p)) return formatValue(p);
  const proto = typeof p.protocol === 'string' ? p.protocol : 'TCP';
  const range = p.endPort !== undefined ? `${String(p.port)}-${String(p.endPort)}` : p.port === undefined ? '*' : String(p.port);
  return `${proto}/${range}`;
}

function sample(items: string[], max = 3): string {
  return items.slice(0, max).join(', ') + (items.length > max ? `, … and ${items.length - max} more` : '');
}

export const networkPolicyRemovedOrWidened: K8sRule = (before, after) => {
  if (before?.kind === 'NetworkPolicy' && !after) {
    return [{ object: displayName(before), field: '(object)', message: 'NetworkPolicy removed: the traffic it restricted or allowed is no longer governed by it; check the namespace default-deny still covers these pods.' }];
  }
  const pair = both(before, after, ['NetworkPolicy']);
  if (!pair) return [];
  const name = displayName(pair[1]);
  const sa = isPlainObject(pair[0].doc.spec) ? (pair[0].doc.spec as Doc) : {};
  const sb = isPlainObject(pair[1].doc.spec) ? (pair[1].doc.spec as Doc) : {};
  const out: Finding[] = [];
  if (!deepEqual(sa.podSelector, sb.podSelector)) {
    out.push({ object: name, field: 'spec.podSelector', message: `${formatValue(sa.podSelector)} → ${formatValue(sb.podSelector)}: pods no longer selected lose this policy.` });
  }
  const ta = policyTypes(sa);
  const tb = policyTypes(sb);
  for (const { dir, peer, type } of DIRECTIONS) {
    if (ta.has(type) && !tb.has(type)) {
      out.push({ object: name, field: 'spec.policyTypes', message: `${type} no longer restricted by this policy.` });
      continue;
    }
    if (!tb.has(type) || !ta.has(type)) continue;
    const ga = grants(sa[dir], peer);
    const gb = grants(sb[dir], peer);
    const newPairs = [...gb.pairs].filter((p) => !ga.pairs.has(p));
    if (newPairs.length === 0) continue;
    const newPeers = [...gb.peers].filter((p) => !ga.peers.has(p));
    const newPorts = [...gb.ports].filter((p) => !ga.ports.has(p));
    const parts: string[] = [];
    if (newPeers.length > 0) parts.push(`new peer${newPeers.length > 1 ? 's' : ''} ${sample(newPeers)}`);
    if (newPorts.length > 0) parts.push(`new port${newPorts.length > 1 ? 's' : ''} ${sample(newPorts)}`);
    if (parts.length === 0) parts.push(`new peer/port combination${newPairs.length > 1 ? 's' : ''} ${sample(newPairs)}`);
    out.push({ object: name, field: `spec.${dir}`, message: `${dir} widened: ${parts.join('; ')}.` });
  }
  return out;
};

// ---- RBAC ------------------------------------------------------------------------------------

/** Flattens rules into (apiGroup, resource, resourceName, verb) grants; `''` resourceName = all. */
export function rbacGrants(rules: unknown): Set<string> {
  const out = new Set<string>();
  for (const r of list(rules)) {
    if (!isPlainObject(r)) continue;
    const verbs = strings(r.verbs);
    for (const url of strings(r.nonResourceURLs)) for (const v of verbs) out.add(`url:${url}|${v}`);
    const groups = strings(r.apiGroups);
    const names = strings(r.resourceNames).length > 0 ? strings(r.resourceNames) : [''];
    for (const g of groups) for (const res of strings(r.resources)) for (const n of names) for (const v of verbs) out.add(`${g}|${res}|${n}|${v}`);
  }
  return out;
}

function describeGrants(grantList: string[]): string {
  // Group verbs per (group, resource, name) so the line reads like a rule.
  const byTarget = new Map<string, string[]>();
  for (const g of grantList) {
    const parts = g.split('|');
    const verb = parts.pop()!;
    const target = g.startsWith('url:')
      ? parts[0]!.slice(4)
      : `${parts[1]}${parts[2] ? `/${parts[2]}` : ''} (apiGroup ${parts[0] === '' ? '""' : parts[0]})`;
    byTarget.set(target, [...(byTarget.get(target) ?? []), verb]);
  }
  return sample([...byTarget].map(([t, v]) => `[${v.join(', ')}] on ${t}`));
}

export const rbacRuleWidened: K8sRule = (before, after) => {
  if (!after || !['Role', 'ClusterRole'].includes(after.kind)) return [];
  const name = displayName(after);
  const out: Finding[] = [];
  const gb = rbacGrants(after.doc.rules);
  const ga = before && before.kind === after.kind ? rbacGrants(before.doc.rules) : new Set<string>();
  const added = [...gb].filter((g) => !ga.has(g));
  const wildcard = added.filter((g) => g.split('|').some((p) => p === '*' || p === 'url:*'));
  // A brand-new role grants nothing until bound; only a new wildcard role is worth a warning.
  if (before ? added.length > 0 : wildcard.length > 0) {
    out.push({
      object: name,
      field: 'rules',
      message: `${before ? 'widened' : 'new role'}: ${describeGrants(added)}${wildcard.length > 0 ? ' — includes a wildcard (*)' : ''}.`,
    });
  }
  if (before && after.kind === 'ClusterRole' && !deepEqual(before.doc.aggregationRule, after.doc.aggregationRule)) {
    out.push({ object: name, field: 'aggregationRule', message: `${formatValue(before.doc.aggregationRule)} → ${formatValue(after.doc.aggregationRule)}: aggregated permissions change.` });
  }
  return out;
};

function subjectId(s: unknown): string {
  if (!isPlainObject(s)) return formatValue(s);
  return `${String(s.kind)} ${s.namespace ? `${String(s.namespace)}/` : ''}${String(s.name)}`;
}

export const roleBindingWidened: K8sRule = (before, after) => {
  if (!after || !['RoleBinding', 'ClusterRoleBinding'].includes(after.kind)) return [];
  const name = displayName(after);
  const ref = isPlainObject(after.doc.roleRef) ? `${String(after.doc.roleRef.kind)} ${String(after.doc.roleRef.name)}` : '?';
  const sa = new Set(list(before?.doc.subjects).map(subjectId));
  const added = list(after.doc.subjects).map(subjectId).filter((s) => !sa.has(s));
  const out: Finding[] = [];
  if (added.length > 0) {
    out.push({ object: name, field: 'subjects', message: `${before ? 'new subject' : 'new binding for'}${added.length > 1 ? 's' : ''} ${sample(added)} → ${ref}.` });
  }
  if (before && !deepEqual(before.doc.roleRef, after.doc.roleRef)) {
    out.push({ object: name, field: 'roleRef', message: `${formatValue(before.doc.roleRef)} → ${formatValue(after.doc.roleRef)}. roleRef is immutable: kubectl apply fails; delete and recreate the binding (and check what the new role grants).` });
  }
  return out;
};

// ---- namespaces, services, disruption budgets ------------------------------------------------

export const namespaceDeleted: K8sRule = (before, after) => {
  if (before?.kind !== 'Namespace' || before.group !== '' || after) return [];
  return [{ object: displayName(before), field: '(object)', message: 'Namespace removed: deleting it deletes every object in it, including PersistentVolumeClaims and Secrets.' }];
};

export const serviceSelectorChanged: K8sRule = (before, after) => {
  const pair = both(before, after, ['Service']);
  if (!pair) return [];
  const a = getIn(pair[0].doc, ['spec', 'selector']);
  const b = getIn(pair[1].doc, ['spec', 'selector']);
  if (deepEqual(a, b)) return [];
  return [{ object: displayName(pair[1]), field: 'spec.selector', message: `${formatValue(a)} → ${formatValue(b)}: traffic goes to different pods the moment it is applied.` }];
};

/** `3` → {n: 3, pct: false}; `"50%"` → {n: 50, pct: true}. */
function budget(v: unknown): { n: number; pct: boolean } | undefined {
  if (typeof v === 'number') return { n: v, pct: false };
  if (typeof v === 'string' && /^\d+%$/.test(v)) return { n: Number(v.slice(0, -1)), pct: true };
  if (typeof v === 'string' && /^\d+$/.test(v)) return { n: Number(v), pct: false };
  return undefined;
}

export const podDisruptionBudgetLoosened: K8sRule = (before, after) => {
  if (before?.kind === 'PodDisruptionBudget' && !after) {
    return [{ object: displayName(before), field: '(object)', message: 'PodDisruptionBudget removed: node drains may now evict all replicas at once.' }];
  }
  const pair = both(before, after, ['PodDisruptionBudget']);
  if (!pair) return [];
  const name = displayName(pair[1]);
  const sa = isPlainObject(pair[0].doc.spec) ? (pair[0].doc.spec as Doc) : {};
  const sb = isPlainObject(pair[1].doc.spec) ? (pair[1].doc.spec as Doc) : {};
  const out: Finding[] = [];
  const minA = budget(sa.minAvailable);
  const minB = budget(sb.minAvailable);
  const maxA = budget(sa.maxUnavailable);
  const maxB = budget(sb.maxUnavailable);
  if (minA && minB && minA.pct === minB.pct && minB.n < minA.n) {
    out.push({ object: name, field: 'spec.minAvailable', message: `${formatValue(sa.minAvailable)} → ${formatValue(sb.minAvailable)}: more pods may be evicted at once.` });
  } else if (maxA && maxB && maxA.pct === maxB.pct && maxB.n > maxA.n) {
    out.push({ object: name, field: 'spec.maxUnavailable', message: `${formatValue(sa.maxUnavailable)} → ${formatValue(sb.maxUnavailable)}: more pods may be evicted at once.` });
  } else if (
    !deepEqual(sa.minAvailable, sb.minAvailable) &&
    !deepEqual(sa.maxUnavailable, sb.maxUnavailable) &&
    !(minA && minB && minA.pct === minB.pct) &&
    !(maxA && maxB && maxA.pct === maxB.pct)
  ) {
    // Switched between minAvailable and maxUnavailable (or int ↔ %): not comparable mechanically.
    out.push({
      object: name,
      field: sb.minAvailable !== undefined ? 'spec.minAvailable' : 'spec.maxUnavailable',
      message: `budget changed from ${sa.minAvailable !== undefined ? `minAvailable ${formatValue(sa.minAvailable)}` : `maxUnavailable ${formatValue(sa.maxUnavailable)}`} to ${sb.minAvailable !== undefined ? `minAvailable ${formatValue(sb.minAvailable)}` : `maxUnavailable ${formatValue(sb.maxUnavailable)}`}: check it still protects quorum.`,
    });
  }
  if (sb.unhealthyPodEvictionPolicy === 'AlwaysAllow' && sa.unhealthyPodEvictionPolicy !== 'AlwaysAllow') {
    out.push({ object: name, field: 'spec.unhealthyPodEvictionPolicy', message: `${formatValue(sa.unhealthyPodEvictionPolicy)} → AlwaysAllow: unhealthy pods can be evicted regardless of the budget.` });
  }
  if (!deepEqual(sa.selector, sb.selector)) {
    out.push({ object: name, field: 'spec.selector', message: `${formatValue(sa.selector)} → ${formatValue(sb.selector)}: the budget now protects different pods.` });
  }
  return out;
};

export const K8S_RULES: Record<string, K8sRule> = {
  workloadSelectorChanged,
  workloadImmutableFieldChanged,
  volumeClaimTemplatesChanged,
  persistentVolumeClaimChanged,
  networkPolicyRemovedOrWidened,
  rbacRuleWidened,
  roleBindingWidened,
  namespaceDeleted,
  serviceSelectorChanged,
  podDisruptionBudgetLoosened,
};

export function k8sWarnings(env: string, before: K8sObject | undefined, after: K8sObject | undefined): Warning[] {
  return Object.entries(K8S_RULES).flatMap(([rule, fn]) => fn(before, after).map((f) => ({ env, rule, ...f })));
}

// ---- CloudFormation --------------------------------------------------------------------------

/** Resource types whose deletion or replacement loses data or takes the platform down. */
export const STATEFUL_TYPES = new Set([
  'AWS::S3::Bucket',
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::EKS::Cluster',
  'AWS::EC2::VPC',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::DynamoDB::Table',
  'AWS::EFS::FileSystem',
  'AWS::ECR::Repository',
  'AWS::Logs::LogGroup',
]);

/** Minor versions between two `1.x` Kubernetes versions (to - from); 0 when either is not of that form. */
function compareMinor(to: string, from: string): number {
  const [a, b] = [kubernetesMinor(to), kubernetesMinor(from)];
  return a === undefined || b === undefined ? 0 : a - b;
}

export function cloudFormationWarnings(env: string, stack: string, diff: TemplateDiff): Warning[] {
  const out: Warning[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const type = change.resourceType ?? change.oldResourceType ?? '?';
    const object = `${stack}/${logicalId} (${type})`;
    if (change.isRemoval) {
      const retained = change.oldValue?.DeletionPolicy === 'Retain' || change.oldValue?.DeletionPolicy === 'RetainExceptOnCreate';
      if (STATEFUL_TYPES.has(type)) {
        out.push({
          env,
          rule: 'statefulResourceRemoved',
          object,
          field: '(resource)',
          message: retained
            ? 'stateful resource removed from the stack: DeletionPolicy Retain keeps it in AWS but CloudFormation stops managing it.'
            : 'stateful resource removed from the stack: CloudFormation deletes it (data loss).',
        });
      } else if (!retained) {
        out.push({ env, rule: 'resourceDestroyed', object, field: '(resource)', message: 'resource removed: CloudFormation deletes it (WILL_DESTROY).' });
      }
      return;
    }
    // A control-plane version change is never routine: EKS upgrades one minor at a time and cannot downgrade.
    const version = type === 'AWS::EKS::Cluster' ? change.propertyUpdates?.Version : undefined;
    if (version && version.oldValue !== version.newValue) {
      const [from, to] = [String(version.oldValue ?? '(none)'), String(version.newValue ?? '(none)')];
      const cmp = compareMinor(to, from);
      out.push({
        env,
        rule: 'controlPlaneVersion',
        object,
        field: 'Properties.Version',
        message:
          cmp < 0
            ? `Kubernetes control plane DOWNGRADE ${from} -> ${to}: EKS cannot downgrade a cluster; the deploy fails (synth refuses it against the committed render).`
            : `Kubernetes control plane upgrade ${from} -> ${to}${cmp > 1 ? `: ${cmp} minors at once, EKS upgrades one minor at a time` : ''} (managed add-ons and charts follow the version table; the control plane is upgraded in place).`,
      });
    }
    const impact = change.changeImpact;
    if (impact === ResourceImpact.WILL_REPLACE || impact === ResourceImpact.MAY_REPLACE || impact === ResourceImpact.WILL_DESTROY) {
      const props = Object.entries(change.propertyUpdates)
        .filter(([, p]) => p.changeImpact === ResourceImpact.WILL_REPLACE || p.changeImpact === ResourceImpact.MAY_REPLACE)
        .map(([k]) => `Properties.${k}`);
      const verb = impact === ResourceImpact.MAY_REPLACE ? 'may be replaced' : impact === ResourceImpact.WILL_DESTROY ? 'will be destroyed' : 'will be replaced';
      out.push({
        env,
        rule: 'resourceReplaced',
        object,
        field: props.length > 0 ? props.join(', ') : change.resourceTypeChanged ? 'Type' : '(resource)',
        message: `${verb} (${impact})${STATEFUL_TYPES.has(type) ? ': the old resource and its data are deleted' : ''}.`,
      });
    }
  });
  if (diff.iamChanges.permissionsBroadened) {
    const n = diff.iamChanges.statements.additions.length + diff.iamChanges.managedPolicies.additions.length;
    out.push({ env, rule: 'permissionsBroadened', object: stack, field: 'IAM statements', message: `IAM permissions broadened (${n} statement/policy addition${n === 1 ? '' : 's'}; see the security changes of this stack).` });
  }
  if (diff.securityGroupChanges.rulesAdded) {
    const n = diff.securityGroupChanges.ingress.additions.length + diff.securityGroupChanges.egress.additions.length;
    out.push({ env, rule: 'securityGroupWidened', object: stack, field: 'security group rules', message: `${n} security-group rule${n === 1 ? '' : 's'} added (see the security changes of this stack).` });
  }
  return out;
}
