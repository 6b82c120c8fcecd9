-- Consumer inbox: one row per event taken (dedupe by event id), and the newest version
-- applied per subject, so redelivered or out-of-order events change nothing.
CREATE TABLE inbox_events (
    event_id uuid PRIMARY KEY,
    source text NOT NULL,
    event_type text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inbox_versions (
    source text NOT NULL,
    subject_id uuid NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (source, subject_id)
);

-- For the maintenance sweep of old inbox rows.
CREATE INDEX inbox_events_received ON inbox_events (received_at);
