-- Creates Roster's four service roles and schemas in the current database (idempotent).
--
-- Each service connects as its own role, which owns its schema and has no rights on the
-- others; the public schema is closed. Run as a superuser with psql:
--
--   psql -v role_prefix=roster_ -v users_password=... -v audience_password=... \
--        -v verification_password=... -v notification_password=... -f bootstrap.sql
--
-- It also creates the `extensions` schema with pg_trgm and unaccent (the users search uses
-- them; only a superuser may create them), usable by the four roles.
--
-- Re-running it resets the passwords to the given ones and changes nothing else.
\set ON_ERROR_STOP on

SELECT set_config('roster.role_prefix', :'role_prefix', false),
       set_config('roster.password_users', :'users_password', false),
       set_config('roster.password_audience', :'audience_password', false),
       set_config('roster.password_verification', :'verification_password', false),
       set_config('roster.password_notification', :'notification_password', false);

DO $bootstrap$
DECLARE
    service text;
    role_name text;
    secret text;
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    REVOKE ALL ON SCHEMA public FROM PUBLIC;
    CREATE SCHEMA IF NOT EXISTS extensions;
    REVOKE ALL ON SCHEMA extensions FROM PUBLIC;
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA extensions;
    CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA extensions;
    FOREACH service IN ARRAY ARRAY['users', 'audience', 'verification', 'notification'] LOOP
        role_name := current_setting('roster.role_prefix') || service;
        secret := current_setting('roster.password_' || service);
        IF length(secret) < 16 THEN
            RAISE EXCEPTION 'the password of % must be at least 16 characters', role_name;
        END IF;
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
            EXECUTE format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', role_name, secret);
        ELSE
            EXECUTE format('CREATE ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', role_name, secret);
        END IF;
        EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), role_name);
        EXECUTE format('GRANT USAGE ON SCHEMA extensions TO %I', role_name);
        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', service, role_name);
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', service, role_name);
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', service);
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = %I', role_name, current_database(), service);
    END LOOP;
END
$bootstrap$;

-- Forget the passwords in this session.
SELECT set_config('roster.password_users', '', false),
       set_config('roster.password_audience', '', false),
       set_config('roster.password_verification', '', false),
       set_config('roster.password_notification', '', false);
