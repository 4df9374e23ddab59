/**
 * `workload-identity`: the AWS identities the templates give Kubernetes service accounts fit the YAML.
 *
 * - Every EKS Pod Identity association (`AWS::EKS::PodIdentityAssociation`, and add-on `PodIdentityAssociations`)
 *   is used: its service account is rendered in the YAML (and some rendered pod runs under it), or is created by a
 *   chart / add-on the templates install (`./references/system`: chart values `*.serviceAccount.name`; the add-on
 *   table with the reason for each). It names the cluster of the templates and a role of the templates that trusts
 *   `pods.eks.amazonaws.com`. No service account has two associations.
 * - Every rendered pod that needs AWS (it mounts a pgBackRest configuration with an S3 repository, calls the aws CLI
 *   or an `s3://` URL, or its ServiceAccount carries an IRSA annotation) runs under a service account with exactly
 *   one identity (one association, or the IRSA annotation).
 * - Every installed chart that calls AWS (table {@link CHART_AWS_NEEDS}) has exactly one identity for its service
 *   account.
 * - The trust policy of a Pod Identity role is scoped by the session tags EKS sets (EKS User Guide, pod-id-role.html
 *   and pod-id-abac.html): `StringEquals` on `aws:SourceAccount` (the templates' account),
 *   `aws:RequestTag/eks-cluster-arn` (the association's cluster), `aws:RequestTag/kubernetes-namespace` and
 *   `aws:RequestTag/kubernetes-service-account` (the association's); the association keeps session tags on.
 * - An IRSA annotation `eks.amazonaws.com/role-arn` names a role of the templates whose trust policy admits the
 *   service account through `sts:AssumeRoleWithWebIdentity` from the IAM OIDC provider of the templates' EKS cluster
 *   (an `AWS::IAM::OIDCProvider` whose `Url` is the cluster's `OpenIdConnectIssuerUrl` and whose client ids hold
 *   `sts.amazonaws.com`). Every web-identity statement of such a role is scoped by `StringEquals` to exactly
 *   `<issuer>:sub = system:serviceaccount:<namespace>:<name>` and `<issuer>:aud = sts.amazonaws.com` (EKS User
 *   Guide, associate-service-account-role.html): no StringLike, no missing key, no other service account, no other
 *   provider. Conversely, a role the cluster's provider may assume for a rendered ServiceAccount is annotated on it.
 * - A container that sets `AWS_ROLE_ARN` or `AWS_WEB_IDENTITY_TOKEN_FILE` itself sets both (the EKS pod identity
 *   webhook adds neither when either is defined), `AWS_ROLE_ARN` is its ServiceAccount's IRSA role, and the token file
 *   is a projected service account token (audience `sts.amazonaws.com`) the container mounts.
 * - With any Pod Identity association, the templates install the `eks-pod-identity-agent` add-on (without it no pod
 *   gets credentials); and a pod that needs AWS through an association, when NetworkPolicies restrict its egress, may
 *   reach the agent (`169.254.170.23:80/TCP`) and HTTPS (`443/TCP`, the AWS endpoints).
 */
