#!/usr/bin/env bash
# Rules benchmark (issue 6), on demand: on a million users with 10 attribute definitions
# (seed-audience.sh), the test of a saved segment with a three-criterion AND rule (status,
# engagement score range, searchable attribute), the preview of an OR of two such groups,
# and the full recalculation of a dynamic group matching 30 % of the users.
#
#   Benchmarks/rules.sh
#   USERS_COUNT=200000 RUNS=5 Benchmarks/rules.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/seed-audience.sh"
COUNT="${USERS_COUNT:-1000000}"
RUNS="${RUNS:-10}"

seed_audience "$COUNT"

AND_GROUP='{"logic":"AND","criteria":[{"field":"status","operator":"equals","value":"active"},
  {"field":"engagement.engagementScore","operator":"between","value":[40,59]},
  {"field":"attributes.plan","operator":"equals","value":"pro"}]}'
OTHER_GROUP='{"logic":"AND","criteria":[{"field":"status","operator":"equals","value":"blocked"},
  {"field":"engagement.engagementScore","operator":"greater_or_equal","value":50},
  {"field":"attributes.city","operator":"in","value":["city-1","city-21","city-41","city-61","city-81"]}]}'

TIMES_TABLE=()
# timed NAME METHOD PATH [BODY]: RUNS requests; records p50 and max of the response time and the userCount answered.
timed() {
    local name="$1" method="$2" path="$3" body="${4:-}" times=() count=""
    say "$name ($RUNS runs)"
    for _ in $(seq "$RUNS"); do
        local out="$WORK/timed.json"
        times+=("$(curl -fsS -X "$method" "$API$path" -H "$AUTH" -H "$JSON" ${body:+-d "$body"} -o "$out" -w '%{time_total}')")
        count="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["userCount"])' "$out")"
    done
    TIMES_TABLE+=("$(python3 -c '
import statistics, sys
name, count, times = sys.argv[1], sys.argv[2], [float(t) * 1000 for t in sys.argv[3:]]
print(f"{name:<58} {len(times):>5} {statistics.median(times):>9.0f} {max(times):>9.0f} {int(count):>9,}")' "$name" "$count" "${times[@]}")")
}

# wait_calculated PATH FIELD: seconds until the resource has a lastCalculated (its first calculation).
wait_calculated() {
    local start
    start=$(date +%s.%N)
    until curl -fsS "$API$1" -H "$AUTH" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["lastCalculated"] else 1)'; do
        sleep 0.1
    done
    python3 -c "import time; print(f'{time.time() - $start:.1f}')"
}

say "saving a segment with the AND rule (its members are calculated by a job)"
SEGMENT="$(curl -fsS -X POST "$API/segments" -H "$AUTH" -H "$JSON" -d "{\"name\":\"Bench AND\",${AND_GROUP:1}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
SEGMENT_CALCULATED="$(wait_calculated "/segments/$SEGMENT")"
timed "segment test: status AND score range AND attribute" POST "/segments/$SEGMENT/test"
timed "preview: OR of two such groups" POST "/segments/preview" "{\"logic\":\"OR\",\"criteria\":[$AND_GROUP,$OTHER_GROUP]}"

say "a dynamic group matching 30 % (engagement score below 30), calculated on creation"
GROUP="$(curl -fsS -X POST "$API/groups" -H "$AUTH" -H "$JSON" \
    -d '{"name":"Bench 30%","type":"dynamic","rules":{"criteria":[{"field":"engagement.engagementScore","operator":"less_than","value":30}]}}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
GROUP_CALCULATED="$(wait_calculated "/groups/$GROUP")"
MEMBERS="$(curl -fsS "$API/groups/$GROUP" -H "$AUTH" | python3 -c 'import json,sys; print(json.load(sys.stdin)["memberCount"])')"
say "recalculating it again (nothing changes)"
JOB="$(curl -fsS -X POST "$API/groups/$GROUP/recalculate" -H "$AUTH" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
START=$(date +%s.%N)
until curl -fsS "$API/audience/jobs/$JOB" -H "$AUTH" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["status"] == "succeeded" else 1)'; do
    sleep 0.1
done
AGAIN=$(python3 -c "import time; print(f'{time.time() - $START:.1f}')")

echo
echo "Roster rules benchmark ($COUNT users, 10 definitions) — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
printf '%-58s %5s %9s %9s %9s\n' "scenario" "runs" "p50 ms" "max ms" "matches"
printf '%s\n' "${TIMES_TABLE[@]}"
echo "seeding: $COUNT users and $ROWS_LOADED values in ${SEEDED}s; three searchable indexes built in ${INDEXED}s"
echo "segment saved → members calculated: ${SEGMENT_CALCULATED}s"
echo "dynamic group matching 30 %: created → ${MEMBERS} members calculated in ${GROUP_CALCULATED}s; recalculated again in ${AGAIN}s"
