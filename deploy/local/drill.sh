#!/usr/bin/env bash
# The scaling drill (README, "Scaling out"): proof on one machine that every service runs as
# several replicas and survives losing one.
#  1. starts a throwaway PostgreSQL, then two replicas of every service at the same moment
#     (their migrations race), an internal load balancer for service-to-service calls (what a
#     Kubernetes Service is) and the gateway with two upstream servers per service;
#  2. runs a mixed load through the gateway (deploy/local/drill_load.py: user creation,
#     updates, group changes, broadcasts) and, half-way, kills one replica of each service with
#     SIGKILL;
#  3. waits until events, jobs and broadcasts have settled, then checks and prints: every
#     acknowledged user exists; every event of users reached audience, verification and notification exactly
#     once (inbox rows equal outbox rows, projections at the users' versions); group counts
#     exact; no notification written twice and every broadcast complete with its counts
#     matching its rows; each migration applied once per schema; and failed requests only
#     among those in flight when the replicas died.
# ROSTER_DRILL_SECONDS (default 40), ROSTER_DRILL_WORKERS (8), ROSTER_DRILL_CONFIG (debug or release).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROSTER_ROOT"

SECONDS_OF_LOAD="${ROSTER_DRILL_SECONDS:-40}"
WORKERS="${ROSTER_DRILL_WORKERS:-8}"
CONFIG="${ROSTER_DRILL_CONFIG:-debug}"

ensure_packages
say "building ($CONFIG)"
swift build -c "$CONFIG"
BIN="$(swift build -c "$CONFIG" --show-bin-path)"

