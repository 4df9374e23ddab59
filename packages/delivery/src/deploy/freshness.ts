/**
 * The real dist/ freshness check: render every environment from the current source into a temporary directory,
 * compare it byte for byte with dist/cloudformation and dist/k8s, and require dist/ to be committed. Deploying a
 * stale or uncommitted dist/ would apply something no commit describes (and the rollback ref would not match it).
 */
import { DIST_DIRS } from '@optibid/rendered';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { listTree } from './dist-tree';
import type { Logger } from './log';
import type { DistFreshness } from './preflight';

export const RENDERED_SUBDIRS = [DIST_DIRS.cloudformation, DIST_DIRS.k8s] as const;
const SHOWN = 20;

/** Paths (under `label/`) whose content differs between two trees, or that exist in only one of them. */
export function compareTrees(rendered: string, dist: string, label = 'dist'): string[] {
  const out: string[] = [];
  for (const sub of RENDERED_SUBDIRS) {
    const a = new Set(listTree(path.join(rendered, sub)));
    const b = new Set(listTree(path.join(dist, sub)));
    for (const f of [...new Set([...a, ...b])].sort()) {
      const shown = `${label}/${sub}/${f}`;
      if (!b.has(f)) out.push(`${shown} (missing from dist/)`);
      else if (!a.has(f)) out.push(`${shown} (in dist/ but not rendered by the source)`);
      else if (!fs.readFileSync(path.join(rendered, sub, f)).equals(fs.readFileSync(path.join(dist, sub, f)))) out.push(`${shown} (differs)`);
    }
  }
  return out;
}

function firstN(items: readonly string[]): string {
  const more = items.length > SHOWN ? `\n    ... and ${items.length - SHOWN} more` : '';
  return items.slice(0, SHOWN).map((i) => `\n    ${i}`).join('') + more;
}

export interface RenderedFreshnessOptions {
  readonly repoRoot: string;
  /** Renders every environment into `target` as `target/cloudformation/<env>` and `target/k8s/<env>`. */
  readonly render: (target: string) => void;
  readonly log: Logger;
}

export function renderedDistFreshness(opts: RenderedFreshnessOptions): DistFreshness {
  return {
    check() {
      const problems: string[] = [];
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optibid-deploy-render-'));
      try {
        const target = path.join(tmp, 'dist');
        opts.log.info(`rendering every environment from the source into ${target} (renderAll) to compare with dist/`);
        opts.render(target);
        const differing = compareTrees(target, path.join(opts.repoRoot, 'dist'));
        if (differing.length > 0)
          problems.push(`${differing.length} file(s) differ from what the source renders (first ${Math.min(SHOWN, differing.length)}):${firstN(differing)}`);
      } catch (err) {
        problems.push(`rendering the source failed, so dist/ cannot be checked: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }

      opts.log.command('git status --porcelain -- dist');
      try {
        const status = execFileSync('git', ['status', '--porcelain', '--', 'dist'], { cwd: opts.repoRoot, encoding: 'utf8' })
          .split('\n')
          .filter((l) => l.trim() !== '');
        if (status.length > 0) problems.push(`${status.length} uncommitted change(s) under dist/ (a deploy must be reproducible from a commit):${firstN(status)}`);
      } catch (err) {
        problems.push(`'git status --porcelain -- dist' failed: ${err instanceof Error ? err.message : String(err)}`);
      }

      if (problems.length === 0) return { fresh: true, details: 'dist/ matches the source and is committed' };
      return { fresh: false, details: `${problems.join('\n  ')}\n  Fix: run npm run synth and commit dist/` };
    },
  };
}

export const SKIP_RENDER_CHECK_VAR = 'OPTIBID_DEPLOY_SKIP_RENDER_CHECK';

/**
 * The end-to-end tests' seam: OPTIBID_DEPLOY_SKIP_RENDER_CHECK=fresh|stale replaces the render-and-compare check with
 * a stub. Honoured only when NODE_ENV is 'test' (jest sets it; the tests pass it to the CLI they spawn), so a
 * variable left in a shell or a CI environment cannot make a real deploy skip the check: there it is ignored, with
 * a warning. Undefined = use the real check.
 */
export function testSeamFreshness(env: NodeJS.ProcessEnv, log: Logger): DistFreshness | undefined {
  const seam = env[SKIP_RENDER_CHECK_VAR];
  if (seam === undefined) return undefined;
  if (env.NODE_ENV !== 'test') {
    log.warn(`${SKIP_RENDER_CHECK_VAR} is ignored (it is a test seam, honoured only with NODE_ENV=test): running the real dist/ freshness check`);
    return undefined;
  }
  if (seam !== 'fresh' && seam !== 'stale') {
    log.warn(`ignoring ${SKIP_RENDER_CHECK_VAR}='${seam}' (only 'fresh' or 'stale' are understood)`);
    return undefined;
  }
  log.warn(`dist/ freshness check replaced by the test seam ${SKIP_RENDER_CHECK_VAR}=${seam}`);
  return {
    check: () =>
      seam === 'fresh'
        ? { fresh: true, details: 'stub: fresh' }
        : { fresh: false, details: `stub (${SKIP_RENDER_CHECK_VAR}=stale): dist/k8s/ differs from what the source renders. Fix: run npm run synth and commit dist/` },
  };
}
