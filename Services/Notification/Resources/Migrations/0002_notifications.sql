-- The catalog of notification types of each application.
CREATE TABLE notification_types (
    application_id uuid NOT NULL,
    id uuid NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    description text,
    default_enabled boolean NOT NULL DEFAULT true,
    -- Channels the type may use: in_app, email, webhook.
    channels text[] NOT NULL,
    -- A critical type cannot be turned off by a user.
    critical boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    updated_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, id),
    CONSTRAINT notification_types_code_unique UNIQUE (application_id, code)
);
CREATE INDEX notification_types_name ON notification_types (application_id, lower(name), id);
CREATE INDEX notification_types_created ON notification_types (application_id, created_at, id);

-- Applications whose catalog received the example types (once: deleted examples stay deleted).
CREATE TABLE catalog_seeds (
    application_id uuid PRIMARY KEY,
    seeded_at timestamptz NOT NULL DEFAULT now()
);

-- A user's choice for one type on one channel; without a row the type's default applies.
CREATE TABLE notification_settings (
    application_id uuid NOT NULL,
    user_id uuid NOT NULL,
    type_id uuid NOT NULL,
    channel text NOT NULL,
    enabled boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, user_id, type_id, channel),
    FOREIGN KEY (application_id, type_id) REFERENCES notification_types (application_id, id) ON DELETE CASCADE
);
CREATE INDEX notification_settings_type ON notification_settings (application_id, type_id);

-- A send to many users: its message, its target and its progress. The job that fans it out
-- commits each batch of notifications with the cursor and counters in one transaction, so
-- a restart continues after the last committed batch: every recipient exactly once.
CREATE TABLE broadcasts (
    application_id uuid NOT NULL,
    id uuid NOT NULL,
    type_id uuid,
    type_code text NOT NULL,
    title text NOT NULL,
    message text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    channels text[] NOT NULL,
    -- The type's rules when the send was made (the type may change or go meanwhile).
    type_critical boolean NOT NULL,
    type_default_enabled boolean NOT NULL,
    -- users | all | group | segment
    target_kind text NOT NULL,
    target_id uuid,
    target_user_ids uuid[],
    status text NOT NULL DEFAULT 'queued',
    -- The last recipient id done (ids are processed in order).
    cursor uuid,
    recipients bigint NOT NULL DEFAULT 0,
    delivered bigint NOT NULL DEFAULT 0,
    skipped bigint NOT NULL DEFAULT 0,
    unknown bigint NOT NULL DEFAULT 0,
    error text,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    started_at timestamptz,
    completed_at timestamptz,
    PRIMARY KEY (application_id, id)
);
CREATE INDEX broadcasts_created ON broadcasts (application_id, created_at, id);
CREATE INDEX broadcasts_status ON broadcasts (application_id, status, created_at, id);

-- The in-app inbox (seed 004's notification history).
CREATE TABLE notifications (
    application_id uuid NOT NULL,
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    broadcast_id uuid,
    type_code text NOT NULL,
    title text NOT NULL,
    message text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    read_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, id)
);
-- A user's inbox, newest first, and its type filter.
CREATE INDEX notifications_inbox ON notifications (application_id, user_id, created_at, id);
CREATE INDEX notifications_inbox_type ON notifications (application_id, user_id, type_code, created_at, id);
-- The unread count and the unread filter read only unread rows.
CREATE INDEX notifications_unread ON notifications (application_id, user_id, created_at, id) WHERE read_at IS NULL;
-- The administrators' view across users.
CREATE INDEX notifications_created ON notifications (application_id, created_at, id);
-- One notification per recipient of a broadcast, however often a batch is retried.
CREATE UNIQUE INDEX notifications_once ON notifications (application_id, broadcast_id, user_id) WHERE broadcast_id IS NOT NULL;
