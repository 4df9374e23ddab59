import type { StackProps } from 'aws-cdk-lib';
import type { EnvironmentConfig, PlatformNames } from '@optibid/constructs-lib';

/** What every platform stack receives: the validated config and the names derived from it. */
export interface PlatformStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
}
