import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../render';

/**
 * `npm run synth` refuses what it does not understand before it renders anything: usage on stderr, exit 2, and the
 * --out target (which a render replaces) untouched. Spawned through npm, so the test runs the script the way people
 * do, with whatever TypeScript runner package.json names.
 */
function synth(...args: string[]) {
  const r = spawnSync('npm', ['run', '--silent', 'synth', '--', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('synth usage errors: usage on stderr, exit 2, nothing rendered', () => {
  let parent: string;
  let existing: string;
  beforeAll(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-usage-'));
    existing = path.join(parent, 'existing');
    fs.mkdirSync(existing);
    fs.writeFileSync(path.join(existing, 'keep.txt'), 'not a render\n');
  });
  afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));

  test.each([
    [['--help'], /^Usage: npm run synth/],
    [['-h'], /^Usage: npm run synth/],
    [['--out'], /^synth: Option '--out <value>' argument missing/],
    [['--out', '--report-resources'], /^synth: Option '--out' argument is ambiguous/],
    [['--out='], /^synth: --out needs a directory/],
    [['--bogus'], /^synth: Unknown option '--bogus'/],
    [['dist'], /^synth: unexpected argument 'dist'/],
    [['--report-resources=yes'], /^synth: Option '--report-resources' does not take an argument/],
  ])('%j', (args, message) => {
    const r = synth(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('Usage: npm run synth [-- --out <dir>] [--report-resources]');
    expect(r.stdout).toBe('');
  });

  test('an error after a valid --out leaves that directory as it was (and creates no other)', () => {
    for (const args of [['--out', existing, '--bogus'], ['--out', existing, '--help'], ['--out', existing, '--out', path.join(parent, 'other')]]) {
      const r = synth(...args);
      expect(r.code).toBe(2);
      expect(fs.readdirSync(existing)).toEqual(['keep.txt']);
      expect(fs.readdirSync(parent)).toEqual(['existing']);
    }
  });
});
