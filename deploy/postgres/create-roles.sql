-- Creates or updates Logpipe's database roles (docs/operations.md, "Database roles"). Run it as a
-- superuser in the Logpipe database, once per cluster and again after changing a password; it is
-- idempotent. npm run stack and the compose init script (init-roles.sh) run it; for systemd:
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -d logpipe \
--     -v owner_role=logpipe_owner   -v owner_password="$OWNER_PASSWORD" \
--     -v writer_role=logpipe_writer -v writer_password="$WRITER_PASSWORD" \
--     -v reader_role=logpipe_reader -v reader_password="$READER_PASSWORD" \
--     -f /opt/logpipe/deploy/postgres/create-roles.sql
-- owner_role '' leaves the current database owner in charge (compose: POSTGRES_USER). An empty password
-- leaves a role without one (local trust or peer authentication).
--
-- Roles are created here, not in a migration: they belong to the cluster rather than to one schema,
-- they carry passwords, and BYPASSRLS (the writer's) can only be given by a superuser. What each role
-- may do on `logs` is granted by migrate.js, as the owner, after every migration run.

SELECT set_config('logpipe_setup.owner', :'owner_role', false),
       set_config('logpipe_setup.owner_password', :'owner_password', false),
       set_config('logpipe_setup.writer', :'writer_role', false),
       set_config('logpipe_setup.writer_password', :'writer_password', false),
       set_config('logpipe_setup.reader', :'reader_role', false),
       set_config('logpipe_setup.reader_password', :'reader_password', false)
\gset ignored_

DO $roles$
DECLARE
  spec record;
BEGIN
  FOR spec IN
    SELECT * FROM (VALUES
      -- the owner: owns the database, so it can create and alter the schema's objects (migrations)
      (current_setting('logpipe_setup.owner'), current_setting('logpipe_setup.owner_password'), 'NOBYPASSRLS'),
      -- the worker: INSERT and SELECT on logs; BYPASSRLS because it stores every tenant's rows, with COPY,
      -- which PostgreSQL refuses for a role under row-level security
      (current_setting('logpipe_setup.writer'), current_setting('logpipe_setup.writer_password'), 'BYPASSRLS'),
      -- the query API: SELECT on logs, only the rows of the tenant each query sets
      (current_setting('logpipe_setup.reader'), current_setting('logpipe_setup.reader_password'), 'NOBYPASSRLS')
    ) AS roles(name, password, rls)
  LOOP
    CONTINUE WHEN spec.name = '';
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = spec.name) THEN
      EXECUTE format('CREATE ROLE %I', spec.name);
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION %s', spec.name, spec.rls);
    IF spec.password <> '' THEN
      EXECUTE format('ALTER ROLE %I PASSWORD %L', spec.name, spec.password);
    END IF;
  END LOOP;
  IF current_setting('logpipe_setup.owner') <> '' THEN
    EXECUTE format('ALTER DATABASE %I OWNER TO %I', current_database(), current_setting('logpipe_setup.owner'));
  END IF;
END
$roles$;

-- The passwords leave the session's settings again.
SELECT set_config('logpipe_setup.owner_password', '', false),
       set_config('logpipe_setup.writer_password', '', false),
       set_config('logpipe_setup.reader_password', '', false)
\gset ignored_
