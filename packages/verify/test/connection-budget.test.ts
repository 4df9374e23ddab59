/**
 * capacity/connection-budget (issue 13, defect 7): a PgBouncer rollout may not open more server connections than
 * the pooling cap. Passes on the committed render; fails on the pre-fix Deployment strategy (maxSurge 1 with
 * 2 x 100 connections = 300 > 200), on a hand-edited max_db_connections, cap annotation or replica count, and on an
 * unbounded pool.
 */
import { capacityCheck } from '../src/checks/capacity';
import type { Finding, RenderedEnvironment } from '../src/types';
import { broken, find, rendered, ENVIRONMENTS } from './support';

const RULE = 'connection-budget';
const DEPLOYMENT = 'Deployment/optibid-data/pgbouncer';

function run(env: RenderedEnvironment): Finding[] {
  return capacityCheck.run(env).findings.filter((f) => f.rule === RULE);
}

const pgbouncer = (objects: { obj: any }[]) => find({ objects }, 'Deployment', 'pgbouncer', 'optibid-data');
const ini = (objects: { obj: any }[], edit: (s: string) => string) => {
  const cm = find({ objects }, 'ConfigMap', 'pgbouncer-config', 'optibid-data');
  cm.data['pgbouncer.ini'] = edit(cm.data['pgbouncer.ini']);
};

describe('capacity/connection-budget', () => {
  it.each([...ENVIRONMENTS])('the committed %s render fits: (replicas + maxSurge) x max_db_connections <= the pooling cap', (env) => {
    expect(run(rendered(env))).toEqual([]);
    const d = find(rendered(env), 'Deployment', 'pgbouncer', 'optibid-data');
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('reports the pre-fix strategy: maxSurge 1 with 2 replicas x 100 server connections = 300 > 200', () => {
    const env = broken(({ objects }) => {
      pgbouncer(objects).spec.strategy.rollingUpdate = { maxSurge: 1, maxUnavailable: 0 };
    });
    expect(run(env)).toEqual([
      expect.objectContaining({
        check: 'capacity',
        object: DEPLOYMENT,
        field: 'spec.strategy.rollingUpdate.maxSurge',
        message: expect.stringContaining('(replicas 2 + maxSurge 1) x max_db_connections 100 (ConfigMap/optibid-data/pgbouncer-config data["pgbouncer.ini"]) = 300 server connections, above the pooling cap 200 (optibid.io/pooling-cap)'),
      }),
    ]);
  });

  it('reports the default surge (25 % of 2, rounded up: 1) when the strategy is removed by hand', () => {
    const env = broken(({ objects }) => {
      delete pgbouncer(objects).spec.strategy;
    });
    expect(run(env)).toEqual([expect.objectContaining({ object: DEPLOYMENT, message: expect.stringContaining('maxSurge 1 (25%)') })]);
  });

  it('reports a hand-edited max_db_connections or replica count, and an unbounded pool', () => {
    const raised = broken(({ objects }) => ini(objects, (s) => s.replace('max_db_connections = 100', 'max_db_connections = 120')));
    expect(run(raised)).toEqual([expect.objectContaining({ object: DEPLOYMENT, field: 'spec.replicas', message: expect.stringContaining('x max_db_connections 120') })]);
    const perDb = broken(({ objects }) => ini(objects, (s) => s.replace('dbname=optibid', 'dbname=optibid max_db_connections=150')));
    expect(run(perDb)).toEqual([expect.objectContaining({ object: DEPLOYMENT, message: expect.stringContaining('x max_db_connections 150') })]);
    const scaled = broken(({ objects }) => {
      pgbouncer(objects).spec.replicas = 3;
    });
    expect(run(scaled)).toEqual([expect.objectContaining({ object: DEPLOYMENT, field: 'spec.replicas', message: expect.stringContaining('(replicas 3 + maxSurge 0) x max_db_connections 100') })]);
    const unbounded = broken(({ objects }) => ini(objects, (s) => s.replace('max_db_connections = 100\n', '')));
    expect(run(unbounded)).toEqual([expect.objectContaining({ object: 'ConfigMap/optibid-data/pgbouncer-config', field: 'data["pgbouncer.ini"]', message: expect.stringContaining('sets no max_db_connections (0 = unlimited) for database optibid') })]);
  });

  it('checks the cap against the rendered max_connections, and uses the server figure when the annotation is gone', () => {
    const above = broken(({ objects }) => {
      pgbouncer(objects).metadata.annotations!['optibid.io/pooling-cap'] = '300';
    });
    expect(run(above)).toEqual([
      expect.objectContaining({ field: 'metadata.annotations["optibid.io/pooling-cap"]', message: expect.stringContaining('pooling cap 300 of Deployment/optibid-data/pgbouncer is above what PostgreSQL at postgres.optibid-data.svc.cluster.local admits to non-superusers (max_connections 220 - superuser_reserved_connections 5 = 215') }),
    ]);
    const noCap = broken(({ objects }) => {
      delete pgbouncer(objects).metadata.annotations;
      pgbouncer(objects).spec.strategy.rollingUpdate = { maxSurge: 1, maxUnavailable: 0 };
    });
    expect(run(noCap)).toEqual([expect.objectContaining({ message: expect.stringContaining('= 300 server connections, above what PostgreSQL admits to non-superusers (max_connections 220 - superuser_reserved_connections 5 = 215') })]);
  });
});