import type { Finding, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { describeResolved, eksAddons, eksClusters, helmCharts, oidcProviders, podIdentities, podIdentityTrustConditions, resourceId, resources, resolvedProperties, roleArnOf, roleByArn, templatesAccount, templatesRegion, trustsPodIdentity, webIdentityTrusts, type CfnResource, type HelmChart, type PodIdentity, type WebIdentityTrust } from '../../cfn';
import { containersOf, kubeIndex, ofKind, selectorMatches, serviceAccountOf, type PodTemplate } from '../references/kube';
import { type MakeFinding } from '../../rule-set';
import { chartServiceAccount, externalServiceAccounts } from '../references/system';
import { containerWebIdentity, describeIdentity, identityOf, IRSA_ANNOTATION, podsNeedingAws, podsUnder, WEB_IDENTITY_AUDIENCE, WEB_IDENTITY_ENV } from './identity';

/**
 * Charts whose controller calls AWS APIs, and when (from the chart values or the YAML that configures it):
 * - `aws-load-balancer-controller`: always — it creates the ALBs and target groups (ELB, EC2, WAF, ACM APIs);
 * - `cluster-autoscaler` with `cloudProvider: aws` (the default here): it resizes the node groups' Auto Scaling groups;
 * - `external-secrets`: when a (Cluster)SecretStore reads AWS with the controller's own identity (no `auth`);
 * - `cert-manager`: when an (Cluster)Issuer solves DNS-01 in Route 53 without static keys or a role to assume;
 * - `external-dns`: always (Route 53).
 */
export const CHART_AWS_NEEDS: Record<string, (env: RenderedEnvironment, c: HelmChart) => string | undefined> = {
  'aws-load-balancer-controller': () => 'it manages the load balancers through the ELB and EC2 APIs',
  'cluster-autoscaler': (_env, c) => ((c.values?.cloudProvider ?? 'aws') === 'aws' ? 'it resizes the node groups (Auto Scaling API)' : undefined),
  'external-dns': () => 'it writes Route 53 records',
  'external-secrets': (env) => {
    const stores = [...ofKind(env, 'ClusterSecretStore'), ...ofKind(env, 'SecretStore')].filter((s) => s.spec?.provider?.aws && !s.spec.provider.aws.auth);
    return stores.length ? `${stores.map(objectId).join(', ')} read${stores.length === 1 ? 's' : ''} AWS with the controller's identity` : undefined;
  },
  'cert-manager': (env) => {
    const issuers = [...ofKind(env, 'ClusterIssuer'), ...ofKind(env, 'Issuer')].filter((i) =>
      (i.spec?.acme?.solvers ?? []).some((s: any) => s.dns01?.route53 && !s.dns01.route53.accessKeyID && !s.dns01.route53.accessKeyIDSecretRef && !s.dns01.route53.secretAccessKeySecretRef && !s.dns01.route53.role && !s.dns01.route53.auth),
    );
    return issuers.length ? `${issuers.map(objectId).join(', ')} solve${issuers.length === 1 ? 's' : ''} DNS-01 in Route 53 with the controller's identity` : undefined;
  },
};

/** The EKS Pod Identity agent's link-local address and port (the container credentials endpoint). */
export const POD_IDENTITY_AGENT = { ip: '169.254.170.23', port: 80 };

function ipv4(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(base ?? '')) return false;
  const size = 2 ** (32 - Number(bits ?? 32));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}

/**
 * Whether the NetworkPolicies of a pod's namespace let it open TCP connections to `port` at `ip` (any IP outside the
 * cluster when `ip` is undefined, through an ipBlock or an unrestricted rule). True when no policy restricts its egress.
 */
export function egressAllowed(env: RenderedEnvironment, t: PodTemplate, port: number, ip?: string): boolean {
  const policies = ofKind(env, 'NetworkPolicy').filter(
    (np) => (np.metadata.namespace ?? 'default') === t.namespace && (np.spec?.policyTypes ?? []).includes('Egress') && selectorMatches(np.spec?.podSelector ?? {}, t.labels, t.runtimeLabels),
  );
  if (!policies.length) return true;
  return policies.some((np) =>
    (np.spec.egress ?? []).some((r: any) => {
      const portOk = !r.ports?.length || r.ports.some((p: any) => (p.protocol ?? 'TCP') === 'TCP' && (p.port === undefined || (typeof p.port === 'number' && p.port <= port && port <= (p.endPort ?? p.port))));
      if (!portOk) return false;
      if (!r.to?.length) return true;
      return r.to.some((peer: any) => peer.ipBlock && (ip === undefined || (inCidr(ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e: string) => inCidr(ip, e)))));
    }),
  );
}

