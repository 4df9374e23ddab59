import { parse } from 'yaml';
import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import { find, rendered } from './rendered-support';

/** The PostgreSQL tier as rendered (in memory, read back from the YAML files the render writes). */
const prod = rendered('production');
const names = platformNames(loadEnvironment('production'));
const DATA = names.namespaces.data;
const patroni = parse(find(prod, 'ConfigMap', 'postgres-patroni').data['patroni.yml']);
const params = patroni.bootstrap.dcs.postgresql.parameters;
const ini = find(prod, 'ConfigMap', 'pgbouncer-config').data['pgbouncer.ini'] as string;
const iniValue = (key: string) => new RegExp(`^${key} = (.*)$`, 'm').exec(ini)?.[1];

describe('PostgreSQL cluster (production)', () => {
  const sts = find(prod, 'StatefulSet', 'postgres');

  test('two members (primary + replica) on the timescaledb-ha image, spread over zones and hosts', () => {
    expect(sts.spec.replicas).toBe(2);
    expect(sts.spec.template.spec.containers[0].image).toMatch(/^timescale\/timescaledb-ha:pg\d+\.\d+-ts\d+\.\d+\.\d+/);
    const spread = sts.spec.template.spec.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.whenUnsatisfiable]);
    expect(spread).toEqual([
      ['topology.kubernetes.io/zone', 'DoNotSchedule'],
      ['kubernetes.io/hostname', 'DoNotSchedule'],
    ]);
    expect(find(prod, 'PodDisruptionBudget', 'postgres').spec.maxUnavailable).toBe(1);
  });

  test('100 Gi PVCs on the encrypted gp3 StorageClass, retained when the StatefulSet goes', () => {
    const [claim] = sts.spec.volumeClaimTemplates;
    expect(claim.spec.resources.requests.storage).toBe('100Gi');
    expect(claim.spec.storageClassName).toBe(names.storage.storageClass);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('the pooling invariant: replicas x per-instance server connections <= 200 <= max_connections - reserved', () => {
    const replicas = find(prod, 'Deployment', 'pgbouncer').spec.replicas;
    const perInstance = Number(iniValue('max_db_connections'));
    expect(replicas * perInstance).toBeLessThanOrEqual(200);
    expect(iniValue('reserve_pool_size')).toBe('0');
    expect(iniValue('pool_mode')).toBe('transaction');
    expect(iniValue('auth_query')).toBe('SELECT usename, passwd FROM pgbouncer.get_auth($1)');
    const reserved = Object.values(loadEnvironment('production').database.reservedConnections).reduce((a, b) => a + b, 0);
    expect(params.max_connections).toBe(200 + reserved);
  });

  test('continuous WAL archiving with archive_timeout <= 60 s, and the extensions preloaded', () => {
    expect(params.archive_mode).toBe('on');
    expect(params.archive_command).toBe('pgbackrest --stanza=optibid archive-push %p');
    expect(params.archive_timeout).toBeLessThanOrEqual(60);
    expect(params.shared_preload_libraries.split(',')).toEqual(expect.arrayContaining(['timescaledb', 'pg_cron']));
    expect(patroni.bootstrap.dcs.synchronous_mode).toBe(true);
  });

  test('pg_hba: TLS + scram from the VPC for pooler, replicas, backup and monitoring; everything else rejected', () => {
    const hba: string[] = patroni.bootstrap.dcs.postgresql.pg_hba;
    for (const l of hba.filter((x) => x.startsWith('host'))) expect(l).toMatch(/(hostssl .* scram-sha-256|reject)$/);
    expect(hba[hba.length - 2]).toBe('host all all 0.0.0.0/0 reject');
    // The superuser never appears in a network rule (it logs in over the socket only).
    const networkUsers = hba.filter((l) => l.startsWith('host')).flatMap((l) => l.split(' ')[2].split(','));
    expect(networkUsers).not.toContain('postgres');
    // The role-reconcile Job logs in as the role administrator (CREATEROLE, not a superuser), to postgres and the application database.
    expect(hba.filter((l) => l.split(' ')[2] === 'optibid_role_admin')).toEqual(['hostssl postgres,optibid optibid_role_admin 10.30.0.0/16 scram-sha-256']);
  });

  test('the pgBackRest repository is the backup bucket under its prefix, with the backup KMS key and no static keys', () => {
    const conf = find(prod, 'ConfigMap', 'postgres-pgbackrest').data['pgbackrest.conf'] as string;
    expect(conf).toContain(`repo1-s3-bucket=${names.backup.bucketName}`);
    expect(conf).toContain(`repo1-path=/${names.backup.postgresPrefix}`);
    expect(conf).toContain(`repo1-s3-kms-key-id=${names.kms.backups}`);
    expect(conf).toContain('repo1-s3-key-type=web-id');
    expect(conf).not.toMatch(/repo1-s3-key=|repo1-s3-key-secret=|cipher-pass/);
  });

  test('scheduled full and differential backups (at least daily), never concurrent; restore template suspended', () => {
    const full = find(prod, 'CronJob', 'postgres-backup-full');
    const diff = find(prod, 'CronJob', 'postgres-backup-diff');
    expect(full.spec.schedule).toBe('0 2 * * 0');
    expect(diff.spec.schedule).toBe('0 2 * * 1-6');
    for (const cj of [full, diff]) {
      expect(cj.spec.concurrencyPolicy).toBe('Forbid');
      expect(cj.spec.suspend).toBe(false);
      const pod = cj.spec.jobTemplate.spec.template.spec;
      expect(pod.serviceAccountName).toBe(names.identities.backup.serviceAccount);
      expect(pod.containers[0].command.join(' ')).toMatch(/pgbackrest --stanza=optibid --type=(full|diff) backup/);
    }
    const restore = find(prod, 'CronJob', 'postgres-pitr-restore');
    expect(restore.spec.suspend).toBe(true);
    // The restore job runs the script of its ConfigMap (mounted at /etc/pgbackrest): restore, then recovery to the target.
    const [shell, script] = restore.spec.jobTemplate.spec.template.spec.containers[0].command;
    expect(shell).toBe('/bin/sh');
    expect(find(prod, 'ConfigMap', 'postgres-backup-config').data[script.replace('/etc/pgbackrest/', '')]).toContain('--type=time');
  });

  test("Patroni's RBAC is namespace-scoped and nobody gets pods/exec", () => {
    const role = find(prod, 'Role', 'patroni');
    expect(role.metadata.namespace).toBe(DATA);
    expect(role.rules.flatMap((r: any) => r.resources).sort()).toEqual(['configmaps', 'pods']);
    const all = prod.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
    for (const r of all) expect(r.rules.flatMap((x: any) => x.resources)).not.toContain('pods/exec');
    // No data-tier service account holds anything cluster-wide.
    expect(prod.filter((o) => o.kind === 'ClusterRoleBinding').flatMap((b) => b.subjects).filter((s: any) => s.kind === 'ServiceAccount' && s.namespace === DATA)).toEqual([]);
  });

  test('no secret values: credentials only through ExternalSecrets; no Secret objects at all', () => {
    expect(prod.filter((o) => o.kind === 'Secret')).toEqual([]);
    // Environment variables that carry credentials are always references, never literal values.
    const containers = prod.flatMap((o) => {
      const pod = o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
      return pod ? [...pod.containers, ...(pod.initContainers ?? [])] : [];
    });
    // (`*_FILE` names a file that holds one, e.g. AWS_WEB_IDENTITY_TOKEN_FILE: its literal value is a path.)
    const literalSecrets = containers.flatMap((c: any) => (c.env ?? []).filter((e: any) => /PASS|SECRET|TOKEN|_KEY$/.test(e.name) && e.value !== undefined && !(/_FILE$/.test(e.name) && String(e.value).startsWith('/'))));
    expect(literalSecrets).toEqual([]);
    // The init SQL takes passwords as psql variables only.
    const sql = find(prod, 'ConfigMap', 'postgres-init').data['init.sql'] as string;
    for (const line of sql.split('\n').filter((l) => /PASSWORD/.test(l))) expect(line).toMatch(/PASSWORD :'[a-z_]+_password'/);
    const es = find(prod, 'ExternalSecret', 'postgres-credentials');
    expect(es.spec.data.map((d: any) => d.remoteRef.key)).toEqual(expect.arrayContaining([names.secrets['postgres/superuser'].name, names.secrets['postgres/replication'].name]));
  });

  test('Services: read-write selects the primary, read-only the replicas', () => {
    expect(find(prod, 'Service', 'postgres').spec.selector.role).toBe('primary');
    expect(find(prod, 'Service', 'postgres-replicas').spec.selector.role).toBe('replica');
    expect(patroni.kubernetes).toMatchObject({ role_label: 'role', leader_label_value: 'primary', follower_label_value: 'replica' });
  });
});

describe('dev is a single member', () => {
  test('one PostgreSQL pod, one pooler, no synchronous mode', () => {
    const dev = rendered('dev');
    expect(find(dev, 'StatefulSet', 'postgres').spec.replicas).toBe(1);
    expect(find(dev, 'Deployment', 'pgbouncer').spec.replicas).toBe(1);
    expect(parse(find(dev, 'ConfigMap', 'postgres-patroni').data['patroni.yml']).bootstrap.dcs.synchronous_mode).toBe(false);
  });
});
