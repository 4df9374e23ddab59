import type { VerifyCheck } from '../types';
import { apiVersionsCheck } from './api-versions';
import { capacityCheck } from './capacity';
import { contractCheck } from './contract';
import { costCheck } from './cost';
import { policyCheck } from './policy/check';
import { referencesCheck } from './references';
import { schemaCheck } from './schema';
import { trafficCheck } from './traffic';

/** Every check `npm run verify` runs, in the order it prints them. */
export const CHECKS: readonly VerifyCheck[] = [schemaCheck, policyCheck, contractCheck, referencesCheck, apiVersionsCheck, capacityCheck, costCheck, trafficCheck];

/** The checks whose reports the render writes to dist/reports (a pure function of the rendered tree). */
export const REPORT_CHECKS: readonly VerifyCheck[] = [capacityCheck, costCheck, trafficCheck];