WORK="$(mktemp -d /tmp/roster-drill.XXXXXX)"
chmod 755 "$WORK"
OUT="$WORK/platform"
mkdir -p "$OUT"
cleanup() {
    stop_platform "$OUT"
    pg_stop "$WORK/pg"
    if [ -n "${ROSTER_DRILL_KEEP:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PG_PASSWORD="$(random_secret 32)"
PG_PORT="$(free_port)"
say "starting a throwaway PostgreSQL on port $PG_PORT"
pg_init "$WORK/pg" "$PG_PASSWORD"
PG_FSYNC=off pg_start "$WORK/pg" "$PG_PORT" "$WORK/postgres.log"
for service in "${ROSTER_SERVICES[@]}"; do export "ROSTER_PW_$service=$(random_secret 24)"; done
export ROSTER_SERVICE_SECRET="$(random_secret 48)" ROSTER_BOOTSTRAP_API_KEY="$(random_api_key)"
export ROSTER_ENCRYPTION_KEYS="$(random_encryption_keys)"
db_bootstrap "$PG_PORT" "$PG_PASSWORD" drill drill_
sql() { PGPASSWORD="$PG_PASSWORD" psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d drill -tA -v ON_ERROR_STOP=1 -c "$1"; }

# Ports: two replicas per service, one internal balancer port per service, the gateway.
declare -A FIRST SECOND INTERNAL
for service in "${ROSTER_SERVICES[@]}"; do
    FIRST[$service]="$(free_port)"; SECOND[$service]="$(free_port)"; INTERNAL[$service]="$(free_port)"
done
GATEWAY_PORT="$(free_port)"
GATEWAY="http://127.0.0.1:$GATEWAY_PORT"
upstreams() { local s; for s in "${ROSTER_SERVICES[@]}"; do printf '127.0.0.1:%s,127.0.0.1:%s ' "${FIRST[$s]}" "${SECOND[$s]}"; done; }

# Service-to-service calls go through a balancer over both replicas, as through a Kubernetes
# Service; a replica that refuses connections is skipped.
mkdir -p "$OUT/internal"
for service in "${ROSTER_SERVICES[@]}"; do
    cat <<EOF
upstream internal_$service { server 127.0.0.1:${FIRST[$service]} max_fails=1 fail_timeout=5s; server 127.0.0.1:${SECOND[$service]} max_fails=1 fail_timeout=5s; keepalive 16; }
server {
    listen 127.0.0.1:${INTERNAL[$service]};
    access_log off;
    client_max_body_size 256m;
    location / {
        proxy_pass http://internal_$service;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_next_upstream error timeout;
        proxy_read_timeout 60s;
    }
}
EOF
done > "$OUT/internal/roster.conf"
nginx_main "$OUT/internal"
"$(nginx_bin)" -p "$OUT/internal" -c "$OUT/internal/nginx.conf" >> "$OUT/internal.log" 2>&1 &
echo $! > "$OUT/internal.pid"
# shellcheck disable=SC2046
render_gateway "$OUT/gateway" "127.0.0.1:$GATEWAY_PORT" $(upstreams)
"$(nginx_bin)" -p "$OUT/gateway" -c "$OUT/gateway/nginx.conf" >> "$OUT/gateway.log" 2>&1 &
echo $! > "$OUT/gateway.pid"

say "starting two replicas of every service at once"
PEERS=("${INTERNAL[users]}" "${INTERNAL[audience]}" "${INTERNAL[verification]}" "${INTERNAL[notification]}")
for service in "${ROSTER_SERVICES[@]}"; do
    start_service "$OUT" "$BIN" "$service" "$service-1" "${FIRST[$service]}" "$PG_PORT" drill drill_ "${PEERS[@]}"
    start_service "$OUT" "$BIN" "$service" "$service-2" "${SECOND[$service]}" "$PG_PORT" drill drill_ "${PEERS[@]}"
done
for service in "${ROSTER_SERVICES[@]}"; do
    for port in "${FIRST[$service]}" "${SECOND[$service]}"; do
        wait_ready "http://127.0.0.1:$port/health/ready" 180 || { tail -n 30 "$OUT/$service-"*.log >&2; die "$service did not become ready"; }
    done
done
wait_ready "$GATEWAY/healthz" 30 || die "the gateway did not start"

AUTH=(-H "Authorization: Bearer $ROSTER_BOOTSTRAP_API_KEY" -H 'Content-Type: application/json')
GROUP="$(curl -fsS "${AUTH[@]}" -X POST "$GATEWAY/api/v1/groups" -d '{"name":"Drill"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"

say "mixed load for ${SECONDS_OF_LOAD}s from $WORKERS workers; one replica of each service killed half-way"
python3 "$ROSTER_ROOT/deploy/local/drill_load.py" "$GATEWAY" "$ROSTER_BOOTSTRAP_API_KEY" "$GROUP" "$SECONDS_OF_LOAD" "$WORKERS" \
    "$WORK/load.json" &
LOAD=$!
sleep "$((SECONDS_OF_LOAD / 2))"
KILLED_AT="$(date +%s.%N)"
for service in "${ROSTER_SERVICES[@]}"; do
    pid="$(cat "$OUT/$service-1.pid")"
    { kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
done
say "killed ${ROSTER_SERVICES[*]} replica 1"
wait "$LOAD"

say "waiting for events, jobs and broadcasts to settle (a killed worker's job lease runs out after 60 s)"
settled=0
for _ in $(seq 1 300); do
    pending="$(sql "SELECT (SELECT count(*) FROM users.outbox_deliveries)
        + (SELECT count(*) FROM audience.jobs WHERE status IN ('queued', 'running'))
        + (SELECT count(*) FROM notification.jobs WHERE status IN ('queued', 'running'))
        + (SELECT count(*) FROM verification.jobs WHERE status IN ('queued', 'running'))
        + (SELECT count(*) FROM notification.broadcasts WHERE status IN ('queued', 'running'))")"
    [ "$pending" = 0 ] && { settled=1; break; }
    sleep 1
done

# The ids the load was answered with, as tables for the checks (the database is thrown away).
python3 - "$WORK/load.json" <<'PYTHON' > "$WORK/answered.sql"
import json, sys
load = json.load(open(sys.argv[1]))
for table, key in (("acknowledged", "created"), ("accepted", "broadcasts")):
    ids = ",".join(f"'{i}'" for i in load[key]) or "NULL"
    print(f"CREATE TABLE {table} AS SELECT unnest(ARRAY[{ids}]::uuid[]) AS id;")
PYTHON
PGPASSWORD="$PG_PASSWORD" psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d drill -v ON_ERROR_STOP=1 -f "$WORK/answered.sql"
FAILED_CHECKS=0
sql_files() { local files=("$1"/*.sql); if [ -e "${files[0]}" ]; then echo "${#files[@]}"; else echo 0; fi; }
check() { # check NAME ACTUAL EXPECTED
    local mark="ok"
    [ "$2" = "$3" ] || { mark="FAILED (expected $3)"; FAILED_CHECKS=$((FAILED_CHECKS + 1)); }
    printf '%-62s %12s  %s\n' "$1" "$2" "$mark"
}

echo
printf '%-62s %12s\n' "request outcomes (through the gateway)" "count"
python3 - "$WORK/load.json" <<'PYTHON'
import json, sys
for operation, tally in sorted(json.load(open(sys.argv[1]))["counts"].items()):
    print(f"  {operation:<60} {tally['ok']:>12} ok, {tally['failed']} failed, {tally['refused']} refused")
PYTHON
echo
printf '%-62s %12s\n' "check" "value"
check "events, jobs and broadcasts settled" "$settled" 1
ACKED="$(sql "SELECT count(*) FROM acknowledged")"
check "acknowledged users (201) missing from users" "$(sql "SELECT count(*) FROM acknowledged a LEFT JOIN users.users u ON u.id = a.id WHERE u.id IS NULL")" 0
# Each user's version counts its events (created is version 1, each change one more); the
# outbox rows themselves are gone once delivered. Inbox rows are unique by event id.
EVENTS="$(sql "SELECT sum(version) FROM users.users")"
check "users' events taken by audience (inbox rows) of $EVENTS" "$(sql "SELECT count(*) FROM audience.inbox_events WHERE source = 'users'")" "$EVENTS"
check "users' events taken by notification (inbox rows) of $EVENTS" \
    "$(sql "SELECT count(*) FROM notification.inbox_events WHERE source = 'users'")" "$EVENTS"
check "users' events taken by verification (inbox rows) of $EVENTS" \
    "$(sql "SELECT count(*) FROM verification.inbox_events WHERE source = 'users'")" "$EVENTS"
check "users whose audience projection is not at their version" \
    "$(sql "SELECT count(*) FROM users.users u LEFT JOIN audience.user_projection p ON p.user_id = u.id WHERE p.version IS DISTINCT FROM u.version")" 0
check "users whose notification recipient is not at their version" \
    "$(sql "SELECT count(*) FROM users.users u LEFT JOIN notification.recipients r ON r.user_id = u.id WHERE r.version IS DISTINCT FROM u.version")" 0
check "users whose verification copy is not at their version" \
    "$(sql "SELECT count(*) FROM users.users u LEFT JOIN verification.known_users k ON k.user_id = u.id WHERE k.version IS DISTINCT FROM u.version")" 0
check "groups whose memberCount differs from their members" \
    "$(sql "SELECT count(*) FROM audience.groups g WHERE member_count <> (SELECT count(*) FROM audience.group_members m WHERE m.group_id = g.id)")" 0
check "notifications written twice (same broadcast and user)" \
    "$(sql "SELECT count(*) FROM (SELECT 1 FROM notification.notifications GROUP BY broadcast_id, user_id HAVING count(*) > 1) d")" 0
check "broadcasts not completed" "$(sql "SELECT count(*) FROM notification.broadcasts WHERE status <> 'completed'")" 0
check "broadcasts whose delivered count differs from their rows" \
    "$(sql "SELECT count(*) FROM notification.broadcasts b WHERE delivered <> (SELECT count(*) FROM notification.notifications n WHERE n.broadcast_id = b.id)")" 0
check "list broadcasts that missed a listed id" \
    "$(sql "SELECT count(*) FROM notification.broadcasts WHERE target_kind = 'users' AND recipients <> cardinality(target_user_ids)")" 0
check "accepted broadcasts (202) missing" \
    "$(sql "SELECT count(*) FROM accepted a LEFT JOIN notification.broadcasts b ON b.id = a.id WHERE b.id IS NULL")" 0
for service in "${ROSTER_SERVICES[@]}"; do
    # Both replicas migrated at the same moment; between them each migration ran exactly once.
    files=$(( $(sql_files Shared/Runtime/Resources/Migrations) + $(sql_files "Services/${service^}/Resources/Migrations") ))
    applied=$(( $(grep -ho '"migrations.applied":"[0-9]*"' "$OUT/$service-1.log" "$OUT/$service-2.log" | grep -o '[0-9]*' | paste -sd+) ))
    check "$service: migrations run by the two replicas together" "$applied/$(sql "SELECT count(*) FROM $service.schema_migrations")" "$files/$files"
done
check "requests failed outside the kill window (-1 s .. +10 s)" "$(python3 -c '
import json,sys; load=json.load(open(sys.argv[1])); k=float(sys.argv[2])
print(sum(1 for f in load["failures"] if not k - 1 <= f["at"] <= k + 10))' "$WORK/load.json" "$KILLED_AT")" 0
# Each worker has one request open at a time; besides that one, a request may still go over a
# connection the dead replica left open (a balancer's keep-alive pool) before it is noticed.
check "requests failed in the kill window, at most two per worker" "$(python3 -c '
import json,sys; load=json.load(open(sys.argv[1])); k=float(sys.argv[2]); w=int(sys.argv[3])
n=sum(1 for f in load["failures"] if k - 1 <= f["at"] <= k + 10 and f["operation"] != "broadcast (first try)"); print("yes" if n <= 2 * w else n)' \
    "$WORK/load.json" "$KILLED_AT" "$WORKERS")" yes
echo
say "$ACKED users created, $(sql "SELECT count(*) FROM notification.notifications") notifications written"
[ "$FAILED_CHECKS" = 0 ] || die "$FAILED_CHECKS drill checks failed"
say "the drill passed"
