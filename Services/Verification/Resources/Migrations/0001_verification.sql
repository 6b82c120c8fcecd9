-- Verification (issue 7): the users it may address, kept from the users service's events,
-- and the verification requests with their codes stored only as keyed hashes.

-- Who exists and how to reach them: admin resends by email and admin-made requests are
-- answered from here, with no call to users. A deleted user's row goes with their requests.
CREATE TABLE known_users (
    application_id uuid NOT NULL,
    user_id uuid NOT NULL,
    email text,
    phone text,
    username text,
    first_name text,
    last_name text,
    email_verified boolean NOT NULL DEFAULT false,
    version bigint NOT NULL,
    PRIMARY KEY (application_id, user_id)
);
CREATE INDEX known_users_email ON known_users (application_id, lower(email));

-- One code sent to one destination. `code_hash` and `token_hash` are HMAC-SHA256 under a key
-- derived from the service secret, bound to the request id; the code itself lives only,
-- sealed, in the payload of the job that hands it to notification. `status` moves from
-- `active` to `used`, `locked` (5 wrong tries) or `superseded` (a newer request of the same
-- type for the same user); an active request past `expires_at` is shown as `expired`.
-- `email`, `username` and `full_name` copy the user's current profile (kept by the
-- events) so every filter and sort of the admin list is one indexed table.
CREATE TABLE verification_requests (
    application_id uuid NOT NULL,
    id uuid NOT NULL,
    type_code text NOT NULL CHECK (type_code IN ('REGR', 'RPWR', 'EMCH', 'PHON')),
    type_name text NOT NULL,
    user_id uuid NOT NULL,
    destination text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('email', 'sms')),
    code_hash bytea NOT NULL,
    token_hash bytea NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'used', 'locked', 'superseded')),
    attempts integer NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at timestamptz,
    sent_at timestamptz,
    idempotency_key text,
    email text,
    username text,
    full_name text,
    -- What `q` matches: the type's name and the user's username, email and name.
    search_document text GENERATED ALWAYS AS (
        lower(type_name || ' ' || coalesce(username, '') || ' ' || coalesce(email, '') || ' ' || coalesce(full_name, ''))) STORED,
    PRIMARY KEY (application_id, id)
);
-- The latest request of a user and type (checking a code, superseding), and the erasure of a user.
CREATE INDEX verification_requests_user ON verification_requests (application_id, user_id, type_code, created_at);
-- At most one active request per user and type.
CREATE UNIQUE INDEX verification_requests_one_active ON verification_requests (application_id, user_id, type_code)
    WHERE status = 'active';
CREATE UNIQUE INDEX verification_requests_idempotency ON verification_requests (application_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- The resend cool-down: the latest code of a type sent to a destination.
CREATE INDEX verification_requests_destination ON verification_requests (application_id, type_code, lower(destination), created_at);
-- The admin list: one index per sort (ending with the id, the tie-breaker) and filter.
CREATE INDEX verification_requests_created ON verification_requests (application_id, created_at, id);
CREATE INDEX verification_requests_expires ON verification_requests (application_id, expires_at, id);
CREATE INDEX verification_requests_type ON verification_requests (application_id, type_code, id);
CREATE INDEX verification_requests_type_name ON verification_requests (application_id, lower(type_name), id);
CREATE INDEX verification_requests_status ON verification_requests (application_id, status, expires_at);
CREATE INDEX verification_requests_attempts ON verification_requests (application_id, attempts, id);
CREATE INDEX verification_requests_email ON verification_requests (application_id, lower(email), id);
CREATE INDEX verification_requests_username ON verification_requests (application_id, lower(username), id);
CREATE INDEX verification_requests_search ON verification_requests USING gin (search_document extensions.gin_trgm_ops);
