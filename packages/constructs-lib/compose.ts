// Subpath entry: import { renderCompose } from '@optibid/constructs-lib/compose' (pulls in the k8s config files).
export * from './src/compose';
