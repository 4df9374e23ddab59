/**
 * Reading the rendered CloudFormation templates (dist/cloudformation/<env>) the way the checks need them:
 *
 * - resources of a type across every stack ({@link resources}), named `<stack>/<logicalId>` ({@link resourceId}),
 *   and the resource a `Ref` or an `Fn::ImportValue` of another stack's export names ({@link refTarget});
 * - intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::ImportValue`, `Fn::Select`, `Fn::Split`)
 *   resolved into comparable strings ({@link resolve}, {@link resolveString});
 * - the Helm charts and Kubernetes manifests the CDK EKS custom resources (`Custom::AWSCDK-EKS-HelmChart`,
 *   `Custom::AWSCDK-EKS-KubernetesResource`) install, with their embedded JSON parsed ({@link helmCharts},
 *   {@link kubernetesManifests}), the EKS clusters, the EKS add-ons (with their `ConfigurationValues` parsed) and
 *   Pod Identity associations;
 * - IAM: the statements of a role (inline, `AWS::IAM::Policy`/`ManagedPolicy` attached to it) and whether they allow
 *   an action on a resource ({@link roleStatements}, {@link iamAllows});
 * - the account and region the templates deploy to ({@link templatesRegion}, {@link templatesAccount}).
 *
 * Deploy-time values. A value that only exists once deployed (a KMS key ARN, a VPC id) resolves to the canonical
 * token `{{cfn:<stack>/<logicalId>.<attribute>}}` (attribute `Ref` for `Ref`). Every route to the same resource
 * attribute (a `GetAtt`, an export read with `Fn::ImportValue`, `${X.Arn}` in `Fn::Sub`) yields the same token, so
 * two such values compare equal as plain strings. Where the physical value follows from literal properties, it is
 * computed instead: `Ref` of a bucket is its `BucketName`, the `Arn` of a role with a `RoleName` is
 * `arn:aws:iam::<account>:role/<name>`, and so on ({@link DERIVED}). Pseudo parameters resolve to the partition
 * `aws`, the templates' account and region, or `{{cfn:AWS::Region}}`-style tokens when those are unknown.
 *
 * Everything here is a pure function of the {@link RenderedEnvironment}; results are cached per environment object.
 */
import { parse as parseYaml } from 'yaml';
import type { CfnTemplate, KubeObject, RenderedEnvironment } from './types';

/** One resource of one template. */
export interface CfnResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** `Properties`, unresolved (as rendered). */
  readonly properties: any;
}

/** `<stack>/<logicalId>`, how findings name a CloudFormation resource. */
export function resourceId(r: { stack: string; logicalId: string }): string {
  return `${r.stack}/${r.logicalId}`;
}

/** Orders resources by stack, then logical id (for checks that report in that order). */
export function byResourceId(a: { stack: string; logicalId: string }, b: { stack: string; logicalId: string }): number {
  if (a.stack !== b.stack) return a.stack < b.stack ? -1 : 1;
  return a.logicalId < b.logicalId ? -1 : a.logicalId > b.logicalId ? 1 : 0;
}

/** Every resource whose type equals `type` (or matches it, for a RegExp), in stack then template order. */
export function resources(env: RenderedEnvironment, type?: string | RegExp): CfnResource[] {
  const out: CfnResource[] = [];
  for (const [stack, t] of Object.entries(env.templates)) {
    for (const [logicalId, r] of Object.entries(t.Resources ?? {})) {
      if (type === undefined || (typeof type === 'string' ? r.Type === type : type.test(r.Type))) {
        out.push({ stack, logicalId, type: r.Type, properties: r.Properties ?? {} });
      }
    }
  }
  return out;
}

/** The resource `<stack>/<logicalId>`, if the templates hold it. */
export function resourceAt(env: RenderedEnvironment, stack: string, logicalId: string): CfnResource | undefined {
  const r = env.templates[stack]?.Resources?.[logicalId];
  return r ? { stack, logicalId, type: r.Type, properties: r.Properties ?? {} } : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens

/** The canonical token of a deploy-time value: `{{cfn:<stack>/<logicalId>.<attribute>}}`. */
export function token(stack: string, logicalId: string, attribute = 'Ref'): string {
  return `{{cfn:${stack}/${logicalId}.${attribute}}}`;
}

const TOKEN_RE = /\{\{cfn:([^/{}]+)\/([^.{}]+)\.([^{}]+)\}\}/g;

/** The resource tokens inside a resolved string, in order. */
export function tokensIn(s: string): { stack: string; logicalId: string; attribute: string }[] {
  return [...s.matchAll(TOKEN_RE)].map((m) => ({ stack: m[1], logicalId: m[2], attribute: m[3] }));
}

/** True when a resolved string still holds a deploy-time token (it is not a literal value). */
export function hasToken(s: string): boolean {
  return s.includes('{{cfn:');
}

/** The resource a resolved string is exactly the token of (e.g. the key behind `{{cfn:data/Key.Arn}}`). */
export function resourceOfToken(env: RenderedEnvironment, s: string): (CfnResource & { attribute: string }) | undefined {
  const m = /^\{\{cfn:([^/{}]+)\/([^.{}]+)\.([^{}]+)\}\}$/.exec(s);
  if (!m) return undefined;
  const r = resourceAt(env, m[1], m[2]);
  return r ? { ...r, attribute: m[3] } : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Account and region

const ARN_RE = /arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:/g;
const AZ_RE = /^([a-z]{2}(?:-gov)?-[a-z]+-\d)[a-z]$/;
const REGION_RE = /^[a-z]{2}(?:-gov)?-[a-z]+-\d$/;

/** One place the templates name a region: a subnet's availability zone, a VPC endpoint service, a regional ARN. */
export interface RegionEvidence {
  readonly region: string;
  /** `<stack>/<logicalId>` and the property, e.g. `optibid-dev-network/Subnet1 AvailabilityZone`. */
  readonly where: string;
}

function walkStrings(v: unknown, visit: (s: string, path: string) => void, path = ''): void {
  if (typeof v === 'string') visit(v, path);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, visit, `${path}[${i}]`));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walkStrings(x, visit, path ? `${path}.${k}` : k);
}

