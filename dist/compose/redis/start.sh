#!/bin/sh
# Rendered for docker compose (do not edit). Starts a single-node Redis Cluster with the cluster's redis.conf.
set -eu
umask 077
# ACL users: the cluster's rules for the admin and backend users; an ExternalSecret renders them in the cluster.
{
  printf '%s\n' "user default on >$REDIS_DEFAULT_PASSWORD ~* &* +@all"
  printf '%s\n' "user optibid_app on >$REDIS_APP_PASSWORD ~* &* +@all -@admin -@dangerous +cluster|slots +cluster|shards +cluster|nodes +cluster|info +cluster|myid +info +readonly +readwrite"
} > /etc/redis/acl/users.acl
# No replicas locally: nothing to authenticate to (masterauth), but redis.conf includes the file.
: > /etc/redis/acl/replication.conf
# All 16384 slots on this one node, once it answers (idempotent: nodes.conf on the volume remembers them).
(
  export REDISCLI_AUTH="$REDIS_DEFAULT_PASSWORD"
  until redis-cli -p 6379 ping 2>/dev/null | grep -q PONG; do sleep 1; done
  if ! redis-cli -p 6379 cluster info | grep -q '^cluster_slots_assigned:16384'; then
    redis-cli -p 6379 cluster addslotsrange 0 16383
  fi
) &
exec redis-server /etc/redis/redis.conf --cluster-announce-hostname redis
