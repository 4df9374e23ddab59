import type { EnvironmentConfig } from '../../config/schema';
import { redisMaxmemoryBytes } from '../../config/redis-schema';
import type { PlatformNames } from '../../naming/naming';

/**
 * Redis configuration files, pure functions of the config, rendered into a ConfigMap and read back from dist/ by
 * the real-server tests.
 */
export const REDIS_PATHS = { data: '/data', config: '/etc/redis', acl: '/etc/redis/acl' } as const;
export const REDIS_USERS = { default: 'default', app: 'optibid_app', exporter: 'exporter', replication: 'replication' } as const;

export interface RedisFileInput {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
}

export const REDIS_HEADLESS = 'redis-headless';

/** Pods of the StatefulSet: primaries x (1 + replicas per primary). */
export function redisPodCount(config: EnvironmentConfig): number {
  return config.redis.primaries * (1 + config.redis.replicasPerPrimary);
}

export function redisConf({ config, names }: RedisFileInput): string {
  const r = config.redis;
  const port = names.services.redis.port;
  return `# Rendered by the platform. Pod-specific values (announce hostname, zone) come from start.sh.
port ${port}
bind 0.0.0.0
protected-mode yes
tcp-keepalive 60
timeout 0
loglevel notice
logfile ""

# Cluster mode: hostnames (stable across pod restarts with new IPs) through the headless Service.
cluster-enabled yes
cluster-config-file ${REDIS_PATHS.data}/nodes.conf
cluster-node-timeout 5000
cluster-preferred-endpoint-type hostname
cluster-replica-validity-factor 10
cluster-allow-replica-migration yes
# A lost shard must not take the other shards' sessions down with it.
cluster-require-full-coverage no

# Persistence: AOF every second with an RDB preamble; RDB snapshots are taken by the backup job from a replica.
dir ${REDIS_PATHS.data}
appendonly yes
appendfsync everysec
aof-use-rdb-preamble yes
appenddirname "appendonlydir"
auto-aof-rewrite-percentage 100
auto-aof-rewrite-min-size 64mb
save ""

# Memory: ${r.maxmemoryPercent} % of the ${r.resources.limits.memory} limit; the rest is replication buffers and AOF-rewrite headroom.
maxmemory ${redisMaxmemoryBytes(r)}
maxmemory-policy volatile-lru
lazyfree-lazy-eviction yes
lazyfree-lazy-expire yes

# Replication.
replica-read-only yes
repl-diskless-sync yes
masteruser ${REDIS_USERS.replication}

# Users (ACL) and the replication password: files rendered by an ExternalSecret, never in git.
aclfile ${REDIS_PATHS.acl}/users.acl
include ${REDIS_PATHS.acl}/replication.conf
`;
}

/**
 * ACL users as an ExternalSecret template (Go template placeholders are filled by External Secrets in the cluster).
 * The application user has no admin or dangerous commands (CONFIG, FLUSHALL, DEBUG, KEYS, SHUTDOWN...).
 */
export function aclTemplate(): string {
  return [
    `user ${REDIS_USERS.default} on >{{ .default }} ~* &* +@all`,
    `user ${REDIS_USERS.app} on >{{ .app }} ~* &* +@all -@admin -@dangerous +cluster|slots +cluster|shards +cluster|nodes +cluster|info +cluster|myid +info +readonly +readwrite`,
    `user ${REDIS_USERS.exporter} on >{{ .exporter }} ~* &* -@all +@connection +info +ping +cluster|info +cluster|nodes +config|get +latency|latest +slowlog|get +slowlog|len +client|list +memory|stats +dbsize +scan +type`,
    `user ${REDIS_USERS.replication} on >{{ .replication }} -@all +psync +sync +replconf +ping`,
    '',
  ].join('\n');
}

/** CIDR -> zone table of the private subnets (pods get VPC addresses from their node's subnet). */
export function zoneTable(config: EnvironmentConfig): string {
  return config.network.privateSubnetCidrs.map((c, i) => `${c} ${config.availabilityZones[i]}`).join('\n') + '\n';
}

/** Container start: finds the node's zone from its IP, announces hostname and zone, runs redis-server. */
export function startScript({ names }: RedisFileInput): string {
  return `#!/bin/sh
# Starts one Redis Cluster node. HOST_IP and POD_NAME come from the Downward API.
set -eu
ZONE=$(awk -v ip="$HOST_IP" '
  function n(a,  p) { split(a, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
  { split($1, c, "/"); b = n(c[1]); if (n(ip) >= b && n(ip) < b + 2 ^ (32 - c[2])) { print $2; exit } }' ${REDIS_PATHS.config}/zones.txt)
exec redis-server ${REDIS_PATHS.config}/redis.conf \\
  --cluster-announce-hostname "$POD_NAME.${REDIS_HEADLESS}.${names.namespaces.data}.svc.cluster.local" \\
  --cluster-announce-human-nodename "\${ZONE:-unknown}"
`;
}

/**
 * Idempotent cluster formation: waits for every node, does nothing when the cluster is already formed, refuses to
 * touch a half-formed one, otherwise picks primaries one per zone and gives each a replica from another zone.
 * Inputs (environment): NODES (host:port list), REPLICAS (per primary), REDISCLI_AUTH (the default user's password).
 * REDIS_ZONES may list the nodes' zones in NODES order (tests on Redis < 7.2, which has no human node name).
 */
