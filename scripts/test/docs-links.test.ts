import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../render';

/**
 * Every relative Markdown link in the README, CONTRIBUTING and docs/ points at a file that exists, and its #anchor
 * at a heading of that file (GitHub's slugs), so a newcomer following the docs never lands on a 404.
 */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');

function markdownFiles(): string[] {
  const out = ['README.md', 'CONTRIBUTING.md'];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  return out;
}

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set(text.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));
}

/** Broken relative links of one Markdown file, as `file: link (why)`. */
export function brokenLinks(rel: string): string[] {
  const file = path.join(REPO_ROOT, rel);
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const broken: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const link = m[1];
    if (/^[a-z]+:/.test(link)) continue; // http(s), mailto
    const [target, anchor] = link.split('#');
    const targetFile = target ? path.resolve(path.dirname(file), target) : file;
    if (!fs.existsSync(targetFile)) broken.push(`${rel}: ${link} (no such file)`);
    else if (anchor && targetFile.endsWith('.md') && !anchors(targetFile).has(anchor)) broken.push(`${rel}: ${link} (no heading #${anchor})`);
  }
  return broken;
}

test('every relative link in the docs resolves to a file and heading', () => {
  const files = markdownFiles();
  expect(files.length).toBeGreaterThan(8);
  expect(files.flatMap(brokenLinks)).toEqual([]);
});

test('the checker finds a missing file and a missing heading', () => {
  const tmp = path.join(REPO_ROOT, 'docs', '.links-test.md');
  fs.writeFileSync(tmp, '[a](runbooks/nope.md) [b](runbooks/postgres.md#no-such-heading) [c](runbooks/postgres.md#backups)\n');
  try {
    expect(brokenLinks('docs/.links-test.md')).toEqual(['docs/.links-test.md: runbooks/nope.md (no such file)', 'docs/.links-test.md: runbooks/postgres.md#no-such-heading (no heading #no-such-heading)']);
  } finally {
    fs.rmSync(tmp);
  }
});
