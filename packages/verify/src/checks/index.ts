import type { VerifyCheck } from '../types';

/** Every check `npm run verify` runs, in the order it prints them. */
export const CHECKS: readonly VerifyCheck[] = [];
