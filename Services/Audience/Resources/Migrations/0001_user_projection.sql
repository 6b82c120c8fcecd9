-- Audience's copy of every user's profile fields, fed by the users service's events.
-- A deleted user's row is removed; the inbox keeps its last version, so a late
-- update can never bring it back.
CREATE TABLE user_projection (
    application_id uuid NOT NULL,
    user_id uuid NOT NULL,
    email text,
    first_name text,
    last_name text,
    type text NOT NULL,
    status text NOT NULL,
    version bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, user_id)
);
