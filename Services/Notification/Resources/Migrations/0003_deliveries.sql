-- Message templates of each application (subject, text and HTML, in mustache). A stored
-- template replaces the built-in one with the same code.
CREATE TABLE templates (
    application_id uuid NOT NULL,
    id uuid NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    description text,
    subject text NOT NULL,
    text_body text NOT NULL,
    html_body text,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    updated_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, id),
    CONSTRAINT templates_code_unique UNIQUE (application_id, code)
);
CREATE INDEX templates_name ON templates (application_id, lower(name), id);
CREATE INDEX templates_created ON templates (application_id, created_at, id);

-- Where an application's webhook deliveries go. The signing secret is sealed (encryption.keys):
-- it must be read back to sign, so it cannot be a hash.
CREATE TABLE webhook_endpoints (
    application_id uuid PRIMARY KEY,
    url text NOT NULL,
    secret_sealed bytea NOT NULL,
    secret_key_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    updated_at timestamptz NOT NULL DEFAULT now_ms()
);

-- The dev mailbox: emails (when no SMTP server is configured) and text messages (no SMS
-- provider yet) kept for administrators to read. Subject and bodies are sealed, as they can
-- hold verification codes; one message per delivery however often it is retried.
CREATE TABLE mailbox (
    application_id uuid NOT NULL,
    id uuid NOT NULL,
    delivery_id uuid NOT NULL,
    channel text NOT NULL,
    recipient text NOT NULL,
    content_sealed bytea NOT NULL,
    key_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, id),
    CONSTRAINT mailbox_once UNIQUE (application_id, delivery_id)
);
CREATE INDEX mailbox_created ON mailbox (application_id, created_at, id);
CREATE INDEX mailbox_recipient ON mailbox (application_id, lower(recipient), created_at, id);

-- Broadcasts and deliveries are claimed by separate workers: each finds its due jobs without
-- walking past the other kind's.
CREATE INDEX jobs_due_kind ON jobs (kind, run_at) WHERE status = 'queued';
-- Deliveries are jobs of kind notification.deliver; their list filters by status and channel.
CREATE INDEX jobs_deliveries ON jobs (application_id, kind, status, created_at, id);
CREATE INDEX jobs_delivery_channel ON jobs (application_id, kind, (payload ->> 'channel'), created_at, id);
CREATE INDEX jobs_kind_created ON jobs (application_id, kind, created_at, id);

-- Email and webhook deliveries a broadcast queued.
ALTER TABLE broadcasts ADD COLUMN queued bigint NOT NULL DEFAULT 0;
