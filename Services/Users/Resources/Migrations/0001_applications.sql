-- Applications are Roster's tenants; every other row belongs to one.
CREATE TABLE applications (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX applications_one_default ON applications (is_default) WHERE is_default;

-- API keys are stored only as SHA-256 hashes; the prefix identifies a key without revealing it.
CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    name text NOT NULL,
    prefix text NOT NULL UNIQUE,
    secret_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX api_keys_application ON api_keys (application_id, created_at);
