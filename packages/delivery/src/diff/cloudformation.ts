/**
 * CloudFormation side of the diff: templates per environment and stack, compared with the CDK's
 * own diff engine so the reviewer sees the same rendering (and replacement analysis) as `cdk diff`.
 */
import { Writable } from 'node:stream';
import { formatDifferences, formatSecurityChanges, fullDiff, type TemplateDiff } from '@aws-cdk/cloudformation-diff';
import { isPlainObject } from './field-diff';

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
    out.push({ stack, status, diff, ...renderTemplateDiff(diff) });
  }
  return out;
}
