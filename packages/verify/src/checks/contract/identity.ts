/**
 * Workload identities as the templates and the YAML declare them: which AWS role a Kubernetes service account gets
 * (EKS Pod Identity associations, or an IRSA annotation `eks.amazonaws.com/role-arn`), which pods need AWS
 * credentials at all, and what the role's policies allow. Shared by the contract rules.
 */
import type { KubeObject, RenderedEnvironment } from '../../types';
import { podIdentities, roleByArn, roleStatements, type CfnResource, type PodIdentity, type Statement } from '../../cfn';
import { containersOf, kubeIndex, configMapsUsed, serviceAccountOf, type ContainerRef, type PodTemplate } from '../references/kube';

export const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';

/**
 * IRSA as the EKS pod identity webhook applies it (aws/amazon-eks-pod-identity-webhook v0.6.17,
 * pkg/handler/handler.go): for a pod whose ServiceAccount carries {@link IRSA_ANNOTATION}, every container not named
 * in the pod annotation `eks.amazonaws.com/skip-containers` gets `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE`
 * unless it already defines either of them (then it adds neither), and a projected token with audience
 * `sts.amazonaws.com` (the default of `eks.amazonaws.com/audience`). The AWS SDKs and pgBackRest's `web-id` read
 * exactly these two variables.
 */
export const WEB_IDENTITY_ENV = { roleArn: 'AWS_ROLE_ARN', tokenFile: 'AWS_WEB_IDENTITY_TOKEN_FILE' } as const;
export const WEB_IDENTITY_AUDIENCE = 'sts.amazonaws.com';
export const SKIP_CONTAINERS_ANNOTATION = 'eks.amazonaws.com/skip-containers';

/** How one container gets the web identity variables. */
export interface ContainerWebIdentity {
  /** `AWS_ROLE_ARN` / `AWS_WEB_IDENTITY_TOKEN_FILE` entries of its own env (value, or `valueFrom` for a reference). */
  readonly explicit: { readonly roleArn?: string; readonly tokenFile?: string; readonly roleArnDefined: boolean; readonly tokenFileDefined: boolean };
  /** Whether the webhook injects both (annotated ServiceAccount, container not skipped, neither variable defined). */
  readonly injected: boolean;
  /** Whether it ends up with both variables (explicitly or injected). */
  readonly complete: boolean;
}

export function containerWebIdentity(env: RenderedEnvironment, t: PodTemplate, c: ContainerRef): ContainerWebIdentity {
  const vars: any[] = c.container.env ?? [];
  const entry = (name: string) => vars.find((e) => e?.name === name);
  const r = entry(WEB_IDENTITY_ENV.roleArn);
  const k = entry(WEB_IDENTITY_ENV.tokenFile);
  const explicit = {
    roleArnDefined: !!r,
    tokenFileDefined: !!k,
    ...(typeof r?.value === 'string' ? { roleArn: r.value } : {}),
    ...(typeof k?.value === 'string' ? { tokenFile: k.value } : {}),
  };
  const skipped = String(t.annotations[SKIP_CONTAINERS_ANNOTATION] ?? '')
    .split(',')
    .map((x) => x.trim())
    .includes(c.container.name);
  const annotated = !!identityOf(env, t.namespace, serviceAccountOf(t)).irsaRoleArn;
  const injected = annotated && !skipped && !explicit.roleArnDefined && !explicit.tokenFileDefined;
  return { explicit, injected, complete: injected || (explicit.roleArnDefined && explicit.tokenFileDefined) };
}

/** The containers of a pod template that mount one of its volumes that carry ConfigMap `name`. */
export function containersMountingConfigMap(t: PodTemplate, name: string): ContainerRef[] {
  const volumes = new Set<string>(
    (t.spec.volumes ?? []).filter((v: any) => v.configMap?.name === name || (v.projected?.sources ?? []).some((s: any) => s.configMap?.name === name)).map((v: any) => v.name),
  );
  return containersOf(t).filter(({ container }) => (container.volumeMounts ?? []).some((m: any) => volumes.has(m.name)));
}

/** The identities the cluster gives one service account. */
export interface ServiceAccountIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly associations: readonly PodIdentity[];
  /** The IRSA role ARN annotated on the rendered ServiceAccount, if any. */
  readonly irsaRoleArn?: string;
  /** The roles (from the templates) the identities name. */
  readonly roles: readonly CfnResource[];
}

