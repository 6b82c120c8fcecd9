CREATE TABLE users (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    email text,
    first_name text,
    last_name text,
    type text NOT NULL DEFAULT 'user' CHECK (type IN ('visitor', 'lead', 'user', 'agent', 'admin', 'bot')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'blocked')),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    updated_at timestamptz NOT NULL DEFAULT now_ms()
);

-- Email is unique per application, case-insensitively.
CREATE UNIQUE INDEX users_email_unique ON users (application_id, lower(email)) WHERE email IS NOT NULL;
-- Every sort and filter the list offers has an index that starts with the application.
CREATE INDEX users_created ON users (application_id, created_at, id);
CREATE INDEX users_updated ON users (application_id, updated_at, id);
CREATE INDEX users_status ON users (application_id, status, created_at, id);
CREATE INDEX users_type ON users (application_id, type, created_at, id);
