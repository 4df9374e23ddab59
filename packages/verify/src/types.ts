/**
 * The contract of `npm run verify`: every check is a pure function of one environment's rendered output (the files
 * under dist/, loaded once by @optibid/rendered) and returns findings plus, for some checks, a printed table and
 * report files. Checks never read TypeScript sources or the environment config: they prove what will be applied.
 */
import type { Finding, RenderedEnvironment } from '@optibid/rendered';

export type { CfnTemplate, Finding, KubeObject, RenderedEnvironment, RenderedObject } from '@optibid/rendered';
export { objectId } from '@optibid/rendered';

export interface CheckResult {
  readonly findings: readonly Finding[];
  /** A table or summary printed by the CLI (plain text). */
  readonly summary?: string;
  /** Report files, relative to dist/reports/<env>/ (e.g. `cost.md`). */
  readonly reports?: Readonly<Record<string, string>>;
}

/** A named check over one environment. */
export interface VerifyCheck {
  readonly name: string;
  /** One sentence: what it proves (the README lists these). */
  readonly description: string;
  readonly run: (env: RenderedEnvironment) => CheckResult;
}