const cache = new WeakMap<RenderedEnvironment, Map<string, unknown>>();
function cached<T>(env: RenderedEnvironment, key: string, compute: () => T): T {
  let m = cache.get(env);
  if (!m) cache.set(env, (m = new Map()));
  if (!m.has(key)) m.set(key, compute());
  return m.get(key) as T;
}

/**
 * Every region the templates name, with where: availability zones of subnets (strongest: the stack deploys there),
 * `com.amazonaws.<region>.<service>` VPC endpoint services, and regional ARNs in literal strings.
 */
export function regionEvidence(env: RenderedEnvironment): RegionEvidence[] {
  return cached(env, 'regionEvidence', () => {
    const out: RegionEvidence[] = [];
    for (const r of resources(env)) {
      walkStrings(r.properties, (s, path) => {
        const where = `${resourceId(r)} Properties.${path}`;
        const az = AZ_RE.exec(s);
        if (az && /AvailabilityZone/.test(path)) out.push({ region: az[1], where });
        const ep = /^com\.amazonaws\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\./.exec(s);
        if (ep) out.push({ region: ep[1], where });
        for (const m of s.matchAll(ARN_RE)) if (m[2] && REGION_RE.test(m[2])) out.push({ region: m[2], where });
      });
    }
    return out;
  });
}

