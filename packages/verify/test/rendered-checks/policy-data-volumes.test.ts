import { fsGroupChangePolicy, imageRepositoryName, servesPostgres, sharedMemory } from '../../src/checks/policy/data-volumes';
import type { KubeObject } from '@optibid/rendered';
import { compliantSet, DIGEST, expectClean, NS, recommendedLabels, ref, rendered } from './policy-support';

const PG_IMAGE = `timescale/timescaledb-ha:pg17.11-ts2.30.1@${DIGEST}`;

/** A PostgreSQL StatefulSet as the data tier renders it: server + pgBackRest sidecar of the same image, a data claim. */
function postgresStatefulSet(mutate: (pod: any, sts: KubeObject) => void = () => {}): KubeObject {
  const res = { requests: { cpu: '1', memory: '8Gi' }, limits: { memory: '8Gi' } };
  const pod: any = {
    securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'postgres',
        image: PG_IMAGE,
        command: ['/etc/postgres-init/start.sh'],
        ports: [{ name: 'postgresql', containerPort: 5432 }],
        resources: res,
        volumeMounts: [
          { name: 'data', mountPath: '/home/postgres/pgdata' },
          { name: 'shm', mountPath: '/dev/shm' },
        ],
      },
      {
        name: 'pgbackrest',
        image: PG_IMAGE,
        command: ['/bin/sh', '/etc/pgbackrest/pgbackrest-server.sh'],
        ports: [{ name: 'pgbackrest', containerPort: 8432 }],
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '1Gi' } },
        volumeMounts: [{ name: 'data', mountPath: '/home/postgres/pgdata' }],
      },
    ],
    volumes: [{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '2Gi' } }],
  };
  const sts: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'postgres', namespace: NS, labels: recommendedLabels('postgres', 'database') },
    spec: {
      replicas: 2,
      serviceName: 'postgres-headless',
      selector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } },
      template: { metadata: { labels: recommendedLabels('postgres', 'database') }, spec: pod },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } } }],
    },
  };
  mutate(pod, sts);
  return sts;
}

const STS = ref('StatefulSet', 'postgres');
const findings = (check: typeof sharedMemory, obj: KubeObject) => check.run([rendered(obj)]).map((f) => [f.object, f.message]);

describe('helpers', () => {
  test.each([
    [PG_IMAGE, 'timescaledb-ha'],
    ['postgres:17', 'postgres'],
    ['docker.io/library/postgres@sha256:abc', 'postgres'],
    ['registry:5000/team/postgis:17-3.5', 'postgis'],
    ['quay.io/prometheuscommunity/postgres-exporter:v0.17.1', 'postgres-exporter'],
  ])('image %s is repository %s', (image, name) => {
    expect(imageRepositoryName(image)).toBe(name);
  });

  test('the server is the PostgreSQL-image container with the PostgreSQL port (or the image command); a sidecar of the same image is not', () => {
    const pod = postgresStatefulSet().spec.template.spec;
    expect(pod.containers.map((c: any) => servesPostgres(c))).toEqual([true, false]);
    expect(servesPostgres({ name: 'pg', image: 'postgres:17' })).toBe(true);
    expect(servesPostgres({ name: 'exp', image: 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1', ports: [{ containerPort: 9187 }] })).toBe(false);
  });
});

describe('fsgroup-change-policy', () => {
  test('the rendered shape passes; the compliant fixture set too', () => {
    expect(findings(fsGroupChangePolicy, postgresStatefulSet())).toEqual([]);
    expectClean(fsGroupChangePolicy, compliantSet());
  });

  test.each([
    ['unset', (pod: any) => delete pod.securityContext.fsGroupChangePolicy, /fsGroupChangePolicy unset \(Always\)/],
    ['Always', (pod: any) => (pod.securityContext.fsGroupChangePolicy = 'Always'), /fsGroupChangePolicy "Always"/],
  ])('fsGroup with the policy %s on a PostgreSQL pod with a claim template is a finding', (_n, mutate, message) => {
    const f = findings(fsGroupChangePolicy, postgresStatefulSet(mutate));
    expect(f).toHaveLength(1);
    expect(f[0][0]).toBe(STS);
    expect(f[0][1]).toMatch(message);
    expect(f[0][1]).toMatch(/persistent volume "data" at \/home\/postgres\/pgdata.*set fsGroupChangePolicy: OnRootMismatch/);
  });

  test('a Job mounting a PersistentVolumeClaim volume counts (the restore job), a pod without fsGroup or without a claim does not', () => {
    const job = (pod: any): KubeObject => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'restore', namespace: NS }, spec: { template: { spec: pod } } });
    const pod = () => ({
      securityContext: { fsGroup: 1000 },
      containers: [{ name: 'restore', image: PG_IMAGE, volumeMounts: [{ name: 'restore', mountPath: '/home/postgres/pgdata' }] }],
      volumes: [{ name: 'restore', persistentVolumeClaim: { claimName: 'postgres-restore' } }],
    });
    expect(findings(fsGroupChangePolicy, job(pod()))).toHaveLength(1);
    expect(findings(fsGroupChangePolicy, job({ ...pod(), securityContext: {} }))).toEqual([]);
    expect(findings(fsGroupChangePolicy, job({ ...pod(), volumes: [{ name: 'restore', emptyDir: {} }] }))).toEqual([]);
    // Other programs only get a slower mount from the recursive pass: not this rule's business.
    expect(findings(fsGroupChangePolicy, job({ ...pod(), containers: [{ ...pod().containers[0], image: `redis:8.2@${DIGEST}` }] }))).toEqual([]);
  });
});