/** Session tags a Pod Identity role's trust must pin, with the value the association implies. */
function expectedTrustTags(env: RenderedEnvironment, a: PodIdentity): Record<string, string | undefined> {
  const region = templatesRegion(env);
  const account = templatesAccount(env);
  return {
    'aws:SourceAccount': account,
    'aws:RequestTag/eks-cluster-arn': region && account && a.clusterName ? `arn:aws:eks:${region}:${account}:cluster/${a.clusterName}` : undefined,
    'aws:RequestTag/kubernetes-namespace': a.namespace,
    'aws:RequestTag/kubernetes-service-account': a.serviceAccount,
  };
}

/** Findings for a Pod Identity role whose trust does not pin exactly its association. */
function trustScopeFindings(env: RenderedEnvironment, f: MakeFinding, rule: string, a: PodIdentity, role: NonNullable<PodIdentity['role']>): Finding[] {
  const out: Finding[] = [];
  const who = `${a.namespace}/${a.serviceAccount}`;
  const props = a.field === 'Properties' ? resolvedProperties(env, a.resource) : undefined;
  if (props?.DisableSessionTags === true) out.push(f(rule, resourceId(a.resource), `${a.field}.DisableSessionTags`, `association for ${who} disables session tags, so the trust conditions on aws:RequestTag/* of role ${resourceId(role)} can never match`));
  const expected = expectedTrustTags(env, a);
  for (const st of podIdentityTrustConditions(env, role)) {
    for (const [key, want] of Object.entries(expected)) {
      if (want === undefined) continue;
      const got = st.stringEquals[key];
      if (!got) out.push(f(rule, resourceId(role), `${st.field}.Condition.StringEquals`, `trust of ${resourceId(role)} (Pod Identity for ${who}) does not pin ${key}: any ${key.endsWith('SourceAccount') ? 'account\'s' : 'matching'} Pod Identity association could assume it; expected ${key} = ${want}`));
      else if (got.length !== 1 || got[0] !== want) out.push(f(rule, resourceId(role), `${st.field}.Condition.StringEquals["${key}"]`, `trust of ${resourceId(role)} pins ${key} = ${got.join(', ')}, but its association is for ${key.includes('namespace') || key.includes('service-account') ? who : want}: expected exactly ${want}`));
    }
    if (st.other.includes('ArnEquals') || st.other.includes('ArnLike')) out.push(f(rule, resourceId(role), `${st.field}.Condition`, `trust of ${resourceId(role)} conditions on ${st.other.join(', ')} (e.g. aws:SourceArn), which EKS Pod Identity does not document for its AssumeRole call; scope by the session tags instead`));
  }
  return out;
}

