/**
 * Paths a container writes (databases, buffers, data dirs) lie in a writable volume that exists when it starts.
 *
 * The paths come from what the rendered objects carry: command-line flags, env vars, and config files mounted from
 * ConfigMaps. Each component's extractor says what it reads, whether the path is a file or a directory, and how the
 * program treats a missing directory, with the upstream code that proves it. Components whose behaviour was not
 * read upstream are not listed (rather than guessed).
 */
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { asArray, containersOf, isRecord, objectsOfKind, podTemplates, type Container, type PodTemplate } from '@optibid/rendered';

const NAME = 'writable-paths';

/**
 * - `file`: opened without creating directories: its directory must be a writable mount's mountPath (or a directory
 *   the same configuration makes the program create with mkdir -p).
 * - `dir-mkdirp`: created by the program with mkdir -p semantics: must be in (or be) a writable mount.
 * - `dir-existing`: used as is (chdir, or creation not proven upstream): must be a writable mount's mountPath (or a
 *   directory the same configuration makes the program create).
 */
export type WritePathKind = 'file' | 'dir-mkdirp' | 'dir-existing';

export interface WritePath {
  /** The config key, flag or env var, as the manifest spells it. */
  readonly key: string;
  readonly path: string;
  readonly kind: WritePathKind;
  /** What it is, e.g. `Fluent Bit tail input, SQLite`. */
  readonly what: string;
  /** Why the rule applies, ending the message, e.g. `SQLite does not create directories`. */
  readonly note: string;
}

/** What an extractor may read: the container, and mounted files resolved through the rendered ConfigMaps. */
export interface ExtractContext {
  readonly container: Container;
  /** Command and args, in order. */
  readonly argv: readonly string[];
  /** Plain `value` env vars (valueFrom is not resolvable from the manifests). */
  readonly env: ReadonlyMap<string, string>;
  /** The text of a file the container sees, when it comes from a ConfigMap volume. */
  readFile(file: string): MountedFile;
}

export type MountedFile =
  | { readonly status: 'found'; readonly text: string }
  /** The file is in a ConfigMap volume whose ConfigMap (or key) is not in the rendered objects. */
  | { readonly status: 'missing'; readonly reason: string }
  /** Not from a ConfigMap volume (image, Secret, emptyDir...): cannot be read from the manifests. */
  | { readonly status: 'unknown' };

export interface PathExtractor {
  readonly component: string;
  /** Which containers this applies to (by image repository). */
  readonly image: RegExp;
  readonly extract: (ctx: ExtractContext, problems: string[]) => WritePath[];
}

// ---------------------------------------------------------------------------------------------------------------
// Sources: flags, env vars, config files.

/** The value of `--flag=value` or `--flag value` (the last one wins, as with Go's flag packages). */
export function flagValue(argv: readonly string[], ...flags: string[]): { flag: string; value: string } | undefined {
  let out: { flag: string; value: string } | undefined;
  argv.forEach((a, i) => {
    for (const f of flags) {
      if (a.startsWith(`${f}=`)) out = { flag: f, value: a.slice(f.length + 1) };
      else if (a === f && i + 1 < argv.length) out = { flag: f, value: argv[i + 1] };
    }
  });
  return out;
}

/** A Fluent Bit classic-mode config: sections with `Key value` lines, keys lower-cased (Fluent Bit matches them case-insensitively). */
export function parseFluentBitClassic(text: string): { section: string; entries: { key: string; value: string }[] }[] {
  const sections: { section: string; entries: { key: string; value: string }[] }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      sections.push({ section: header[1].trim().toUpperCase(), entries: [] });
      continue;
    }
    const kv = /^(\S+)\s+(.*)$/.exec(line);
    if (kv && sections.length) sections[sections.length - 1].entries.push({ key: kv[1], value: kv[2].trim() });
  }
  return sections;
}

