/**
 * The maintained LTS lines render the same bytes: the suites run on Node 24 (scripts/test.sh), whose render the drift
 * test compares with dist/; here the render runs again on the pinned Node 22 (scripts/node-lts.sh, from the npm
 * registry) and must equal the committed dist/ file for file.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { filesUnder } from '@optibid/rendered';
import { driftBetween } from '../gate';
import { REPO_ROOT } from '../render';


test('the render on Node 22 is byte-identical to the committed dist/ (rendered on Node 24)', () => {
  const bin = execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'node-lts.sh'), '22'], { encoding: 'utf8', timeout: 300_000 }).trim();
  const node22 = path.join(bin, 'node');
  expect(execFileSync(node22, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim()).toBe('22');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'node22-render-'));
  try {
    const out = path.join(tmp, 'dist');
    const r = spawnSync(node22, ['-r', 'ts-node/register', path.join(REPO_ROOT, 'scripts', 'synth.ts'), '--out', out], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(driftBetween(new Map(filesUnder(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')])), path.join(REPO_ROOT, 'dist'))).toEqual([]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
