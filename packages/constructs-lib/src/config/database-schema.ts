import { cronScheduleProblem } from './cron';
import { z } from 'zod';
import { resourcesSchema } from './app-schema';
import { isMemoryQuantity, memoryBytes } from '../util/quantity';
import { databaseConnectionBudget, reservedConnectionCount, SORTS_PER_CONNECTION, WORK_MEM_FLOOR_BYTES } from '../sizing/postgres-parameters';

const memoryBytesOf = (q: string) => (isMemoryQuantity(q) ? memoryBytes(q) : undefined);

/**
 * The PostgreSQL tier: members, storage, resources, the connection-pooling cap and the reserved connections it
 * implies, backup schedules. Cross-field rules (the pooling invariant) live in `checkDatabaseRules`.
 */

/** A CronJob schedule, as the CronJob controller parses it (cron.ts). */
export const cronSchedule = z.string().superRefine((value, ctx) => {
  const problem = cronScheduleProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `must be a CronJob schedule: ${problem}` });
});

export const databaseSchema = z
  .object({
    /** PVC size of each PostgreSQL member. */
    volumeSizeGiB: z.number().int().min(10),
    /** Patroni members: 1 (dev) or a primary plus replicas. */
    members: z.number().int().min(1).max(5),
    /**
     * Patroni synchronous mode: a commit is acknowledged only once a replica has it, so a failover loses nothing.
     * @default true when members > 1
     */
    synchronousMode: z.boolean().optional(),
    resources: resourcesSchema,
    pooler: z
      .object({
        /** PgBouncer replicas. */
        replicas: z.number().int().min(1),
        /** Server connections each PgBouncer may open to PostgreSQL (its max_db_connections). */
        serverConnectionsPerReplica: z.number().int().min(1),
        /** Client connections each PgBouncer accepts. @default 2000 */
        maxClientConnections: z.number().int().min(1).default(2000),
        /**
         * Extra pods a rollout of the PgBouncer Deployment may start before it stops old ones (its
         * `strategy.rollingUpdate.maxSurge`; with 0, `maxUnavailable` is 1: one pod replaced at a time). Every pod may
         * open `serverConnectionsPerReplica`, so the rollout peak `(replicas + maxSurge) x serverConnectionsPerReplica`
         * must fit the pooling cap (`checkDatabaseRules`). @default 0
         */
        maxSurge: z.number().int().min(0).default(0),
      })
      .strict(),
    /** Most connections the application may hold on PostgreSQL through the poolers (seed: 200). */
    poolingCap: z.number().int().min(1),
    /**
     * Why the pooling cap may exceed the database's connection budget (databaseConnectionBudget: what the memory
     * limit holds at the work_mem floor): required when it does, refused when it does not.
     * @default none (the cap must fit the budget)
     */
    poolingCapOverBudgetReason: z.string().min(20, { message: 'must say why in at least 20 characters' }).optional(),
    /** Connections kept free for everything that is not the application. */
    reservedConnections: z
      .object({
        superuser: z.number().int().min(3).default(5),
        replication: z.number().int().min(0).default(5),
        patroni: z.number().int().min(1).default(3),
        exporters: z.number().int().min(1).default(3),
        backups: z.number().int().min(1).default(4),
      })
      .strict()
      .default({ superuser: 5, replication: 5, patroni: 3, exporters: 3, backups: 4 }),
    backups: z
      .object({
        /** Full backup schedule. @default weekly, Sunday 02:00 UTC */
        fullSchedule: cronSchedule.default('0 2 * * 0'),
        /** Differential backup schedule. @default daily 02:00 UTC Monday to Saturday */
        differentialSchedule: cronSchedule.default('0 2 * * 1-6'),
        /** Full backups kept (differentials expire with their full). @default 4 */
        retentionFull: z.number().int().min(1).default(4),
        /** Longest a WAL segment waits before being archived (the RPO bound). @default 60 */
        archiveTimeoutSeconds: z.number().int().min(1).default(60),
      })
      .strict()
      .default({ fullSchedule: '0 2 * * 0', differentialSchedule: '0 2 * * 1-6', retentionFull: 4, archiveTimeoutSeconds: 60 }),
  })
  .strict();