/** Redis config directives (`name args`), last one wins as in Redis; quotes stripped. */
export function parseRedisConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (m) out.set(m[1].toLowerCase(), m[2].trim().replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** A config file path given to the program, from its flags. */
function configFileFromFlags(ctx: ExtractContext, flags: string[]): string | undefined {
  const v = flagValue(ctx.argv, ...flags)?.value;
  return v?.replace(/^file:/, '');
}

function readConfig(ctx: ExtractContext, file: string | undefined, problems: string[]): string | undefined {
  if (!file) return undefined;
  const r = ctx.readFile(file);
  if (r.status === 'found') return r.text;
  if (r.status === 'missing') problems.push(`config file ${file} cannot be read (${r.reason}): its written paths are unchecked`);
  return undefined;
}

/** A path the manifests fix: absolute, with no variable left to expand. */
const resolvable = (p: string | undefined): p is string => typeof p === 'string' && p.startsWith('/') && !/\$[({]/.test(p);

// ---------------------------------------------------------------------------------------------------------------
// The extractor table: one entry per component.

export const PATH_EXTRACTORS: readonly PathExtractor[] = [
  {
    component: 'Fluent Bit',
    image: /(^|\/)fluent-bit$/,
    extract(ctx, problems) {
      const text = readConfig(ctx, configFileFromFlags(ctx, ['--config', '-c']), problems);
      if (text === undefined) return [];
      const out: WritePath[] = [];
      for (const { section, entries } of parseFluentBitClassic(text)) {
        for (const { key, value } of entries) {
          const k = key.toLowerCase();
          if (!resolvable(value)) continue;
          // fluent-bit v4.0.3 src/flb_storage.c:649-655 (opts.root_path = storage.path; cio_create) ->
          // lib/chunkio/src/chunkio.c:53-61 (check_root_path: cio_os_mkpath when missing) ->
          // lib/chunkio/src/cio_os.c:53-133 (cio_os_mkpath: recursive mkdir of dirname(), i.e. mkdir -p, on Linux).
          if (section === 'SERVICE' && k === 'storage.path') {
            out.push({ key, path: value, kind: 'dir-mkdirp', what: 'Fluent Bit filesystem buffer', note: 'chunkio creates it with mkdir -p, which needs a writable mount' });
          }
          // fluent-bit v4.0.3 plugins/in_tail/tail_config.c:338-345 (flb_tail_db_open; failure fails the input init) ->
          // plugins/in_tail/tail_db.c:45 -> src/flb_sqldb.c:77-81 (sqlite3_open, no directory created). in_systemd's DB
          // goes through the same flb_sqldb_open.
          if (section === 'INPUT' && k === 'db') {
            out.push({ key, path: value, kind: 'file', what: 'Fluent Bit tail input, SQLite', note: 'SQLite does not create directories' });
          }
        }
      }
      return out;
    },
  },
  {
    component: 'Prometheus',
    image: /(^|\/)prometheus\/prometheus$/,
    extract(ctx) {
      // prometheus v3.5.0 cmd/prometheus/main.go:428 (--storage.tsdb.path) -> tsdb/db.go:828 os.MkdirAll(dir).
      const f = flagValue(ctx.argv, '--storage.tsdb.path');
      return f && resolvable(f.value) ? [{ key: f.flag, path: f.value, kind: 'dir-mkdirp', what: 'Prometheus TSDB', note: 'the TSDB creates it with os.MkdirAll, which needs a writable mount' }] : [];
    },
  },
  {
    component: 'Alertmanager',
    image: /(^|\/)prometheus\/alertmanager$/,
    extract(ctx) {
      // alertmanager v0.28.1 cmd/alertmanager/main.go:147 (--storage.path) and :229 os.MkdirAll(*dataDir).
      const f = flagValue(ctx.argv, '--storage.path');
      return f && resolvable(f.value) ? [{ key: f.flag, path: f.value, kind: 'dir-mkdirp', what: 'Alertmanager silences and notification log', note: 'Alertmanager creates it with os.MkdirAll, which needs a writable mount' }] : [];
    },
  },
  {
    component: 'Grafana',
    image: /(^|\/)grafana\/grafana(-oss|-enterprise)?$/,
    extract(ctx) {
      // Grafana's own creation of GF_PATHS_DATA was not read upstream: treated as a directory that must already exist
      // (the rendered pods mount a volume exactly there).
      const v = ctx.env.get('GF_PATHS_DATA');
      return resolvable(v) ? [{ key: 'GF_PATHS_DATA', path: v, kind: 'dir-existing', what: 'Grafana SQLite database and plugins', note: 'it must be a writable volume (creating it is not proven)' }] : [];
    },
  },
  {
    component: 'Jaeger (Badger storage)',
    image: /(^|\/)jaegertracing\/jaeger$/,
    extract(ctx, problems) {
      const text = readConfig(ctx, configFileFromFlags(ctx, ['--config']), problems);
      if (text === undefined) return [];
      let doc: unknown;
      try {
        doc = parseYaml(text);
      } catch {
        problems.push('the Jaeger config is not valid YAML: its written paths are unchecked');
        return [];
      }
      const backends = isRecord(doc) && isRecord(doc.extensions) && isRecord(doc.extensions.jaeger_storage) ? doc.extensions.jaeger_storage.backends : undefined;
      const out: WritePath[] = [];
      for (const [name, b] of Object.entries(isRecord(backends) ? backends : {})) {
        const badger = isRecord(b) ? b.badger : undefined;
        if (!isRecord(badger) || badger.ephemeral === true || !isRecord(badger.directories)) continue;
        for (const which of ['keys', 'values'] as const) {
          const p = badger.directories[which];
          // dgraph-io/badger v4 (v4.5.1 db.go:1969-1986 createDirs): os.MkdirAll(Dir and ValueDir, 0700) on open.
          if (resolvable(p)) out.push({ key: `jaeger_storage.backends.${name}.badger.directories.${which}`, path: p, kind: 'dir-mkdirp', what: 'Badger', note: 'Badger creates it with os.MkdirAll, which needs a writable mount' });
        }
      }
      return out;
    },
  },
  {
    component: 'Redis',
    image: /(^|\/)redis$/,
    extract(ctx, problems) {
      const text = readConfig(ctx, redisConfigFile(ctx), problems);
      if (text === undefined) return [];
      const conf = parseRedisConf(text);
      const out: WritePath[] = [];
      const dir = conf.get('dir');
      // redis 7.4.1 src/config.c:2682-2692 setConfigDirOption: chdir(dir), no mkdir; a failure aborts config loading.
      if (resolvable(dir)) out.push({ key: 'dir', path: dir, kind: 'dir-existing', what: 'Redis working directory (AOF, RDB)', note: 'Redis chdir()s into it and creates no directory' });
      // redis 7.4.1 src/server.c:6249-6255 createPidFile: fopen(pidfile, "w").
      const pid = conf.get('pidfile');
      if (resolvable(pid)) out.push({ key: 'pidfile', path: pid, kind: 'file', what: 'Redis pid file', note: 'fopen does not create directories' });
      // redis 7.4.1 src/cluster_legacy.c:691,761: open(cluster-config-file, O_WRONLY|O_CREAT), relative to dir.
      const nodes = conf.get('cluster-config-file');
      if (/^yes$/i.test(conf.get('cluster-enabled') ?? '') && nodes) {
        const abs = nodes.startsWith('/') ? nodes : resolvable(dir) ? path.posix.join(dir, nodes) : undefined;
        if (resolvable(abs)) out.push({ key: 'cluster-config-file', path: abs, kind: 'file', what: 'Redis Cluster nodes file', note: 'open(O_CREAT) does not create directories' });
      }
      return out;
    },
  },
];

/**
 * The redis.conf given to redis-server: in its argv, or in a mounted start script the container runs
 * (`exec redis-server /etc/redis/redis.conf ...`).
 */
function redisConfigFile(ctx: ExtractContext): string | undefined {
  const direct = ctx.argv.find((a) => a.endsWith('.conf') && a.startsWith('/'));
  if (direct) return direct;
  for (const a of ctx.argv) {
    if (!a.startsWith('/')) continue;
    const r = ctx.readFile(a);
    const m = r.status === 'found' ? /\bredis-server\s+(\/\S+\.conf)\b/.exec(r.text) : null;
    if (m) return m[1];
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Mounts and checks.

interface Mount {
  readonly mountPath: string;
  readonly readOnly: boolean;
  readonly volume: string;
  readonly subPath?: string;
}

const norm = (p: string): string => {
  const n = path.posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
};
const within = (p: string, dir: string): boolean => p === dir || dir === '/' || p.startsWith(`${dir}/`);

function mountsOf(c: Container): Mount[] {
  return asArray<Record<string, unknown>>(c.volumeMounts)
    .filter((m) => isRecord(m) && typeof m.mountPath === 'string' && m.mountPath.startsWith('/'))
    .map((m) => ({ mountPath: norm(m.mountPath as string), readOnly: m.readOnly === true, volume: String(m.name ?? ''), subPath: typeof m.subPath === 'string' && m.subPath ? m.subPath : undefined }));
}

/** The mount a path lands in: the deepest mountPath containing it. */
function mountFor(mounts: readonly Mount[], p: string): Mount | undefined {
  return mounts.filter((m) => within(p, m.mountPath)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

function readMountedFile(t: PodTemplate, mounts: readonly Mount[], objects: readonly RenderedObject[], file: string): MountedFile {
  const p = norm(file);
  const m = mountFor(mounts, p);
  if (!m) return { status: 'unknown' };
  const volume = asArray<Record<string, any>>(t.spec.volumes).find((v) => isRecord(v) && v.name === m.volume);
  const cm = isRecord(volume) && isRecord(volume.configMap) ? volume.configMap : undefined;
  if (!cm || typeof cm.name !== 'string') return { status: 'unknown' };
  // With subPath the mount is one entry of the volume; otherwise the file is at its path below the mountPath.
  const rel = m.subPath ? (p === m.mountPath ? m.subPath : path.posix.join(m.subPath, path.posix.relative(m.mountPath, p))) : path.posix.relative(m.mountPath, p);
  const items = asArray<{ key?: string; path?: string }>(cm.items).filter(isRecord);
  const key = items.length ? items.find((i) => i.path === rel)?.key : rel;
  const obj = objectsOfKind(objects, 'ConfigMap', t.namespace).find((o) => o.obj.metadata?.name === cm.name);
  if (!obj) return cm.optional === true ? { status: 'unknown' } : { status: 'missing', reason: `ConfigMap "${cm.name}" is not in the rendered objects` };
  const data = isRecord(obj.obj.data) ? obj.obj.data : {};
  if (key === undefined || typeof data[key] !== 'string') return { status: 'missing', reason: `ConfigMap "${cm.name}" has no key for ${rel}` };
  return { status: 'found', text: data[key] as string };
}

const describeMounts = (mounts: readonly Mount[]): string => (mounts.length ? `mounts: ${mounts.map((m) => `${m.mountPath}${m.readOnly ? ' ro' : ''}`).join(', ')}` : 'no mounts');

/** Why the path breaks the rule, or undefined when it is fine. */
function violation(wp: WritePath, mounts: readonly Mount[], created: readonly string[], readOnlyRoot: boolean): string | undefined {
  const p = norm(wp.path);
  const writable = mounts.filter((m) => !m.readOnly);
  const isWritableMount = (d: string) => writable.some((m) => m.mountPath === d);
  // mkdir -p of a created directory makes it and its ancestors exist.
  const isCreated = (d: string) => created.some((c) => within(c, d)) && mountFor(mounts, d)?.readOnly === false;
  const root = readOnlyRoot ? 'the root filesystem is read-only' : 'outside a volume it would not survive a restart';
  const head = `${wp.key} ${wp.path} (${wp.what})`;
  const where = describeMounts(mounts);
  if (wp.kind === 'file') {
    const dir = path.posix.dirname(p);
    const m = mountFor(mounts, p);
    if (m?.readOnly) return `${head} is a file in read-only mount ${m.mountPath} (${where}); ${wp.note}`;
    if (isWritableMount(dir) || isCreated(dir)) return undefined;
    return `${head} is a file whose directory ${dir} is no writable mount (${where})${m ? '' : `, ${root}`}; ${wp.note}`;
  }
  const m = mountFor(mounts, p);
  if (!m) return `${head} is a directory outside every mount (${where}), ${root}; ${wp.note}`;
  if (m.readOnly) return `${head} is a directory in read-only mount ${m.mountPath} (${where}); ${wp.note}`;
  if (wp.kind === 'dir-existing' && !isWritableMount(p) && !isCreated(p)) return `${head} is a directory that must exist but is no writable mount (${where}); ${wp.note}`;
  return undefined;
}

export const writablePaths: PolicyCheck = {
  name: NAME,
  description:
    'Every path a container is configured to write (Fluent Bit DB and storage.path, Prometheus/Alertmanager storage, Grafana data, Badger, Redis dir/pidfile/nodes file) ' +
    'lies in a writable volume that exists at start: a file directly in a writable mountPath (SQLite and fopen create no directories), a directory the program mkdir -p\'s inside one.',
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const t of podTemplates(objects)) {
      for (const { container, ref } of containersOf(t.spec)) {
        const image = typeof container.image === 'string' ? container.image : '';
        const repo = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
        const extractors = PATH_EXTRACTORS.filter((e) => e.image.test(repo));
        if (!extractors.length) continue;
        const mounts = mountsOf(container);
        const env = new Map<string, string>();
        for (const e of asArray<{ name?: unknown; value?: unknown }>(container.env)) if (isRecord(e) && typeof e.name === 'string' && typeof e.value === 'string') env.set(e.name, e.value);
        const argv = [...asArray<unknown>(container.command), ...asArray<unknown>(container.args)].filter((a): a is string => typeof a === 'string');
        const ctx: ExtractContext = { container, argv, env, readFile: (f) => readMountedFile(t, mounts, objects, f) };
        const problems: string[] = [];
        const paths = extractors.flatMap((e) => e.extract(ctx, problems));
        for (const pr of problems) findings.push(finding(NAME, t.owner, `${ref}: ${pr}`));
        const readOnlyRoot = isRecord(container.securityContext) && container.securityContext.readOnlyRootFilesystem === true;
        // Directories the same config makes the program create (mkdir -p), when they are themselves fine.
        const created = paths.filter((w) => w.kind === 'dir-mkdirp' && !violation(w, mounts, [], readOnlyRoot)).map((w) => norm(w.path));
        for (const w of paths) {
          const v = violation(w, mounts, created, readOnlyRoot);
          if (v) findings.push(finding(NAME, t.owner, `${ref}: ${v}`));
        }
      }
    }
    return findings;
  },
};
