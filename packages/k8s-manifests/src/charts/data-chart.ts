import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { PLATFORM_VERSION, ROLE_RECONCILE_JOB } from '@optibid/constructs-lib';
import { NamespaceCa, PgBouncer, PostgresBackups, PostgresCluster, PostgresRoleReconcile, PRIORITY_CLASSES, recommendedLabels, RedisCluster } from '@optibid/constructs-lib/k8s';
import type { PlatformChartProps } from './chart-props';

/** The data tier: PostgreSQL (Patroni), PgBouncer, pgBackRest backups, Redis cluster, and the namespace CA for in-cluster TLS. */
export class DataChart extends Chart {
  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config, names } = props;
    const ca = new NamespaceCa(this, 'Ca', {
      name: 'data',
      namespace: names.namespaces.data,
      labels: recommendedLabels({ name: 'data-ca', instance: `data-ca-${config.name}`, component: 'certificates', partOf: names.prefix, version: PLATFORM_VERSION }),
    });
    const postgres = new PostgresCluster(this, 'Postgres', {
      config,
      names,
      ca,
      priorityClassName: PRIORITY_CLASSES.data.name,
      clients: { pooler: names.services.pgbouncer.name, backupJobs: 'postgres-backup', roleReconcile: ROLE_RECONCILE_JOB },
    });
    // The services table's roles, grants and passwords on the running database (Patroni's post_bootstrap reaches only a new one).
    new PostgresRoleReconcile(this, 'Roles', { config, names, postgresName: postgres.labels.name });
    new PgBouncer(this, 'PgBouncer', { config, names, ca, priorityClassName: PRIORITY_CLASSES.data.name, postgresName: postgres.labels.name });
    new PostgresBackups(this, 'Backups', { config, names, ca, postgresName: postgres.labels.name });
    new RedisCluster(this, 'Redis', { config, names, priorityClassName: PRIORITY_CLASSES.data.name });
  }
}
