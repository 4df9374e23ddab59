import { spawn, spawnSync } from 'child_process';
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

describe('synth --out: only an empty folder or a previous render (the data-loss guard)', () => {
  let parent: string;
  beforeAll(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-out-'));
  });
  afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));

  test('a folder holding a file: exit 1, the rule and the folder named, the file kept, no staging folder left', () => {
    const folder = path.join(parent, 'mine');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'keep.txt'), 'not a render\n');
    const r = synth('--out', folder);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`synth: ${folder} is not empty and was not written by a render (no .optibid-render.json)`);
    expect(fs.readdirSync(folder)).toEqual(['keep.txt']);
    expect(fs.readFileSync(path.join(folder, 'keep.txt'), 'utf8')).toBe('not a render\n');
    expect(fs.readdirSync(parent).filter((f) => f.startsWith('.render-'))).toEqual([]);
  });

  test('interrupted (SIGINT at whatever point it reached): no .render-* folder is left, the target is the old or a whole new render', async () => {
    const target = path.join(parent, 'dist');
    expect(synth('--out', target).code).toBe(0);
    const before = fs.readFileSync(path.join(target, '.optibid-render.json'), 'utf8');
    const child = spawn(process.execPath, ['-r', 'ts-node/register', path.join(REPO_ROOT, 'scripts', 'synth.ts'), '--out', target], { cwd: REPO_ROOT, stdio: 'ignore' });
    // Interrupt as soon as the staging folder exists (the write phase), or whenever the poll sees the child still running.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const staging = fs.readdirSync(parent).some((f) => f.startsWith('.render-'));
        if (staging || child.exitCode !== null) {
          clearInterval(poll);
          child.kill('SIGINT');
          resolve();
        }
      }, 5);
    });
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    expect(fs.readdirSync(parent).filter((f) => f.startsWith('.render-'))).toEqual([]);
    const marker = JSON.parse(fs.readFileSync(path.join(target, '.optibid-render.json'), 'utf8'));
    expect(marker).toEqual(JSON.parse(before));
    for (const f of marker.files as string[]) expect(fs.existsSync(path.join(target, f))).toBe(true);
  });
});
