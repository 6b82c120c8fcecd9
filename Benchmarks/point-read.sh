#!/usr/bin/env bash
# Point reads against pgbench (issue 4), on demand: N users (default 1,000,000) written
# straight into the users table; an agent signs in and reads random users by id with its
# access JWT (verified locally, no internal call) — directly against the users service and
# through the gateway — at CONNECTIONS (default 16); then `pgbench -S` (select-only, scale 10:
# 1,000,000 accounts) runs on the same PostgreSQL with as many clients. Targets: direct ≥ 0.2 ×
# and gateway ≥ 0.12 × pgbench's transactions per second. For scale, the same reads from
# `roster-point-read-reference` (Benchmarks/PointReadReference: the least such a service does).
#
#   Benchmarks/point-read.sh
#   USERS_COUNT=200000 DURATION=20 Benchmarks/point-read.sh
#   PROFILE=1 Benchmarks/point-read.sh   # also samples the users process during the direct run (perf)
set -euo pipefail
CONNECTIONS="${CONNECTIONS:-16}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
COUNT="${USERS_COUNT:-1000000}"
APP="$(psql_bench "SELECT id FROM users.applications ORDER BY created_at LIMIT 1")"

say "seeding $COUNT users"
psql_bench "
    INSERT INTO users.users (id, application_id, email, first_name, last_name, type, created_at, updated_at)
    SELECT gen_random_uuid(), '$APP', 'reader' || g || '@example.io', 'First' || g, 'Last' || g, 'user',
        now() - make_interval(secs => g), now()
    FROM generate_series(1, $COUNT) g"
psql_bench "VACUUM ANALYZE users.users"
# The seeding's writes are flushed now, not by a checkpoint during the first scenario.
psql_bench "CHECKPOINT"

# The ids the readers pick from, as a Lua table.
{
    echo "ids = {"
    psql_bench "SELECT '\"' || id || '\",' FROM users.users TABLESAMPLE SYSTEM (2) LIMIT 10000"
    echo "}"
    cat <<'LUA'
request = function()
  return wrk.format("GET", "/api/v1/users/" .. ids[math.random(1, #ids)])
end
LUA
} > "$WORK/point-read.lua"

say "signing an agent in"
curl -fsS -X POST "$USERS/api/v1/users" -H "$AUTH" -H 'Content-Type: application/json' \
    -d '{"email":"bench-agent@example.io","type":"agent","password":"bench-password-1"}' >/dev/null
TOKEN="$(curl -fsS -X POST "$USERS/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"identifier":"bench-agent@example.io","password":"bench-password-1"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])')"

# Warm-up, not recorded: the table's pages in PostgreSQL's cache, the token verified once.
wrk -t2 -c"$CONNECTIONS" -d5s -s "$WORK/point-read.lua" -H "Authorization: Bearer $TOKEN" "$USERS" >/dev/null

if [ "${PROFILE:-0}" = 1 ]; then
    command -v perf >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends linux-perf >/dev/null
    perf record -F 499 -o "$WORK/perf.data" -p "$(pgrep -f "$BIN/roster-users" | head -1)" -- sleep "$DURATION" >/dev/null 2>&1 &
    PERF_PID=$!
fi
scenario "GET /users/{id}, access JWT, users directly" "$USERS" "$WORK/point-read.lua" -- -H "Authorization: Bearer $TOKEN"
if [ "${PROFILE:-0}" = 1 ]; then
    wait "$PERF_PID"
    perf report -i "$WORK/perf.data" --stdio --no-children --sort symbol --percent-limit 0.7 2>/dev/null | grep -v '^$' \
        | swift demangle --simplified | cut -c1-160 > "$WORK/profile.txt"
    say "profile of the users process (self time): $WORK/profile.txt (kept with ROSTER_BENCH_KEEP=1)"
    grep -E '^ +[0-9.]+%' "$WORK/profile.txt" | head -40
fi
scenario "GET /users/{id}, access JWT, through the gateway" "$GATEWAY" "$WORK/point-read.lua" -- -H "Authorization: Bearer $TOKEN"

# The yardstick: a minimal Hummingbird + PostgresNIO service reading the same users.
REFERENCE_PORT="$(free_port)"
PGHOST=127.0.0.1 PGPORT="$PG_PORT" PGUSER=postgres PGPASSWORD="$PG_PASSWORD" PGDATABASE=bench APPLICATION_ID="$APP" \
    PORT="$REFERENCE_PORT" "$BIN/roster-point-read-reference" >"$WORK/reference.log" 2>&1 &
REFERENCE_PID=$!
trap 'kill "$REFERENCE_PID" 2>/dev/null || true; cleanup' EXIT
wait_ready "http://127.0.0.1:$REFERENCE_PORT/api/v1/users/$(sed -n 2p "$WORK/point-read.lua" | tr -d '",')" 30 \
    || die "the reference service did not answer (see $WORK/reference.log)"
scenario "reference: minimal Hummingbird + PostgresNIO read" "http://127.0.0.1:$REFERENCE_PORT" "$WORK/point-read.lua"
kill "$REFERENCE_PID" 2>/dev/null || true
wait "$REFERENCE_PID" 2>/dev/null || true

say "pgbench -S"
export PGPASSWORD="$PG_PASSWORD"
pgbench=/usr/lib/postgresql/15/bin/pgbench
"$pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 10 -q bench >/dev/null 2>&1
psql_bench "CHECKPOINT"
TPS="$("$pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -S -n -c "$CONNECTIONS" -j 2 -T "$DURATION" bench 2>/dev/null \
    | awk '/^tps/ {print int($3); exit}')"

print_table "Roster point reads ($COUNT users)"
echo
printf '%-52s %10s\n' "pgbench -S (same PostgreSQL, $CONNECTIONS clients)" "$TPS tps"
for row in "${ROWS[@]}"; do
    IFS='|' read -r name result <<<"$row"
    read -r _ _ rate _ <<<"$result"
    printf '%-52s %10s\n' "$name" "$(python3 -c "print(f'{$rate / $TPS:.2f} ×')")"
done