export type DatabaseConfig = z.output<typeof databaseSchema>;

type Issue = (path: (string | number)[], message: string) => void;

/**
 * The PgBouncer Deployment's rolling update (rendered by k8s/postgres/pgbouncer.ts): `maxSurge` from the config,
 * and `maxUnavailable` 1 when nothing may surge (Kubernetes refuses both at 0), else 0. With maxSurge 0 a rollout
 * replaces one pod at a time, so the rollout peak is the replica count and the pooling cap holds during it; the
 * PodDisruptionBudget allows at least as many unavailable pods (pdbMaxUnavailable >= 1), so the two never disagree.
 */
export function poolerRollout(p: Pick<DatabaseConfig['pooler'], 'maxSurge'>): { maxSurge: number; maxUnavailable: number } {
  return { maxSurge: p.maxSurge, maxUnavailable: p.maxSurge > 0 ? 0 : 1 };
}

export function checkDatabaseRules(db: DatabaseConfig, tier: string, issue: Issue): void {
  const p = db.pooler;
  // The pooling invariant counts the rollout peak: during a rolling update `replicas + maxSurge` pods run, each
  // allowed `serverConnectionsPerReplica` server connections (its pgbouncer.ini max_db_connections).
  const peakPods = p.replicas + p.maxSurge;
  const serverPeak = peakPods * p.serverConnectionsPerReplica;
  if (serverPeak > db.poolingCap) {
    const field = p.maxSurge > 0 && p.replicas * p.serverConnectionsPerReplica <= db.poolingCap ? 'maxSurge' : 'serverConnectionsPerReplica';
    issue(
      ['database', 'pooler', field],
      `pooling invariant broken: the rollout peak (replicas ${p.replicas} + maxSurge ${p.maxSurge}) x serverConnectionsPerReplica ${p.serverConnectionsPerReplica} = ${serverPeak} server connections, above the pooling cap (poolingCap) of ${db.poolingCap}: (replicas + maxSurge) x serverConnectionsPerReplica must be <= poolingCap`,
    );
  }
  const limit = memoryBytesOf(db.resources.limits.memory);
  if (limit !== undefined) {
    const budget = databaseConnectionBudget(db, limit);
    if (db.poolingCap > budget && !db.poolingCapOverBudgetReason) {
      issue(
        ['database', 'poolingCap'],
        `${db.poolingCap} is above the connection budget of ${budget} that a ${db.resources.limits.memory} memory limit holds (75 % after shared_buffers / (${SORTS_PER_CONNECTION} sorts x work_mem floor ${WORK_MEM_FLOOR_BYTES / 1024 ** 2}MB), less the ${reservedConnectionCount(db.reservedConnections)} reserved): lower it, raise the memory, or say why in database.poolingCapOverBudgetReason`,
      );
    }
    if (db.poolingCap <= budget && db.poolingCapOverBudgetReason) issue(['database', 'poolingCapOverBudgetReason'], `is set, but the pooling cap ${db.poolingCap} fits the connection budget of ${budget}: remove it`);
  }
  if (db.backups.archiveTimeoutSeconds > 60) issue(['database', 'backups', 'archiveTimeoutSeconds'], 'must be at most 60 s: the RPO target is under one hour and a partial WAL segment must not wait longer');
  if (tier !== 'dev') {
    if (db.members < 2) issue(['database', 'members'], `tier '${tier}' needs a primary and at least one replica for automated failover`);
    if (p.replicas < 2) issue(['database', 'pooler', 'replicas'], `tier '${tier}' needs at least 2 PgBouncer replicas`);
  }
  if (db.synchronousMode && db.members < 2) issue(['database', 'synchronousMode'], 'synchronous mode needs at least 2 members');
}
