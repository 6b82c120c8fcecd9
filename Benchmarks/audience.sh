#!/usr/bin/env bash
# Audience benchmark (issue 5), on demand: 1,000,000 users with 10 attribute definitions;
# filtering by one searchable attribute (equality and range) at 16 connections, and adding
# 100,000 users to a static group.
#
#   Benchmarks/audience.sh                 # 10 s per scenario
#   USERS_COUNT=200000 Benchmarks/audience.sh
#
# The data comes from seed-audience.sh (a million users, 10 definitions, three searchable).
set -euo pipefail
CONNECTIONS="${CONNECTIONS:-16}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/seed-audience.sh"
COUNT="${USERS_COUNT:-1000000}"

seed_audience "$COUNT"

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
