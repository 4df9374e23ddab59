/**
 * Compares two in-memory dist trees into a report model: per environment, Kubernetes objects
 * added/changed/removed with summaries, CloudFormation stack diffs, and the warnings.
 * Pure: the trees are read elsewhere (git-tree.ts), the model is rendered elsewhere (report.ts).
 */
import { type StackDiff, diffStacks, parseCfnTree } from './cloudformation';
import { deepEqual } from './field-diff';
import { diffObjectSets, displayName, parseK8sTree } from './k8s-objects';
import { summarizeChange } from './summaries';
import { type Warning, cloudFormationWarnings, k8sWarnings } from './warnings';

export interface ObjectReport {
  /** `Deployment optibid/backend` */
  name: string;
  path: string;
  /** Summary lines (changed objects only). */
  lines: string[];
}

export interface EnvReport {
  env: string;
  k8s: { added: ObjectReport[]; changed: ObjectReport[]; removed: ObjectReport[] };
  stacks: Pick<StackDiff, 'stack' | 'status' | 'text' | 'security' | 'helmValues'>[];
}

export interface Comparison {
  envs: EnvReport[];
  warnings: Warning[];
  /** Files that could not be parsed; shown so a broken render is not mistaken for "no changes". */
  problems: string[];
}

export const KNOWN_ENVS = ['dev', 'staging', 'production'];

/** Known environments in promotion order, then any others alphabetically. */
export function orderEnvs(envs: Iterable<string>): string[] {
  const set = new Set(envs);
  return [...KNOWN_ENVS.filter((e) => set.has(e)), ...[...set].filter((e) => !KNOWN_ENVS.includes(e)).sort()];
}

export function isEmptyEnv(r: EnvReport): boolean {
  return r.k8s.added.length + r.k8s.changed.length + r.k8s.removed.length + r.stacks.length === 0;
}

export interface CompareOptions {
  /** Only these environments (all when omitted). */
  envs?: readonly string[];
  /** Max generic field paths per changed object. */
  maxPaths?: number;
}

/** Environments present on either side, for validating --env. */
export function environmentsOf(...trees: ReadonlyMap<string, string>[]): string[] {
  const envs = new Set<string>();
  for (const t of trees) {
    for (const p of t.keys()) {
      const m = /^dist\/(k8s|cloudformation)\/([^/]+)\//.exec(p);
      if (m) envs.add(m[2]!);
    }
  }
  return orderEnvs(envs);
}

export function compareTrees(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>, opts: CompareOptions = {}): Comparison {
  const kb = parseK8sTree(before);
  const ka = parseK8sTree(after);
  const cb = parseCfnTree(before);
  const ca = parseCfnTree(after);
  const problems = [...kb.problems.map((p) => `base: ${p}`), ...cb.problems.map((p) => `base: ${p}`), ...ka.problems, ...ca.problems];
  const all = environmentsOf(before, after);
  const envs = opts.envs ? all.filter((e) => opts.envs!.includes(e)) : all;
  const warnings: Warning[] = [];
  const reports: EnvReport[] = [];
  for (const env of envs) {
    const d = diffObjectSets(kb.envs.get(env), ka.envs.get(env), deepEqual);
    const k8s: EnvReport['k8s'] = {
      added: d.added.map((o) => ({ name: displayName(o), path: o.path, lines: [] })),
      removed: d.removed.map((o) => ({ name: displayName(o), path: o.path, lines: [] })),
      changed: d.changed.map(({ before: b, after: a }) => ({ name: displayName(a), path: a.path, lines: summarizeChange(b, a, opts.maxPaths) })),
    };
    for (const o of d.added) warnings.push(...k8sWarnings(env, undefined, o));
    for (const { before: b, after: a } of d.changed) warnings.push(...k8sWarnings(env, b, a));
    for (const o of d.removed) warnings.push(...k8sWarnings(env, o, undefined));
    const stacks = diffStacks(cb.envs.get(env), ca.envs.get(env));
    for (const s of stacks) warnings.push(...cloudFormationWarnings(env, s.stack, s.diff));
    reports.push({ env, k8s, stacks: stacks.map(({ stack, status, text, security, helmValues }) => ({ stack, status, text, security, helmValues })) });
  }
  return { envs: reports, warnings, problems };
}
