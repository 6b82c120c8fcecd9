-- Listing and search at scale (issue 4): the `q` search and an index for every sort the
-- list offers.

-- Search folds text to lower case without accents. pg_trgm and unaccent live in the
-- `extensions` schema that deploy/postgres/bootstrap.sql creates. Both functions are
-- IMMUTABLE so an index can hold them (the unaccent dictionary is fixed), and name only
-- schema-qualified functions, so they mean the same under any search_path.
CREATE FUNCTION fold_text(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT pg_catalog.lower(extensions.unaccent('extensions.unaccent'::regdictionary, $1)) $$;

-- What `q` is matched against: names, email, phone and username, folded.
CREATE FUNCTION search_text(first_name text, last_name text, email text, phone text, username text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.lower(extensions.unaccent('extensions.unaccent'::regdictionary,
        coalesce($1, '') || ' ' || coalesce($2, '') || ' ' || coalesce($3, '') || ' ' || coalesce($4, '') || ' ' || coalesce($5, '')))
$$;

-- Stored, so that checking a candidate row reads a column instead of folding again (a
-- search's rows are rechecked after the index lookup: this made it four times cheaper).
ALTER TABLE users ADD COLUMN search_document text
    GENERATED ALWAYS AS (search_text(first_name, last_name, email, phone, username)) STORED;
CREATE INDEX users_search ON users USING gin (search_document extensions.gin_trgm_ops);

-- Sorts: text fields sort case-insensitively; each index ends with the id, the tie-breaker.
DROP INDEX users_first_name;
DROP INDEX users_last_name;
CREATE INDEX users_first_name ON users (application_id, lower(first_name), id);
CREATE INDEX users_last_name ON users (application_id, lower(last_name), id);
CREATE INDEX users_email_sort ON users (application_id, lower(email), id);
CREATE INDEX users_username_sort ON users (application_id, lower(username), id);
CREATE INDEX users_department ON users (application_id, lower(department), id);
CREATE INDEX users_type_sort ON users (application_id, type, id);
CREATE INDEX users_last_activity ON users (application_id, last_activity_at, id);
CREATE INDEX users_last_login ON users (application_id, last_login_at, id);
