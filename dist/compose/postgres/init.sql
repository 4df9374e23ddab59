-- OptiBid database bootstrap (rendered; run once by Patroni post_bootstrap).
-- Passwords are psql variables (-v app_password=...) set from Kubernetes Secrets created by ExternalSecrets.
\set ON_ERROR_STOP on

CREATE ROLE optibid_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE optibid_analyst LOGIN PASSWORD :'analyst_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE pgbouncer LOGIN PASSWORD :'pooler_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE monitoring LOGIN PASSWORD :'monitoring_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE backup LOGIN PASSWORD :'backup_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE rewinder LOGIN PASSWORD :'rewind_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
GRANT pg_monitor TO monitoring;
GRANT pg_checkpoint TO backup;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean) TO rewinder;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_file(text, boolean) TO rewinder;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO rewinder;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO rewinder;

-- The pooled roles' group: pg_hba admits its members through PgBouncer (+optibid_pooled) and pgbouncer.get_auth
-- serves their SCRAM secrets; membership only, none of its privileges (it has none).
CREATE ROLE optibid_pooled NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
GRANT optibid_pooled TO optibid_app, optibid_analyst WITH INHERIT FALSE, SET FALSE;

-- The role administrator: the role-reconcile Job logs in with it (the superuser logs in over the local socket only).
-- CREATEROLE, ADMIN on the roles above, nothing else a superuser has (postgres-files.ts roleAdminSql).
CREATE ROLE optibid_role_admin LOGIN PASSWORD :'role_admin_password' NOSUPERUSER NOCREATEDB CREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE optibid_role_admin SET createrole_self_grant = 'set';
GRANT optibid_app TO optibid_role_admin WITH ADMIN TRUE, INHERIT FALSE, SET TRUE;
GRANT optibid_analyst, pgbouncer, monitoring, backup, rewinder, optibid_pooled TO optibid_role_admin WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;
GRANT pg_monitor, pg_checkpoint TO optibid_role_admin WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;
GRANT SET ON PARAMETER log_statement, log_min_duration_statement TO optibid_role_admin;

CREATE DATABASE optibid OWNER postgres ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE optibid FROM PUBLIC;
GRANT CONNECT ON DATABASE optibid TO optibid_app, optibid_analyst, pgbouncer, monitoring, backup;
GRANT CONNECT ON DATABASE optibid TO optibid_role_admin WITH GRANT OPTION;
GRANT CREATE ON DATABASE optibid TO optibid_role_admin;

\connect optibid
-- Extensions, all required: a server without one fails the bootstrap (ON_ERROR_STOP) instead of running without it.
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

-- Application schema: owned by the app role; nobody else creates objects in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA app AUTHORIZATION optibid_app;
ALTER ROLE optibid_app SET search_path = app, public;
-- Read-only analyst: reads the app schema, writes nothing.
GRANT USAGE ON SCHEMA app TO optibid_analyst;
ALTER DEFAULT PRIVILEGES FOR ROLE optibid_app IN SCHEMA app GRANT SELECT ON TABLES TO optibid_analyst;
ALTER ROLE optibid_analyst SET default_transaction_read_only = on;

-- PgBouncer auth_query: the pooler looks up SCRAM secrets through this function only, never pg_authid itself.
CREATE SCHEMA pgbouncer AUTHORIZATION postgres;
REVOKE ALL ON SCHEMA pgbouncer FROM PUBLIC;
GRANT USAGE ON SCHEMA pgbouncer TO pgbouncer;
CREATE FUNCTION pgbouncer.get_auth(p_usename text) RETURNS TABLE (usename name, passwd text)
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS
$$ SELECT a.rolname, a.rolpassword FROM pg_authid a
   WHERE a.rolname = p_usename AND a.rolcanlogin AND a.rolname <> 'pgbouncer'
     AND NOT (a.rolsuper OR a.rolreplication OR a.rolbypassrls OR a.rolcreaterole OR a.rolcreatedb)
     AND EXISTS (SELECT FROM pg_auth_members m JOIN pg_authid g ON g.oid = m.roleid WHERE m.member = a.oid AND g.rolname = 'optibid_pooled') $$;
REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO pgbouncer;

-- Backup bookkeeping: the backup jobs record success; the exporter turns it into the "last backup" metric.
CREATE SCHEMA monitoring AUTHORIZATION postgres;
CREATE TABLE monitoring.backup_runs (backup_type text NOT NULL, finished_at timestamptz NOT NULL DEFAULT now());
CREATE FUNCTION monitoring.record_backup(p_type text) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS
$$ INSERT INTO monitoring.backup_runs (backup_type) VALUES (p_type) $$;
REVOKE ALL ON FUNCTION monitoring.record_backup(text) FROM PUBLIC;
GRANT USAGE ON SCHEMA monitoring TO backup, monitoring;
GRANT EXECUTE ON FUNCTION monitoring.record_backup(text) TO backup;
GRANT SELECT ON monitoring.backup_runs TO monitoring;

-- The role administrator grants these to a role added later (the grant options of what roles.sql grants).
GRANT USAGE ON SCHEMA pgbouncer, monitoring TO optibid_role_admin WITH GRANT OPTION;
GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text), monitoring.record_backup(text) TO optibid_role_admin WITH GRANT OPTION;
GRANT SELECT ON monitoring.backup_runs TO optibid_role_admin WITH GRANT OPTION;
