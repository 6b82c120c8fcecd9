-- Audience data (issue 5): attribute definitions and values, tags, static groups, memberships,
-- and the staging tables of bulk jobs. Every key starts with application_id (tenant).

-- Lookups of the projection: CSV matching by email or phone, listing by creation.
CREATE INDEX user_projection_email ON user_projection (application_id, lower(email));
CREATE INDEX user_projection_phone ON user_projection (application_id, phone);
CREATE INDEX user_projection_created ON user_projection (application_id, created_at, user_id);
CREATE INDEX user_projection_updated ON user_projection (application_id, updated_at, user_id);
CREATE INDEX user_projection_status ON user_projection (application_id, status);
CREATE INDEX user_projection_type ON user_projection (application_id, type);

CREATE TABLE attribute_definitions (
    application_id uuid NOT NULL,
    id uuid NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    type text NOT NULL CHECK (type IN ('string', 'number', 'boolean', 'date', 'datetime', 'enum', 'string_list', 'json')),
    validations jsonb NOT NULL DEFAULT '[]',
    default_value jsonb,
    encrypted boolean NOT NULL DEFAULT false,
    pinned boolean NOT NULL DEFAULT false,
    pin_order integer,
    customer_editable boolean NOT NULL DEFAULT false,
    is_locked boolean NOT NULL DEFAULT false,
    searchable boolean NOT NULL DEFAULT false,
    -- The searchable index: none, building (a job creates it concurrently), ready, failed.
    index_state text NOT NULL DEFAULT 'none' CHECK (index_state IN ('none', 'building', 'ready', 'failed')),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    updated_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, id),
    CONSTRAINT attribute_definitions_slug_unique UNIQUE (application_id, slug),
    CHECK (NOT (encrypted AND searchable))
);
CREATE INDEX attribute_definitions_name ON attribute_definitions (application_id, lower(name));
CREATE INDEX attribute_definitions_created ON attribute_definitions (application_id, created_at, id);

-- One row per user and definition. A plain value is kept as JSON (what the API returns) and in
-- the typed column its type filters and sorts on; each searchable definition gets its own
-- partial index on that column (created concurrently by the attribute index job). An
-- encrypted value is only the sealed bytes and the id of the key that sealed them.
CREATE TABLE attribute_values (
    application_id uuid NOT NULL,
    user_id uuid NOT NULL,
    definition_id uuid NOT NULL,
    value jsonb,
    value_text text,
    value_number double precision,
    value_time timestamptz,
    value_bool boolean,
    value_list text[],
    sealed bytea,
    key_id text,
    updated_by text NOT NULL CHECK (updated_by IN ('admin', 'user', 'bulk')),
    updated_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, user_id, definition_id),
    FOREIGN KEY (application_id, definition_id) REFERENCES attribute_definitions ON DELETE CASCADE,
    FOREIGN KEY (application_id, user_id) REFERENCES user_projection ON DELETE CASCADE,
    CHECK ((value IS NULL) <> (sealed IS NULL)),
    CHECK ((sealed IS NULL) = (key_id IS NULL))
);
CREATE INDEX attribute_values_definition ON attribute_values (application_id, definition_id);

CREATE TABLE tags (
    application_id uuid NOT NULL,
    id uuid NOT NULL,
    name text NOT NULL,
    category text,
    color text,
    description text,
    is_system boolean NOT NULL DEFAULT false,
    usage_count bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    updated_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, id)
);
CREATE UNIQUE INDEX tags_name_unique ON tags (application_id, lower(name));
CREATE INDEX tags_category ON tags (application_id, category, lower(name));
CREATE INDEX tags_created ON tags (application_id, created_at, id);
CREATE INDEX tags_usage ON tags (application_id, usage_count, id);

CREATE TABLE user_tags (
    application_id uuid NOT NULL,
    tag_id uuid NOT NULL,
    user_id uuid NOT NULL,
    assigned_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, tag_id, user_id),
    FOREIGN KEY (application_id, tag_id) REFERENCES tags ON DELETE CASCADE,
    FOREIGN KEY (application_id, user_id) REFERENCES user_projection ON DELETE CASCADE
);
CREATE INDEX user_tags_user ON user_tags (application_id, user_id);

