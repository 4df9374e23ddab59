import { renderedPatroni, Substitutions, waitFor } from './support';
import {
  AckWriter,
  gone,
  appPsql,
  Cleanup,
  Etcd,
  killGroup,
  killPostmaster,
  logTail,
  Member,
  memberConfig,
  patroniEnv,
  pollWhileRunning,
  postmasterPid,
  prepareShared,
  sleep,
  startEtcd,
  startPatroni,
} from './patroni-support';

/**
 * Real-server test 4: Patroni failover with the rendered Patroni configuration. Two members and a local etcd (the
 * Kubernetes DCS replaced by etcd); the primary is SIGKILLed (Patroni and postmaster) while a client commits rows;
 * measured: seconds until the replica accepts a write, acknowledged rows missing after the failover.
 */
const subs = new Substitutions();
const cleanup = new Cleanup();
const rendered = renderedPatroni();
let etcd: Etcd;
let m1: Member;
let m2: Member;

/** Fails with the members' log tails, so a red run says why. */
async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const logs = [m1, m2].filter(Boolean).map((m) => `--- ${m.name} (${m.log}) ---\n${logTail(m.log)}`).join('\n');
    const hint = /pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "postgres"/.test(logs)
      ? `\nDIAGNOSIS: Patroni's own superuser connection goes over TCP to localhost (postgresql.use_unix_socket is ${rendered.postgresql.use_unix_socket ?? 'unset'} in the rendered patroni.yml) and the rendered pg_hba admits the superuser only on the unix socket (local all all peer); set postgresql.use_unix_socket: true.`
      : '';
    throw new Error(`${what}: ${(e as Error).message}${hint}\n${logs}\n--- etcd ---\n${etcd ? logTail(etcd.log, 10) : ''}`);
  }
}

async function clusterMembers(m: Member): Promise<any[]> {
  const { status, body } = await m.api('/cluster');
  if (status !== 200) throw new Error(`/cluster ${status}`);
  return body.members;
}

beforeAll(async () => {
  etcd = await startEtcd(cleanup);
  const shared = prepareShared(subs, cleanup);
  m1 = (await memberConfig('member1', etcd, shared, subs, cleanup)).member;
  m2 = (await memberConfig('member2', etcd, shared, subs, cleanup)).member;

  startPatroni(m1, patroniEnv(m1, subs), cleanup);
  const leaderAfter = await step('member1 bootstraps (initdb + post_bootstrap) and becomes leader', () =>
    pollWhileRunning([m1], 'member1 leader', async () => (await clusterMembers(m1)).some((x) => x.name === 'member1' && x.role === 'leader' && x.state === 'running'), 180_000, 500),
  );
  console.log(`patroni: member1 bootstrapped and leader after ${leaderAfter.toFixed(1)} s`);

  startPatroni(m2, patroniEnv(m2, subs), cleanup);
  const syncAfter = await step('member2 joins (pg_basebackup) and becomes the streaming synchronous standby', () =>
    pollWhileRunning(
      [m1, m2],
      'member2 sync standby',
      async () => {
        const members = await clusterMembers(m1);
        const standby = members.find((x) => x.name === 'member2');
        if (!(standby && standby.role === 'sync_standby' && standby.state === 'streaming')) return false;  // Patroni 4 reports a streaming replica's state as 'streaming' (patroni/postgresql/__init__.py, replica state from pg_stat_wal_receiver)
        return m1.psql("SELECT application_name || '|' || state || '|' || sync_state FROM pg_stat_replication") === 'member2|streaming|sync';
      },
      240_000,
      500,
    ),
  );
  console.log(`patroni: member2 streaming synchronous standby after ${syncAfter.toFixed(1)} s`);
});

afterAll(() => {
  cleanup.run();
  subs.report('patroni');
});

test('both members run the rendered dynamic configuration; member2 is the synchronous standby', async () => {
  const dcs = rendered.bootstrap.dcs;
  const { body: config } = await m1.api('/config');
  for (const k of ['ttl', 'loop_wait', 'retry_timeout', 'maximum_lag_on_failover', 'synchronous_mode', 'synchronous_mode_strict']) {
    expect({ [k]: config[k] }).toEqual({ [k]: dcs[k] });
  }
  expect(config.postgresql.use_pg_rewind).toBe(dcs.postgresql.use_pg_rewind);
  expect(config.postgresql.use_slots).toBe(dcs.postgresql.use_slots);
  expect(m1.psql('SHOW max_connections')).toBe(String(dcs.postgresql.parameters.max_connections));
  expect(m2.psql('SHOW max_connections')).toBe(String(dcs.postgresql.parameters.max_connections));
  expect(m1.psql('SHOW ssl')).toBe('on');
  expect(m2.psql('SELECT pg_is_in_recovery()')).toBe('t');
  if (dcs.synchronous_mode) expect(m1.psql('SHOW synchronous_standby_names')).toContain('member2');
  // The replica streams over TLS through the rendered hostssl replication rule.
  expect(m1.psql("SELECT s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) WHERE r.application_name = 'member2'")).toBe('t');
  // Patroni created a replication slot for the standby (use_slots).
  if (dcs.postgresql.use_slots) expect(m1.psql("SELECT slot_name FROM pg_replication_slots WHERE active")).toBe('member2');
});

