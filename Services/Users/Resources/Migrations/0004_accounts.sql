-- Accounts (issue 3): the profile fields of the source APIs, credentials stored only as
-- hashes, bans, sign-in bookkeeping, preferences.
ALTER TABLE users
    ADD COLUMN username text,
    ADD COLUMN phone text,
    ADD COLUMN profile_image text,
    ADD COLUMN language text,
    ADD COLUMN timezone text,
    ADD COLUMN country text,
    ADD COLUMN city text,
    ADD COLUMN department text,
    ADD COLUMN sex text CHECK (sex IN ('male', 'female', 'other')),
    ADD COLUMN birth_date date,
    ADD COLUMN email_verified boolean NOT NULL DEFAULT false,
    ADD COLUMN phone_verified boolean NOT NULL DEFAULT false,
    ADD COLUMN ban_reason text,
    ADD COLUMN banned_at timestamptz,
    ADD COLUMN last_login_at timestamptz,
    ADD COLUMN last_activity_at timestamptz,
    ADD COLUMN password_hash text,
    ADD COLUMN login_token_hash bytea,
    ADD COLUMN preferences jsonb NOT NULL DEFAULT '{}';

CREATE UNIQUE INDEX users_username_unique ON users (application_id, lower(username)) WHERE username IS NOT NULL;
CREATE UNIQUE INDEX users_phone_unique ON users (application_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX users_first_name ON users (application_id, lower(first_name));
CREATE INDEX users_last_name ON users (application_id, lower(last_name));

-- Applications can be suspended by a superuser: their keys and sign-ins stop working.
ALTER TABLE applications ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended'));

-- API keys: `superuser` keys also manage applications; last use is recorded (at most once a minute).
ALTER TABLE api_keys
    ADD COLUMN scope text NOT NULL DEFAULT 'admin' CHECK (scope IN ('admin', 'superuser')),
    ADD COLUMN last_used_at timestamptz;
UPDATE api_keys SET scope = 'superuser'
WHERE application_id IN (SELECT id FROM applications WHERE is_default) AND name = 'bootstrap admin key';

-- A session is one sign-in; its refresh tokens form a family (rotated on every use).
CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    last_used_at timestamptz NOT NULL DEFAULT now_ms(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    revoked_reason text,
    user_agent text,
    ip text,
    cookie boolean NOT NULL DEFAULT false
);
CREATE INDEX sessions_user ON sessions (application_id, user_id, created_at);

CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Failed sign-ins per account and per client address; a lock grows with each failure past
-- the threshold and can be cleared by an administrator. `in_flight` counts attempts whose
-- (slow) password check is under way, so parallel guesses cannot pass the threshold.
CREATE TABLE login_failures (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('account', 'address')),
    subject text NOT NULL,
    failures integer NOT NULL DEFAULT 0,
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz,
    in_flight integer NOT NULL DEFAULT 0,
    reserved_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, kind, subject)
);
CREATE INDEX login_failures_locked ON login_failures (application_id, locked_until);
CREATE INDEX login_failures_recent ON login_failures (application_id, last_failure_at, id);

-- Sorted lists of applications and API keys.
CREATE INDEX applications_created ON applications (created_at, id);
CREATE INDEX api_keys_listed ON api_keys (application_id, created_at, id);

-- For the hourly sweep of used and ended credentials.
CREATE INDEX refresh_tokens_used ON refresh_tokens (used_at) WHERE used_at IS NOT NULL;
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX login_failures_last ON login_failures (last_failure_at);
