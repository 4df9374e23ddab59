import type { EnvironmentConfig, PlatformNames } from '@optibid/constructs-lib';
import type { Logger } from './log';
import type { CommandRunner } from './runner';

/** What every step of one deploy run shares. */
export interface DeployContext {
  /** Absolute path of the repository root; every command runs there (cdk.json, relative dist/ paths, git). */
  readonly repoRoot: string;
  readonly runner: CommandRunner;
  readonly log: Logger;
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
  /** `dist/k8s/<env>`, relative to repoRoot (commands show short, reproducible paths). */
  readonly k8sDir: string;
  /** Every kubectl call names this context explicitly (see commands.ts). */
  readonly kubeContext: string;
  readonly rolloutTimeout: string;
  /** Attempts per smoke test, SMOKE_RETRY_DELAY_MS apart. */
  readonly smokeAttempts: number;
  /** Waits between smoke-test attempts (injectable so tests do not sleep). */
  readonly sleep: (ms: number) => Promise<void>;
}
