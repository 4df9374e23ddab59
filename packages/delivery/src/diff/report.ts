/**
 * Renders a comparison as terminal text and as a pull-request comment in Markdown.
 * Pure string building; the CLI decides where the output goes.
 */
import { type Comparison, type EnvReport, isEmptyEnv } from './compare';
import type { Warning } from './warnings';

export interface ReportHeader {
  /** e.g. `origin/main (1a2b3c4d)` */
  base: string;
  /** e.g. `working tree` */
  head: string;
}

// ESC/CSI sequences as written by chalk.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => (l ? prefix + l : l))
    .join('\n');
}

function counts(r: EnvReport): string {
  return `${r.k8s.added.length} added, ${r.k8s.changed.length} changed, ${r.k8s.removed.length} removed`;
}

function stackCounts(r: EnvReport): { added: number; changed: number; removed: number } {
  const n = (s: string) => r.stacks.filter((x) => x.status === s).length;
  return { added: n('added'), changed: n('changed'), removed: n('removed') };
}

export function warningLine(w: Warning): string {
  return `[${w.env}] ${w.object} — ${w.field}: ${w.message}`;
}

export function renderText(h: ReportHeader, c: Comparison, opts: { color?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`Rendered diff of dist/: ${h.base} → ${h.head}`, '');
  if (c.warnings.length > 0) {
    out.push(`Reviewer must not miss (${c.warnings.length}):`);
    for (const w of c.warnings) out.push(`  ⚠ ${warningLine(w)}`);
  } else {
    out.push('Reviewer must not miss: nothing flagged.');
  }
  if (c.problems.length > 0) {
    out.push('', `Files that could not be read (${c.problems.length}):`);
    for (const p of c.problems) out.push(`  ! ${p}`);
  }
  for (const r of c.envs) {
    out.push('', `=== ${r.env} ===`);
    if (isEmptyEnv(r)) {
      out.push('no changes');
      continue;
    }
    const nK8s = r.k8s.added.length + r.k8s.changed.length + r.k8s.removed.length;
    out.push(nK8s > 0 ? `Kubernetes objects: ${counts(r)}` : 'Kubernetes objects: no changes');
    for (const o of r.k8s.added) out.push(`  + ${o.name}`);
    for (const o of r.k8s.changed) {
      out.push(`  ~ ${o.name}`);
      for (const l of o.lines) out.push(`      ${l}`);
    }
    for (const o of r.k8s.removed) out.push(`  - ${o.name}`);
    const s = stackCounts(r);
    out.push(r.stacks.length > 0 ? `CloudFormation stacks: ${s.added} added, ${s.changed} changed, ${s.removed} removed` : 'CloudFormation stacks: no changes');
    for (const st of r.stacks) {
      out.push(`  ${st.status === 'added' ? '+' : st.status === 'removed' ? '-' : '~'} ${st.stack} (${st.status})`);
      // formatDifferences already opens with the IAM / security-group tables: not printed twice.
      if (st.text) out.push(indent(st.text, '      '));
      for (const l of st.helmValues) out.push(`      ${l}`);
    }
  }
  const text = out.join('\n') + '\n';
  return opts.color ? text : stripAnsi(text);
}

// ---- Markdown ----------------------------------------------------------------------------------

/** GitHub rejects comments over 65,536 characters; leave room for the marker the CI script prepends. */
export const GITHUB_COMMENT_LIMIT = 65_536;
export const DEFAULT_MARKDOWN_BUDGET = GITHUB_COMMENT_LIMIT - 1_536;

