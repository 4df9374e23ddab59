/** Test helpers: build K8sObjects from plain documents the way the parser would. */
import { apiGroup, type K8sObject, objectKey } from '../../src/diff/k8s-objects';

export function k8s(doc: Record<string, any>, env = 'dev'): K8sObject {
  const group = apiGroup(doc.apiVersion);
  const namespace = doc.metadata?.namespace ?? '';
  const name = doc.metadata.name;
  return { key: objectKey(group, doc.kind, namespace, name), env, group, kind: doc.kind, namespace, name, path: `dist/k8s/${env}/x.yaml`, doc };
}

/** A deep copy to mutate for the "after" side. */
export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function deployment(overrides: { replicas?: number; image?: string; app?: string } = {}): Record<string, any> {
  const app = overrides.app ?? 'backend';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'backend', namespace: 'optibid' },
    spec: {
      replicas: overrides.replicas ?? 2,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          containers: [
            {
              name: 'backend',
              image: overrides.image ?? 'ghcr.io/optibid/backend:1.0.0',
              ports: [{ name: 'http', containerPort: 8000 }],
              env: [
                { name: 'LOG_LEVEL', value: 'info' },
                { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'backend-secrets', key: 'db-password' } } },
              ],
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
              readinessProbe: { httpGet: { path: '/ready', port: 8000 }, periodSeconds: 10 },
            },
          ],
        },
      },
    },
  };
}
