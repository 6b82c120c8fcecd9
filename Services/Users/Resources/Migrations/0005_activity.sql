-- Engagement (issue 4): activity counters, the score derived from them, and the version of
-- the last activity recorded, which orders `user.activity` events for their consumers.
ALTER TABLE users
    ADD COLUMN messages_sent bigint NOT NULL DEFAULT 0,
    ADD COLUMN messages_received bigint NOT NULL DEFAULT 0,
    ADD COLUMN visits bigint NOT NULL DEFAULT 0,
    ADD COLUMN engagement_score double precision NOT NULL DEFAULT 0,
    ADD COLUMN activity_version bigint NOT NULL DEFAULT 0;
CREATE INDEX users_engagement ON users (application_id, engagement_score);
