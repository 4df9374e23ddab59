import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../render';

/**
 * `npx cdk synth` from the repository root (what `cdk diff` / `cdk deploy` run) must produce exactly the templates
 * reviewers read in dist/cloudformation: same app, same feature flags, same metadata settings. No credentials.
 */
test('cdk CLI synth from the root equals dist/cloudformation byte for byte, offline and without credentials', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-cli-'));
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_EC2_METADATA_DISABLED: 'true' };
  execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', out], { cwd: REPO_ROOT, env, stdio: 'pipe' });
  const distRoot = path.join(REPO_ROOT, 'dist', 'cloudformation');
  let compared = 0;
  for (const envName of fs.readdirSync(distRoot)) {
    for (const file of fs.readdirSync(path.join(distRoot, envName))) {
      const ours = fs.readFileSync(path.join(distRoot, envName, file));
      const cli = fs.readFileSync(path.join(out, file));
      expect({ file, same: ours.equals(cli) }).toEqual({ file, same: true });
      compared++;
    }
  }
  expect(compared).toBe(12);
  fs.rmSync(out, { recursive: true, force: true });
});
