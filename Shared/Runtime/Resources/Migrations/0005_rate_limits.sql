-- Fixed-window request counters shared by all replicas (sign-in and code endpoints).
CREATE TABLE rate_limits (
    key text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    count integer NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
