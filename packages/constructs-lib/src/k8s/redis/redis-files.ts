import type { EnvironmentConfig } from '../../config/schema';
import { redisMaxmemoryBytes } from '../../config/redis-schema';
import type { PlatformNames } from '../../naming/naming';
import { PLATFORM_SERVICE_TABLE, REDIS_ACL_USERS, secretSuffix, type ServiceTable } from '../../naming/services';

/**
 * Redis configuration files, pure functions of the config, rendered into a ConfigMap and read back from dist/ by
 * the real-server tests.
 */
export const REDIS_PATHS = { data: '/data', config: '/etc/redis', acl: '/etc/redis/acl' } as const;
type UserKey<S> = S extends `redis/${infer K}` ? K : never;
/** The platform's Redis ACL users by secret suffix (REDIS_USERS.app = optibid_app), from the services table. */
export const REDIS_USERS = Object.fromEntries(REDIS_ACL_USERS.map((u) => [secretSuffix(u.secret), u.user])) as {
  readonly [U in (typeof REDIS_ACL_USERS)[number] as UserKey<U['secret']>]: U['user'];
};

export interface RedisFileInput {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
}

export const REDIS_HEADLESS = 'redis-headless';

/**
 * The AOF files (redis.conf appenddirname/appendfilename). With `appendonly yes` Redis loads only what
 * `<dir>/<appenddirname>/<appendfilename>.manifest` names and never reads dump.rdb (redis 8.0.2 src/server.c
 * loadDataFromDisk: AOF_ON -> loadAppendOnlyFiles only), so a restored snapshot must become the AOF base: a file
 * `<appendfilename>.1.base.rdb` and a manifest line `file <name> seq 1 type b` (src/aof.c aofInfoFormat,
 * aofLoadManifestFromFile; the loader checks the RDB signature, not the suffix).
 */
export const REDIS_AOF = {
  dirname: 'appendonlydir',
  filename: 'appendonly.aof',
  base: 'appendonly.aof.1.base.rdb',
  manifest: 'appendonly.aof.manifest',
} as const;

/** Where the restore procedure (docs/runbooks/redis.md) stages a shard's snapshot; start.sh makes it the AOF base. */
export const REDIS_RESTORE_STAGED = `${REDIS_PATHS.data}/restore/base.rdb`;

/** How long start.sh waits for its peers' DNS records before repairing nodes.conf with what resolved. */
export const REDIS_PEER_DNS_WAIT_SECONDS = 30;

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
appenddirname "${REDIS_AOF.dirname}"
appendfilename "${REDIS_AOF.filename}"
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
 * ACL users as an ExternalSecret template (Go template placeholders are filled by External Secrets in the cluster),
 * one per Redis user of the services table, with its rule there; the placeholder is the user's key in the redis-auth
 * Secret (redisAuthKeys). The application user has no admin or dangerous commands (CONFIG, FLUSHALL, DEBUG, KEYS,
 * SHUTDOWN...).
 */
export function aclTemplate(table: ServiceTable = PLATFORM_SERVICE_TABLE): string {
  return [...table.redisUsers.map((u) => `user ${u.user} on >{{ .${secretSuffix(u.secret)} }} ${u.acl}`), ''].join('\n');
}

/** Keys of the redis-auth ExternalSecret: one per Redis user (its password), named by the secret's suffix. */
export function redisAuthKeys(table: ServiceTable): { key: string; from: string }[] {
  return table.redisUsers.map((u) => ({ key: secretSuffix(u.secret), from: u.secret }));
}

/** CIDR -> zone table of the private subnets (pods get VPC addresses from their node's subnet). */
export function zoneTable(config: EnvironmentConfig): string {
  return config.network.privateSubnetCidrs.map((c, i) => `${c} ${config.availabilityZones[i]}`).join('\n') + '\n';
}

