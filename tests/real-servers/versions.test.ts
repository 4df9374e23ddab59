import { k8sDir } from '@optibid/rendered';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { PG_BIN, runtimeDescription, serverVersion } from './runtime';
import { DIST, ENV } from './support';

/**
 * The real-server tier runs the production majors: this file prints what ran and compares it with the images the
 * rendered workloads of the environment run (dist/, never the TypeScript pins).
 */
function renderedImages(): string[] {
  const root = k8sDir(DIST, ENV);
  const images = new Set<string>();
  const walk = (o: unknown): void => {
    if (Array.isArray(o)) o.forEach(walk);
    else if (o && typeof o === 'object') {
      for (const [k, v] of Object.entries(o)) {
        if (k === 'image' && typeof v === 'string') images.add(v);
        else walk(v);
      }
    }
  };
  for (const dir of fs.readdirSync(root)) {
    const d = path.join(root, dir);
    if (!fs.statSync(d).isDirectory()) continue;
    for (const f of fs.readdirSync(d)) if (f.endsWith('.yaml')) walk(parse(fs.readFileSync(path.join(d, f), 'utf8')));
  }
  return [...images];
}

/** Tag of the one rendered image of `repository` (digest dropped). */
function renderedTag(repository: string): string {
  const found = renderedImages().filter((i) => i.split('@')[0].replace(/:[^:/]+$/, '') === repository);
  const tags = [...new Set(found.map((i) => /:([^:/@]+)(@|$)/.exec(i)?.[1] ?? ''))];
  if (tags.length !== 1) throw new Error(`expected one rendered tag of ${repository}, found ${JSON.stringify(tags)}`);
  return tags[0];
}

const ran = {
  postgres: serverVersion(`${PG_BIN}/postgres`),
  patroni: serverVersion('patroni'),
  pgbackrest: serverVersion('pgbackrest', ['version']),
  pgbouncer: serverVersion('pgbouncer'),
  etcd: serverVersion('etcd'),
  redis: serverVersion('redis-server'),
  alertmanager: serverVersion('prometheus-alertmanager'),
  promtool: serverVersion('promtool'),
  awsCli: serverVersion('aws'),
  moto: serverVersion('python3', ['-c', 'import moto; print("moto " + moto.__version__)']),
};

beforeAll(() => {
  console.log(`real-server tier: servers from ${runtimeDescription()}:\n${Object.entries(ran).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
});

const num = (text: string, re: RegExp) => re.exec(text)?.[1];

test('PostgreSQL: the major of the timescaledb-ha image production runs', () => {
  const tag = renderedTag('timescale/timescaledb-ha');
  expect(num(ran.postgres, /PostgreSQL\)? (\d+)/)).toBe(num(tag, /^pg(\d+)/));
});

test('Patroni 4 and pgBackRest 2.55+ (the image ships Patroni 4; web-id credentials exist in every 2.4x+ release)', () => {
  expect(num(ran.patroni, /patroni (\d+)\./)).toBe('4');
  const [maj, min] = (num(ran.pgbackrest, /pgBackRest ([\d.]+)/) ?? '0.0').split('.').map(Number);
  expect(maj === 2 && min >= 55).toBe(true);
});

test('Redis: exactly the version of the image production runs', () => {
  expect(num(ran.redis, /v=([\d.]+)/)).toBe(renderedTag('redis'));
});

test('Alertmanager: exactly the version production runs', () => {
  expect(`v${num(ran.alertmanager, /version ([\d.]+)/)}`).toBe(renderedTag('quay.io/prometheus/alertmanager'));
});

test('PgBouncer: the same 1.x line as the image production runs (Debian 13 ships 1.24, production 1.25)', () => {
  expect(num(ran.pgbouncer, /PgBouncer (\d+)\./)).toBe(num(renderedTag('ghcr.io/cloudnative-pg/pgbouncer'), /^(\d+)\./));
});
