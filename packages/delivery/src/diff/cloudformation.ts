/**
 * CloudFormation side of the diff: templates per environment and stack, compared with the CDK's
 * own diff engine so the reviewer sees the same rendering (and replacement analysis) as `cdk diff`.
 */
import { Writable } from 'node:stream';
import { formatDifferences, formatSecurityChanges, fullDiff, type TemplateDiff } from '@aws-cdk/cloudformation-diff';
import { diffValues, formatChanges, isPlainObject } from './field-diff';

export type Template = Record<string, unknown>;

export interface ParsedCfn {
  /** env → stack name → template */
  envs: Map<string, Map<string, Template>>;
  problems: string[];
}

const CFN_FILE = /^dist\/cloudformation\/([^/]+)\/(.+)\.template\.json$/;

export function parseCfnTree(files: ReadonlyMap<string, string>): ParsedCfn {
  const envs = new Map<string, Map<string, Template>>();
  const problems: string[] = [];
  for (const [path, content] of files) {
    const m = CFN_FILE.exec(path);
    if (!m) continue;
    const [, env, stack] = m as unknown as [string, string, string];
    let tpl: unknown;
    try {
      tpl = JSON.parse(content);
    } catch (e) {
      problems.push(`${path}: invalid JSON: ${(e as Error).message}`);
      continue;
    }
    if (!isPlainObject(tpl)) {
      problems.push(`${path}: not a CloudFormation template`);
      continue;
    }
    if (!envs.has(env)) envs.set(env, new Map());
    envs.get(env)!.set(stack, tpl);
  }
  return { envs, problems };
}

export interface StackDiff {
  stack: string;
  status: 'added' | 'removed' | 'changed';
  diff: TemplateDiff;
  /** formatDifferences output; may carry chalk colours (strip for files and pipes). */
  text: string;
  /** formatSecurityChanges output, empty when IAM and security groups are untouched. */
  security: string;
  /** Helm charts whose values changed, key by key (cloudformation-diff shows the values as one JSON string). */
  helmValues: string[];
}

const HELM_CHART_TYPE = 'Custom::AWSCDK-EKS-HelmChart';

/** The values of a Helm chart resource as an object, when the template holds them as a literal JSON string or object. */
function helmValuesOf(resource: unknown): Record<string, unknown> | undefined {
  const values = isPlainObject(resource) && isPlainObject(resource.Properties) ? resource.Properties.Values : undefined;
  if (typeof values === 'string') {
    try {
      const parsed: unknown = JSON.parse(values);
      return isPlainObject(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return isPlainObject(values) && !Object.keys(values).some((k) => k.startsWith('Fn::')) ? values : undefined;
}

/** `<logicalId> (<chart>): <path>: a → b` for every changed values key of every Helm chart in both templates. */
export function helmValueChanges(before: Template, after: Template, maxPerChart = 20): string[] {
  const rb = isPlainObject(before.Resources) ? before.Resources : {};
  const ra = isPlainObject(after.Resources) ? after.Resources : {};
  const out: string[] = [];
  for (const [id, res] of Object.entries(ra)) {
    if (!isPlainObject(res) || res.Type !== HELM_CHART_TYPE || !(id in rb)) continue;
    const [va, vb] = [helmValuesOf(rb[id]), helmValuesOf(res)];
    if (!va || !vb) continue;
    const chart = isPlainObject(res.Properties) && typeof res.Properties.Chart === 'string' ? res.Properties.Chart : '?';
    for (const line of formatChanges(diffValues(va, vb), maxPerChart)) out.push(`Helm values of ${id} (${chart}): ${line}`);
  }
  return out;
}

/** In-memory stream: the formatter writes synchronously, so the text is complete on return. */
class StringSink extends Writable {
  readonly chunks: string[] = [];
  /** Read by the formatter for table widths. */
  readonly columns = 120;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
}

export function renderTemplateDiff(diff: TemplateDiff): { text: string; security: string } {
  const out = new StringSink();
  formatDifferences(out, diff);
  const sec = new StringSink();
  if (diff.iamChanges.hasChanges || diff.securityGroupChanges.hasChanges) formatSecurityChanges(sec, diff);
  return { text: out.chunks.join('').trimEnd(), security: sec.chunks.join('').trimEnd() };
}

/** Stacks added, removed or changed in one environment; added/removed diff against an empty template. */
export function diffStacks(before: ReadonlyMap<string, Template> | undefined, after: ReadonlyMap<string, Template> | undefined): StackDiff[] {
  const b = before ?? new Map<string, Template>();
  const a = after ?? new Map<string, Template>();
  const names = [...new Set([...b.keys(), ...a.keys()])].sort();
  const out: StackDiff[] = [];
  for (const stack of names) {
    const old = b.get(stack);
    const neu = a.get(stack);
    const diff = fullDiff(old ?? {}, neu ?? {});
    if (old && neu && diff.isEmpty) continue;
    const status = !old ? 'added' : !neu ? 'removed' : 'changed';
    out.push({ stack, status, diff, ...renderTemplateDiff(diff), helmValues: old && neu ? helmValueChanges(old, neu) : [] });
  }
  return out;
}
