-- Answers of requests made with an Idempotency-Key (bulk operations): a retry with the same
-- key gets the stored answer instead of doing the work again. Written in the transaction of
-- the work itself, so the work and its answer are kept together or not at all.
CREATE TABLE idempotent_results (
    application_id uuid NOT NULL,
    operation text NOT NULL,
    key text NOT NULL,
    -- SHA-256 of the request body: the same key with another request is refused.
    fingerprint bytea NOT NULL,
    body bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, operation, key)
);
CREATE INDEX idempotent_results_created ON idempotent_results (created_at);
