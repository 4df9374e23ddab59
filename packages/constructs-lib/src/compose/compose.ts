import { commentedYaml } from '../argocd/commented-yaml';
import type { EnvironmentConfig } from '../config/schema';
import { AUTH_POLICY_FILE } from '../k8s/auth-policy';
import { MONITORING_CONTAINER_RESOURCES } from '../k8s/monitoring/resources';
import { patroniConfig, postgresParameters, PG_PATHS, PG_ROLES } from '../k8s/postgres/postgres-files';
import { DATA_CONTAINER_RESOURCES } from '../k8s/postgres/resources';
import { REDIS_PATHS } from '../k8s/redis/redis-files';
import { appServiceWorkload } from '../config/app-schema';
import { type AppServiceSpec, BACKEND_CONTRACT, calledBy, composePasswordVariable, composeRedisVariable, type ContractEndpoints, contractEnvironment } from '../naming/services';
import { platformNames } from '../naming/naming';
import { memoryBytes } from '../util/quantity';
import { APP_UID, IMAGES, imageRef } from '../versions/images';
import { COMPOSE_MOUNTS, composeMountedFiles, composeServiceNames, OIDC_CLIENT_SECRET_ENV } from './files';
import { composeRef, composeVariables } from './variables';

/**
 * Local development parity: docker compose rendered from one environment's config (dev by default), with the
 * cluster's images (same tags and digests), ports, PostgreSQL bootstrap SQL and parameters, PgBouncer and Redis
 * configuration and the application's environment, pointed at compose service names. Pure: returns the files
 * (relative path -> content); scripts/render.ts writes them to dist/compose/.
 */

/** The environment the compose stack is rendered from. */
export const COMPOSE_ENVIRONMENT = 'dev';
export const COMPOSE_FILE = 'docker-compose.yaml';
/** Every published port binds here: nothing of the stack is reachable from the network. */
export const COMPOSE_BIND_ADDRESS = '127.0.0.1';

/**
 * PostgreSQL parameters of the cluster that compose leaves out, and why: the rest (memory sizing, preloaded
 * extensions, pg_cron database, WAL, password encryption, logging) is passed as `-c` flags, as Patroni sets them.
 */
export const CLUSTER_ONLY_POSTGRES_PARAMETERS: Readonly<Record<string, string>> = {
  archive_mode: 'WAL archiving to S3 through pgBackRest: no bucket and no pgBackRest repository locally',
  archive_command: 'WAL archiving to S3 through pgBackRest',
  archive_timeout: 'WAL archiving to S3 through pgBackRest',
  ssl: 'no TLS locally (the server certificate is issued by cert-manager in the cluster)',
  ssl_cert_file: 'no TLS locally',
  ssl_key_file: 'no TLS locally',
  ssl_min_protocol_version: 'no TLS locally',
};


