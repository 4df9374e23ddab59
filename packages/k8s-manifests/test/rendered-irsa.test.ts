/**
 * IRSA for the database identities (issue 13, defect 9) and the PgBouncer rollout (defect 7), as rendered
 * (in memory, read back from the YAML files): what the pods get is written in the YAML, not left to the EKS pod identity webhook.
 */
import { ENVIRONMENT_INPUTS, IRSA_IDENTITY_KEYS, loadEnvironment, platformNames, WEB_IDENTITY } from '@optibid/constructs-lib';
import { find, rendered } from './rendered-support';

describe.each(ENVIRONMENT_INPUTS.map((e) => [e.name]))('%s', (envName) => {
  const objs = rendered(envName);
  const names = platformNames(loadEnvironment(envName));
  const podOf = (o: any) => o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;

  test('the two database service accounts carry their IRSA role, and every container that runs pgBackRest gets AWS_ROLE_ARN, the token file and the STS-audience token', () => {
    for (const key of IRSA_IDENTITY_KEYS) {
      const id = names.identities[key];
      expect(find(objs, 'ServiceAccount', id.serviceAccount).metadata.annotations).toEqual({ [WEB_IDENTITY.roleArnAnnotation]: id.roleArn });
    }
    const pgbackrestPods = [find(objs, 'StatefulSet', 'postgres'), ...['postgres-backup-full', 'postgres-backup-diff', 'postgres-pitr-restore'].map((n) => find(objs, 'CronJob', n))];
    for (const o of pgbackrestPods) {
      const pod = podOf(o);
      const id = Object.values(names.identities).find((i) => i.serviceAccount === pod.serviceAccountName)!;
      expect(id.credentials).toBe('irsa');
      expect(pod.volumes).toContainEqual({ name: 'aws-iam-token', projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } }] } });
      // Every container that mounts a pgBackRest configuration (postgres and the pgbackrest sidecar; the job's one).
      const confVolumes = pod.volumes.filter((v: any) => ['postgres-pgbackrest', 'postgres-backup-config'].includes(v.configMap?.name)).map((v: any) => v.name);
      const runners = pod.containers.filter((c: any) => (c.volumeMounts ?? []).some((m: any) => confVolumes.includes(m.name)));
      expect(runners.map((c: any) => c.name)).toEqual(o.kind === 'StatefulSet' ? ['postgres', 'pgbackrest'] : ['pgbackrest']);
      for (const c of runners) {
        expect(c.env).toEqual(expect.arrayContaining([
          { name: 'AWS_ROLE_ARN', value: id.roleArn },
          { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' },
        ]));
        expect(c.volumeMounts).toContainEqual({ name: 'aws-iam-token', mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount', readOnly: true });
      }
    }
    // The backup jobs still mount no API token: the STS token is a projected volume of its own.
    for (const n of ['postgres-backup-full', 'postgres-backup-diff', 'postgres-pitr-restore']) expect(podOf(find(objs, 'CronJob', n)).automountServiceAccountToken).toBe(false);
    for (const cm of ['postgres-pgbackrest', 'postgres-backup-config']) {
      for (const [key, text] of Object.entries<string>(find(objs, 'ConfigMap', cm).data)) {
        if (!key.endsWith('.conf')) continue;
        expect(text).toContain('repo1-s3-key-type=web-id\n');
        expect(text).not.toMatch(/repo1-s3-role=|pod-id/);
      }
    }
  });

  test('PgBouncer rolls one pod at a time within the pooling cap (maxSurge 0, maxUnavailable 1 <= the PDB budget)', () => {
    const cfg = loadEnvironment(envName);
    const d = find(objs, 'Deployment', 'pgbouncer');
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    expect(d.metadata.annotations?.['optibid.io/pooling-cap']).toBe(String(cfg.database.poolingCap));
    expect(find(objs, 'PodDisruptionBudget', 'pgbouncer').spec.maxUnavailable).toBeGreaterThanOrEqual(d.spec.strategy.rollingUpdate.maxUnavailable);
  });
});