describe('shared-memory', () => {
  test('the rendered shape passes; the compliant fixture set too', () => {
    expect(findings(sharedMemory, postgresStatefulSet())).toEqual([]);
    expectClean(sharedMemory, compliantSet());
  });

  test('a PostgreSQL server without a memory emptyDir at /dev/shm is a finding (the sidecar needs none)', () => {
    const noShm = postgresStatefulSet((pod) => {
      pod.containers[0].volumeMounts = pod.containers[0].volumeMounts.filter((m: any) => m.name !== 'shm');
      pod.volumes = [];
    });
    expect(findings(sharedMemory, noShm)).toEqual([[STS, expect.stringMatching(/^container "postgres" \(PostgreSQL\) has no memory-backed emptyDir at \/dev\/shm/)]]);
    const diskShm = postgresStatefulSet((pod) => (pod.volumes = [{ name: 'shm', emptyDir: { sizeLimit: '2Gi' } }]));
    expect(findings(sharedMemory, diskShm)).toHaveLength(1);
  });

  test('a memory emptyDir needs a sizeLimit, at most the memory limit of each container mounting it', () => {
    const unsized = postgresStatefulSet((pod) => delete pod.volumes[0].emptyDir.sizeLimit);
    expect(findings(sharedMemory, unsized)).toEqual([[STS, expect.stringMatching(/volumes "shm": a memory-backed emptyDir without a valid sizeLimit/)]]);
    const tooBig = postgresStatefulSet((pod) => (pod.volumes[0].emptyDir.sizeLimit = '9Gi'));
    expect(findings(sharedMemory, tooBig)).toEqual([[STS, expect.stringMatching(/sizeLimit 9Gi exceeds the memory limit 8Gi of container "postgres"/)]]);
    // Mounted by the sidecar too: its smaller limit is what it is charged against.
    const shared = postgresStatefulSet((pod) => pod.containers[1].volumeMounts.push({ name: 'shm', mountPath: '/dev/shm' }));
    expect(findings(sharedMemory, shared)).toEqual([[STS, expect.stringMatching(/sizeLimit 2Gi exceeds the memory limit 1Gi of container "pgbackrest"/)]]);
  });

  test('Jobs running PostgreSQL (the restore job) are not required to have one', () => {
    const job: KubeObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'restore', namespace: NS }, spec: { template: { spec: { containers: [{ name: 'pg', image: 'postgres:17' }] } } } };
    expect(findings(sharedMemory, job)).toEqual([]);
  });
});