CREATE TABLE groups (
    application_id uuid NOT NULL,
    id uuid NOT NULL,
    uid bigint GENERATED ALWAYS AS IDENTITY,
    name text NOT NULL,
    description text,
    category text,
    tags text[] NOT NULL DEFAULT '{}',
    color text,
    type text NOT NULL DEFAULT 'static' CHECK (type IN ('static', 'dynamic')),
    is_default boolean NOT NULL DEFAULT false,
    is_active boolean NOT NULL DEFAULT true,
    member_count bigint NOT NULL DEFAULT 0,
    last_calculated timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now_ms(),
    updated_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, id),
    CONSTRAINT groups_uid_unique UNIQUE (uid)
);
CREATE INDEX groups_name ON groups (application_id, lower(name));
CREATE INDEX groups_category ON groups (application_id, category);
CREATE INDEX groups_created ON groups (application_id, created_at, id);
CREATE INDEX groups_members ON groups (application_id, member_count, id);
CREATE INDEX groups_tags ON groups USING gin (tags);

CREATE TABLE group_members (
    application_id uuid NOT NULL,
    group_id uuid NOT NULL,
    user_id uuid NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now_ms(),
    PRIMARY KEY (application_id, group_id, user_id),
    FOREIGN KEY (application_id, group_id) REFERENCES groups ON DELETE CASCADE,
    FOREIGN KEY (application_id, user_id) REFERENCES user_projection ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (application_id, user_id);

-- Counts follow every insert and delete of a membership, whatever caused it (API, merge,
-- cascade from a deleted user), once per statement from its transition table: exact under
-- concurrency, because only rows really inserted or deleted are counted.
-- Arguments: the owner table, the membership's owner column, the owner's count column.
CREATE FUNCTION membership_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'UPDATE %1$I o SET %3$I = o.%3$I + d.n * %4$s
         FROM (SELECT application_id, %2$I AS owner_id, count(*) AS n FROM changed GROUP BY 1, 2) d
         WHERE o.application_id = d.application_id AND o.id = d.owner_id',
        TG_ARGV[0], TG_ARGV[1], TG_ARGV[2], CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END);
    RETURN NULL;
END $$;
CREATE TRIGGER group_members_added AFTER INSERT ON group_members
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION membership_count('groups', 'group_id', 'member_count');
CREATE TRIGGER group_members_removed AFTER DELETE ON group_members
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION membership_count('groups', 'group_id', 'member_count');
CREATE TRIGGER user_tags_added AFTER INSERT ON user_tags
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION membership_count('tags', 'tag_id', 'usage_count');
CREATE TRIGGER user_tags_removed AFTER DELETE ON user_tags
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION membership_count('tags', 'tag_id', 'usage_count');

-- System tags can be neither deleted nor renamed, whichever statement tries (merge included).
CREATE FUNCTION tag_system_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.is_system THEN
        RAISE EXCEPTION USING ERRCODE = 'RS409', MESSAGE = 'system_tag',
            DETAIL = format('Tag "%s" is a system tag; it cannot be deleted or merged away.', OLD.name);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.is_system AND (NEW.name <> OLD.name OR NOT NEW.is_system) THEN
        RAISE EXCEPTION USING ERRCODE = 'RS409', MESSAGE = 'system_tag',
            DETAIL = format('Tag "%s" is a system tag; it cannot be renamed or made an ordinary tag.', OLD.name);
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER tags_system_guard BEFORE UPDATE OR DELETE ON tags FOR EACH ROW EXECUTE FUNCTION tag_system_guard();

-- Rows of a bulk attribute update waiting for its job; each batch is applied and deleted in one
-- transaction, so a retried job continues where the last one stopped and applies nothing twice.
CREATE TABLE bulk_attribute_rows (
    job_id uuid NOT NULL,
    line integer NOT NULL,
    application_id uuid NOT NULL,
    key_field text NOT NULL CHECK (key_field IN ('userId', 'email', 'phone')),
    key_value text NOT NULL,
    attributes jsonb NOT NULL,
    PRIMARY KEY (job_id, line)
);

-- What a bulk job did so far, written in the same transactions as its batches.
CREATE TABLE bulk_job_outcomes (
    job_id uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    total bigint NOT NULL,
    applied bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0
);

CREATE TABLE bulk_job_errors (
    job_id uuid NOT NULL,
    line integer NOT NULL,
    field text NOT NULL,
    code text NOT NULL,
    message text NOT NULL,
    PRIMARY KEY (job_id, line, field)
);