/**
 * Container start: applies a staged restore, repairs the peers' addresses in nodes.conf, finds the node's zone from
 * its IP, announces hostname and zone, runs redis-server.
 *
 * Why the nodes.conf repair: the cluster bus connects to the IP stored for each peer, never to its hostname (redis
 * 8.0.2 src/cluster_legacy.c clusterNodeCronHandleReconnect: connConnect(node->ip, node->cport)), and a stored
 * address is corrected only by a PING arriving from that peer (nodeUpdateAddressIfNeeded) or by gossip from a node
 * that still reaches it (clusterProcessGossipSection). When every pod restarts with a new IP at once, no node has a
 * current address of any other and the cluster never re-forms. Each node line carries `ip:port@cport,hostname`
 * (clusterLoadConfig), so start.sh points every peer at what its announced hostname resolves to now, and clears its
 * own address, which Redis then re-learns from the first peer that connects (clusterProcessPacket: "if we don't
 * have an address at all, we update the address even with a normal PING packet").
 * IPv4 (getent ahostsv4): `bind 0.0.0.0` listens on IPv4 only. The image is Debian-based (redis:8.0.2 on
 * debian-slim): /bin/sh (dash), awk (mawk), getent (libc-bin) and coreutils are there, nothing else is assumed.
 */
export function startScript({ names }: RedisFileInput): string {
  const d = REDIS_PATHS.data;
  return `#!/bin/sh
# Starts one Redis Cluster node. HOST_IP and POD_NAME come from the Downward API.
set -eu
aof_dir=${d}/${REDIS_AOF.dirname}
staged=${REDIS_RESTORE_STAGED}
nodes_conf=${d}/nodes.conf

# 1. A restore staged by docs/runbooks/redis.md ("Restore from a backup"). With appendonly yes Redis loads only the
# AOF its manifest names and ignores dump.rdb (src/server.c loadDataFromDisk), so the snapshot becomes the AOF base
# (src/aof.c: base file <appendfilename>.1.base.rdb, manifest line "file <name> seq 1 type b"). The current AOF is
# kept next to it until the runbook removes it; a start interrupted half-way redoes the restore.
if [ -f "$staged" ]; then
  if ! check=$(redis-check-rdb "$staged" 2>&1); then
    printf '%s\\n' "$check" >&2
    echo "restore: $staged is not a valid RDB file: not starting (docs/runbooks/redis.md)" >&2
    exit 1
  fi
  rm -rf "$aof_dir.restoring"
  mkdir "$aof_dir.restoring"
  ln "$staged" "$aof_dir.restoring/${REDIS_AOF.base}"
  printf 'file %s seq 1 type b\\n' ${REDIS_AOF.base} > "$aof_dir.restoring/${REDIS_AOF.manifest}"
  if [ -d "$aof_dir" ]; then mv "$aof_dir" "$aof_dir.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"; fi
  mv "$aof_dir.restoring" "$aof_dir"
  rm "$staged"
  echo "restore: $aof_dir/${REDIS_AOF.base} ($(wc -c < "$aof_dir/${REDIS_AOF.base}") bytes) is the AOF base now; the previous AOF is kept as $aof_dir.before-restore-*"
fi

# 2. Peers' addresses from their announced hostnames (all pods may have restarted with new IPs at once).
if [ -s "$nodes_conf" ]; then
  peers=$(awk '$1 != "vars" && $3 !~ /myself/ { split($2, a, ","); if (a[2] != "" && !seen[a[2]]++) print a[2] }' "$nodes_conf")
  tries=0
  while :; do
    resolved=""
    missing=""
    for h in $peers; do
      ip=$(getent ahostsv4 "$h" | awk 'NR == 1 { print $1 }')
      if [ -n "$ip" ]; then resolved="$resolved $h=$ip"; else missing="$missing $h"; fi
    done
    if [ -z "$missing" ] || [ "$tries" -ge ${REDIS_PEER_DNS_WAIT_SECONDS / 2} ]; then break; fi
    echo "nodes.conf: no address yet for$missing (retrying for up to ${REDIS_PEER_DNS_WAIT_SECONDS} s)"
    tries=$((tries + 1))
    sleep 2
  done
  if [ -n "$missing" ]; then echo "nodes.conf: keeping the stored address of$missing"; fi
  awk -v map="$resolved" '
    BEGIN { n = split(map, m, " "); for (i = 1; i <= n; i++) { j = index(m[i], "="); ip[substr(m[i], 1, j - 1)] = substr(m[i], j + 1) } }
    $1 == "vars" || NF < 8 { print; next }
    {
      k = split($2, a, ",")
      if (!match(a[1], /:[0-9]+(@[0-9]+)?$/)) { print; next }
      old = substr(a[1], 1, RSTART - 1)
      if ($3 ~ /(^|,)myself(,|$)/) new = ""
      else if (k > 1 && (a[2] in ip)) new = ip[a[2]]
      else new = old
      if (new != old) printf "nodes.conf: %s %s %s -> %s\\n", substr($1, 1, 8), (k > 1 && a[2] != "" ? a[2] : "-"), (old == "" ? "(none)" : old), (new == "" ? "(re-learnt from peers)" : new) > "/dev/stderr"
      $2 = new substr($2, RSTART)
      print
    }' "$nodes_conf" > "$nodes_conf.repair"
  mv "$nodes_conf.repair" "$nodes_conf"
fi

# 3. The node's zone from its node's IP, announced as the human node name (the bootstrap Job reads it).
ZONE=$(awk -v ip="$HOST_IP" '
  function n(a,  p) { split(a, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
  { split($1, c, "/"); b = n(c[1]); if (n(ip) >= b && n(ip) < b + 2 ^ (32 - c[2])) { print $2; exit } }' ${REDIS_PATHS.config}/zones.txt)
exec redis-server ${REDIS_PATHS.config}/redis.conf \\
  --cluster-announce-hostname "$POD_NAME.${REDIS_HEADLESS}.${names.namespaces.data}.svc.cluster.local" \\
  --cluster-announce-human-nodename "\${ZONE:-unknown}"
`;
}

