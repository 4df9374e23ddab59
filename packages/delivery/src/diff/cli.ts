/**
 * `npm run diff -- --base <ref> [--head <ref>] [--markdown <file>] [--env <env>[,<env>]] [--fail-on-warnings]`
 *
 * Argument parsing and orchestration: read both trees, compare, print, write the Markdown.
 * Exit codes: 0 done (changes or not), 1 unexpected failure, 2 usage error, 3 warnings with --fail-on-warnings.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
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

const VALUE_FLAGS = new Set(['--base', '--head', '--markdown', '--env']);
const BOOL_FLAGS = new Set(['--fail-on-warnings', '--help', '-h']);

export function parseArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = { failOnWarnings: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (BOOL_FLAGS.has(flag)) {
      if (eq > 0) throw new UsageError(`${flag} takes no value`);
      if (flag === '--fail-on-warnings') opts.failOnWarnings = true;
      else opts.help = true;
      continue;
    }
    if (!VALUE_FLAGS.has(flag)) {
      throw new UsageError(arg.startsWith('-') ? `unknown option ${flag}` : `unexpected argument '${arg}' (did you mean --base ${arg}?)`);
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      // `--base --markdown x` would otherwise take "--markdown" as the ref.
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      i++;
    }
    if (value === '') throw new UsageError(`${flag} needs a non-empty value`);
    switch (flag) {
      case '--base':
      case '--head':
      case '--markdown': {
        const key = flag.slice(2) as 'base' | 'head' | 'markdown';
        if (opts[key] !== undefined) throw new UsageError(`${flag} given twice`);
        opts[key] = value;
        break;
      }
      default:
        opts.envs = [...(opts.envs ?? []), ...value.split(',').map((e) => e.trim()).filter(Boolean)];
    }
  }
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

export function main(argv: readonly string[], cwd: string = process.cwd(), io: CliIO = processIO()): number {
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
