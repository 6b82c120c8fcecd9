-- Transactional outbox: events are written in the same transaction as the change that
-- caused them; one delivery row per subscriber tracks what is still to be sent.
CREATE TABLE outbox_events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    event_type text NOT NULL,
    application_id uuid NOT NULL,
    subject_id uuid NOT NULL,
    version bigint,
    payload jsonb NOT NULL,
    request_id text,
    occurred_at timestamptz NOT NULL
);

CREATE TABLE outbox_deliveries (
    subscriber text NOT NULL,
    event_seq bigint NOT NULL REFERENCES outbox_events (seq) ON DELETE CASCADE,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    PRIMARY KEY (subscriber, event_seq)
);

CREATE INDEX outbox_deliveries_event ON outbox_deliveries (event_seq);
-- For the maintenance sweep of fully delivered events.
CREATE INDEX outbox_events_occurred ON outbox_events (occurred_at);
