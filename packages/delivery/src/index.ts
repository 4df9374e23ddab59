// The public entry of @optibid/delivery: the deploy CLI and the pieces its composition root (scripts/deploy.ts) wires.
export { Cancellation, installSignalHandlers } from './deploy/cancel';
export { main as deployMain } from './deploy/cli';
export { terminalPrompt } from './deploy/confirm';
export { renderedDistFreshness, testSeamFreshness } from './deploy/freshness';
export { streamLogger } from './deploy/log';
export type { DistFreshness } from './deploy/preflight';
export { SpawnRunner } from './deploy/runner';
export { main as diffMain, type DistFreshnessCheck } from './diff/cli';