export function identityOf(env: RenderedEnvironment, namespace: string, serviceAccount: string): ServiceAccountIdentity {
  const associations = podIdentities(env).filter((p) => p.namespace === namespace && p.serviceAccount === serviceAccount);
  const sa = kubeIndex(env).get('ServiceAccount', namespace, serviceAccount);
  const irsaRoleArn = sa?.metadata.annotations?.[IRSA_ANNOTATION];
  const roles: CfnResource[] = [];
  for (const a of associations) if (a.role && !roles.includes(a.role)) roles.push(a.role);
  const irsaRole = irsaRoleArn ? roleByArn(env, irsaRoleArn) : undefined;
  if (irsaRole && !roles.includes(irsaRole)) roles.push(irsaRole);
  return { namespace, serviceAccount, associations, ...(irsaRoleArn ? { irsaRoleArn } : {}), roles };
}

/** The statements of every role a service account gets. */
export function statementsOf(env: RenderedEnvironment, id: ServiceAccountIdentity): Statement[] {
  return id.roles.flatMap((r) => roleStatements(env, r));
}

/** `Pod Identity association <stack>/<id> (role <name>)` or `IRSA role ...`: how findings name an identity. */
export function describeIdentity(id: ServiceAccountIdentity): string {
  const parts = id.associations.map((a) => `Pod Identity association ${a.resource.stack}/${a.resource.logicalId}${a.role ? ` (role ${a.role.stack}/${a.role.logicalId})` : ''}`);
  if (id.irsaRoleArn) parts.push(`IRSA role ${id.irsaRoleArn}`);
  return parts.join(' and ') || 'no identity';
}

/** An `aws <service> ...` CLI call in a container command. */
const AWS_CLI = /(^|[\s;&|(`])aws\s+(s3|s3api|sts|secretsmanager|kms|ssm|dynamodb|sqs|sns|ecr|eks|logs|cloudwatch|route53|ec2|rds|elasticache|ses|sesv2)\s/;

/** Why a pod template needs AWS credentials (empty when it does not). */
export function awsNeeds(env: RenderedEnvironment, t: PodTemplate): string[] {
  const reasons: string[] = [];
  for (const name of configMapsUsed(t)) {
    const cm = kubeIndex(env).get('ConfigMap', t.namespace, name);
    const keys = Object.entries<unknown>(cm?.data ?? {})
      .filter(([, text]) => typeof text === 'string' && /^\s*repo\d+-type\s*=\s*s3\s*$/m.test(text))
      .map(([key]) => key);
    if (keys.length) reasons.push(`it mounts ConfigMap ${t.namespace}/${name} whose ${keys.join(', ')} configure${keys.length === 1 ? 's' : ''} a pgBackRest S3 repository (repo<N>-type=s3)`);
  }
  for (const { container, path } of containersOf(t)) {
    const text = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
    if (/s3:\/\//.test(text) || AWS_CLI.test(text)) reasons.push(`container ${container.name} (${path}) calls AWS (aws CLI / s3:// URL in its command)`);
  }
  const sa = kubeIndex(env).get('ServiceAccount', t.namespace, serviceAccountOf(t));
  if (sa?.metadata.annotations?.[IRSA_ANNOTATION]) reasons.push(`its ServiceAccount carries ${IRSA_ANNOTATION}`);
  return reasons;
}

/** Every rendered pod template that needs AWS credentials, with why. */
export function podsNeedingAws(env: RenderedEnvironment): { template: PodTemplate; reasons: string[] }[] {
  return kubeIndex(env)
    .podTemplates.map((template) => ({ template, reasons: awsNeeds(env, template) }))
    .filter((x) => x.reasons.length > 0);
}

/** The rendered pod templates that run under a service account. */
export function podsUnder(env: RenderedEnvironment, namespace: string, serviceAccount: string): PodTemplate[] {
  return kubeIndex(env).podTemplates.filter((t) => t.namespace === namespace && serviceAccountOf(t) === serviceAccount);
}

/** The pod templates that mount (volume or projected volume) a ConfigMap. */
export function podsMountingConfigMap(env: RenderedEnvironment, cm: KubeObject): PodTemplate[] {
  return kubeIndex(env).podTemplates.filter((t) => t.namespace === (cm.metadata.namespace ?? 'default') && configMapsUsed(t).has(cm.metadata.name));
}
