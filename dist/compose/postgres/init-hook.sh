# Rendered for docker compose (do not edit). Sourced, not executed, by the timescaledb-ha image's
# docker-entrypoint.sh on the first start (empty data directory), after initdb and the image's own
# /docker-entrypoint-initdb.d scripts; docker_process_sql is the entrypoint's psql as the superuser over the socket.
# Runs the cluster's init.sql unchanged, as Patroni's post_bootstrap does there, with passwords from the container
# environment (.env). Roles of components that only run in the cluster (exporters, backups, Patroni rewind) get no
# password: they exist with the cluster's grants but cannot log in.
docker_process_sql \
  -v app_password="${POSTGRES_APP_PASSWORD:-}" \
  -v analyst_password="${POSTGRES_ANALYST_PASSWORD:-}" \
  -v pooler_password="${POSTGRES_POOLER_PASSWORD:-}" \
  -v monitoring_password= \
  -v backup_password= \
  -v rewind_password= \
  -v role_admin_password= \
  -f /etc/postgres-init/init.sql
