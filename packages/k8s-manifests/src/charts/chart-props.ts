import type { EnvironmentConfig, PlatformNames } from '@optibid/constructs-lib';

/** What every chart receives: the validated config and the names derived from it. */
export interface PlatformChartProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
}