const port = (p: number) => ({ target: p, published: p, host_ip: COMPOSE_BIND_ADDRESS, protocol: 'tcp' });
const bind = (source: string, target: string) => ({ type: 'bind', source: `./${source}`, target, read_only: true });
/** The cluster's memory limit as a compose mem_limit (binary units, like Kubernetes' Mi/Gi). */
function memLimit(q: string): string {
  const b = memoryBytes(q);
  return b % 1024 ** 3 === 0 ? `${b / 1024 ** 3}g` : `${Math.ceil(b / 1024 ** 2)}m`;
}
/** The cluster's restricted security context: non-root uid/gid, read-only root, no capabilities, no privilege gain. */
const restricted = (uid: number) => ({ user: `${uid}:${uid}`, read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'] });
const healthy = { condition: 'service_healthy' } as const;

/** initdb options of the cluster (Patroni's bootstrap.initdb) as POSTGRES_INITDB_ARGS. */
function initdbArgs(initdb: unknown): string {
  if (!Array.isArray(initdb)) throw new Error('patroniConfig bootstrap.initdb must be a list');
  return initdb.flatMap((o) => (typeof o === 'string' ? [`--${o}`] : Object.entries(o as Record<string, string>).map(([k, v]) => `--${k}=${v}`))).join(' ');
}

export function composeDocument(config: EnvironmentConfig) {
  const names = platformNames(config);
  const input = { config, names };
  const svc = names.services;
  const host = composeServiceNames(names);
  const vars = composeVariables(config);
  const ref = (name: string) => {
    const v = vars.find((x) => x.name === name);
    if (!v) throw new Error(`compose variable ${name} is not declared in composeVariables`);
    return composeRef(v);
  };
  const volume = (name: string) => ({ name: `${names.prefix}-${name}` });

  const pgParams = Object.entries(postgresParameters(input)).filter(([k]) => !(k in CLUSTER_ONLY_POSTGRES_PARAMETERS));
  const patroni = patroniConfig(input) as { bootstrap: { initdb: unknown } };

  // The application services of the services table, with the backend contract's environment (as the cluster's
  // <name>-config ConfigMap + <name>-secrets ExternalSecret) pointed at the compose hosts.
  const table = names.serviceTable;
  const endpoints: ContractEndpoints = {
    environment: config.name,
    // The cluster requires TLS to PgBouncer (cert-manager certificate); there is none locally.
    database: { host: host.pgbouncer, port: svc.pgbouncer.port, name: names.database.name, sslmode: 'disable' },
    redis: { host: host.redis, port: svc.redis.port },
    otlpEndpoint: `http://${host.jaeger}:${svc.tracing.port}`,
  };
  const secretVariable = (secret: string) => {
    if (secret.startsWith('postgres/')) return composePasswordVariable({ secret });
    if (secret.startsWith('redis/')) return composeRedisVariable({ secret });
    throw new Error(`compose: no variable for the contract secret ${secret}`);
  };
  const serviceEnv = (service: AppServiceSpec): Record<string, string> => ({
    ...contractEnvironment(table, service, endpoints, {
      extra: service.publicApi
        ? {
            AUTH_POLICY_FILE: `${COMPOSE_MOUNTS.authPolicyDir}/${AUTH_POLICY_FILE}`,
            // The browser loads the frontend from the loopback port.
            CORS_ALLOWED_ORIGINS: `http://localhost:${svc.frontend.port}`,
          }
        : {},
      secretValue: ({ secret }) => ref(secretVariable(secret)),
    }),
    ...Object.fromEntries(service.secrets.flatMap((e) => (e === 'contract' ? [] : [[e.key, ref(e.compose.variable)]]))),
    ...(service.publicApi && config.auth.sso.oidc ? { [OIDC_CLIENT_SECRET_ENV]: ref('OIDC_CLIENT_SECRET') } : {}),
  });
  const appService = (service: AppServiceSpec) => {
    const workload = appServiceWorkload(config.app, service.name);
    return {
      image: imageRef(workload.image),
      ...restricted(APP_UID),
      environment: serviceEnv(service),
      ...(service.publicApi ? { volumes: [bind('backend/auth-policy.json', `${COMPOSE_MOUNTS.authPolicyDir}/${AUTH_POLICY_FILE}`)] } : {}),
      tmpfs: ['/tmp'],
      ports: [port(service.port), port(service.metricsPort)],
      depends_on: {
        ...(service.database !== undefined ? { [host.pgbouncer]: healthy } : {}),
        ...(service.redis !== undefined ? { [host.redis]: healthy } : {}),
        ...Object.fromEntries(calledBy(table, service.name).map((callee) => [callee.name, healthy])),
        [host.jaeger]: { condition: 'service_started' },
      },
      // The readiness endpoint on the container's own address, as the kubelet probes the pod IP.
      healthcheck: {
        test: ['CMD', 'python', '-c', `import socket, urllib.request; urllib.request.urlopen('http://%s:${service.port}${BACKEND_CONTRACT.probes.readiness}' % socket.gethostname(), timeout=2)`],
        interval: '10s',
        timeout: '3s',
        retries: 6,
        start_period: '120s',
      },
      mem_limit: memLimit(workload.resources.limits.memory),
      stop_grace_period: '30s',
      restart: 'unless-stopped',
    };
  };

  const services = {
    [host.postgres]: {
      image: imageRef(IMAGES.timescaledbHa),
      ...restricted(IMAGES.timescaledbHa.uid),
      command: ['postgres', ...pgParams.flatMap(([k, v]) => ['-c', `${k}=${v}`])],
      environment: {
        POSTGRES_PASSWORD: ref('POSTGRES_PASSWORD'),
        POSTGRES_INITDB_ARGS: initdbArgs(patroni.bootstrap.initdb),
        // Memory parameters come from the config (the -c flags), not from timescaledb-tune.
        NO_TS_TUNE: 'true',
        // The passwords init.sql sets for the roles something local logs in with (services table, INIT_SQL_PASSWORDS).
        ...Object.fromEntries(table.databaseRoles.filter((r) => r.compose).map((r) => [composePasswordVariable(r), ref(composePasswordVariable(r))])),
      },
      volumes: [
        { type: 'volume', source: 'postgres-data', target: PG_PATHS.volume },
        bind('postgres/init.sql', COMPOSE_MOUNTS.initSql),
        bind('postgres/init-hook.sh', COMPOSE_MOUNTS.initHook),
      ],
      tmpfs: [PG_PATHS.socket, '/tmp'],
      ports: [port(svc.postgres.port)],
      // TCP, not the socket: the entrypoint's temporary init server listens on the socket only, so the service is
      // healthy only once init.sql has run and the real server is up.
      healthcheck: { test: ['CMD', 'pg_isready', '-h', '127.0.0.1', '-p', String(svc.postgres.port), '-U', PG_ROLES.superuser, '-d', names.database.name], interval: '5s', timeout: '3s', retries: 10, start_period: '120s' },
      mem_limit: memLimit(config.database.resources.limits.memory),
      stop_signal: 'SIGINT',
      stop_grace_period: '60s',
      restart: 'unless-stopped',
    },
    [host.pgbouncer]: {
      image: imageRef(IMAGES.pgbouncer),
      ...restricted(IMAGES.pgbouncer.uid),
      entrypoint: ['/bin/sh', COMPOSE_MOUNTS.pgbouncerStart],
      environment: { POSTGRES_POOLER_PASSWORD: ref('POSTGRES_POOLER_PASSWORD') },
      volumes: [bind('pgbouncer/pgbouncer.ini', COMPOSE_MOUNTS.pgbouncerIni), bind('pgbouncer/start.sh', COMPOSE_MOUNTS.pgbouncerStart)],
      tmpfs: [COMPOSE_MOUNTS.pgbouncerAuthDir, '/tmp'],
      ports: [port(svc.pgbouncer.port)],
      depends_on: { [host.postgres]: healthy },
      // A TCP check, like the cluster's tcpSocket probe.
      healthcheck: { test: ['CMD', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${svc.pgbouncer.port}`], interval: '5s', timeout: '3s', retries: 10 },
      mem_limit: memLimit(DATA_CONTAINER_RESOURCES.pgbouncer.limits.memory),
      restart: 'unless-stopped',
    },
    [host.redis]: {
      image: imageRef(IMAGES.redis),
      ...restricted(IMAGES.redis.uid),
      command: ['/bin/sh', COMPOSE_MOUNTS.redisStart],
      environment: Object.fromEntries(table.redisUsers.filter((u) => u.compose).map((u) => [composeRedisVariable(u), ref(composeRedisVariable(u))])),
      volumes: [{ type: 'volume', source: 'redis-data', target: REDIS_PATHS.data }, bind('redis/redis.conf', COMPOSE_MOUNTS.redisConf), bind('redis/start.sh', COMPOSE_MOUNTS.redisStart)],
      tmpfs: [REDIS_PATHS.acl, '/tmp'],
      ports: [port(svc.redis.port)],
      // Healthy once the node serves every slot (cluster_state:ok), not merely once it accepts connections.
      healthcheck: { test: ['CMD-SHELL', `REDISCLI_AUTH="$$REDIS_DEFAULT_PASSWORD" redis-cli -p ${svc.redis.port} cluster info | grep -q '^cluster_state:ok'`], interval: '5s', timeout: '3s', retries: 10, start_period: '30s' },
      // maxmemory in redis.conf is a share of this limit, as in the cluster.
      mem_limit: memLimit(config.redis.resources.limits.memory),
      stop_grace_period: '30s',
      restart: 'unless-stopped',
    },
    [host.jaeger]: {
      image: imageRef(IMAGES.jaeger),
      ...restricted(IMAGES.jaeger.uid),
      command: ['--config', COMPOSE_MOUNTS.jaegerConfig],
      volumes: [bind('jaeger/jaeger.yaml', COMPOSE_MOUNTS.jaegerConfig)],
      tmpfs: ['/tmp'],
      ports: [port(svc.tracing.port), port(svc.tracing.httpPort!), port(svc.tracingQuery.port)],
      mem_limit: memLimit(MONITORING_CONTAINER_RESOURCES.jaeger.limits.memory),
      restart: 'unless-stopped',
    },
    ...Object.fromEntries(table.appServices.map((s) => [s.name, appService(s)])),
    [host.frontend]: {
      image: imageRef(config.app.frontend.image),
      ...restricted(APP_UID),
      environment: {
        // The browser calls the API on the backend's loopback port.
        NEXT_PUBLIC_API_URL: `http://localhost:${svc.backend.port}`,
        API_INTERNAL_URL: `http://${host.backend}:${svc.backend.port}`,
        NODE_ENV: 'production',
      },
      tmpfs: ['/tmp', '/app/.next/cache'],
      ports: [port(svc.frontend.port)],
      depends_on: { [host.backend]: healthy },
      healthcheck: {
        test: ['CMD', 'node', '-e', `fetch('http://' + require('os').hostname() + ':${svc.frontend.port}/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        interval: '10s',
        timeout: '3s',
        retries: 6,
        start_period: '120s',
      },
      mem_limit: memLimit(config.app.frontend.resources.limits.memory),
      stop_grace_period: '30s',
      restart: 'unless-stopped',
    },
  };
  return { services, volumes: { 'postgres-data': volume('postgres-data'), 'redis-data': volume('redis-data') } };
}

export type ComposeDocument = ReturnType<typeof composeDocument>;

function header(config: EnvironmentConfig): string {
  const names = platformNames(config);
  return [
    `Local development stack, rendered from the ${config.name} environment config by \`npm run synth\``,
    '(packages/constructs-lib/src/compose). Do not edit: change the config or the renderer and re-render.',
    '',
    `Same images (tags and digests), ports, bootstrap SQL, PostgreSQL parameters, PgBouncer and Redis configuration and`,
    `application settings as dist/k8s/${config.name}, with compose service names in place of cluster DNS names.`,
    'Secrets are not in this file: it interpolates them from a git-ignored .env (template: .env.example).',
    '',
    '  cp .env.example .env     # set every required value (local throwaway values)',
    `  docker compose -p ${names.prefix} --env-file .env -f dist/compose/${COMPOSE_FILE} up -d`,
    '',
    `The app images are in the ${config.name} account's ECR: \`aws ecr get-login-password | docker login ...\` first.`,
    `Every port is published on ${COMPOSE_BIND_ADDRESS} only. Jaeger UI: http://${COMPOSE_BIND_ADDRESS}:${names.services.tracingQuery.port}`,
  ].join('\n');
}

const SERVICE_COMMENTS: Record<keyof ReturnType<typeof composeServiceNames>, string> = {
  postgres: [
    'PostgreSQL + TimescaleDB, the cluster image and parameters, one server started by the image entrypoint instead',
    'of Patroni (one member: nothing to fail over). Left out: WAL archiving and backups (pgBackRest to S3), TLS',
    '(cert-manager certificates), the cluster pg_hba (hostssl from the VPC): the image default applies',
    '(scram-sha-256 over TCP). init.sql runs once, on the empty volume (postgres/init-hook.sh).',
  ].join('\n'),
  pgbouncer: 'The cluster pooler: same image, transaction pooling, auth_query and pool sizes; no TLS locally.',
  redis: [
    'Redis Cluster mode with one node holding all 16384 slots (the cluster runs several primaries): the backend',
    "cluster client, slot hashing and CROSSSLOT errors behave as in the cluster; MOVED redirects between nodes and",
    'failover are not exercised. The node announces itself as `redis`, which resolves only inside the compose',
    'network: from the host use `docker compose exec redis redis-cli -c`.',
  ].join('\n'),
  jaeger: [
    'Jaeger v2 with the cluster configuration, in-memory storage (traces are lost on restart). No healthcheck: it',
    'runs inside the container and the image need not ship a shell or HTTP client (the kubelet probes /status from',
    'outside). Tracing is diagnostic: the backend only waits for it to start and its OTLP exporter retries.',
  ].join('\n'),
  backend: 'Environment of the cluster (configmap backend-config + secret backend-secrets) with compose hosts and no database TLS.',
  frontend: 'Environment of the cluster (configmap frontend-config); NEXT_PUBLIC_* values baked into the image at build time win.',
};

/**
 * docker-compose.yaml and the files it mounts (relative path -> content). Pure: no I/O, the same config always
 * renders the same bytes.
 */
export function renderCompose(config: EnvironmentConfig): Map<string, string> {
  const names = platformNames(config);
  const host = composeServiceNames(names);
  const doc = composeDocument(config);
  const comments = Object.fromEntries(Object.entries(SERVICE_COMMENTS).map(([k, c]) => [`services.${host[k as keyof typeof host]}`, c]));
  const files = new Map<string, string>([[COMPOSE_FILE, commentedYaml(doc, header(config), comments)]]);
  for (const [rel, content] of composeMountedFiles({ config, names })) files.set(rel, content);
  return files;
}