export function workloadIdentity(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const rule = 'workload-identity';
  const out: Finding[] = [];
  const ix = kubeIndex(env);
  const clusterNames = eksClusters(env).map((c) => c.name);
  const external = externalServiceAccounts(env);
  const associations = podIdentities(env);

  for (const a of associations) {
    const id = resourceId(a.resource);
    const who = `${a.namespace}/${a.serviceAccount}`;
    if (a.clusterName && clusterNames.length && !clusterNames.includes(a.clusterName)) {
      out.push(f(rule, id, `${a.field}.ClusterName`, `association for ${who} names cluster ${a.clusterName}, which is not the AWS::EKS::Cluster of the templates (${clusterNames.join(', ')})`));
    }
    if (!a.role) out.push(f(rule, id, `${a.field}.RoleArn`, `association for ${who} names role ${a.roleArn}, which is no AWS::IAM::Role of the templates`));
    else if (!trustsPodIdentity(env, a.role)) out.push(f(rule, id, `${a.field}.RoleArn`, `association for ${who} uses role ${resourceId(a.role)}, whose trust policy does not let pods.eks.amazonaws.com sts:AssumeRole and sts:TagSession: the pods would get no credentials`));
    else out.push(...trustScopeFindings(env, f, rule, a, a.role));
    const rendered = ix.get('ServiceAccount', a.namespace, a.serviceAccount);
    const provided = external.filter((e) => e.namespace === a.namespace && e.name === a.serviceAccount);
    if (!rendered && !provided.length) {
      const known = [...ofKind(env, 'ServiceAccount').map((s) => `${s.metadata.namespace}/${s.metadata.name}`), ...external.map((e) => `${e.namespace}/${e.name}`)];
      out.push(f(rule, id, `${a.field}.ServiceAccount`, `unused association: ServiceAccount ${who} is neither rendered in the YAML nor created by a chart or add-on of the templates, so no pod gets this role (known service accounts: ${known.sort().join(', ')})`));
    } else if (rendered && !provided.length && !podsUnder(env, a.namespace, a.serviceAccount).length) {
      out.push(f(rule, id, `${a.field}.ServiceAccount`, `unused association: no rendered pod runs under ServiceAccount ${who}`));
    }
  }
  if (associations.length && !eksAddons(env).some((a) => a.name === 'eks-pod-identity-agent')) {
    const first = associations[0];
    out.push(f(rule, resourceId(first.resource), first.field, `the templates define ${associations.length} Pod Identity association(s) but install no AWS::EKS::Addon eks-pod-identity-agent: no pod would get credentials`));
  }
  const byAccount = new Map<string, typeof associations>();
  for (const a of associations) {
    const k = `${a.namespace}/${a.serviceAccount}`;
    byAccount.set(k, [...(byAccount.get(k) ?? []), a]);
  }
  for (const [k, list] of byAccount) {
    for (const dup of list.slice(1)) out.push(f(rule, resourceId(dup.resource), `${dup.field}.ServiceAccount`, `ServiceAccount ${k} has ${list.length} Pod Identity associations (${list.map((x) => resourceId(x.resource)).join(', ')}): exactly one expected`));
  }

  for (const { template: t, reasons } of podsNeedingAws(env)) {
    const sa = serviceAccountOf(t);
    const id = identityOf(env, t.namespace, sa);
    const count = id.associations.length + (id.irsaRoleArn ? 1 : 0);
    if (count === 0) out.push(f(rule, t.ownerId, `${t.specPath}.serviceAccountName`, `pods need AWS credentials (${reasons.join('; ')}) but ServiceAccount ${t.namespace}/${sa} has no EKS Pod Identity association in the templates and no ${IRSA_ANNOTATION} annotation`));
    else if (count > 1) out.push(f(rule, t.ownerId, `${t.specPath}.serviceAccountName`, `pods need AWS credentials and ServiceAccount ${t.namespace}/${sa} has ${count} identities (${describeIdentity(id)}): exactly one expected`));
    if (id.associations.length && !egressAllowed(env, t, POD_IDENTITY_AGENT.port, POD_IDENTITY_AGENT.ip)) {
      out.push(f(rule, t.ownerId, `${t.specPath}.serviceAccountName`, `pods get AWS credentials from the EKS Pod Identity agent, but the NetworkPolicies of ${t.namespace} do not let them reach ${POD_IDENTITY_AGENT.ip}:${POD_IDENTITY_AGENT.port}/TCP`));
    }
    if (count && !egressAllowed(env, t, 443)) {
      out.push(f(rule, t.ownerId, `${t.specPath}.serviceAccountName`, `pods need AWS (${reasons[0]}), but the NetworkPolicies of ${t.namespace} let them reach no address on 443/TCP (the AWS endpoints${id.irsaRoleArn ? ', and STS for the IRSA token exchange' : ''})`));
    }
  }

  for (const c of helmCharts(env)) {
    const need = CHART_AWS_NEEDS[c.chart]?.(env, c);
    if (!need) continue;
    const sa = chartServiceAccount(c);
    if (!sa) {
      out.push(f(rule, resourceId(c), 'Properties.Values', `chart ${c.release} needs AWS (${need}) but its values do not name its service account, so no association can be proven to match it`));
      continue;
    }
    const id = identityOf(env, c.namespace, sa);
    const count = id.associations.length + (id.irsaRoleArn ? 1 : 0);
    if (count !== 1) out.push(f(rule, resourceId(c), 'Properties.Values', `chart ${c.release} needs AWS (${need}); its ServiceAccount ${c.namespace}/${sa} has ${count === 0 ? 'no EKS Pod Identity association in the templates' : `${count} identities (${describeIdentity(id)}): exactly one expected`}`));
  }

  out.push(...irsaFindings(env, f, rule));
  return out;
}

