# Shared by the audience and rules benchmarks (source it after lib.sh): seed_audience COUNT
# writes COUNT users straight into audience's projection and 10 attribute definitions' values
# into its table (the same rows the events and the API write; creating a million users
# through the users service would take half an hour and measure something else), then builds
# the indexes the way production does: by marking three definitions searchable through the
# API. Users: 90 % active, 5 % inactive, 5 % blocked; engagement score uniform in 0..99.
# Sets API, JSON, APP, SEEDED, INDEXED, ROWS_LOADED.
API="$AUDIENCE/api/v1"
JSON='Content-Type: application/json'
APP="$(psql_bench "SELECT id FROM users.applications ORDER BY created_at LIMIT 1")"

seed_audience() {
    local count="$1"
    say "seeding $count users into the projection"
    local start
    start=$(date +%s.%N)
    psql_bench "
        INSERT INTO audience.user_projection (application_id, user_id, email, first_name, last_name, type, status, version,
            created_at, updated_at, engagement_score, country)
        SELECT '$APP', gen_random_uuid(), 'user' || g || '@example.io', 'First' || g, 'Last' || g, 'user',
            CASE WHEN g % 20 = 0 THEN 'inactive' WHEN g % 20 = 1 THEN 'blocked' ELSE 'active' END, 1,
            now() - make_interval(secs => g), now(), (g::bigint * 7919) % 100, (ARRAY['FR','DE','ES','US'])[1 + g % 4]
        FROM generate_series(1, $count) g"

    say "10 attribute definitions through the API"
    define() { curl -fsS -X POST "$API/attribute-definitions" -H "$AUTH" -H "$JSON" -d "$1" -o /dev/null; }
    define '{"name":"Score","slug":"score","type":"number"}'
    define '{"name":"City","slug":"city","type":"string"}'
    define '{"name":"Plan","slug":"plan","type":"enum","validations":[{"type":"allowedValues","value":["free","basic","pro","team","enterprise"]}]}'
    define '{"name":"Signed up","slug":"signed_up","type":"date"}'
    define '{"name":"VIP","slug":"vip","type":"boolean"}'
    for n in 1 2 3 4 5; do define "{\"name\":\"Note $n\",\"slug\":\"note_$n\",\"type\":\"string\"}"; done

    say "values: score, city and plan for every user; the other seven for one user in five"
    def() { psql_bench "SELECT id FROM audience.attribute_definitions WHERE slug = '$1'"; }
    values() {  # values SLUG EVERY VALUE_SQL COLUMN COLUMN_SQL
        psql_bench "
            INSERT INTO audience.attribute_values (application_id, user_id, definition_id, value, $4, updated_by)
            SELECT p.application_id, p.user_id, '$(def "$1")', $3, $5, 'bulk'
            FROM (SELECT application_id, user_id, row_number() OVER () AS n FROM audience.user_projection) p
            WHERE p.n % $2 = 0"
    }
    values score 1 "to_jsonb(p.n - 1)" value_number "(p.n - 1)::double precision"
    values city 1 "to_jsonb('city-' || (p.n % 1000))" value_text "'city-' || (p.n % 1000)"
    values plan 1 "to_jsonb((ARRAY['free','basic','pro','team','enterprise'])[1 + p.n % 5])" value_text \
        "(ARRAY['free','basic','pro','team','enterprise'])[1 + p.n % 5]"
    values signed_up 5 "to_jsonb(to_char(date '2020-01-01' + (p.n % 1500)::int, 'YYYY-MM-DD'))" value_time \
        "(date '2020-01-01' + (p.n % 1500)::int)::timestamptz"
    values vip 5 "to_jsonb(p.n % 7 = 0)" value_bool "p.n % 7 = 0"
    for n in 1 2 3 4 5; do values "note_$n" 5 "to_jsonb('note ' || p.n)" value_text "'note ' || p.n"; done
    ROWS_LOADED="$(psql_bench "SELECT count(*) FROM audience.attribute_values")"
    SEEDED=$(python3 -c "import time; print(f'{time.time() - $start:.0f}')")

    say "marking score, city and plan searchable (indexes built concurrently by jobs)"
    start=$(date +%s.%N)
    for slug in score city plan; do
        curl -fsS -X PATCH "$API/attribute-definitions/$slug" -H "$AUTH" -H "$JSON" -d '{"searchable":true}' -o /dev/null
    done
    until [ "$(psql_bench "SELECT count(*) FROM audience.attribute_definitions WHERE searchable AND index_state = 'ready'")" = 3 ]; do
        [ "$(psql_bench "SELECT count(*) FROM audience.attribute_definitions WHERE index_state = 'failed'")" = 0 ] || die "an index build failed"
        sleep 1
    done
    INDEXED=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
    # What autovacuum does after a bulk load, done now so the run does not depend on its timing.
    psql_bench "VACUUM ANALYZE audience.attribute_values"
    psql_bench "VACUUM ANALYZE audience.user_projection"
}
