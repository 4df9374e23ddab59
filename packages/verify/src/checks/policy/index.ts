/** The policy gate: every named check over the rendered objects of one environment. */
import type { PolicyCheck } from './policy-check';
import { fsGroupChangePolicy, sharedMemory } from './data-volumes';
import { hpaPdbCompat } from './hpa-pdb-compat';
import { networkPolicyCoverage } from './network-policy-coverage';
import { noSecretData } from './no-secret-data';
import { pdbCoverage } from './pdb-coverage';
import { pinnedImages } from './pinned-images';
import { probes } from './probes';
import { pssRestricted } from './pss-restricted';
import { recommendedLabels } from './recommended-labels';
import { resources } from './resources';
import { serviceAccount } from './service-account';
import { writablePaths } from './writable-paths';

export { fsGroupChangePolicy, sharedMemory, hpaPdbCompat, networkPolicyCoverage, noSecretData, pdbCoverage, pinnedImages, probes, pssRestricted, recommendedLabels, resources, serviceAccount, writablePaths };

/** All policy checks, in a stable order. */
export const POLICY_CHECKS: PolicyCheck[] = [
  pssRestricted,
  resources,
  probes,
  pinnedImages,
  serviceAccount,
  pdbCoverage,
  hpaPdbCompat,
  networkPolicyCoverage,
  noSecretData,
  recommendedLabels,
  writablePaths,
  fsGroupChangePolicy,
  sharedMemory,
];
