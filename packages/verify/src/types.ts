/**
 * The contract of `npm run verify`: every check is a pure function of one environment's rendered output (the files
 * under dist/, loaded once) and returns findings plus, for some checks, a printed table and report files. Checks
 * never read TypeScript sources or the environment config: they prove what will be applied.
 */
import type { KubeObject } from '@optibid/k8s-manifests/src/gates/types';

export type { KubeObject };

/** One CloudFormation template: `Resources` by logical id (plus whatever else the template holds). */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: any; DependsOn?: unknown; [k: string]: unknown }>;
  Outputs?: Record<string, unknown>;
  [k: string]: unknown;
}

/** One environment as rendered: dist/k8s/<env> and dist/cloudformation/<env>. */
export interface RenderedEnvironment {
  readonly name: string;
  /** Every Kubernetes object with its file, relative to dist/k8s/<env>/. */
  readonly objects: readonly { readonly file: string; readonly obj: KubeObject }[];
  /** Templates by stack name (file name without `.template.json`). */
  readonly templates: Readonly<Record<string, CfnTemplate>>;
}

/** A broken rule, naming the object and the field so the reader can go straight to it. */
export interface Finding {
  /** Check name, e.g. `contract`. */
  readonly check: string;
  /** Rule within the check, e.g. `external-secret-exists`. */
  readonly rule: string;
  readonly env: string;
  /** `<Kind>/<namespace>/<name>` for Kubernetes objects, `<stack>/<logicalId>` for CloudFormation. */
  readonly object: string;
  /** Field path within the object, e.g. `spec.selector.matchLabels`. */
  readonly field?: string;
  readonly message: string;
}

export interface CheckResult {
  readonly findings: readonly Finding[];
  /** A table or summary printed by the CLI (plain text). */
  readonly summary?: string;
  /** Report files, relative to dist/reports/<env>/ (e.g. `cost.md`). */
  readonly reports?: Readonly<Record<string, string>>;
}

/** A named check over one environment. */
export interface VerifyCheck {
  readonly name: string;
  /** One sentence: what it proves (the README lists these). */
  readonly description: string;
  readonly run: (env: RenderedEnvironment) => CheckResult;
}

/** `<Kind>/<namespace>/<name>`, `_cluster` for cluster-scoped objects (as the gates print objects). */
export function objectId(obj: KubeObject): string {
  return `${obj.kind}/${obj.metadata.namespace ?? '_cluster'}/${obj.metadata.name}`;
}
