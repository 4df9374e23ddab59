// Subpath entry: import { PlatformVpc } from '@optibid/constructs-lib/aws'.
export * from './src/aws';
