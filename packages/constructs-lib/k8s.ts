// Subpath entry: import { ... } from '@optibid/constructs-lib/k8s'.
export * from './src/k8s';
