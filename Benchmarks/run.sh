#!/usr/bin/env bash
# Platform benchmarks, run on demand (never in CI): throughput and latency of the main paths
# of a release build on this machine, printed as a table.
#
#   Benchmarks/run.sh                      # 10 s per scenario, 32 connections
#   DURATION=30 CONNECTIONS=64 Benchmarks/run.sh
#
# Starts its own PostgreSQL (fsync on) and the platform behind the gateway on free ports,
# drives it with wrk (installed if missing), and removes everything afterwards.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ID="$(curl -fsS -X POST "$USERS/api/v1/users" -H "$AUTH" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","firstName":"Bench","password":"bench-password-1"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
sleep 1

scenario "health (users, no database)" "$USERS/health/live"
scenario "get user (users, API key)" "$USERS/api/v1/users/$ID" -- -H "$AUTH"
scenario "get user via gateway" "$GATEWAY/api/v1/users/$ID" -- -H "$AUTH"
scenario "get projection (audience, cached key check)" "$AUDIENCE/api/v1/audience/users/$ID" -- -H "$AUTH"
scenario "list users, 20 per page" "$USERS/api/v1/users?limit=20" -- -H "$AUTH"

# steady NAME URL: GETs at a fixed rate (8 workers × 100/s) with hey, which — unlike wrk's
# closed loop — does not raise its load until the machine saturates; result as a table row.
steady() {
    local name="$1" url="$2" out
    say "$name"
    out="$(hey -z "${DURATION}s" -c 8 -q 100 -H "$AUTH" "$url")"
    local rate p50 p99 ok total
    rate="$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
    p50="$(awk '/ 50% in/ {printf "%.2f", $3 * 1000}' <<<"$out")"
    p99="$(awk '/ 99% in/ {printf "%.2f", $3 * 1000}' <<<"$out")"
    ok="$(awk '/\[200\]/ {print $2}' <<<"$out")"
    total="$(awk '/^  \[[0-9]+\]/ {sum += $2} END {print sum}' <<<"$out")"
    ROWS+=("$name|RESULT $total $rate $p50 $p99 $((total - ok))")
}
steady "get user at 800/s" "$USERS/api/v1/users/$ID"
say "16 clients sign in continuously (16 accounts, bcrypt cost 12) while GETs run at 800/s"
for n in $(seq 0 15); do
    curl -fsS -o /dev/null -X POST "$USERS/api/v1/users" -H "$AUTH" -H 'Content-Type: application/json' \
        -d "{\"email\":\"signer-$n@example.com\",\"password\":\"bench-password-1\"}"
done
cat "$ROSTER_ROOT/Benchmarks/report.lua" "$ROSTER_ROOT/Benchmarks/sign-in.lua" > "$WORK/sign-in.lua"
wrk -t1 -c16 -d"$((DURATION + 2))s" --timeout 60s --latency -s "$WORK/sign-in.lua" "$USERS/api/v1/auth/login" > "$WORK/sign-in.out" &
SIGN_IN=$!
sleep 1
steady "get user at 800/s, during 16 sign-in clients" "$USERS/api/v1/users/$ID"
wait "$SIGN_IN"
ROWS+=("sign-in, 16 clients (bcrypt cost 12)|$(grep '^RESULT' "$WORK/sign-in.out")")

say "projection lag (create, then poll audience until the user is there; 200 users, one at a time)"
LAG="$(python3 "$ROSTER_ROOT/Benchmarks/projection_lag.py" "$USERS" "$AUDIENCE" "$ROSTER_BOOTSTRAP_API_KEY" 200)"

count() { psql_bench "SELECT count(*) FROM $1"; }
BEFORE="$(count audience.user_projection)"
scenario "create user (+ outbox event)" "$USERS/api/v1/users" "$ROSTER_ROOT/Benchmarks/create-user.lua" -- -H "$AUTH"
say "waiting until audience has every user of the burst"
BURST_END=$(date +%s.%N)
CREATED="$(count users.users)"
while [ "$(count audience.user_projection)" -lt "$CREATED" ]; do sleep 0.2; done
DRAIN="$(python3 -c "import time; print(f'{time.time() - $BURST_END:.1f}')")"
PROJECTED="$(count audience.user_projection)"
BURST=$((PROJECTED - BEFORE))

print_table "Roster benchmarks (connections: $CONNECTIONS)"
echo "projection lag, one user at a time (ms): $LAG"
echo "after the create burst ($BURST users): audience caught up ${DRAIN}s after the burst ended"
echo "users created: $CREATED, projected by audience: $PROJECTED"
