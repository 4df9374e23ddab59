/**
 * The schema check: every rendered object against the published schema of its apiVersion/kind (kubernetes-models:
 * the Kubernetes OpenAPI and the CRDs' openAPIV3Schema), unknown fields rejected, and the kustomization complete.
 */
import type { VerifyCheck } from '../../types';
import { checkKustomization } from './kustomization';
import { validateWithModels } from './models-validate';
import { checkUnknownFields, SCHEMA_CHECK } from './unknown-fields';

export { SCHEMA_CHECK };

export const schemaCheck: VerifyCheck = {
  name: SCHEMA_CHECK,
  description:
    'every object validates against the published schema of its apiVersion/kind (types, required fields, enums, formats; unknown fields rejected; removed API versions refused) and every file is listed in kustomization.yaml',
  run(env) {
    return {
      findings: [
        ...validateWithModels(env.objects),
        // Unresolved apiVersion/kinds are already reported by the published-schema rule.
        ...checkUnknownFields(env.objects, { reportUnresolved: false }),
        ...checkKustomization(env.k8sFiles, env.name, env.objects),
      ],
    };
  },
};
