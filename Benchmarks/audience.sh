#!/usr/bin/env bash
# Audience benchmark (issue 5), on demand: 1,000,000 users with 10 attribute definitions;
# filtering by one searchable attribute (equality and range) at 16 connections, and adding
# 100,000 users to a static group.
#
#   Benchmarks/audience.sh                 # 10 s per scenario
#   USERS_COUNT=200000 Benchmarks/audience.sh
#
# The users are written straight into audience's projection and the values into its table
# (the same rows the events and the API write): creating a million users through the users
# service would take half an hour and measure something else. The indexes are then built the
# way production builds them: by marking the definitions searchable through the API.
set -euo pipefail
CONNECTIONS="${CONNECTIONS:-16}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
COUNT="${USERS_COUNT:-1000000}"
API="$AUDIENCE/api/v1"
JSON='Content-Type: application/json'
APP="$(psql_bench "SELECT id FROM users.applications ORDER BY created_at LIMIT 1")"

say "seeding $COUNT users into the projection"
SEED_START=$(date +%s.%N)
psql_bench "
    INSERT INTO audience.user_projection (application_id, user_id, email, first_name, last_name, type, status, version, created_at, updated_at)
    SELECT '$APP', gen_random_uuid(), 'user' || g || '@example.io', 'First' || g, 'Last' || g, 'user', 'active', 1,
        now() - make_interval(secs => g), now()
    FROM generate_series(1, $COUNT) g"

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
SEEDED=$(python3 -c "import time; print(f'{time.time() - $SEED_START:.0f}')")

say "marking score, city and plan searchable (indexes built concurrently by jobs)"
INDEX_START=$(date +%s.%N)
for slug in score city plan; do
    curl -fsS -X PATCH "$API/attribute-definitions/$slug" -H "$AUTH" -H "$JSON" -d '{"searchable":true}' -o /dev/null
done
until [ "$(psql_bench "SELECT count(*) FROM audience.attribute_definitions WHERE searchable AND index_state = 'ready'")" = 3 ]; do
    [ "$(psql_bench "SELECT count(*) FROM audience.attribute_definitions WHERE index_state = 'failed'")" = 0 ] || die "an index build failed"
    sleep 1
done
INDEXED=$(python3 -c "import time; print(f'{time.time() - $INDEX_START:.1f}')")
# What autovacuum does after a bulk load, done now so the run does not depend on its timing.
psql_bench "VACUUM ANALYZE audience.attribute_values"
psql_bench "VACUUM ANALYZE audience.user_projection"

SCRIPT="$ROSTER_ROOT/Benchmarks/attribute-filter.lua"
export FILTER
FILTER=city; scenario "equality: attributes.city (1,000 of $COUNT match)" "$AUDIENCE" "$SCRIPT" -- -H "$AUTH"
FILTER=range; scenario "range: attributes.score, 1,000 wide" "$AUDIENCE" "$SCRIPT" -- -H "$AUTH"
FILTER=sorted; scenario "range, sorted by the score" "$AUDIENCE" "$SCRIPT" -- -H "$AUTH"
FILTER=plan; scenario "equality: attributes.plan (1 in 5 match)" "$AUDIENCE" "$SCRIPT" -- -H "$AUTH"

say "adding 100,000 users to a static group (one request), twice"
psql_bench "SELECT json_build_object('userIds', json_agg(user_id)) FROM (SELECT user_id FROM audience.user_projection LIMIT 100000) u" \
    > "$WORK/add-users.json"
psql_bench "CHECKPOINT"
ADD_TIMES=()
for round in 1 2; do
    GROUP="$(curl -fsS -X POST "$API/groups" -H "$AUTH" -H "$JSON" -d "{\"name\":\"Bench $round\"}" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
    ADD_TIMES+=("$(curl -fsS -X POST "$API/groups/$GROUP/add-users" -H "$AUTH" -H "$JSON" --data-binary "@$WORK/add-users.json" \
        -o "$WORK/add-users.out" -w '%{time_total}')")
    MEMBERS="$(curl -fsS "$API/groups/$GROUP" -H "$AUTH" | python3 -c 'import json,sys; print(json.load(sys.stdin)["memberCount"])')"
done

print_table "Roster audience benchmark ($COUNT users, 10 definitions, $CONNECTIONS connections)"
echo "seeding: $COUNT users and $ROWS_LOADED values in ${SEEDED}s; three searchable indexes built concurrently in ${INDEXED}s"
echo "add 100,000 users to a static group: ${ADD_TIMES[0]}s, again into a second group: ${ADD_TIMES[1]}s (memberCount afterwards: $MEMBERS)"