/** Inline code that survives backticks in the content. */
export function code(s: string): string {
  const text = s.replace(/\s+/g, ' ');
  const runs = text.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A piece of the comment that can be shortened: the head and tail are kept, items are dropped from
 * the end and replaced by one "omitted" line, so HTML tags and code fences stay balanced.
 */
export interface Block {
  head: string;
  items: string[];
  tail: string;
  omitted: (n: number) => string;
}

function blockSize(b: Block): number {
  return b.head.length + b.items.reduce((n, i) => n + i.length, 0) + b.tail.length;
}

/** The block cut down to at most `max` characters (head and tail always kept). */
export function fitBlock(b: Block, max: number): { text: string; truncated: boolean } {
  if (blockSize(b) <= max) return { text: b.head + b.items.join('') + b.tail, truncated: false };
  let used = b.head.length + b.tail.length;
  const kept: string[] = [];
  for (let i = 0; i < b.items.length; i++) {
    const omittedLine = b.omitted(b.items.length - i - 1);
    if (used + b.items[i]!.length + omittedLine.length > max) break;
    kept.push(b.items[i]!);
    used += b.items[i]!.length;
  }
  return { text: b.head + kept.join('') + b.omitted(b.items.length - kept.length) + b.tail, truncated: true };
}

/**
 * Fits blocks into a character budget, fairly: small blocks are kept whole and the rest share what
 * is left, so the first environment cannot crowd production out of the comment.
 */
export function fitBlocks(blocks: Block[], budget: number): { texts: string[]; truncated: boolean } {
  const order = blocks.map((b, i) => ({ i, size: blockSize(b) })).sort((a, b) => a.size - b.size);
  const texts = new Array<string>(blocks.length).fill('');
  let remaining = budget;
  let truncated = false;
  order.forEach(({ i }, k) => {
    const share = Math.floor(remaining / (order.length - k));
    const fitted = fitBlock(blocks[i]!, share);
    truncated ||= fitted.truncated;
    // A block whose head and tail alone exceed its share is dropped entirely.
    texts[i] = fitted.text.length <= share ? fitted.text : '';
    truncated ||= texts[i] === '' && blockSize(blocks[i]!) > 0;
    remaining -= texts[i]!.length;
  });
  return { texts, truncated };
}

function fixed(text: string): Block {
  return { head: text, items: [], tail: '', omitted: () => '' };
}

function objectItems(r: EnvReport): string[] {
  const items: string[] = [];
  for (const o of r.k8s.added) items.push(`- ➕ added ${code(o.name)}\n`);
  for (const o of r.k8s.changed) {
    items.push(`- ✏️ changed ${code(o.name)}\n${o.lines.map((l) => `${/^\s/.test(l) ? '    ' : '  '}- ${code(l.trim())}\n`).join('')}`);
  }
  for (const o of r.k8s.removed) items.push(`- ➖ removed ${code(o.name)}\n`);
  return items;
}

function envBlocks(r: EnvReport): Block[] {
  const s = stackCounts(r);
  const heading = `\n### ${r.env}\n\n`;
  if (isEmptyEnv(r)) return [fixed(`${heading}No changes.\n`)];
  const table =
    `| ${r.env} | Added | Changed | Removed |\n|---|---:|---:|---:|\n` +
    `| Kubernetes objects | ${r.k8s.added.length} | ${r.k8s.changed.length} | ${r.k8s.removed.length} |\n` +
    `| CloudFormation stacks | ${s.added} | ${s.changed} | ${s.removed} |\n`;
  const blocks: Block[] = [fixed(heading + table)];
  const items = objectItems(r);
  if (items.length > 0) {
    blocks.push({
      head: `\n<details><summary>Kubernetes objects in ${escapeHtml(r.env)}: ${counts(r)}</summary>\n\n`,
      items,
      tail: '\n</details>\n',
      omitted: (n) => (n > 0 ? `- … ${n} more object${n > 1 ? 's' : ''} omitted (comment size limit; see the job log)\n` : ''),
    });
  }
  for (const st of r.stacks) {
    blocks.push(codeBlock(`CloudFormation stack <code>${escapeHtml(st.stack)}</code> ${st.status}`, [st.text, ...st.helmValues].filter(Boolean).join('\n')));
  }
  return blocks;
}

/** A collapsible plain-text block (cloudformation-diff output), cut by lines when too long. */
function codeBlock(summary: string, text: string): Block {
  const body = stripAnsi(text);
  const fence = '`'.repeat(Math.max(3, ...(body.match(/`+/g) ?? []).map((x) => x.length + 1)));
  return {
    head: `\n<details><summary>${summary}</summary>\n\n${fence}text\n`,
    items: body.split('\n').map((l) => `${l}\n`),
    tail: `${fence}\n\n</details>\n`,
    omitted: (n) => (n > 0 ? `… ${n} more line${n > 1 ? 's' : ''} omitted (comment size limit; see the job log)\n` : ''),
  };
}

/** IAM / security-group tables (formatSecurityChanges) next to the warnings, where they are read first. */
function securityBlocks(c: Comparison): Block[] {
  return c.envs.flatMap((r) =>
    r.stacks.filter((st) => st.security).map((st) => codeBlock(`🔐 Security changes in ${escapeHtml(r.env)} <code>${escapeHtml(st.stack)}</code> (IAM / security groups)`, st.security)),
  );
}

export function renderMarkdown(h: ReportHeader, c: Comparison, budget = DEFAULT_MARKDOWN_BUDGET): string {
  const title = `## Rendered diff: ${code(h.base)} → ${code(h.head)}\n\n`;
  const warnings: Block =
    c.warnings.length > 0
      ? {
          head: `### ⚠️ Reviewer must not miss (${c.warnings.length})\n\n`,
          items: c.warnings.map((w) => `- ⚠️ **${w.env}** ${code(w.object)} — ${code(w.field)}: ${escapeHtml(w.message)}\n`),
          tail: '',
          omitted: (n) => (n > 0 ? `- ⚠️ … ${n} more warning${n > 1 ? 's' : ''} omitted (comment size limit; see the job log)\n` : ''),
        }
      : fixed('No warnings: nothing the reviewer must not miss.\n');
  const problems: Block[] =
    c.problems.length > 0
      ? [
          {
            head: `\n**Files that could not be read (${c.problems.length}):**\n\n`,
            items: c.problems.map((p) => `- ${code(p)}\n`),
            tail: '',
            omitted: (n) => (n > 0 ? `- … ${n} more\n` : ''),
          },
        ]
      : [];
  const note = `\n> ⚠️ This comment was shortened to fit GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character limit; the full diff is in the job log (\`npm run diff -- --base …\`).\n`;
  // Warnings come first and get what they need (up to half the budget) before the rest is shared.
  const w = fitBlock(warnings, Math.floor((budget - title.length - note.length) / 2));
  const rest = [...securityBlocks(c), ...problems, ...c.envs.flatMap(envBlocks)];
  const fitted = fitBlocks(rest, budget - title.length - note.length - w.text.length);
  const truncated = w.truncated || fitted.truncated;
  return title + w.text + fitted.texts.join('') + (truncated ? note : '');
}
