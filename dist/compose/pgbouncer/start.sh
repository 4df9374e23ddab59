#!/bin/sh
# Rendered for docker compose (do not edit). The auth_file holds the auth_user's password: in the cluster an
# ExternalSecret renders it, here it is written from the environment (.env) to a tmpfs.
set -eu
umask 077
printf '"%s" "%s"\n' pgbouncer "$POSTGRES_POOLER_PASSWORD" > /etc/pgbouncer/auth/userlist.txt
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
