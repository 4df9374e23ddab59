/**
 * Facts the smoke tests need, read from the rendered YAML rather than repeated here: probe paths, container names,
 * where a pod keeps its credentials. A rename in the render then changes the smoke test with it.
 */
import * as path from 'path';
import type { PlatformNames } from '@optibid/constructs-lib';
import { readObject } from './dist-tree';

export type Fact<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export interface SmokeFacts {
  readonly backendProbes: Fact<{ readonly liveness: string; readonly readiness: string }>;
  /** Container of the PgBouncer Deployment that listens on the PgBouncer port. */
  readonly pgbouncerContainer: Fact<string>;
  readonly redisAuth: Fact<{ readonly container: string; readonly aclFile: string; readonly user: string }>;
  readonly prometheusContainer: Fact<string>;
}

type Obj = Record<string, unknown>;
interface Container {
  name: string;
  ports?: { containerPort?: number }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string }[];
  livenessProbe?: { httpGet?: { path?: string } };
  readinessProbe?: { httpGet?: { path?: string } };
}
interface Volume {
  name: string;
  secret?: { items?: { key: string; path: string }[] };
}

const ok = <T>(value: T): Fact<T> => ({ ok: true, value });
const fail = <T>(problem: string): Fact<T> => ({ ok: false, problem });

function podSpec(obj: Obj | undefined): { containers: Container[]; volumes: Volume[] } | undefined {
  const spec = (obj?.spec as Obj | undefined)?.template as Obj | undefined;
  const pod = spec?.spec as { containers?: Container[]; volumes?: Volume[] } | undefined;
  return pod?.containers ? { containers: pod.containers, volumes: pod.volumes ?? [] } : undefined;
}

function containerOnPort(containers: readonly Container[], port: number): Container | undefined {
  return containers.find((c) => (c.ports ?? []).some((p) => p.containerPort === port));
}

export function readSmokeFacts(k8sEnvDir: string, names: PlatformNames): SmokeFacts {
  const s = names.services;
  const load = (namespace: string, kind: string, name: string) => {
    const rel = `${namespace}/${kind}-${name}.yaml`;
    return { rel, pod: podSpec(readObject(path.join(k8sEnvDir, rel))) };
  };

  const backend = load(s.backend.namespace, 'deployment', s.backend.name);
  const backendContainer = backend.pod && containerOnPort(backend.pod.containers, s.backend.port);
  const liveness = backendContainer?.livenessProbe?.httpGet?.path;
  const readiness = backendContainer?.readinessProbe?.httpGet?.path;
  const backendProbes =
    liveness && readiness ? ok({ liveness, readiness }) : fail<{ liveness: string; readiness: string }>(`${backend.rel}: no container on port ${s.backend.port} with HTTP liveness and readiness probes`);

  const pgbouncer = load(s.pgbouncer.namespace, 'deployment', s.pgbouncer.name);
  const pgbouncerC = pgbouncer.pod && containerOnPort(pgbouncer.pod.containers, s.pgbouncer.port);
  const pgbouncerContainer = pgbouncerC ? ok(pgbouncerC.name) : fail<string>(`${pgbouncer.rel}: no container on port ${s.pgbouncer.port}`);

  // The redis container has no password in its env: the passwords reach it as the ACL file mounted from the
  // redis-auth Secret. The exporter container has one (REDIS_PASSWORD), but its image has no shell or redis-cli, so
  // the check runs redis-cli in the redis container as the exporter's user (least privilege: it may run CLUSTER INFO),
  // reading that user's password from the mounted ACL file.
  const redis = load(s.redis.namespace, 'statefulset', s.redis.name);
  let redisAuth: SmokeFacts['redisAuth'] = fail(`${redis.rel}: not found or has no containers`);
  if (redis.pod) {
    const server = containerOnPort(redis.pod.containers, s.redis.port);
    const aclVolume = redis.pod.volumes.find((v) => (v.secret?.items ?? []).some((i) => i.key === 'users.acl'));
    const aclItem = aclVolume?.secret?.items?.find((i) => i.key === 'users.acl');
    const mount = server?.volumeMounts?.find((m) => m.name === aclVolume?.name);
    const exporter = redis.pod.containers.find((c) => (c.env ?? []).some((e) => e.name === 'REDIS_PASSWORD'));
    const user = exporter?.env?.find((e) => e.name === 'REDIS_USER')?.value;
    if (!server) redisAuth = fail(`${redis.rel}: no container on port ${s.redis.port}`);
    else if (!aclItem || !mount) redisAuth = fail(`${redis.rel}: container ${server.name} mounts no Secret item users.acl`);
    else if (!user) redisAuth = fail(`${redis.rel}: no exporter container with REDIS_USER/REDIS_PASSWORD to borrow the user of`);
    else redisAuth = ok({ container: server.name, aclFile: `${mount.mountPath.replace(/\/$/, '')}/${aclItem.path}`, user });
  }

  const prometheus = load(s.prometheus.namespace, 'statefulset', s.prometheus.name);
  const promC = prometheus.pod && containerOnPort(prometheus.pod.containers, s.prometheus.port);
  const prometheusContainer = promC ? ok(promC.name) : fail<string>(`${prometheus.rel}: no container on port ${s.prometheus.port}`);

  return { backendProbes, pgbouncerContainer, redisAuth, prometheusContainer };
}
