import type { VerifyCheck } from '../types';
import { apiVersionsCheck } from './api-versions';
import { capacityCheck } from './capacity';
import { contractCheck } from './contract';
import { costCheck } from './cost';
import { referencesCheck } from './references';
import { trafficCheck } from './traffic';

/** Every check `npm run verify` runs, in the order it prints them. */
export const CHECKS: readonly VerifyCheck[] = [contractCheck, referencesCheck, apiVersionsCheck, capacityCheck, costCheck, trafficCheck];
