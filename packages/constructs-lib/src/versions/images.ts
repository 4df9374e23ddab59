/**
 * Third-party container images the rendered YAML runs, pinned by tag, and by digest where the digest was
 * verified from a published source. A tag without a digest is listed in docs/versions.md under "digests to
 * resolve" (the render runs offline; resolve with `crane digest <image>` when network access is available).
 */
export interface ImagePin {
  readonly repository: string;
  readonly tag: string;
  /** sha256 digest, where verified. */
  readonly digest?: string;
  /** Non-root uid the image runs as. */
  readonly uid: number;
}

export const IMAGES = {
  /** PostgreSQL 17 + TimescaleDB 2.30 + PostGIS + pg_cron + Patroni 4 + pgBackRest (TimescaleDB 2.29 dropped PG15). */
  timescaledbHa: { repository: 'timescale/timescaledb-ha', tag: 'pg17.11-ts2.30.1', uid: 1000 },
  /** PgBouncer maintained by CloudNativePG. */
  pgbouncer: { repository: 'ghcr.io/cloudnative-pg/pgbouncer', tag: '1.25.2', digest: 'sha256:15c9765980546b8660ff105c06ad6ef9d2001fb9c5b31400021a1952cbe49930', uid: 998 },
  /** 0.17.x still supports --extend.query-path (custom queries for archiving and backup metrics). */
  postgresExporter: { repository: 'quay.io/prometheuscommunity/postgres-exporter', tag: 'v0.17.1', uid: 65534 },
  pgbouncerExporter: { repository: 'quay.io/prometheuscommunity/pgbouncer-exporter', tag: 'v0.12.1', uid: 65534 },
  /**
   * Redis 8.0.2: the exact version the real-server tests run (Debian 13's redis-server 8.0.2). 7.2+ is needed for
   * cluster-announce-human-nodename (it carries the pod's zone to the bootstrap Job). Licence RSALv2/SSPLv1/AGPLv3,
   * run unmodified (docs/versions.md).
   */
  redis: { repository: 'redis', tag: '8.0.2', uid: 999 },
  redisExporter: { repository: 'oliver006/redis_exporter', tag: 'v1.93.0', uid: 59000 },
  /** AWS CLI v2 (Pod Identity credentials) for uploading Redis snapshots. */
  awsCli: { repository: 'amazon/aws-cli', tag: '2.22.0', uid: 1000 },
  prometheus: { repository: 'quay.io/prometheus/prometheus', tag: 'v3.5.0', uid: 65534 },
  alertmanager: { repository: 'quay.io/prometheus/alertmanager', tag: 'v0.28.1', uid: 65534 },
  grafana: { repository: 'grafana/grafana', tag: '12.1.1', uid: 472 },
  /** Jaeger v2 (OpenTelemetry-collector based; v1 reached end of life). */
  jaeger: { repository: 'jaegertracing/jaeger', tag: '2.8.0', uid: 10001 },
  kubeStateMetrics: { repository: 'registry.k8s.io/kube-state-metrics/kube-state-metrics', tag: 'v2.16.0', uid: 65534 },
  nodeExporter: { repository: 'quay.io/prometheus/node-exporter', tag: 'v1.9.1', uid: 65534 },
  fluentBit: { repository: 'cr.fluentbit.io/fluent/fluent-bit', tag: '4.0.3', uid: 0 },
} as const satisfies Record<string, ImagePin>;

/** `repo:tag` or `repo:tag@sha256:...`. */
/** Non-root uid/gid the application images (backend, frontend) run as: their Dockerfiles create this user. */
export const APP_UID = 10001;

export function imageRef(pin: Pick<ImagePin, 'repository' | 'tag' | 'digest'>): string {
  return `${pin.repository}:${pin.tag}${pin.digest ? `@${pin.digest}` : ''}`;
}
