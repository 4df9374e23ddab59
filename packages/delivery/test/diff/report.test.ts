import type { Comparison, EnvReport } from '../../src/diff/compare';
import { code, fitBlock, GITHUB_COMMENT_LIMIT, renderMarkdown, renderText, stripAnsi } from '../../src/diff/report';

const header = { base: 'origin/main (1234abcd)', head: 'working tree' };

function env(name: string, changed: number, linesPerObject: number, cfnLines = 0): EnvReport {
  return {
    env: name,
    k8s: {
      added: [{ name: `Service ${name}/new`, path: 'p', lines: [] }],
      removed: [],
      changed: Array.from({ length: changed }, (_, i) => ({
        name: `ConfigMap ${name}/cm-${i}`,
        path: 'p',
        lines: Array.from({ length: linesPerObject }, (_, j) => `data key k${j} changed (+1 −1 lines)`),
      })),
    },
    stacks: cfnLines > 0 ? [{ stack: `optibid-${name}-data`, status: 'changed', text: Array.from({ length: cfnLines }, (_, i) => `[~] AWS::S3::Bucket B${i} \`x\``).join('\n'), security: '', helmValues: [] }] : [],
  };
}

describe('text report', () => {
  test('"no changes" per unchanged environment, warnings at the top, colours stripped', () => {
    const c: Comparison = {
      envs: [env('dev', 1, 1, 1), { env: 'production', k8s: { added: [], changed: [], removed: [] }, stacks: [] }],
      warnings: [{ env: 'dev', rule: 'r', object: 'Deployment optibid/backend', field: 'spec.selector', message: 'immutable' }],
      problems: [],
    };
    c.envs[0]!.stacks[0]!.text = '\u001b[33m[~]\u001b[39m AWS::S3::Bucket B';
    const text = renderText(header, c);
    expect(text).toContain('Reviewer must not miss (1):\n  ⚠ [dev] Deployment optibid/backend — spec.selector: immutable');
    expect(text.indexOf('Reviewer must not miss')).toBeLessThan(text.indexOf('=== dev ==='));
    expect(text).toMatch(/=== production ===\nno changes/);
    expect(text).toContain('  + Service dev/new');
    expect(text).toContain('[~] AWS::S3::Bucket B');
    expect(text).not.toContain('\u001b[');
    expect(renderText(header, c, { color: true })).toContain('\u001b[33m');
  });
});

describe('markdown report', () => {
  test('small reports are complete: warnings first, table and details per environment', () => {
    const c: Comparison = {
      envs: [env('dev', 2, 2, 2)],
      warnings: [{ env: 'dev', rule: 'r', object: 'NetworkPolicy optibid/x', field: '(object)', message: 'removed <really>' }],
      problems: [],
    };
    const md = renderMarkdown(header, c);
    expect(md.indexOf('### ⚠️ Reviewer must not miss (1)')).toBeLessThan(md.indexOf('### dev'));
    expect(md).toContain('- ⚠️ **dev** `NetworkPolicy optibid/x` — `(object)`: removed &lt;really&gt;');
    expect(md).toContain('| Kubernetes objects | 1 | 2 | 0 |');
    expect(md).toContain('| CloudFormation stacks | 0 | 1 | 0 |');
    expect(md).toContain('<details><summary>Kubernetes objects in dev: 1 added, 2 changed, 0 removed</summary>');
    expect(md).toContain('  - `data key k1 changed (+1 −1 lines)`');
    expect(md).not.toContain('shortened');
  });

  test('huge reports stay under the GitHub limit, keep every environment and balanced tags', () => {
    const c: Comparison = {
      envs: [env('dev', 3000, 5, 5000), env('staging', 3000, 5), env('production', 3000, 5, 5000)],
      warnings: Array.from({ length: 2000 }, (_, i) => ({ env: 'production', rule: 'r', object: `NetworkPolicy n/p${i}`, field: '(object)', message: 'removed' })),
      problems: [],
    };
    const md = renderMarkdown(header, c);
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT - 100);
    expect(md).toContain("shortened to fit GitHub's 65,536-character limit");
    for (const e of ['dev', 'staging', 'production']) expect(md).toContain(`\n### ${e}\n`);
    expect(md.match(/<details>/g)!.length).toBe(md.match(/<\/details>/g)!.length);
    expect((md.match(/^`{3,}/gm) ?? []).length % 2).toBe(0);
    expect(md).toMatch(/more warnings omitted/);
    expect(md).toMatch(/more objects omitted/);
    // Production's details are not crowded out by dev's.
    expect(md.slice(md.indexOf('### production'))).toContain('ConfigMap production/cm-0');
  });

  test('fitBlock keeps head and tail and says how much was omitted', () => {
    const b = { head: 'H\n', items: ['aaaa\n', 'bbbb\n', 'cccc\n', 'dddd\n', 'eeee\n'], tail: 'T\n', omitted: (n: number) => (n ? `(${n} omitted)\n` : '') };
    expect(fitBlock(b, 100)).toEqual({ text: 'H\naaaa\nbbbb\ncccc\ndddd\neeee\nT\n', truncated: false });
    expect(fitBlock(b, 21)).toEqual({ text: 'H\naaaa\n(4 omitted)\nT\n', truncated: true });
    expect(fitBlock(b, 10)).toEqual({ text: 'H\n(5 omitted)\nT\n', truncated: true });
  });

  test('inline code survives backticks; ANSI codes are stripped', () => {
    expect(code('a `b` c')).toBe('``a `b` c``');
    expect(stripAnsi('\u001b[1m\u001b[32m[+]\u001b[39m\u001b[22m x')).toBe('[+] x');
  });
});
