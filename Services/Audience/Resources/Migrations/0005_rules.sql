-- Rules (issue 6): engagement counters rules test, dynamic groups' rules, segments, and the
-- materialized members of both, kept current as users change.

ALTER TABLE user_projection
    ADD COLUMN engagement_score double precision NOT NULL DEFAULT 0,
    ADD COLUMN messages_sent bigint NOT NULL DEFAULT 0,
    ADD COLUMN messages_received bigint NOT NULL DEFAULT 0,
    ADD COLUMN visits bigint NOT NULL DEFAULT 0;
CREATE INDEX user_projection_engagement ON user_projection (application_id, engagement_score);
CREATE INDEX user_projection_activity ON user_projection (application_id, last_activity_at);

-- A dynamic group has a rule; a static one has none.
ALTER TABLE groups ADD COLUMN rule jsonb;
ALTER TABLE groups ADD CONSTRAINT groups_rule_by_type CHECK ((type = 'dynamic') = (rule IS NOT NULL));

CREATE TABLE segments (
    application_id uuid NOT NULL,
    id uuid NOT NULL,
    name text NOT NULL,
    description text,
    rule jsonb NOT NULL,
    is_active boolean NOT NULL DEFAULT true,
    -- Exact: follows segment_members through the count trigger.
    user_count bigint NOT NULL DEFAULT 0,
    last_calculated timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    updated_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, id)
);
CREATE INDEX segments_name ON segments (application_id, lower(name));
CREATE INDEX segments_created ON segments (application_id, created_at, id);
CREATE INDEX segments_users ON segments (application_id, user_count, id);

CREATE TABLE segment_members (
    application_id uuid NOT NULL,
    segment_id uuid NOT NULL,
    user_id uuid NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, segment_id, user_id),
    FOREIGN KEY (application_id, segment_id) REFERENCES segments ON DELETE CASCADE,
    FOREIGN KEY (application_id, user_id) REFERENCES user_projection ON DELETE CASCADE
);
CREATE INDEX segment_members_user ON segment_members (application_id, user_id);
CREATE TRIGGER segment_members_added AFTER INSERT ON segment_members
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION membership_count('segments', 'segment_id', 'user_count');
CREATE TRIGGER segment_members_removed AFTER DELETE ON segment_members
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION membership_count('segments', 'segment_id', 'user_count');
