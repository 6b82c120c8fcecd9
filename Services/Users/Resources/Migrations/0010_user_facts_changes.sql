-- Fixes to the kept counts of 0007: an update writes only for rows whose counted fields
-- changed (no rounding residue from +score -score), and a null inside a preference list is
-- not counted (it would have been a NULL value).
CREATE OR REPLACE FUNCTION user_facts_of(
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
    WHERE item IS NOT NULL
    UNION ALL
    SELECT 'network', item, 0 FROM jsonb_array_elements_text(
        CASE WHEN jsonb_typeof($9 -> 'networks') = 'array' THEN $9 -> 'networks' ELSE '[]' END) AS item
    WHERE item IS NOT NULL
$$;

CREATE OR REPLACE FUNCTION count_user_facts() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
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
        -- Only rows whose counted fields changed: most updates (a sign-in, a new name) touch
        -- none, and then nothing is written (summing +score and -score could leave a rounding
        -- residue that would).
        INSERT INTO user_facts AS c (application_id, dimension, value, shard, users, score)
        SELECT u.application_id, f.dimension, f.value, pg_backend_pid() % 16, sum(u.sign), sum(u.sign * f.score)
        FROM (
            SELECT 1 AS sign, n.* FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE (n.type, n.status, n.created_at, n.email IS NULL, n.email_verified, n.sex, n.birth_date, n.engagement_score,
                n.preferences) IS DISTINCT FROM (o.type, o.status, o.created_at, o.email IS NULL, o.email_verified, o.sex,
                o.birth_date, o.engagement_score, o.preferences)
            UNION ALL
            SELECT -1, o.* FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (n.type, n.status, n.created_at, n.email IS NULL, n.email_verified, n.sex, n.birth_date, n.engagement_score,
                n.preferences) IS DISTINCT FROM (o.type, o.status, o.created_at, o.email IS NULL, o.email_verified, o.sex,
                o.birth_date, o.engagement_score, o.preferences)
        ) u,
            LATERAL user_facts_of(u.type, u.status, u.created_at, u.email, u.email_verified, u.sex, u.birth_date,
                u.engagement_score, u.preferences) f
        GROUP BY 1, 2, 3 HAVING sum(u.sign) <> 0 OR sum(u.sign * f.score) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (application_id, dimension, value, shard) DO UPDATE SET users = c.users + excluded.users, score = c.score + excluded.score;
    END IF;
    RETURN NULL;
END
$$;
