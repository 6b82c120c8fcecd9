-- CSV imports (seed 000). An upload is staged here row by row with COPY, each row with its
-- validation outcome, in the transaction that queues its `users.import` job; the job then
-- applies the rows in chunks. Failed rows stay for the report until the import is swept.
CREATE TABLE user_imports (
    job_id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    file_name text,
    -- SHA-256 of the file and the mapping: a repeat with the same Idempotency-Key must send the same.
    fingerprint text NOT NULL,
    -- The user fields the file's columns fill, in column order (for the report).
    fields text[] NOT NULL,
    total integer NOT NULL DEFAULT 0,
    imported integer NOT NULL DEFAULT 0,
    failed integer NOT NULL DEFAULT 0,
    -- Rows up to this line are applied (committed with each chunk, so a retry goes on from here).
    applied_through integer NOT NULL DEFAULT 0,
    duplicates_marked boolean NOT NULL DEFAULT false,
    -- The last outbox event of the import; tags and groups go to audience once it has it.
    last_event_seq bigint,
    -- Rows with tags or groups up to this line are forwarded to audience.
    forwarded_through integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX user_imports_application ON user_imports (application_id, created_at);

CREATE TABLE user_import_rows (
    job_id uuid NOT NULL REFERENCES user_imports (job_id) ON DELETE CASCADE,
    line integer NOT NULL,
    -- The id the user gets, chosen when staged.
    user_id uuid NOT NULL,
    email text,
    phone text,
    username text,
    first_name text,
    last_name text,
    profile_image text,
    language text,
    timezone text,
    country text,
    city text,
    department text,
    sex text,
    birth_date date,
    type text,
    status text,
    email_verified boolean,
    phone_verified boolean,
    tags text[],
    groups text[],
    outcome text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'imported', 'failed')),
    error_field text,
    error_code text,
    error_message text,
    -- For a row that duplicates an earlier one of the file: that line.
    duplicate_of integer,
    PRIMARY KEY (job_id, line)
);

-- The report lists the rows with an error or warning, in line order.
CREATE INDEX user_import_rows_errors ON user_import_rows (job_id, line) WHERE error_code IS NOT NULL;

-- A user as its `user.created` / `user.updated` snapshot (UserSnapshot's JSON), for events
-- written set-wise by a statement.
CREATE FUNCTION user_snapshot(u users) RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', u.id, 'applicationId', u.application_id, 'email', u.email, 'phone', u.phone, 'username', u.username,
        'firstName', u.first_name, 'lastName', u.last_name, 'type', u.type, 'status', u.status, 'language', u.language,
        'timezone', u.timezone, 'country', u.country, 'city', u.city, 'department', u.department, 'sex', u.sex,
        'birthDate', to_char(u.birth_date, 'YYYY-MM-DD'), 'emailVerified', u.email_verified, 'phoneVerified', u.phone_verified,
        'lastLoginAt', to_char(u.last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'lastActivityAt', to_char(u.last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'createdAt', to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'updatedAt', to_char(u.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
$$;
