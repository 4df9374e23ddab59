import type { EnvironmentConfigInput } from '../config/schema';

/**
 * Application image pins shared by every environment until a release promotes a new one. CI (the delivery issue)
 * replaces tag and digest with what it built and pushed; the digest here is a placeholder of the right form.
 */
export function appImages(account: string, region: string): Pick<EnvironmentConfigInput['app'], 'backend' | 'frontend'> {
  const registry = `${account}.dkr.ecr.${region}.amazonaws.com/optibid`;
  return {
    backend: {
      image: { repository: `${registry}/backend`, tag: '1.0.0', digest: 'sha256:0d4c9f6d34e1a31ec3d1dcbb3e0c0b8c8a4c6c2b2d5a61f63f3b3d0b8c1a9e01' },
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } },
    },
    frontend: {
      image: { repository: `${registry}/frontend`, tag: '1.0.0', digest: 'sha256:5b1f3c2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b' },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    },
  };
}

/** The repository every environment is delivered from (Argo CD source, deploy-role OIDC trust, runbook links). */
export const REPOSITORY: EnvironmentConfigInput['delivery'] = { repository: 'optibid/platform', branch: 'main' };