/** `system:serviceaccount:<namespace>:<name>`, the `sub` claim of a service account token. */
function subjectOf(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** The service accounts a web-identity statement admits through a cluster provider (StringEquals on `<issuer>:sub`). */
function admittedSubjects(t: WebIdentityTrust, issuer: string): readonly string[] {
  return t.stringEquals[`${issuer}:sub`] ?? [];
}

/** Findings for an IRSA role whose web-identity trust is not scoped to exactly `subject` and the STS audience. */
function irsaScopeFindings(env: RenderedEnvironment, f: MakeFinding, rule: string, role: CfnResource, subject: string): Finding[] {
  const out: Finding[] = [];
  const id = resourceId(role);
  for (const t of webIdentityTrusts(env, role)) {
    if (!t.providers.length) {
      out.push(f(rule, id, `${t.field}.Principal.Federated`, `trust of IRSA role ${id} admits web identities of ${t.federated.map(describeResolved).join(', ')}, which is no IAM OIDC provider of the templates`));
      continue;
    }
    for (const p of t.providers) {
      const issuer = describeResolved(p.issuer);
      if (!p.cluster) {
        out.push(f(rule, id, `${t.field}.Principal.Federated`, `trust of IRSA role ${id} (for ${subject}) also admits web identities of ${resourceId(p)} (${issuer}), which is not the OIDC provider of the EKS cluster: exactly one way in expected`));
        continue;
      }
      if (!p.clientIds.includes(WEB_IDENTITY_AUDIENCE)) out.push(f(rule, resourceId(p), 'Properties.ClientIdList', `the cluster's OIDC provider accepts audiences ${p.clientIds.join(', ') || '(none)'}, not ${WEB_IDENTITY_AUDIENCE}: STS refuses the service account tokens of IRSA role ${id}`));
      const subKey = `${p.issuer}:sub`;
      const audKey = `${p.issuer}:aud`;
      const sub = t.stringEquals[subKey];
      const like = [...(t.stringLike[subKey] ?? []), ...(t.stringLike[audKey] ?? [])];
      if (like.length) out.push(f(rule, id, `${t.field}.Condition.StringLike`, `trust of IRSA role ${id} matches ${issuer}:sub/aud with StringLike (${like.join(', ')}): expected StringEquals ${issuer}:sub = ${subject} exactly`));
      if (!sub) out.push(f(rule, id, `${t.field}.Condition.StringEquals`, `trust of IRSA role ${id} does not pin ${issuer}:sub: any service account of the cluster could assume it; expected StringEquals ${issuer}:sub = ${subject}`));
      else if (sub.length !== 1 || sub[0] !== subject) out.push(f(rule, id, `${t.field}.Condition.StringEquals["${describeResolved(subKey)}"]`, `trust of IRSA role ${id} pins ${issuer}:sub = ${sub.join(', ')}, but the role is annotated on ${subject.replace(/^system:serviceaccount:([^:]+):/, '$1/')}: expected exactly ${subject}`));
      const aud = t.stringEquals[audKey];
      if (!aud) out.push(f(rule, id, `${t.field}.Condition.StringEquals`, `trust of IRSA role ${id} does not pin ${issuer}:aud: a token of the cluster issued for any audience could assume it; expected StringEquals ${issuer}:aud = ${WEB_IDENTITY_AUDIENCE}`));
      else if (aud.length !== 1 || aud[0] !== WEB_IDENTITY_AUDIENCE) out.push(f(rule, id, `${t.field}.Condition.StringEquals["${describeResolved(audKey)}"]`, `trust of IRSA role ${id} pins ${issuer}:aud = ${aud.join(', ')}: expected exactly ${WEB_IDENTITY_AUDIENCE}`));
    }
  }
  return out;
}

/**
 * IRSA: annotated ServiceAccounts ↔ web-identity roles of the templates (both ways), and the web identity variables
 * containers set themselves.
 */
function irsaFindings(env: RenderedEnvironment, f: MakeFinding, rule: string): Finding[] {
  const out: Finding[] = [];
  const annotated = new Map<string, { sa: string; role?: CfnResource }[]>();
  for (const sa of ofKind(env, 'ServiceAccount')) {
    const arn = sa.metadata.annotations?.[IRSA_ANNOTATION];
    if (!arn) continue;
    const ns = sa.metadata.namespace ?? 'default';
    const field = `metadata.annotations[${JSON.stringify(IRSA_ANNOTATION)}]`;
    const subject = subjectOf(ns, sa.metadata.name);
    const role = roleByArn(env, arn);
    annotated.set(subject, [...(annotated.get(subject) ?? []), { sa: objectId(sa), ...(role ? { role } : {}) }]);
    if (!role) {
      out.push(f(rule, objectId(sa), field, `IRSA role ${arn} is no AWS::IAM::Role of the templates (by RoleName and account)`));
      continue;
    }
    const trusts = webIdentityTrusts(env, role);
    const viaCluster = trusts.filter((t) => t.providers.some((p) => p.cluster && admittedSubjects(t, p.issuer).includes(subject)));
    if (!viaCluster.length) {
      const admits = trusts.flatMap((t) => t.providers.filter((p) => p.cluster).flatMap((p) => admittedSubjects(t, p.issuer)));
      const why = !trusts.length
        ? 'its trust policy has no sts:AssumeRoleWithWebIdentity statement'
        : !trusts.some((t) => t.providers.some((p) => p.cluster))
          ? `its web-identity trust names ${trusts.flatMap((t) => t.federated).map(describeResolved).join(', ')}, not the IAM OIDC provider of the templates' EKS cluster (an AWS::IAM::OIDCProvider whose Url is the cluster's OpenIdConnectIssuerUrl${oidcProviders(env).some((p) => p.cluster) ? '' : ': the templates have none'})`
          : `its web-identity trust admits ${admits.join(', ') || 'no service account by StringEquals on <issuer>:sub'}`;
      out.push(f(rule, objectId(sa), field, `IRSA role ${resourceId(role)} does not trust ${subject} through sts:AssumeRoleWithWebIdentity: ${why}`));
    }
    out.push(...irsaScopeFindings(env, f, rule, role, subject));
  }

  // Roles the cluster's provider may assume for a rendered ServiceAccount that does not name them: unused, or a
  // service account that gets credentials nobody reviewed on the YAML side.
  const ix = kubeIndex(env);
  const external = externalServiceAccounts(env);
  for (const role of resources(env, 'AWS::IAM::Role')) {
    for (const t of webIdentityTrusts(env, role)) {
      for (const p of t.providers.filter((x) => x.cluster)) {
        for (const subject of admittedSubjects(t, p.issuer)) {
          const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(subject);
          if (!m) continue;
          const [, ns, name] = m;
          if ((annotated.get(subject) ?? []).some((a) => a.role && resourceId(a.role) === resourceId(role))) continue;
          if (external.some((e) => e.namespace === ns && e.name === name)) continue;
          const sa = ix.get('ServiceAccount', ns, name);
          out.push(
            f(rule, resourceId(role), `${t.field}.Condition.StringEquals`, sa
              ? `IRSA role ${resourceId(role)} trusts ${subject}, but ServiceAccount ${ns}/${name} does not carry ${IRSA_ANNOTATION} = ${roleArnOf(env, role)}: its pods get other credentials or none`
              : `unused IRSA role: ${resourceId(role)} trusts ${subject}, but ServiceAccount ${ns}/${name} is neither rendered in the YAML nor created by a chart or add-on of the templates`),
          );
        }
      }
    }
  }

  // Containers that set the web identity variables themselves.
  for (const t of ix.podTemplates) {
    const sa = serviceAccountOf(t);
    const id = identityOf(env, t.namespace, sa);
    for (const c of containersOf(t)) {
      const w = containerWebIdentity(env, t, c).explicit;
      if (!w.roleArnDefined && !w.tokenFileDefined) continue;
      const field = `${c.path}.env`;
      const what = `container ${c.container.name} of ${t.ownerId}`;
      if (w.roleArnDefined !== w.tokenFileDefined) {
        const [has, lacks] = w.roleArnDefined ? [WEB_IDENTITY_ENV.roleArn, WEB_IDENTITY_ENV.tokenFile] : [WEB_IDENTITY_ENV.tokenFile, WEB_IDENTITY_ENV.roleArn];
        out.push(f(rule, t.ownerId, field, `${what} sets ${has} but not ${lacks}; the EKS pod identity webhook adds neither when either is defined, so it has no web identity`));
        continue;
      }
      if (w.roleArn === undefined) out.push(f(rule, t.ownerId, field, `${what} takes ${WEB_IDENTITY_ENV.roleArn} from a reference (valueFrom): the role cannot be proven to be its ServiceAccount's; write the ARN`));
      else if (!id.irsaRoleArn) out.push(f(rule, t.ownerId, field, `${what} sets ${WEB_IDENTITY_ENV.roleArn}=${w.roleArn}, but ServiceAccount ${t.namespace}/${sa} carries no ${IRSA_ANNOTATION}: annotate it with the same role so the identity is declared (and checked) where the service account is`));
      else if (w.roleArn !== id.irsaRoleArn) out.push(f(rule, t.ownerId, field, `${what} sets ${WEB_IDENTITY_ENV.roleArn}=${w.roleArn}, but its ServiceAccount ${t.namespace}/${sa} is annotated with ${id.irsaRoleArn}: one identity expected`));
      if (w.tokenFile === undefined) {
        out.push(f(rule, t.ownerId, field, `${what} takes ${WEB_IDENTITY_ENV.tokenFile} from a reference (valueFrom): write the path of its projected token`));
        continue;
      }
      const mount = (c.container.volumeMounts ?? []).find((m: any) => !m.subPath && typeof m.mountPath === 'string' && w.tokenFile!.startsWith(`${m.mountPath.replace(/\/+$/, '')}/`));
      const volume = mount ? (t.spec.volumes ?? []).find((v: any) => v.name === mount.name) : undefined;
      const rel = mount ? w.tokenFile.slice(mount.mountPath.replace(/\/+$/, '').length + 1) : '';
      const token = (volume?.projected?.sources ?? []).map((s: any) => s.serviceAccountToken).find((s: any) => s && s.path === rel);
      if (!token) out.push(f(rule, t.ownerId, field, `${what} sets ${WEB_IDENTITY_ENV.tokenFile}=${w.tokenFile}, which no projected serviceAccountToken volume it mounts provides${mount ? ` (${mount.mountPath} is volume ${mount.name})` : ''}`));
      else if ((token.audience ?? '') !== WEB_IDENTITY_AUDIENCE) out.push(f(rule, t.ownerId, `${t.specPath}.volumes`, `${what} reads a service account token of audience ${token.audience ?? '(the API server\'s)'} from volume ${mount.name}: STS AssumeRoleWithWebIdentity needs audience ${WEB_IDENTITY_AUDIENCE}`));
    }
  }
  return out;
}