function mostFrequent(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

/**
 * The region the templates deploy to: the region of the subnets' availability zones, else the most frequent
 * region among the other evidence ({@link regionEvidence}); undefined when the templates name none.
 */
export function templatesRegion(env: RenderedEnvironment): string | undefined {
  return cached(env, 'region', () => {
    const ev = regionEvidence(env);
    const azs = ev.filter((e) => /AvailabilityZone/.test(e.where)).map((e) => e.region);
    return mostFrequent(azs.length ? azs : ev.map((e) => e.region));
  });
}

/** The account the templates deploy to: the most frequent 12-digit account in the templates' literal ARNs. */
export function templatesAccount(env: RenderedEnvironment): string | undefined {
  return cached(env, 'account', () => {
    const accounts: string[] = [];
    for (const t of Object.values(env.templates)) walkStrings(t.Resources, (s) => {
      for (const m of s.matchAll(ARN_RE)) if (m[3]) accounts.push(m[3]);
    });
    return mostFrequent(accounts);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Resolution of intrinsic functions

/**
 * Physical values that follow from literal properties, by resource type and attribute (`Ref` for `Ref`). Returns
 * undefined when the property is not a literal string (the value then stays a token).
 */
const DERIVED: Record<string, Record<string, (p: any, ctx: { partition: string; account: string; region: string }) => string | undefined>> = {
  'AWS::S3::Bucket': {
    Ref: (p) => lit(p.BucketName),
    Arn: (p, c) => (lit(p.BucketName) ? `arn:${c.partition}:s3:::${p.BucketName}` : undefined),
  },
  'AWS::IAM::Role': {
    Ref: (p) => lit(p.RoleName),
    Arn: (p, c) => (lit(p.RoleName) ? `arn:${c.partition}:iam::${c.account}:role${lit(p.Path) ?? '/'}${p.RoleName}` : undefined),
  },
  'AWS::EKS::Cluster': {
    Ref: (p) => lit(p.Name),
    Arn: (p, c) => (lit(p.Name) ? `arn:${c.partition}:eks:${c.region}:${c.account}:cluster/${p.Name}` : undefined),
  },
  'AWS::KMS::Alias': {
    Ref: (p) => lit(p.AliasName),
  },
  'AWS::Logs::LogGroup': {
    Ref: (p) => lit(p.LogGroupName),
    Arn: (p, c) => (lit(p.LogGroupName) ? `arn:${c.partition}:logs:${c.region}:${c.account}:log-group:${p.LogGroupName}:*` : undefined),
  },
  'AWS::SSM::Parameter': { Ref: (p) => lit(p.Name) },
  'AWS::SQS::Queue': { QueueName: (p) => lit(p.QueueName) },
  'AWS::SNS::Topic': { TopicName: (p) => lit(p.TopicName) },
};

function lit(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

const INTRINSICS = new Set(['Ref', 'Fn::GetAtt', 'Fn::Join', 'Fn::Sub', 'Fn::ImportValue', 'Fn::Select', 'Fn::Split', 'Fn::Base64', 'Fn::If', 'Fn::GetAZs', 'Fn::FindInMap', 'Fn::Cidr', 'Fn::Transform']);

/** A value `resolve` cannot turn into a string (e.g. `Fn::If`): kept as a recognisable, never-equal marker. */
function opaque(fn: string, stack: string): string {
  return `{{cfn:${stack}/${fn.replace(/[^A-Za-z]/g, '')}.unresolved}}`;
}

interface Ctx {
  readonly env: RenderedEnvironment;
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  readonly depth: number;
}

function ctxOf(env: RenderedEnvironment): Ctx {
  return { env, partition: 'aws', account: templatesAccount(env) ?? '{{cfn:AWS::AccountId}}', region: templatesRegion(env) ?? '{{cfn:AWS::Region}}', depth: 0 };
}

function pseudo(name: string, stack: string, c: Ctx): string | undefined | null {
  switch (name) {
    case 'AWS::Partition':
      return c.partition;
    case 'AWS::Region':
      return c.region;
    case 'AWS::AccountId':
      return c.account;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return stack;
    case 'AWS::NoValue':
      return null;
    default:
      return name.startsWith('AWS::') ? `{{cfn:${name}}}` : undefined;
  }
}

function refOf(name: string, stack: string, c: Ctx): string | null {
  const p = pseudo(name, stack, c);
  if (p !== undefined) return p;
  const t: CfnTemplate | undefined = c.env.templates[stack];
  const param = (t?.Parameters as Record<string, any> | undefined)?.[name];
  if (param) return typeof param.Default === 'string' ? param.Default : `{{cfn:${stack}/${name}.Parameter}}`;
  return attributeOf(stack, name, 'Ref', c);
}

/** IAM OIDC provider resource types: the native one, and aws-cdk-lib's older custom resource (Ref = the ARN). */
export const OIDC_PROVIDER_TYPES = ['AWS::IAM::OIDCProvider', 'Custom::AWSCDKOpenIdConnectProvider'] as const;

/**
 * The issuer of an OIDC provider's `Url` as IAM names it (in the provider ARN and as the prefix of the `<issuer>:sub`
 * / `<issuer>:aud` condition keys): the URL without `https://`. A deploy-time URL (an EKS cluster's
 * `OpenIdConnectIssuerUrl`) stays its token, so the ARN, the condition keys and the provider compare equal.
 */
function issuerOf(url: string): string {
  return url.replace(/^https:\/\//, '');
}

function attributeOf(stack: string, logicalId: string, attribute: string, c: Ctx): string {
  const r = c.env.templates[stack]?.Resources?.[logicalId];
  if (r && attribute === 'Ref' && (OIDC_PROVIDER_TYPES as readonly string[]).includes(r.Type)) {
    const url = asString(resolveIn(r.Properties?.Url, stack, { ...c, depth: c.depth + 1 }));
    if (url !== undefined) return `arn:${c.partition}:iam::${c.account}:oidc-provider/${issuerOf(url)}`;
  }
  const derive = r ? DERIVED[r.Type]?.[attribute] : undefined;
  return (derive && derive(r!.Properties ?? {}, c)) ?? token(stack, logicalId, attribute);
}

/**
 * `Fn::GetAtt [X, Value]` of a `Custom::AWSCDKCfnJson` (aws-cdk-lib CfnJson: JSON whose keys hold deploy-time
 * values, e.g. IRSA trust conditions keyed by the cluster's OIDC issuer): its `Value` property resolved and parsed.
 */
function cfnJsonValue(stack: string, logicalId: string, c: Ctx): unknown {
  const r = c.env.templates[stack]?.Resources?.[logicalId];
  const text = asString(resolveIn(r?.Properties?.Value, stack, { ...c, depth: c.depth + 1 }));
  if (text === undefined) return opaque('CfnJson', stack);
  try {
    return JSON.parse(text);
  } catch {
    return opaque('CfnJson', stack);
  }
}

/** The export named `name` in any template: its stack and (unresolved) value. */
export function findExport(env: RenderedEnvironment, name: string): { stack: string; outputId: string; value: unknown } | undefined {
  for (const [stack, t] of Object.entries(env.templates)) {
    for (const [outputId, o] of Object.entries((t.Outputs ?? {}) as Record<string, any>)) {
      const exportName = o?.Export?.Name;
      const resolved = typeof exportName === 'string' ? exportName : exportName !== undefined ? resolveString(env, stack, exportName) : undefined;
      if (resolved === name) return { stack, outputId, value: o.Value };
    }
  }
  return undefined;
}

/**
 * The resource of the templates that `{ Ref: X }` (written in `stack`) or `{ 'Fn::ImportValue': '<export name>' }`
 * names, when the export's value is itself a `Ref`; undefined for anything else (parameters, pseudo parameters,
 * computed values, resources not in the render).
 */
export function refTarget(env: RenderedEnvironment, stack: string, v: unknown): CfnResource | undefined {
  const o = v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  if (typeof o?.Ref === 'string') return resourceAt(env, stack, o.Ref);
  if (typeof o?.['Fn::ImportValue'] !== 'string') return undefined;
  const ex = findExport(env, o['Fn::ImportValue']);
  const ref = (ex?.value as { Ref?: unknown } | undefined)?.Ref;
  return ex && typeof ref === 'string' ? resourceAt(env, ex.stack, ref) : undefined;
}

function resolveIn(v: unknown, stack: string, c: Ctx): unknown {
  if (c.depth > 40) return opaque('depth', stack);
  if (Array.isArray(v)) return v.map((x) => resolveIn(x, stack, c)).filter((x) => x !== null);
  if (!v || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && INTRINSICS.has(keys[0])) return intrinsic(keys[0], (v as any)[keys[0]], stack, { ...c, depth: c.depth + 1 });
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const r = resolveIn(x, stack, c);
    if (r !== null) out[k] = r;
  }
  return out;
}

function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function intrinsic(fn: string, arg: any, stack: string, c: Ctx): unknown {
  switch (fn) {
    case 'Ref':
      return typeof arg === 'string' ? refOf(arg, stack, c) : opaque(fn, stack);
    case 'Fn::GetAtt': {
      const [id, attr] = Array.isArray(arg) ? arg : typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : [];
      if (typeof id === 'string' && attr === 'Value' && c.env.templates[stack]?.Resources?.[id]?.Type === 'Custom::AWSCDKCfnJson') return cfnJsonValue(stack, id, c);
      return typeof id === 'string' && typeof attr === 'string' ? attributeOf(stack, id, attr, c) : opaque(fn, stack);
    }
    case 'Fn::Join': {
      if (!Array.isArray(arg) || arg.length !== 2) return opaque(fn, stack);
      const delimiter = asString(resolveIn(arg[0], stack, c)) ?? '';
      const list = resolveIn(arg[1], stack, c);
      if (!Array.isArray(list)) return opaque(fn, stack);
      const parts = list.map(asString);
      return parts.every((p) => p !== undefined) ? parts.join(delimiter) : opaque(fn, stack);
    }
    case 'Fn::Sub': {
      const [template, vars] = Array.isArray(arg) ? [arg[0], arg[1] ?? {}] : [arg, {}];
      if (typeof template !== 'string') return opaque(fn, stack);
      return template.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
        if (name.startsWith('!')) return `\${${name.slice(1)}}`;
        if (name in vars) return asString(resolveIn(vars[name], stack, c)) ?? opaque(fn, stack);
        const dot = name.indexOf('.');
        if (dot > 0 && !name.startsWith('AWS::')) return attributeOf(stack, name.slice(0, dot), name.slice(dot + 1), c);
        const r = refOf(name, stack, c);
        return r === null ? '' : r ?? whole;
      });
    }
    case 'Fn::ImportValue': {
      const name = asString(resolveIn(arg, stack, c));
      if (name === undefined) return opaque(fn, stack);
      const ex = findExport(c.env, name);
      return ex ? resolveIn(ex.value, ex.stack, c) : `{{cfn:import/${name}.Export}}`;
    }
    case 'Fn::Select': {
      if (!Array.isArray(arg) || arg.length !== 2) return opaque(fn, stack);
      const i = Number(resolveIn(arg[0], stack, c));
      const list = resolveIn(arg[1], stack, c);
      return Array.isArray(list) && Number.isInteger(i) && i >= 0 && i < list.length ? list[i] : opaque(fn, stack);
    }
    case 'Fn::Split': {
      if (!Array.isArray(arg) || arg.length !== 2) return opaque(fn, stack);
      const d = asString(resolveIn(arg[0], stack, c));
      const s = asString(resolveIn(arg[1], stack, c));
      return d !== undefined && s !== undefined ? s.split(d) : opaque(fn, stack);
    }
    case 'Fn::Base64':
      return resolveIn(arg, stack, c);
    default:
      return opaque(fn, stack);
  }
}

/**
 * `value` (from template `stack`) with every intrinsic function resolved: strings where possible, tokens for
 * deploy-time values (see the module comment), `AWS::NoValue` entries dropped. Plain JSON is returned as is.
 */
export function resolve(env: RenderedEnvironment, stack: string, value: unknown): unknown {
  return resolveIn(value, stack, ctxOf(env));
}

/** {@link resolve}, when the result is a string (or a number); undefined otherwise. */
export function resolveString(env: RenderedEnvironment, stack: string, value: unknown): string | undefined {
  return asString(resolve(env, stack, value));
}

/** The resolved `Properties` of a resource. */
export function resolvedProperties(env: RenderedEnvironment, r: CfnResource): any {
  return cached(env, `props:${resourceId(r)}`, () => resolve(env, r.stack, r.properties) ?? {});
}

// ---------------------------------------------------------------------------------------------------------------
// EKS: cluster, add-ons, Helm charts, manifests, Pod Identity

/** Every `AWS::EKS::Cluster`, with its resolved `Name`. */
export function eksClusters(env: RenderedEnvironment): (CfnResource & { name: string | undefined })[] {
  return resources(env, 'AWS::EKS::Cluster').map((r) => ({ ...r, name: resolveString(env, r.stack, r.properties.Name) }));
}

/** An `AWS::EKS::Addon`. */
export interface EksAddon extends CfnResource {
  /** Resolved `AddonName`. */
  readonly name: string;
  /** Resolved `Properties`. */
  readonly resolved: any;
  /** `ConfigurationValues` parsed (JSON, else YAML); `{}` when absent or unreadable. */
  readonly config: any;
}

/** Every `AWS::EKS::Addon`. */
export function eksAddons(env: RenderedEnvironment): EksAddon[] {
  return resources(env, 'AWS::EKS::Addon').map((r) => {
    const resolved = resolvedProperties(env, r);
    const config = typeof resolved.ConfigurationValues === 'string' ? parseEmbedded(resolved.ConfigurationValues).value : undefined;
    return { ...r, name: String(resolveString(env, r.stack, r.properties.AddonName)), resolved, config: config ?? {} };
  });
}

/** A chart installed by `Custom::AWSCDK-EKS-HelmChart`. */
export interface HelmChart extends CfnResource {
  readonly release: string;
  readonly chart: string;
  readonly namespace: string;
  readonly repository?: string;
  readonly version?: string;
  readonly createNamespace: boolean;
  /** `Values` parsed (JSON, else YAML); `{}` when absent. Deploy-time values inside are tokens. */
  readonly values: any;
  /** Set when `Values` is present but does not parse. */
  readonly valuesError?: string;
}

function parseEmbedded(s: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(s) };
  } catch (e) {
    try {
      return { value: parseYaml(s) };
    } catch {
      return { error: (e as Error).message };
    }
  }
}

/** Every Helm chart the templates install (namespace defaults to `default`, release to the chart name). */
export function helmCharts(env: RenderedEnvironment): HelmChart[] {
  return cached(env, 'helmCharts', () =>
    resources(env, /^Custom::AWSCDK-EKS-HelmChart$/).map((r) => {
      const p = resolvedProperties(env, r);
      const raw = p.Values;
      const parsed: { value?: unknown; error?: string } = typeof raw === 'string' ? parseEmbedded(raw) : { value: raw ?? {} };
      return {
        ...r,
        chart: String(p.Chart ?? ''),
        release: String(p.Release ?? p.Chart ?? ''),
        namespace: String(p.Namespace ?? 'default'),
        repository: p.Repository,
        version: p.Version,
        createNamespace: p.CreateNamespace === true || p.CreateNamespace === 'true',
        values: parsed.value ?? {},
        ...(parsed.error ? { valuesError: parsed.error } : {}),
      };
    }),
  );
}

/** The objects one `Custom::AWSCDK-EKS-KubernetesResource` applies (its `Manifest` JSON array, parsed). */
export interface EksManifest extends CfnResource {
  /** The resolved `Manifest` as parsed, before keeping the objects (undefined when it does not parse). */
  readonly manifest: unknown;
  /** The Kubernetes objects (entries with a `kind`) of the manifest. */
  readonly objects: KubeObject[];
  readonly manifestError?: string;
}

/** Every Kubernetes manifest the templates apply, parsed; deploy-time values inside are tokens. */
export function kubernetesManifests(env: RenderedEnvironment): EksManifest[] {
  return cached(env, 'manifests', () =>
    resources(env, /^Custom::AWSCDK-EKS-KubernetesResource$/).map((r) => {
      const m = resolve(env, r.stack, r.properties.Manifest);
      const parsed: { value?: unknown; error?: string } = typeof m === 'string' ? parseEmbedded(m) : { value: m };
      const v = parsed.value;
      const objects = (Array.isArray(v) ? v : v ? [v] : []).filter((o): o is KubeObject => !!o && typeof o === 'object' && 'kind' in o);
      return { ...r, manifest: v, objects, ...(parsed.error ? { manifestError: parsed.error } : {}) };
    }),
  );
}

/** An EKS Pod Identity association: a standalone resource, or one entry of an add-on's `PodIdentityAssociations`. */
export interface PodIdentity {
  /** The resource that declares it (the association, or the add-on). */
  readonly resource: CfnResource;
  /** Field path of the association within the resource (`Properties` or `Properties.PodIdentityAssociations[0]`). */
  readonly field: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Resolved role ARN (a derived `arn:aws:iam::...:role/<name>` or a token). */
  readonly roleArn: string;
  /** The role in the templates the ARN names, if any. */
  readonly role?: CfnResource;
  /** Resolved cluster name the association is for. */
  readonly clusterName?: string;
}

/**
 * Every Pod Identity association: `AWS::EKS::PodIdentityAssociation` resources, and the
 * `PodIdentityAssociations` of `AWS::EKS::Addon` (namespace `kube-system`, where EKS add-ons run).
 */
export function podIdentities(env: RenderedEnvironment): PodIdentity[] {
  return cached(env, 'podIdentities', () => {
    const out: PodIdentity[] = [];
    for (const r of resources(env, 'AWS::EKS::PodIdentityAssociation')) {
      const p = resolvedProperties(env, r);
      const roleArn = String(p.RoleArn ?? '');
      out.push({ resource: r, field: 'Properties', namespace: String(p.Namespace), serviceAccount: String(p.ServiceAccount), roleArn, role: roleByArn(env, roleArn), clusterName: asString(p.ClusterName) });
    }
    for (const a of eksAddons(env)) {
      (a.resolved.PodIdentityAssociations ?? []).forEach((pia: any, i: number) => {
        const roleArn = String(pia.RoleArn ?? '');
        out.push({ resource: a, field: `Properties.PodIdentityAssociations[${i}]`, namespace: 'kube-system', serviceAccount: String(pia.ServiceAccount), roleArn, role: roleByArn(env, roleArn), clusterName: asString(a.resolved.ClusterName) });
      });
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// IAM

/** The `AWS::IAM::Role` a resolved role ARN names: by token, or by `arn:...:iam::<account>:role/[path/]<RoleName>`. */
export function roleByArn(env: RenderedEnvironment, arn: string): CfnResource | undefined {
  const t = resourceOfToken(env, arn);
  if (t) return t.type === 'AWS::IAM::Role' ? t : undefined;
  const m = /^arn:aws[a-z-]*:iam::(\d{12}|\{\{cfn:AWS::AccountId\}\}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m) return undefined;
  const account = templatesAccount(env);
  if (account && m[1] !== account) return undefined;
  return resources(env, 'AWS::IAM::Role').find((r) => resolveString(env, r.stack, r.properties.RoleName) === m[2] || attributeOf(r.stack, r.logicalId, 'Arn', ctxOf(env)) === arn);
}

/** One resolved policy statement, and where it comes from. */
export interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources: readonly string[];
  readonly notResources?: readonly string[];
  readonly hasCondition: boolean;
  readonly sid?: string;
  /** The resource that holds the statement, `<stack>/<logicalId>`. */
  readonly object: string;
  /** Its field path, e.g. `Properties.Policies[0].PolicyDocument.Statement[1]`. */
  readonly field: string;
}

function list(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
}

function statementsOf(doc: any, object: string, field: string): Statement[] {
  const st = doc?.Statement;
  return (Array.isArray(st) ? st : st ? [st] : []).map((s: any, i: number) => ({
    effect: s.Effect === 'Deny' ? 'Deny' : 'Allow',
    actions: list(s.Action) ?? [],
    ...(s.NotAction !== undefined ? { notActions: list(s.NotAction) } : {}),
    resources: list(s.Resource) ?? [],
    ...(s.NotResource !== undefined ? { notResources: list(s.NotResource) } : {}),
    hasCondition: !!s.Condition,
    ...(s.Sid ? { sid: s.Sid } : {}),
    object,
    field: `${field}.Statement[${i}]`,
  }));
}

/**
 * Every statement that applies to a role: its inline `Policies`, and the `AWS::IAM::Policy` /
 * `AWS::IAM::ManagedPolicy` resources that list it in `Roles`. AWS-managed policies (`ManagedPolicyArns`) cannot be
 * read from the templates: see {@link managedPolicyArns}.
 */
export function roleStatements(env: RenderedEnvironment, role: CfnResource): Statement[] {
  const out: Statement[] = [];
  const p = resolvedProperties(env, role);
  (p.Policies ?? []).forEach((pol: any, i: number) => out.push(...statementsOf(pol.PolicyDocument, resourceId(role), `Properties.Policies[${i}].PolicyDocument`)));
  const roleRef = resolveString(env, role.stack, { Ref: role.logicalId });
  for (const pol of resources(env, /^AWS::IAM::(Policy|ManagedPolicy)$/)) {
    const roles = (pol.properties.Roles ?? []) as unknown[];
    const attached = roles.some((x) => {
      const isRefHere = pol.stack === role.stack && x && typeof x === 'object' && (x as any).Ref === role.logicalId;
      return isRefHere || (roleRef !== undefined && resolveString(env, pol.stack, x) === roleRef);
    });
    if (attached) out.push(...statementsOf(resolvedProperties(env, pol).PolicyDocument, resourceId(pol), 'Properties.PolicyDocument'));
  }
  return out;
}

/** The resolved `ManagedPolicyArns` of a role (their content is not in the templates). */
export function managedPolicyArns(env: RenderedEnvironment, role: CfnResource): string[] {
  return (resolvedProperties(env, role).ManagedPolicyArns ?? []).map(String);
}

function wildcard(pattern: string, flags = ''): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, flags);
}

/** IAM wildcard match (`*` any run, `?` one character); actions compare case-insensitively. */
export function iamMatch(pattern: string, value: string, kind: 'action' | 'resource' = 'resource'): boolean {
  return wildcard(pattern, kind === 'action' ? 'i' : '').test(value);
}

function statementApplies(s: Statement, action: string, resource: string): boolean {
  const actionOk = s.notActions ? !s.notActions.some((a) => iamMatch(a, action, 'action')) : s.actions.some((a) => iamMatch(a, action, 'action'));
  const resourceOk = s.notResources ? !s.notResources.some((r) => iamMatch(r, resource)) : s.resources.some((r) => iamMatch(r, resource));
  return actionOk && resourceOk;
}

/**
 * Whether the statements allow `action` on `resource`: some Allow applies and no Deny does. Conditions are not
 * evaluated (an Allow with a condition counts as allowing; a Deny with a condition is ignored) — the question asked
 * is "is it granted at all", not "under which request context".
 */
export function iamAllows(statements: readonly Statement[], action: string, resource: string): boolean {
  if (statements.some((s) => s.effect === 'Deny' && !s.hasCondition && statementApplies(s, action, resource))) return false;
  return statements.some((s) => s.effect === 'Allow' && statementApplies(s, action, resource));
}

/** Whether a role's trust policy lets EKS Pod Identity (`pods.eks.amazonaws.com`) assume it and tag the session. */
export function trustsPodIdentity(env: RenderedEnvironment, role: CfnResource): boolean {
  const doc = resolvedProperties(env, role).AssumeRolePolicyDocument;
  const st = statementsOf(doc, resourceId(role), 'Properties.AssumeRolePolicyDocument');
  const raw = (Array.isArray(doc?.Statement) ? doc.Statement : [doc?.Statement]).filter(Boolean);
  const trusted = (action: string) =>
    st.some((s, i) => {
      const svc = raw[i]?.Principal?.Service;
      const services = Array.isArray(svc) ? svc : [svc];
      return s.effect === 'Allow' && services.includes('pods.eks.amazonaws.com') && s.actions.some((a) => iamMatch(a, action, 'action'));
    });
  return trusted('sts:AssumeRole') && trusted('sts:TagSession');
}

/**
 * The `StringEquals` conditions of each trust statement that lets `pods.eks.amazonaws.com` assume the role, by key
 * (values as lists). A statement without conditions gives `{}`: any Pod Identity association of the account could
 * assume the role.
 */
export function podIdentityTrustConditions(env: RenderedEnvironment, role: CfnResource): { field: string; stringEquals: Record<string, string[]>; other: string[] }[] {
  const doc = resolvedProperties(env, role).AssumeRolePolicyDocument;
  const raw = (Array.isArray(doc?.Statement) ? doc.Statement : [doc?.Statement]).filter(Boolean);
  const out: { field: string; stringEquals: Record<string, string[]>; other: string[] }[] = [];
  raw.forEach((s: any, i: number) => {
    const svc = s?.Principal?.Service;
    if (s?.Effect !== 'Allow' || !(Array.isArray(svc) ? svc : [svc]).includes('pods.eks.amazonaws.com')) return;
    const cond = s.Condition ?? {};
    const eq = cond.StringEquals ?? {};
    out.push({
      field: `Properties.AssumeRolePolicyDocument.Statement[${i}]`,
      stringEquals: Object.fromEntries(Object.entries(eq).map(([k, v]) => [k, list(v) ?? []])),
      other: Object.keys(cond).filter((k) => k !== 'StringEquals'),
    });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// KMS, S3, Secrets Manager

/** An `AWS::KMS::Alias`: its name (`alias/...`) and the resolved target key (a key token or ARN). */
export interface KmsAlias extends CfnResource {
  readonly aliasName: string;
  readonly targetKey: string;
}

export function kmsAliases(env: RenderedEnvironment): KmsAlias[] {
  return cached(env, 'aliases', () =>
    resources(env, 'AWS::KMS::Alias').map((r) => ({ ...r, aliasName: String(resolveString(env, r.stack, r.properties.AliasName)), targetKey: String(resolveString(env, r.stack, r.properties.TargetKeyId)) })),
  );
}

/**
 * The alias a KMS key reference names, as Kubernetes config writes it: `alias/<name>` or
 * `arn:aws:kms:<region>:<account>:alias/<name>`. Returns the alias name, and region/account when an ARN.
 */
export function parseKmsAliasRef(ref: string): { aliasName: string; region?: string; account?: string } | undefined {
  const arn = /^arn:aws[a-z-]*:kms:([a-z0-9-]*):(\d{12}):(alias\/.+)$/.exec(ref);
  if (arn) return { aliasName: arn[3], region: arn[1], account: arn[2] };
  return ref.startsWith('alias/') ? { aliasName: ref } : undefined;
}

/** The key a KMS reference (alias name/ARN, or a key token/ARN as the templates write it) resolves to. */
export function kmsKeyOf(env: RenderedEnvironment, ref: string): { key: string; alias?: KmsAlias } | undefined {
  const a = parseKmsAliasRef(ref);
  if (a) {
    const alias = kmsAliases(env).find((x) => x.aliasName === a.aliasName);
    return alias ? { key: alias.targetKey, alias } : undefined;
  }
  const t = resourceOfToken(env, ref);
  if (t?.type === 'AWS::KMS::Key') return { key: ref };
  return undefined;
}

/** Every `AWS::S3::Bucket` with a literal name, by name. */
export function bucketsByName(env: RenderedEnvironment): Map<string, CfnResource> {
  return cached(env, 'buckets', () => {
    const m = new Map<string, CfnResource>();
    for (const r of resources(env, 'AWS::S3::Bucket')) {
      const n = resolveString(env, r.stack, r.properties.BucketName);
      if (n && !hasToken(n)) m.set(n, r);
    }
    return m;
  });
}

/** The resolved default KMS key of a bucket (`SSEAlgorithm` `aws:kms`), if it has one. */
export function bucketDefaultKey(env: RenderedEnvironment, bucket: CfnResource): string | undefined {
  const rules = resolvedProperties(env, bucket).BucketEncryption?.ServerSideEncryptionConfiguration ?? [];
  for (const r of rules) {
    const d = r.ServerSideEncryptionByDefault;
    if (d && /^aws:kms/.test(String(d.SSEAlgorithm)) && d.KMSMasterKeyID) return String(d.KMSMasterKeyID);
  }
  return undefined;
}

/** Every `AWS::SecretsManager::Secret` with a literal `Name`, by name. */
export function secretsByName(env: RenderedEnvironment): Map<string, CfnResource> {
  return cached(env, 'secrets', () => {
    const m = new Map<string, CfnResource>();
    for (const r of resources(env, 'AWS::SecretsManager::Secret')) {
      const n = resolveString(env, r.stack, r.properties.Name);
      if (n && !hasToken(n)) m.set(n, r);
    }
    return m;
  });
}

/**
 * Whether a KMS key's key policy lets `principalArn` use it for `action`: either the policy delegates to IAM (the
 * account root — `arn:aws:iam::<account>:root` or the bare account id — may do the action, so the principal's IAM
 * policies decide), or it names the principal (or `*`) itself. Conditions are not evaluated.
 */
export function keyPolicyAllows(env: RenderedEnvironment, key: CfnResource, principalArn: string, action: string): boolean {
  const doc = resolvedProperties(env, key).KeyPolicy;
  const raw: any[] = (Array.isArray(doc?.Statement) ? doc.Statement : [doc?.Statement]).filter(Boolean);
  const account = templatesAccount(env);
  return raw.some((s) => {
    if (s.Effect !== 'Allow') return false;
    const p = s.Principal === '*' ? ['*'] : s.Principal?.AWS;
    const principals: string[] = (Array.isArray(p) ? p : p ? [p] : []).map(String);
    const who = principals.some((x) => x === '*' || x === principalArn || (account && (x === account || x === `arn:aws:iam::${account}:root`)));
    const actions: string[] = (Array.isArray(s.Action) ? s.Action : [s.Action]).filter(Boolean).map(String);
    return who && actions.some((a) => iamMatch(a, action, 'action'));
  });
}

/**
 * Whether a role's trust policy lets an IRSA service account assume it: `sts:AssumeRoleWithWebIdentity` from a
 * federated (OIDC) principal, and, when a `...:sub` condition is present, it matches
 * `system:serviceaccount:<namespace>:<name>` (StringEquals / StringLike).
 */
export function trustsServiceAccount(env: RenderedEnvironment, role: CfnResource, namespace: string, serviceAccount: string): boolean {
  const doc = resolvedProperties(env, role).AssumeRolePolicyDocument;
  const raw: any[] = (Array.isArray(doc?.Statement) ? doc.Statement : [doc?.Statement]).filter(Boolean);
  const subject = `system:serviceaccount:${namespace}:${serviceAccount}`;
  return raw.some((s) => {
    const actions: string[] = (Array.isArray(s.Action) ? s.Action : [s.Action]).filter(Boolean).map(String);
    if (s.Effect !== 'Allow' || !s.Principal?.Federated || !actions.some((a) => iamMatch(a, 'sts:AssumeRoleWithWebIdentity', 'action'))) return false;
    const subs: string[] = [];
    for (const op of ['StringEquals', 'StringLike'] as const) {
      for (const [k, v] of Object.entries<any>(s.Condition?.[op] ?? {})) if (k.endsWith(':sub')) subs.push(...(Array.isArray(v) ? v : [v]).map(String));
    }
    return subs.length === 0 || subs.some((p) => iamMatch(p, subject));
  });
}

/** An IAM OIDC identity provider of the templates. */
export interface OidcProvider extends CfnResource {
  /** The provider's ARN as a `Federated` principal names it (`arn:aws:iam::<account>:oidc-provider/<issuer>`). */
  readonly arn: string;
  /** The issuer (URL without `https://`, or the token of a deploy-time URL): the prefix of its condition keys. */
  readonly issuer: string;
  /** Audiences (client ids) the provider accepts. */
  readonly clientIds: readonly string[];
  /** The EKS cluster whose `OpenIdConnectIssuerUrl` is the provider's URL, if any (an IRSA provider). */
  readonly cluster?: CfnResource;
}

/** Every IAM OIDC provider of the templates (native `AWS::IAM::OIDCProvider` and the CDK custom resource). */
export function oidcProviders(env: RenderedEnvironment): OidcProvider[] {
  return cached(env, 'oidcProviders', () =>
    resources(env, new RegExp(`^(${OIDC_PROVIDER_TYPES.join('|')})$`)).map((r) => {
      const p = resolvedProperties(env, r);
      const url = asString(p.Url) ?? '';
      const ofUrl = resourceOfToken(env, url);
      const cluster = ofUrl && ofUrl.type === 'AWS::EKS::Cluster' && ofUrl.attribute === 'OpenIdConnectIssuerUrl' ? ofUrl : undefined;
      return {
        ...r,
        arn: resolveString(env, r.stack, { Ref: r.logicalId }) ?? token(r.stack, r.logicalId),
        issuer: issuerOf(url),
        clientIds: (list(p.ClientIdList ?? p.ClientIDList) ?? []).map(String),
        ...(cluster ? { cluster: { stack: cluster.stack, logicalId: cluster.logicalId, type: cluster.type, properties: cluster.properties } } : {}),
      };
    }),
  );
}

/** One trust statement of a role that admits `sts:AssumeRoleWithWebIdentity` from a federated (OIDC) principal. */
export interface WebIdentityTrust {
  /** `Properties.AssumeRolePolicyDocument.Statement[<i>]`. */
  readonly field: string;
  /** The resolved `Principal.Federated` values. */
  readonly federated: readonly string[];
  /** The OIDC providers of the templates those values name. */
  readonly providers: readonly OidcProvider[];
  readonly stringEquals: Readonly<Record<string, readonly string[]>>;
  readonly stringLike: Readonly<Record<string, readonly string[]>>;
  /** Condition operators other than StringEquals / StringLike. */
  readonly other: readonly string[];
}

/** The statements of a role's trust policy through which a web identity (IRSA, GitHub OIDC...) may assume it. */
export function webIdentityTrusts(env: RenderedEnvironment, role: CfnResource): WebIdentityTrust[] {
  const doc = resolvedProperties(env, role).AssumeRolePolicyDocument;
  const raw: any[] = Array.isArray(doc?.Statement) ? doc.Statement : doc?.Statement ? [doc.Statement] : [];
  const providers = oidcProviders(env);
  const out: WebIdentityTrust[] = [];
  raw.forEach((s, i) => {
    const actions: string[] = (Array.isArray(s?.Action) ? s.Action : [s?.Action]).filter(Boolean).map(String);
    const fed = s?.Principal?.Federated;
    if (s?.Effect !== 'Allow' || fed === undefined || !actions.some((a) => iamMatch(a, 'sts:AssumeRoleWithWebIdentity', 'action'))) return;
    const federated = (list(fed) ?? []).map(String);
    const cond = s.Condition && typeof s.Condition === 'object' ? s.Condition : {};
    const op = (name: string): Record<string, string[]> => {
      const m = cond[name];
      return m && typeof m === 'object' && !Array.isArray(m) ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, list(v) ?? []])) : {};
    };
    out.push({
      field: `Properties.AssumeRolePolicyDocument.Statement[${i}]`,
      federated,
      providers: providers.filter((p) => federated.includes(p.arn)),
      stringEquals: op('StringEquals'),
      stringLike: op('StringLike'),
      other: Object.keys(cond).filter((k) => k !== 'StringEquals' && k !== 'StringLike'),
    });
  });
  return out;
}

/** The resolved ARN of a role of the templates (derived from its RoleName, else a token). */
export function roleArnOf(env: RenderedEnvironment, role: CfnResource): string {
  return attributeOf(role.stack, role.logicalId, 'Arn', ctxOf(env));
}

/** A resolved value for a message: tokens shown as `<stack>/<logicalId>.<attribute>`. */
export function describeResolved(s: string): string {
  return s.replace(TOKEN_RE, (_, stack: string, id: string, attr: string) => `${stack}/${id}${attr === 'Ref' ? '' : `.${attr}`}`);
}
