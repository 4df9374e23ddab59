/**
 * Workload identities as the templates and the YAML declare them: which AWS role a Kubernetes service account gets
 * (EKS Pod Identity associations, or an IRSA annotation `eks.amazonaws.com/role-arn`), which pods need AWS
 * credentials at all, and what the role's policies allow. Shared by the contract rules.
 */
import type { KubeObject, RenderedEnvironment } from '../../types';
import { podIdentities, roleByArn, roleStatements, type CfnResource, type PodIdentity, type Statement } from '../../cfn';
import { containersOf, kubeIndex, configMapsUsed, serviceAccountOf, type PodTemplate } from '../references/kube';

export const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';

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