test('SIGKILL of the primary: the replica takes over and no acknowledged row is lost', async () => {
  await step('create the probe table on the leader', () => appPsql(m1.pgPort, 'CREATE TABLE app.failover_probe (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())'));
  const writer = new AckWriter(m1.pgPort, 'app.failover_probe');
  await sleep(5000);
  expect(writer.acked.length).toBeGreaterThan(0);

  // Kill member1: Patroni's process group (runuser + patroni) and the postmaster (Patroni starts it with setsid)
  // with its backends. The writer keeps sending: the kill lands with a commit in flight.
  const patroniPid = m1.proc!.pid!;
  const pmPid = postmasterPid(m1.dataDir);
  expect(pmPid).toBeDefined();
  const t0 = Date.now();
  killGroup(patroniPid);
  killPostmaster(m1.dataDir);
  const ackedAtKill = writer.acked.length;
  const exited = await Promise.race([writer.exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!exited) writer.kill();
  // Every id printed by the client was acknowledged by a server that is now dead: all count as "before the kill".
  const acked = [...writer.acked];
  // SIGKILL is delivered asynchronously; a killed postmaster stays a zombie until init reaps it.
  await waitFor('member1 postmaster and Patroni gone', () => gone(pmPid!) && gone(patroniPid), 10_000, 50);

  let attempt = 0;
  let lastError = '';
  await step('member2 accepts a write', () =>
    pollWhileRunning(
      [m2],
      'member2 accepts a write',
      async () => {
        try {
          await appPsql(m2.pgPort, `INSERT INTO app.failover_probe (id) VALUES (${-++attempt})`, 2000);
          return true;
        } catch (e) {
          lastError = (e as Error).message.split('\n').filter(Boolean).pop() ?? '';
          throw e;
        }
      },
      180_000,
      150,
    ),
  ).catch((e) => {
    throw new Error(`${e.message}\nlast error from member2: ${lastError}`);
  });
  const failoverSeconds = (Date.now() - t0) / 1000;

  const onReplica = new Set((await appPsql(m2.pgPort, 'SELECT id FROM app.failover_probe WHERE id > 0')).split('\n').filter(Boolean).map(Number));
  const missing = acked.filter((id) => !onReplica.has(id));
  const unacknowledgedButPresent = [...onReplica].filter((id) => !acked.includes(id));
  const leaders = (await clusterMembers(m2)).filter((x) => x.role === 'leader').map((x) => x.name);

  console.log(
    [
      'patroni failover (rendered config: ' +
        `ttl ${rendered.bootstrap.dcs.ttl}, loop_wait ${rendered.bootstrap.dcs.loop_wait}, retry_timeout ${rendered.bootstrap.dcs.retry_timeout}, ` +
        `synchronous_mode ${rendered.bootstrap.dcs.synchronous_mode}, synchronous_mode_strict ${rendered.bootstrap.dcs.synchronous_mode_strict}):`,
      `  failover: ${failoverSeconds.toFixed(1)} s from SIGKILL of the primary until the replica accepted a write (${attempt} write attempts)`,
      `  rows acknowledged before the kill: ${acked.length} (${ackedAtKill} counted at the instant of the kill; ${writer.sent} sent)`,
      `  acknowledged rows missing after the failover: ${missing.length}${missing.length ? ` (ids ${missing.slice(0, 20).join(', ')})` : ''}`,
      `  rows committed on the new primary but never acknowledged (in flight at the kill): ${unacknowledgedButPresent.length}`,
      `  leader after failover: ${leaders.join(', ')}`,
    ].join('\n'),
  );

  expect(leaders).toEqual(['member2']);
  expect(acked.length).toBeGreaterThan(0);
  if (rendered.bootstrap.dcs.synchronous_mode === true) expect(missing).toEqual([]);
});
