import { loadEnvironment, platformNames, redisMaxmemoryBytes } from '@optibid/constructs-lib';
import { renderEnvironmentManifests } from '../src';
import { find, rendered } from './rendered-support';

/** The Redis tier as rendered (in memory, read back from the YAML files the render writes). */
const prod = rendered('production');
const config = loadEnvironment('production');
const names = platformNames(config);
const conf = find(prod, 'ConfigMap', 'redis-config').data['redis.conf'] as string;
const directive = (key: string) => new RegExp(`^${key} (.*)$`, 'm').exec(conf)?.[1];

describe('Redis cluster (production)', () => {
  const sts = find(prod, 'StatefulSet', 'redis');

  test('6 pods (3 primaries x 1 replica) spread over the 3 zones, stable hostnames through the headless Service', () => {
    expect(sts.spec.replicas).toBe(6);
    expect(config.availabilityZones).toHaveLength(3);
    expect(sts.spec.template.spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
    expect(sts.spec.serviceName).toBe('redis-headless');
    expect(find(prod, 'Service', 'redis-headless').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(directive('cluster-enabled')).toBe('yes');
    expect(directive('cluster-preferred-endpoint-type')).toBe('hostname');
    expect(directive('cluster-config-file')).toBe('/data/nodes.conf');
    expect(prod.find((o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/name'] === 'redis-bootstrap')!.spec.template.spec.containers[0].env.find((e: any) => e.name === 'REPLICAS').value).toBe('1');
    // The zone table the pods use to announce their zone covers every private subnet.
    const zones = find(prod, 'ConfigMap', 'redis-config').data['zones.txt'].trim().split('\n');
    expect(zones).toEqual(config.network.privateSubnetCidrs.map((c, i) => `${c} ${config.availabilityZones[i]}`));
  });

  test('persistence: AOF every second with an RDB preamble, on gp3 volumes, kept when the StatefulSet goes', () => {
    expect(directive('appendonly')).toBe('yes');
    expect(directive('appendfsync')).toBe('everysec');
    expect(directive('aof-use-rdb-preamble')).toBe('yes');
    expect(directive('dir')).toBe('/data');
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: names.storage.storageClass, resources: { requests: { storage: '20Gi' } } });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('memory rule: maxmemory is 60 % of the container limit, volatile-lru eviction', () => {
    const limit = sts.spec.template.spec.containers[0].resources.limits.memory;
    expect(limit).toBe('2Gi');
    expect(Number(directive('maxmemory'))).toBe(Math.floor(2 * 1024 ** 3 * 0.6 / 1024 ** 2) * 1024 ** 2);
    expect(Number(directive('maxmemory'))).toBe(redisMaxmemoryBytes(config.redis));
    expect(directive('maxmemory-policy')).toBe('volatile-lru');
  });

  test('auth: ACL users from an ExternalSecret; the app user has no admin or dangerous commands; no secret value rendered', () => {
    const es = find(prod, 'ExternalSecret', 'redis-auth');
    const acl = es.spec.target.template.data['users.acl'] as string;
    const app = acl.split('\n').find((l) => l.startsWith('user optibid_app '))!;
    expect(app).toContain('-@admin -@dangerous');
    expect(app).toMatch(/>\{\{ \.app \}\}/);
    for (const line of acl.trim().split('\n')) expect(line).toMatch(/ >\{\{ \.[a-z]+ \}\} /);
    expect(directive('aclfile')).toBe('/etc/redis/acl/users.acl');
    expect(conf).not.toMatch(/requirepass|masterauth [^"]/);
    expect(prod.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test('network: cluster bus only between Redis pods; clients on 6379 are the backend and the helper jobs', () => {
    const np = find(prod, 'NetworkPolicy', 'redis-ingress');
    const busRule = np.spec.ingress.find((r: any) => r.ports.some((p: any) => p.port === 16379));
    expect(busRule.from).toEqual([{ podSelector: { matchLabels: sts.spec.selector.matchLabels } }]);
    const clientRule = np.spec.ingress[0];
    expect(clientRule.ports).toEqual([{ port: 6379, protocol: 'TCP' }]);
    expect(clientRule.from.map((p: any) => p.podSelector.matchLabels['app.kubernetes.io/name']).sort()).toEqual(['backend', 'redis-backup', 'redis-bootstrap']);
  });

  test('daily RDB backup to the backup bucket under its own prefix, with the backup identity and SSE-KMS', () => {
    const cj = find(prod, 'CronJob', 'redis-backup');
    expect(cj.spec.schedule).toBe('30 3 * * *');
    const pod = cj.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe(names.identities.backup.serviceAccount);
    const upload = pod.containers[0].command.join(' ');
    expect(upload).toContain(`s3://${names.backup.bucketName}/${names.backup.redisPrefix}`);
    expect(upload).toContain(`--sse-kms-key-id "${names.kms.backups}"`);
  });
});

describe('dev runs 3 primaries without replicas', () => {
  test('three pods', () => {
    expect(find(rendered('dev'), 'StatefulSet', 'redis').spec.replicas).toBe(3);
  });
});

describe('the bootstrap Job (its pod template is immutable)', () => {
  const jobFiles = (files: Map<string, string>) => [...files.keys()].filter((f) => /\/job-redis-bootstrap-/.test(f));

  test('its name carries a hash of the template: the same config keeps the name, a changed template gets a new one', () => {
    const base = loadEnvironment('production');
    const first = jobFiles(renderEnvironmentManifests(base));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(/^optibid-data\/job-redis-bootstrap-[0-9a-f]{8}\.yaml$/);
    expect(jobFiles(renderEnvironmentManifests(loadEnvironment('production')))).toEqual(first);
    const changed = structuredClone(base);
    (changed.redis as { replicasPerPrimary: number }).replicasPerPrimary = 2;
    expect(jobFiles(renderEnvironmentManifests(changed))).not.toEqual(first);
    // The shared render the other tests read holds that same Job.
    expect(find(prod, 'Job', first[0].replace(/^optibid-data\/job-|\.yaml$/g, '')).metadata.labels?.['app.kubernetes.io/name']).toBe('redis-bootstrap');
  });
});
