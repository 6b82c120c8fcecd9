-- Counts kept per application (issue 4): how many users have each value of each dimension
-- the statistics and list totals need, so they read a few hundred rows instead of counting
-- a million. Statement-level triggers add every write's deltas in the same transaction.
--
-- Dimensions and values:
--   type_status     '<type>/<status>'        list totals, totals, active, by type and status
--   created_day     'YYYY-MM-DD' (UTC)       created per month and year, this month, this year
--   incomplete_day  'YYYY-MM-DD' of creation users with an email not yet verified
--   sex             male, female, other, unknown
--   birth_date      'YYYY-MM-DD' or unknown  ages, computed at read time
--   engagement      high (≥ 70), moderate (30–70), low; `score` holds the sum of scores
--   category, network  one row per preference item; no_category ''
--
-- Each connection adds to its own shard row (backend pid modulo 16), so concurrent writers
-- of one application do not queue on one counter row; readers sum the shards.
CREATE TABLE user_facts (
    application_id uuid NOT NULL,
    dimension text NOT NULL,
    value text NOT NULL,
    shard smallint NOT NULL,
    users bigint NOT NULL,
    score double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (application_id, dimension, value, shard)
);

-- The facts of one user: one row per dimension value it counts in.
CREATE FUNCTION user_facts_of(
    type text, status text, created_at timestamptz, email text, email_verified boolean, sex text, birth_date date,
    engagement_score double precision, preferences jsonb
) RETURNS TABLE (dimension text, value text, score double precision) LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT f.dimension, f.value, f.score FROM (VALUES
        ('type_status', $1 || '/' || $2, 0::float8),
        ('created_day', to_char($3 AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 0),
        ('incomplete_day', CASE WHEN $4 IS NOT NULL AND NOT $5 THEN to_char($3 AT TIME ZONE 'UTC', 'YYYY-MM-DD') END, 0),
        ('sex', coalesce($6, 'unknown'), 0),
        ('birth_date', coalesce(to_char($7, 'YYYY-MM-DD'), 'unknown'), 0),
        ('engagement', CASE WHEN $8 >= 70 THEN 'high' WHEN $8 >= 30 THEN 'moderate' ELSE 'low' END, $8),
        ('no_category', CASE WHEN coalesce(jsonb_array_length(CASE WHEN jsonb_typeof($9 -> 'categories') = 'array'
            THEN $9 -> 'categories' END), 0) = 0 THEN '' END, 0)
    ) AS f (dimension, value, score)
    WHERE f.value IS NOT NULL
    UNION ALL
    SELECT 'category', item, 0 FROM jsonb_array_elements_text(
        CASE WHEN jsonb_typeof($9 -> 'categories') = 'array' THEN $9 -> 'categories' ELSE '[]' END) AS item
    UNION ALL
    SELECT 'network', item, 0 FROM jsonb_array_elements_text(
        CASE WHEN jsonb_typeof($9 -> 'networks') = 'array' THEN $9 -> 'networks' ELSE '[]' END) AS item
$$;

-- The function keeps the schema it was created in, so writes under any search_path are counted.
CREATE FUNCTION count_user_facts() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_facts AS c (application_id, dimension, value, shard, users, score)
        SELECT u.application_id, f.dimension, f.value, pg_backend_pid() % 16, count(*), sum(f.score)
        FROM new_rows u, LATERAL user_facts_of(u.type, u.status, u.created_at, u.email, u.email_verified, u.sex, u.birth_date,
            u.engagement_score, u.preferences) f
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (application_id, dimension, value, shard) DO UPDATE SET users = c.users + excluded.users, score = c.score + excluded.score;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO user_facts AS c (application_id, dimension, value, shard, users, score)
        SELECT u.application_id, f.dimension, f.value, pg_backend_pid() % 16, -count(*), -sum(f.score)
        FROM old_rows u, LATERAL user_facts_of(u.type, u.status, u.created_at, u.email, u.email_verified, u.sex, u.birth_date,
            u.engagement_score, u.preferences) f
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (application_id, dimension, value, shard) DO UPDATE SET users = c.users + excluded.users, score = c.score + excluded.score;
    ELSE
        -- Most updates (a sign-in, a new name) change no fact: their +1 and -1 cancel out and nothing is written.
        INSERT INTO user_facts AS c (application_id, dimension, value, shard, users, score)
        SELECT u.application_id, f.dimension, f.value, pg_backend_pid() % 16, sum(u.sign), sum(u.sign * f.score)
        FROM (SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows) u,
            LATERAL user_facts_of(u.type, u.status, u.created_at, u.email, u.email_verified, u.sex, u.birth_date,
                u.engagement_score, u.preferences) f
        GROUP BY 1, 2, 3 HAVING sum(u.sign) <> 0 OR sum(u.sign * f.score) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (application_id, dimension, value, shard) DO UPDATE SET users = c.users + excluded.users, score = c.score + excluded.score;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_facts_insert AFTER INSERT ON users REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_user_facts();
CREATE TRIGGER users_facts_update AFTER UPDATE ON users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_user_facts();
CREATE TRIGGER users_facts_delete AFTER DELETE ON users REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_user_facts();

-- The triggers exist (and hold off writers until this commits), so the backfill is exact.
INSERT INTO user_facts (application_id, dimension, value, shard, users, score)
SELECT u.application_id, f.dimension, f.value, 0, count(*), sum(f.score)
FROM users u, LATERAL user_facts_of(u.type, u.status, u.created_at, u.email, u.email_verified, u.sex, u.birth_date,
    u.engagement_score, u.preferences) f
GROUP BY 1, 2, 3;
