import { z } from 'zod';

/**
 * Where this repository lives and how it is delivered: the GitHub repository (Argo CD's source, the OIDC trust of
 * the deploy role, runbook links), the branch deploys track, and the GitHub Actions environment allowed to deploy.
 */
export const deliverySchema = z
  .object({
    /** GitHub repository of this code, `owner/name`. */
    repository: z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { message: 'must be a GitHub repository such as optibid/platform' }),
    /** Branch that deploys (and Argo CD) track. @default 'main' */
    branch: z.string().regex(/^[A-Za-z0-9._/-]+$/, { message: 'must be a git branch name' }).default('main'),
    /**
     * GitHub Actions environment whose jobs may assume the deploy role (its protection rules, e.g. required
     * reviewers for production, are the approval gate). @default the environment name
     */
    githubEnvironment: z.string().regex(/^[A-Za-z0-9._-]+$/, { message: 'must be a GitHub environment name' }).optional(),
    /**
     * Create the account's GitHub OIDC identity provider in this environment's stacks. IAM allows one provider per
     * URL and account: set false where another stack in the same account already created it.
     * @default true
     */
    createOidcProvider: z.boolean().default(true),
  })
  .strict();

export type DeliveryConfig = z.infer<typeof deliverySchema>;
