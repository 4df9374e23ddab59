/**
 * Reads a `dist/` tree into memory (path → content), either as committed at a git ref or as it
 * is on disk. This is the only module of the diff that touches git or the file system for input.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export type Tree = Map<string, string>;

/** The rendered tree is a few MB; the default 1 MB child-process buffer is far too small. */
const MAX_BUFFER = 1024 * 1024 * 1024;

export class GitRefError extends Error {}

function git(cwd: string, args: string[], input?: string | Buffer): Buffer {
  return execFileSync('git', args, { cwd, input, maxBuffer: MAX_BUFFER, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Top-level directory of the repository containing `cwd`; throws GitRefError outside a repository. */
export function repoRoot(cwd: string): string {
  try {
    return git(cwd, ['rev-parse', '--show-toplevel']).toString().trim();
  } catch {
    throw new GitRefError(`${cwd} is not inside a git repository`);
  }
}

/** Full commit id of `ref`; throws GitRefError when it does not name a commit. */
export function resolveCommit(root: string, ref: string): string {
  if (ref.startsWith('-')) throw new GitRefError(`'${ref}' is not a git ref`);
  try {
    return git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]).toString().trim();
  } catch {
    throw new GitRefError(`'${ref}' is not a commit in ${root}`);
  }
}

/**
 * Every file under `dir` at `commit`. Blob ids come from `git ls-tree`; the contents come from one
 * `git cat-file --batch` process rather than one `git show` per file (hundreds of files).
 */
export function readTreeAtCommit(root: string, commit: string, dir = 'dist'): Tree {
  const listing = git(root, ['ls-tree', '-r', '-z', '--full-tree', commit, '--', `${dir}/`]).toString();
  const entries: { path: string; sha: string }[] = [];
  for (const line of listing.split('\0')) {
    if (!line) continue;
    // "<mode> <type> <sha>\t<path>"; submodules (commit) and symlinks are not rendered output.
    const tab = line.indexOf('\t');
    const [mode, type, sha] = line.slice(0, tab).split(' ');
    if (type !== 'blob' || mode === '120000' || !sha) continue;
    entries.push({ path: line.slice(tab + 1), sha });
  }
  const tree: Tree = new Map();
  if (entries.length === 0) return tree;
  const out = git(root, ['cat-file', '--batch'], entries.map((e) => e.sha).join('\n') + '\n');
  let pos = 0;
  for (const e of entries) {
    const nl = out.indexOf(0x0a, pos);
    const header = out.subarray(pos, nl).toString();
    const size = Number(header.split(' ')[2]);
    if (!header.startsWith(e.sha) || !Number.isFinite(size)) throw new Error(`git cat-file: unexpected header '${header}' for ${e.path}`);
    tree.set(e.path, out.subarray(nl + 1, nl + 1 + size).toString('utf8'));
    pos = nl + 1 + size + 1;
  }
  return tree;
}

/** Every file under `<root>/<dir>` on disk (the working tree, committed or not). */
export function readTreeFromDisk(root: string, dir = 'dist'): Tree {
  const tree: Tree = new Map();
  const base = join(root, dir);
  if (!existsSync(base)) return tree;
  const walk = (d: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.isFile()) tree.set(relative(root, p).split(sep).join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(base);
  return tree;
}

export function shortCommit(commit: string): string {
  return commit.slice(0, 8);
}
