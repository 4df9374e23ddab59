/**
 * `npm run diff`: the review of dist/ (packages/delivery/src/diff/cli.ts has the options), with the check that the
 * working tree's dist/ is what its sources render (a render in memory, compared file by file).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffMain } from '@optibid/delivery';
import { driftBetween } from './gate';
import { renderFiles } from './render';

function freshness(repoRoot: string): readonly string[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optibid-diff-'));
  try {
    return driftBetween(renderFiles({ cdkOut: path.join(tmp, 'cdk.out') }).files, path.join(repoRoot, 'dist'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// exitCode rather than exit(): lets stdout drain when it is a pipe (CI logs).
process.exitCode = diffMain(process.argv.slice(2), process.cwd(), undefined, freshness);