export function bootstrapScript(): string {
  return `#!/bin/sh
set -eu
: "\${NODES:?}" "\${REPLICAS:?}"
cli() { node=$1; shift; redis-cli -h "\${node%:*}" -p "\${node##*:}" "$@"; }

for n in $NODES; do
  until cli "$n" ping 2>/dev/null | grep -q PONG; do echo "waiting for $n"; sleep 2; done
done

for n in $NODES; do
  if cli "$n" cluster info | grep -q '^cluster_slots_assigned:16384'; then
    echo "cluster already formed (seen from $n): nothing to do"
    exit 0
  fi
done
for n in $NODES; do
  if ! cli "$n" cluster info | grep -q '^cluster_known_nodes:1[^0-9]'; then
    echo "$n already knows other nodes but not all slots are assigned: not touching a partly formed cluster (see docs/runbooks/redis.md)" >&2
    exit 1
  fi
done

# Zone of every node, in NODES order.
if [ -n "\${REDIS_ZONES:-}" ]; then
  zones=$REDIS_ZONES
else
  zones=""
  for n in $NODES; do
    z=$(cli "$n" config get cluster-announce-human-nodename | sed -n 2p)
    zones="$zones \${z:-unknown}"
  done
fi

# Plan: primaries round-robin over zones; each remaining node replicates the least-served primary in another zone.
# shellcheck disable=SC2086
set -- $zones
lines=""
for n in $NODES; do
  lines="$lines$n \${1:-unknown}
"
  if [ $# -gt 0 ]; then shift; fi
done
plan=$(printf '%s' "$lines" | awk -v reps="$REPLICAS" '
  { node[NR] = $1; zone[NR] = $2; count = NR }
  END {
    primaries = count / (reps + 1)
    np = 0
    for (round = 0; np < primaries && round < count; round++) {
      delete used
      for (i = 1; i <= count && np < primaries; i++) {
        if (taken[i] || used[zone[i]]) continue
        used[zone[i]] = 1; taken[i] = 1; np++; prim[np] = i
      }
    }
    # Ties go to the primary whose own zone still has the most replicas to place (those can never serve it).
    for (i = 1; i <= count; i++) if (!taken[i]) left[zone[i]]++
    for (i = 1; i <= count; i++) {
      if (taken[i]) continue
      left[zone[i]]--
      best = 0
      for (p = 1; p <= np; p++) {
        if (zone[prim[p]] == zone[i] && zone[i] != "unknown") continue
        if (best == 0 || load[p] < load[best] || (load[p] == load[best] && left[zone[prim[p]]] > left[zone[prim[best]]])) best = p
      }
      if (best == 0) { for (p = 1; p <= np; p++) if (best == 0 || load[p] < load[best]) best = p }
      load[best]++
      print "replica", node[i], node[prim[best]]
    }
    for (p = 1; p <= np; p++) print "primary", node[prim[p]]
  }')
echo "$plan"

primaries=$(echo "$plan" | awk '$1 == "primary" { print $2 }')
# shellcheck disable=SC2086
redis-cli --cluster create $primaries --cluster-replicas 0 --cluster-yes
echo "$plan" | awk '$1 == "replica" { print $2, $3 }' | while read -r replica primary; do
  id=$(cli "$primary" cluster myid)
  redis-cli --cluster add-node "$replica" "$primary" --cluster-slave --cluster-master-id "$id"
done

first=$(echo "$primaries" | head -n 1)
until cli "$first" cluster info | grep -q '^cluster_state:ok'; do sleep 1; done
echo "cluster formed:"
cli "$first" cluster nodes
`;
}

/** Daily snapshot: an RDB from one replica (or primary, when there is none) of every shard, then uploaded. */
export function snapshotScript(): string {
  return `#!/bin/sh
# Runs in the backup Job's init container: one RDB per shard into /backup.
set -eu
: "\${SEED:?}"
host=\${SEED%:*}; port=\${SEED##*:}
redis-cli -h "$host" -p "$port" --user default cluster nodes > /backup/cluster-nodes.txt
shard=0
for primary in $(awk '$3 ~ /master/ && $3 !~ /fail/ { print $1 }' /backup/cluster-nodes.txt); do
  src=$(awk -v p="$primary" '$4 == p && $3 ~ /slave/ && $3 !~ /fail/ && $8 == "connected" { print $2; exit }' /backup/cluster-nodes.txt)
  [ -n "$src" ] || src=$(awk -v p="$primary" '$1 == p { print $2 }' /backup/cluster-nodes.txt)
  addr=\${src%%@*}; name=\${src##*,}
  [ "$name" != "$src" ] || name=\${addr%:*}
  echo "shard $shard: snapshot from $name"
  REDISCLI_AUTH="$REPLICATION_PASSWORD" redis-cli -h "$name" -p "\${addr##*:}" --user ${REDIS_USERS.replication} --rdb "/backup/shard-$shard.rdb"
  shard=$((shard + 1))
done
[ "$shard" -gt 0 ] || { echo "no primaries found" >&2; exit 1; }
`;
}
