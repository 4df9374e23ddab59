/**
 * `npm run diff -- --base <ref> [--head <ref>] [--markdown <file>] [--env <env>[,<env>]] [--fail-on-warnings]`
 *
 * Argument parsing and orchestration: read both trees, compare, print, write the Markdown.
 * Exit codes: 0 done (changes or not), 1 unexpected failure, 2 usage error, 3 warnings with --fail-on-warnings.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs as parseCommandLine, type ParseArgsConfig } from 'node:util';
import { compareTrees, environmentsOf } from './compare';
import { GitRefError, readTreeAtCommit, readTreeFromDisk, repoRoot, resolveCommit, shortCommit } from './git-tree';
import { renderMarkdown, renderText } from './report';

export const USAGE = `Usage: npm run diff -- --base <git-ref> [options]

Compares dist/ at <git-ref> with dist/ in the working tree (or at --head).

Options:
  --base <ref>          commit to compare against (required), e.g. origin/main, HEAD~1
  --head <ref>          compare against this commit instead of the working tree
  --markdown <file>     also write a Markdown report for a pull-request comment
  --env <env>[,<env>]   only these environments (repeatable), e.g. --env production
  --fail-on-warnings    exit 3 when the "Reviewer must not miss" list is not empty
  -h, --help            show this help

Exit codes: 0 success (with or without changes), 1 failure, 2 usage error, 3 warnings (--fail-on-warnings).
`;

export class UsageError extends Error {}

export interface CliOptions {
  base?: string;
  head?: string;
  markdown?: string;
  envs?: string[];
  failOnWarnings: boolean;
  help: boolean;
}

/** The flags, as node:util parseArgs reads them (strict: an unknown flag, a missing value or a value on a switch is an error). */
const OPTIONS = {
  // `multiple` only so that one given twice is refused instead of the last one winning.
  base: { type: 'string', multiple: true },
  head: { type: 'string', multiple: true },
  markdown: { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  'fail-on-warnings': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export function parseArgs(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseCommandLine({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (e) {
    // parseArgs' own errors (code ERR_PARSE_ARGS_*) name the flag: `Unknown option '--colour'`, `Option '--base <value>' argument missing`.
    if (String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) throw new UsageError((e as Error).message);
    throw e;
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (did you mean --base ${positionals[0]}?)`);
  for (const [name, given] of Object.entries(values)) {
    if (Array.isArray(given) && given.includes('')) throw new UsageError(`--${name} needs a non-empty value`);
  }
  const single = (name: 'base' | 'head' | 'markdown'): string | undefined => {
    const given = values[name];
    if (given && given.length > 1) throw new UsageError(`--${name} given twice`);
    return given?.[0];
  };
  const opts: CliOptions = { failOnWarnings: values['fail-on-warnings'] === true, help: values.help === true };
  const base = single('base');
  const head = single('head');
  const markdown = single('markdown');
  if (base !== undefined) opts.base = base;
  if (head !== undefined) opts.head = head;
  if (markdown !== undefined) opts.markdown = markdown;
  if (values.env) opts.envs = values.env.flatMap((v) => v.split(',').map((e) => e.trim()).filter(Boolean));
  if (!opts.help && opts.base === undefined) throw new UsageError('--base is required (the git ref to compare against, e.g. --base origin/main)');
  return opts;
}

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Keep chalk colours in the terminal output (never in the Markdown). */
  color: boolean;
}

export function processIO(): CliIO {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  };
}

/**
 * Whether the working tree's dist/ is what its sources render: the files that differ (`M path`, `+ path`, `- path`),
 * empty when fresh. Injected by the composition root (scripts/diff.ts), which owns the render.
 */
export type DistFreshnessCheck = (repoRoot: string) => readonly string[];

export function main(argv: readonly string[], cwd: string = process.cwd(), io: CliIO = processIO(), freshness?: DistFreshnessCheck): number {
  try {
    const opts = parseArgs(argv);
    if (opts.help) {
      io.stdout(USAGE);
      return 0;
    }
    let root: string;
    let base: string;
    let head: string | undefined;
    try {
      root = repoRoot(cwd);
      base = resolveCommit(root, opts.base!);
    } catch (e) {
      if (e instanceof GitRefError) throw new UsageError(`--base: ${e.message}`);
      throw e;
    }
    try {
      head = opts.head === undefined ? undefined : resolveCommit(root, opts.head);
    } catch (e) {
      if (e instanceof GitRefError) throw new UsageError(`--head: ${e.message}`);
      throw e;
    }
    const before = readTreeAtCommit(root, base);
    const after = head ? readTreeAtCommit(root, head) : readTreeFromDisk(root);
    const known = environmentsOf(before, after);
    const unknown = (opts.envs ?? []).filter((e) => !known.includes(e));
    if (unknown.length > 0) {
      throw new UsageError(`--env: unknown environment${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (dist/ has: ${known.join(', ') || 'none'})`);
    }
    const comparison = compareTrees(before, after, opts.envs ? { envs: opts.envs } : {});
    // The base is a commit whose gate passed (CI renders and compares on every commit of main); the working tree may
    // hold changed sources that were never rendered, and then this diff would show the old render as "no changes".
    if (!head && freshness) {
      const drift = freshness(root);
      if (drift.length) {
        comparison.warnings.unshift({
          env: '(all)',
          rule: 'staleDist',
          object: 'dist/',
          field: '(working tree)',
          message: `dist/ is not what the working tree's sources render (${drift.length} file(s), e.g. ${drift.slice(0, 3).join(', ')}): run npm run synth; this diff shows the stale render, not your change.`,
        });
      }
    }
    const header = {
      base: `${opts.base} (${shortCommit(base)})`,
      head: head ? `${opts.head} (${shortCommit(head)})` : 'working tree',
    };
    io.stdout(renderText(header, comparison, { color: io.color }));
    if (opts.markdown) {
      const file = resolve(cwd, opts.markdown);
      try {
        writeFileSync(file, renderMarkdown(header, comparison));
      } catch (e) {
        throw new UsageError(`--markdown: cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      io.stderr(`Markdown report written to ${file}\n`);
    }
    return opts.failOnWarnings && comparison.warnings.length > 0 ? 3 : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`diff: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr(`diff: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
