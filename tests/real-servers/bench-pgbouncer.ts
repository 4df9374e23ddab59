/**
 * `node -r ts-node/register tests/real-servers/bench-pgbouncer.ts [--duration=20] [--scale=10]` (as root, on a machine with Debian's
 * postgresql-15 and pgbouncer, as tier 4 installs them): pgbench TPS and latency of
 *   (a) 1,000 clients pooled through PgBouncer with the rendered pgbouncer.ini (transaction pooling), and
 *   (b) 200 clients straight to PostgreSQL (the rendered max_connections leaves room for 200 application connections),
 * both against PostgreSQL 15 with the rendered parameters and init SQL, builtin TPC-B-like, -M simple, TLS, each
 * for --duration seconds (pgbench -T, which includes the initial connection phase). A benchmark prints numbers; it
 * never fails on them (it exits non-zero only if the servers cannot be started).
 */
import * as os from 'os';
import * as path from 'path';
import { appServerConnections, initPgbench, PgBouncer, PgbenchResult, runPgbench, startRenderedPgBouncer } from './pgbouncer-support';
import { PgServer, renderedPatroni, runRenderedInit, scratchDir, startRenderedPostgres, Substitutions, waitFor } from './support';

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const duration = arg('duration', 20);
const scale = arg('scale', 10);
const THREADS = 8;

let pg: PgServer | undefined;
let bouncer: PgBouncer | undefined;
async function cleanup(): Promise<void> {
  await bouncer?.stop();
  bouncer = undefined;
  pg?.stop();
  pg = undefined;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().then(() => process.exit(130)));

function line(label: string, r: PgbenchResult, maxServer: number): string {
  const ok = r.exitCode === 0 && r.failed === 0 && r.aborted === 0;
  return (
    `${label.padEnd(34)} TPS ${r.tps.toFixed(1).padStart(8)}   latency avg ${r.latencyMs.toFixed(1).padStart(7)} ms   ` +
    `initial connections ${(r.initialConnectionMs / 1000).toFixed(1)} s   transactions ${r.processed}   failed ${r.failed}   aborted ${r.aborted}   ` +
    `max server connections ${maxServer}${ok ? '' : `   (pgbench exit ${r.exitCode})`}`
  );
}

async function main(): Promise<void> {
  const subs = new Substitutions();
  const dir = scratchDir('bench-pgbouncer');
  console.log(`bench-pgbouncer: PostgreSQL 15 + PgBouncer 1.18 on loopback, pgbench -i -s ${scale}, ${duration} s per run, ${os.cpus().length} cores`);
  pg = await startRenderedPostgres(subs);
  runRenderedInit(pg, subs);
  initPgbench(pg, scale);
  const server = pg;

  // (a) 1,000 clients through PgBouncer.
  bouncer = await startRenderedPgBouncer(server, subs);
  let maxA = 0;
  const a = await runPgbench({
    port: bouncer.port,
    clients: 1000,
    threads: THREADS,
    durationS: duration,
    sslmode: 'require',
    log: path.join(dir, 'pgbench-pgbouncer.log'),
    onTick: () => (maxA = Math.max(maxA, appServerConnections(server))),
  });
  // PgBouncer keeps idle server connections for server_idle_timeout: stop it so (b) has the connection slots.
  await bouncer.stop();
  bouncer = undefined;
  await waitFor('PgBouncer server connections to close', () => appServerConnections(server) === 0, 30_000);

  // (b) 200 clients direct.
  let maxB = 0;
  const b = await runPgbench({
    port: server.port,
    clients: 200,
    threads: THREADS,
    durationS: duration,
    sslmode: 'require',
    log: path.join(dir, 'pgbench-direct.log'),
    onTick: () => (maxB = Math.max(maxB, appServerConnections(server))),
  });

  const maxConnections = renderedPatroni().bootstrap.dcs.postgresql.parameters.max_connections;
  console.log(`\npgbench builtin TPC-B-like, -M simple, sslmode=require, -j ${THREADS}, -T ${duration} (logs in ${dir}); rendered max_connections ${maxConnections}`);
  console.log(line('(a) 1000 clients via PgBouncer', a, maxA));
  console.log(line('(b) 200 clients direct', b, maxB));
  for (const [label, r] of [['(a)', a], ['(b)', b]] as const) {
    if (r.exitCode !== 0 || r.failed !== 0 || r.aborted !== 0) console.log(`\n${label} pgbench output:\n${r.output}`);
  }
  subs.report('\nbench-pgbouncer');
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
