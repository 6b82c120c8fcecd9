-- The version of the last `user.activity` event applied to a projected user's engagement
-- counters: an older one arriving late is ignored.
ALTER TABLE user_projection ADD COLUMN activity_version bigint NOT NULL DEFAULT 0;
