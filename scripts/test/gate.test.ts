/**
 * The PR gate as CI runs it (a child process): a stale or hand-edited dist/ is named file by file and fails the
 * gate; usage errors exit 2. (That every check passes on the committed render is the gate's own run in
 * scripts/test.sh and `npm run verify`'s tests.)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../render';

const gate = (...args: string[]) => spawnSync(process.execPath, ['-r', 'ts-node/register', path.join(REPO_ROOT, 'scripts', 'gate.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });

test('a hand-edited, a deleted and an extra file in dist/ are each named, and the gate fails', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-test-'));
  try {
    const committed = path.join(tmp, 'dist');
    fs.cpSync(path.join(REPO_ROOT, 'dist'), committed, { recursive: true });
    const edited = 'k8s/production/optibid/service-backend.yaml';
    fs.appendFileSync(path.join(committed, edited), '# hand edit\n');
    const deleted = 'reports/production/cost.md';
    fs.rmSync(path.join(committed, deleted));
    fs.writeFileSync(path.join(committed, 'k8s', 'production', 'extra.yaml'), 'kind: ConfigMap\n');
    const r = gate('--dist', committed);
    expect(r.stdout).toContain(`  M ${edited}`);
    expect(r.stdout).toContain(`  + ${deleted}`);
    expect(r.stdout).toContain('  - k8s/production/extra.yaml');
    expect(r.stdout).toMatch(/^gate: \d+ finding\(s\), \d+ file\(s\) differ from dist\/; /m);
    expect(r.status).toBe(1);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('unknown arguments are a usage error: exit 2, nothing rendered', () => {
  const r = gate('--bogus');
  expect(r.stderr).toContain("Unknown option '--bogus'");
  expect(r.status).toBe(2);
});
