-- Job queue: claimed with FOR UPDATE SKIP LOCKED; a lease that runs out (crashed worker)
-- puts the job back in the queue; jobs out of attempts stay 'failed' until re-driven.
CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    application_id uuid,
    kind text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    run_at timestamptz NOT NULL DEFAULT now(),
    lease_expires_at timestamptz,
    progress_done bigint NOT NULL DEFAULT 0,
    progress_total bigint,
    result jsonb,
    last_error text,
    idempotency_key text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

CREATE UNIQUE INDEX jobs_idempotency ON jobs (application_id, kind, idempotency_key) NULLS NOT DISTINCT
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
