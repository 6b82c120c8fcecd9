-- now() at millisecond precision: what the API shows is exactly what is stored, so
-- timestamps in keyset cursors compare exactly.
CREATE FUNCTION now_ms() RETURNS timestamptz
    LANGUAGE sql STABLE
    AS 'SELECT date_trunc(''milliseconds'', now())';