/**
 * Idempotent cluster formation: waits for every node; does nothing when the cluster is formed and every node reports
 * cluster_state:ok; repairs a formed cluster that is not ok; refuses to touch a half-formed one; otherwise picks
 * primaries one per zone and gives each a replica from another zone.
 * Inputs (environment): NODES (host:port list), REPLICAS (per primary), REDISCLI_AUTH (the default user's password).
 *
 * Repair, not only a loud failure: a formed cluster whose nodes report cluster_state:fail is, after a restart of all
 * pods, usually one whose nodes.conf addresses are stale (start.sh repairs them from DNS, but a record may lag).
 * `CLUSTER MEET <ip> <port>` of a node the cluster already knows only corrects that node's address: the handshake
 * reply carries the known node id, so the meeting node updates the stored address (nodeUpdateAddressIfNeeded) and
 * deletes the handshake entry, and the met node learns the meeting node's address from the inbound link (redis 8.0.2
 * src/cluster_legacy.c clusterProcessPacket, "Handshake: we already know node"). It moves no slot, changes no
 * role and creates no identity, so it is safe to repeat. A node the others do not know (an empty replacement) would
 * join as a new master: it is reported and the script fails, naming the runbook section, instead.
 */
export function bootstrapScript(): string {
  return `#!/bin/sh
set -eu
: "\${NODES:?}" "\${REPLICAS:?}"
cli() { node=$1; shift; redis-cli -h "\${node%:*}" -p "\${node##*:}" "$@"; }
info() { cli "$1" cluster info | tr -d '\\r' | awk -F: -v k="$2" '$1 == k { print $2 }'; }
not_ok() { bad=""; for n in "$@"; do [ "$(info "$n" cluster_state)" = ok ] || bad="$bad $n"; done; echo "$bad"; }

for n in $NODES; do
  until cli "$n" ping 2>/dev/null | grep -q PONG; do echo "waiting for $n"; sleep 2; done
done

formed=""
for n in $NODES; do
  if [ "$(info "$n" cluster_slots_assigned)" = 16384 ]; then formed=$n; break; fi
done
if [ -n "$formed" ]; then
  # shellcheck disable=SC2086
  bad=$(not_ok $NODES)
  if [ -z "$bad" ]; then
    echo "cluster already formed (seen from $formed) and cluster_state:ok on every node: nothing to do"
    exit 0
  fi
  echo "cluster formed (seen from $formed) but cluster_state is not ok on:$bad"
  echo "introducing every member to every other at its current address (CLUSTER MEET):"
  members=""
  strangers=""
  for m in $NODES; do
    id=$(cli "$m" cluster myid)
    if ! cli "$formed" cluster nodes | awk '{ print $1 }' | grep -qx "$id"; then
      strangers="$strangers $m"
      continue
    fi
    members="$members $m"
    ip=$(getent ahostsv4 "\${m%:*}" | awk 'NR == 1 { print $1 }')
    if [ -z "$ip" ]; then echo "  $m does not resolve: not introduced" >&2; continue; fi
    for n in $NODES; do
      if [ "$n" != "$m" ]; then cli "$n" cluster meet "$ip" "\${m##*:}" > /dev/null; fi
    done
    echo "  $m (node $id) at $ip"
  done
  # Up to 5 minutes: a rolling update restarting the pods one by one may be under way (each start is briefly not ok).
  tries=0
  # shellcheck disable=SC2086
  while bad=$(not_ok $members); [ -n "$bad" ] && [ "$tries" -lt 150 ]; do tries=$((tries + 1)); sleep 2; done
  if [ -n "$bad" ]; then
    echo "cluster_state is still not ok on:$bad; see docs/runbooks/redis.md, All pods restarted and the cluster stays down" >&2
    exit 1
  fi
  if [ -n "$strangers" ]; then
    echo "not members of the cluster (empty nodes?):$strangers; see docs/runbooks/redis.md, Replace a lost node" >&2
    exit 1
  fi
  echo "cluster re-formed: cluster_state:ok on every node"
  cli "$formed" cluster nodes
  exit 0
fi
for n in $NODES; do
  if [ "$(info "$n" cluster_known_nodes)" != 1 ]; then
    echo "$n already knows other nodes but not all slots are assigned: not touching a partly formed cluster (see docs/runbooks/redis.md)" >&2
    exit 1
  fi
done

# Zone of every node, in NODES order (start.sh announces it as the human node name).
zones=""
for n in $NODES; do
  z=$(cli "$n" config get cluster-announce-human-nodename | sed -n 2p)
  zones="$zones \${z:-unknown}"
done

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

/**
 * Daily snapshot: an RDB from one replica (or primary, when there is none) of every shard, then uploaded, with
 * cluster-nodes.txt (the layout at backup time) and shards.txt (`shard-N.rdb <slot ranges>`: what the restore
 * procedure matches against the current primaries).
 */
export function snapshotScript(): string {
  return `#!/bin/sh
# Runs in the backup Job's init container: one RDB per shard into /backup.
set -eu
: "\${SEED:?}"
host=\${SEED%:*}; port=\${SEED##*:}
redis-cli -h "$host" -p "$port" --user default cluster nodes > /backup/cluster-nodes.txt
: > /backup/shards.txt
shard=0
for primary in $(awk '$3 ~ /master/ && $3 !~ /fail/ { print $1 }' /backup/cluster-nodes.txt); do
  src=$(awk -v p="$primary" '$4 == p && $3 ~ /slave/ && $3 !~ /fail/ && $8 == "connected" { print $2; exit }' /backup/cluster-nodes.txt)
  [ -n "$src" ] || src=$(awk -v p="$primary" '$1 == p { print $2 }' /backup/cluster-nodes.txt)
  addr=\${src%%@*}; name=\${src##*,}
  [ "$name" != "$src" ] || name=\${addr%:*}
  echo "shard $shard: snapshot from $name"
  REDISCLI_AUTH="$REPLICATION_PASSWORD" redis-cli -h "$name" -p "\${addr##*:}" --user ${REDIS_USERS.replication} --rdb "/backup/shard-$shard.rdb"
  awk -v p="$primary" -v f="shard-$shard.rdb" '$1 == p { s = f; for (i = 9; i <= NF; i++) s = s " " $i; print s }' /backup/cluster-nodes.txt >> /backup/shards.txt
  shard=$((shard + 1))
done
[ "$shard" -gt 0 ] || { echo "no primaries found" >&2; exit 1; }
`;
}
