/**
 * Tier 4 support for the pgBackRest test: rewrite a rendered pgbackrest.conf (INI) with the recorded substitutions
 * only, and prove that every other rendered option is kept byte for byte.
 */
import * as fs from 'fs';
import * as path from 'path';
import { dataNamespace, postgresUid, renderedConfigMap, Substitutions, writeAsPostgres } from './support';

export interface IniEntry {
  section: string;
  key: string;
  value: string;
}

/** `[section]` + `key=value` lines; comments and blank lines are ignored. */
export function parseIni(text: string): IniEntry[] {
  const entries: IniEntry[] = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`not an INI line: ${line}`);
    entries.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return entries;
}

export function renderIni(entries: IniEntry[]): string {
  const sections = [...new Set(entries.map((e) => e.section))];
  return sections.map((s) => [`[${s}]`, ...entries.filter((e) => e.section === s).map((e) => `${e.key}=${e.value}`)].join('\n')).join('\n\n') + '\n';
}

/** One change to a rendered file: a key replaced (value), removed (value null) or added (absent in the rendered file). */
export interface IniChange {
  section: string;
  key: string;
  value: string | null;
  why: string;
}

/**
 * Applies `changes` to the rendered INI text, records each one in `subs` (prefixed by `label`) and returns the new
 * text. A change of a key that is not rendered is an addition (recorded as such); nothing else is touched.
 */
export function substituteIni(rendered: string, changes: IniChange[], subs: Substitutions, label: string): string {
  const entries = parseIni(rendered);
  for (const c of changes) {
    const i = entries.findIndex((e) => e.section === c.section && e.key === c.key);
    const old = i >= 0 ? entries[i].value : undefined;
    if (c.value === null) {
      if (i < 0) throw new Error(`${label}: cannot remove [${c.section}] ${c.key}: not rendered`);
      entries.splice(i, 1);
      subs.add(`${label} [${c.section}] ${c.key}=${old} removed (${c.why})`);
    } else if (i >= 0) {
      entries[i] = { ...entries[i], value: c.value };
      subs.add(`${label} [${c.section}] ${c.key}=${c.value} instead of ${old} (${c.why})`);
    } else {
      const last = entries.map((e) => e.section).lastIndexOf(c.section);
      entries.splice(last < 0 ? entries.length : last + 1, 0, { section: c.section, key: c.key, value: c.value });
      subs.add(`${label} [${c.section}] ${c.key}=${c.value} added, not rendered (${c.why})`);
    }
  }
  return renderIni(entries);
}

/** Rendered entries that are neither changed nor removed, and whether each is present unchanged in `actual`. */
export function keptOptions(rendered: string, actual: string, changes: IniChange[]): { kept: IniEntry[]; differing: IniEntry[] } {
  const touched = (e: IniEntry) => changes.some((c) => c.section === e.section && c.key === e.key);
  const kept = parseIni(rendered).filter((e) => !touched(e));
  const now = parseIni(actual);
  const differing = kept.filter((e) => !now.some((n) => n.section === e.section && n.key === e.key && n.value === e.value));
  return { kept, differing };
}

/**
 * The rendered database pgbackrest.conf on a posix repository under `dir` (tests that do not exercise S3 still run
 * the rendered post_bootstrap, which creates the stanza). Returns the config path.
 */
export function posixPgbackrestConf(dir: string, pg: { dataDir: string; port: number; socketDir: string }, subs: Substitutions): string {
  const rendered = renderedConfigMap(dataNamespace(), 'postgres-pgbackrest')['pgbackrest.conf'];
  const repo = path.join(dir, 'pgbackrest-repo');
  const lock = path.join(dir, 'pgbackrest-lock');
  const spool = path.join(dir, 'pgbackrest-spool');
  for (const d of [repo, lock, spool]) {
    fs.mkdirSync(d, { recursive: true, mode: 0o750 });
    fs.chownSync(d, postgresUid(), postgresUid());
  }
  const s3 = parseIni(rendered).filter((e) => e.section === 'global' && e.key.startsWith('repo1-s3-'));
  const file = path.join(dir, 'pgbackrest.conf');
  const text = substituteIni(
    rendered,
    [
      { section: 'global', key: 'repo1-type', value: 'posix', why: 'a posix repository in a scratch dir (postgres-lifecycle.test.ts runs the S3 path through moto)' },
      { section: 'global', key: 'repo1-path', value: repo, why: 'path' },
      ...s3.map((e) => ({ section: 'global', key: e.key, value: null, why: 'S3-only option' })),
      { section: 'global', key: 'spool-path', value: spool, why: 'path' },
      { section: 'global', key: 'lock-path', value: lock, why: 'path' },
      { section: 'optibid', key: 'pg1-path', value: pg.dataDir, why: 'path' },
      { section: 'optibid', key: 'pg1-port', value: String(pg.port), why: 'test port' },
      { section: 'optibid', key: 'pg1-socket-path', value: pg.socketDir, why: 'path' },
    ],
    subs,
    'pgbackrest.conf',
  );
  writeAsPostgres(file, text, 0o640);
  return file;
}

/** init.sql without TimescaleDB where the server lacks it (Debian does not package it): the one line, reported. */
export function initSqlForServer(sql: string, available: boolean, subs: Substitutions): string {
  if (available) return sql;
  const line = /^CREATE EXTENSION IF NOT EXISTS timescaledb;$/m;
  if (!line.test(sql)) throw new Error('the rendered init.sql has no `CREATE EXTENSION IF NOT EXISTS timescaledb;` line');
  subs.add('init.sql: `CREATE EXTENSION IF NOT EXISTS timescaledb;` removed (TimescaleDB is not packaged in Debian; production creates it unconditionally)');
  return sql.replace(line, "\\echo 'timescaledb not packaged on this test server: skipped'");
}
