#!/usr/bin/env bash
# Notification benchmark (issue 8), on demand:
#  1. MEMBERS users (default 1,000,000) written straight into notification's recipients and
#     audience's projection, all members of one static group; one broadcast to the group through
#     the gateway, timed from the POST until the broadcast is completed, with the notification
#     process's peak RSS (VmHWM). Targets: ≤ 60 s, ≤ 300 MB.
#  2. The table grown to NOTIFICATIONS rows (default 10,000,000); a signed-in user with 1,000 of
#     them (half unread); wrk at 16 connections on the unread count and the first inbox page.
#     Targets: p99 ≤ 20 ms and ≤ 30 ms.
#
#   Benchmarks/notification.sh
#   MEMBERS=200000 NOTIFICATIONS=2000000 Benchmarks/notification.sh
set -euo pipefail
CONNECTIONS="${CONNECTIONS:-16}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MEMBERS="${MEMBERS:-1000000}"
NOTIFICATIONS="${NOTIFICATIONS:-10000000}"
NOTIFICATION_PID="$(cat "$WORK/platform/notification.pid")"
APP="$(psql_bench "SELECT id FROM users.applications ORDER BY created_at LIMIT 1")"
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

say "seeding $MEMBERS group members"
GROUP="$(curl -fsS -X POST "$GATEWAY/api/v1/groups" -H "$AUTH" -H 'Content-Type: application/json' -d '{"name":"Everyone"}' | json id)"
psql_bench "
    CREATE TABLE public.seeded AS SELECT gen_random_uuid() AS id, g FROM generate_series(1, $MEMBERS) g;
    INSERT INTO notification.recipients (application_id, user_id, email, type, status, version)
    SELECT '$APP', id, 'm' || g || '@example.io', 'user', 'active', 1 FROM public.seeded;
    INSERT INTO audience.user_projection (application_id, user_id, email, type, status, version, created_at, updated_at)
    SELECT '$APP', id, 'm' || g || '@example.io', 'user', 'active', 1, now(), now() FROM public.seeded;
    SET search_path TO audience;
    INSERT INTO audience.group_members (application_id, group_id, user_id) SELECT '$APP', '$GROUP', id FROM public.seeded;
    DROP TABLE public.seeded;
    ANALYZE notification.recipients; ANALYZE audience.group_members;"

say "broadcast to $MEMBERS members"
START=$(date +%s.%N)
BROADCAST="$(curl -fsS -X POST "$GATEWAY/api/v1/broadcasts" -H "$AUTH" -H 'Content-Type: application/json' \
    -d "{\"type\":\"new_campaign\",\"title\":\"Summer\",\"message\":\"A new campaign\",\"channels\":[\"in_app\"],\"groupId\":\"$GROUP\"}" | json id)"
until [ "$(psql_bench "SELECT status FROM notification.broadcasts WHERE id = '$BROADCAST'")" = completed ]; do sleep 0.2; done
FANOUT=$(python3 -c "import time; print(f'{time.time() - $START:.1f}')")
DELIVERED="$(psql_bench "SELECT delivered FROM notification.broadcasts WHERE id = '$BROADCAST'")"
PEAK_MB=$(( $(awk '/VmHWM/ {print $2}' "/proc/$NOTIFICATION_PID/status") / 1024 ))

say "growing the table to $NOTIFICATIONS notifications"
curl -fsS -X POST "$GATEWAY/api/v1/auth/register" -H 'Content-Type: application/json' \
    -d '{"email":"reader@example.io","password":"correct horse 1"}' -o /dev/null
TOKEN="$(curl -fsS -X POST "$GATEWAY/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"reader@example.io","password":"correct horse 1"}' | json accessToken)"
READER="$(psql_bench "SELECT id FROM users.users WHERE email = 'reader@example.io'")"
REST=$(( NOTIFICATIONS - DELIVERED - 1000 ))
psql_bench "
    INSERT INTO notification.notifications (application_id, id, user_id, type_code, title, message, read_at, created_at)
    SELECT '$APP', gen_random_uuid(), '$READER', 'new_campaign', 'Title ' || g, 'Message', CASE WHEN g % 2 = 0 THEN now() END,
        now() - make_interval(secs => g)
    FROM generate_series(1, 1000) g;
    INSERT INTO notification.notifications (application_id, id, user_id, type_code, title, message, read_at, created_at)
    SELECT application_id, gen_random_uuid(), user_id, 'update_balance', 'Balance', 'Updated', CASE WHEN g % 3 = 0 THEN now() END,
        now() - make_interval(secs => g)
    FROM (SELECT application_id, user_id, row_number() OVER () AS r FROM notification.recipients WHERE user_id <> '$READER') r,
        generate_series(1, CEIL($REST::numeric / $MEMBERS)::int) g
    WHERE (r.r - 1) * CEIL($REST::numeric / $MEMBERS)::int + g <= $REST"
psql_bench "VACUUM ANALYZE notification.notifications"
TOTAL="$(psql_bench "SELECT count(*) FROM notification.notifications")"

scenario "GET /api/v1/me/notifications/unread-count" "$GATEWAY/api/v1/me/notifications/unread-count" -- -H "Authorization: Bearer $TOKEN"
scenario "GET /api/v1/me/notifications (first page of 20)" "$GATEWAY/api/v1/me/notifications" -- -H "Authorization: Bearer $TOKEN"
scenario "GET /api/v1/me/notifications?unread=true" "$GATEWAY/api/v1/me/notifications?unread=true" -- -H "Authorization: Bearer $TOKEN"
print_table "Roster notification inbox ($TOTAL notifications, $CONNECTIONS connections, through the gateway)"
echo
echo "broadcast to a group of $MEMBERS: $DELIVERED delivered in ${FANOUT}s (POST to completed); notification peak RSS ${PEAK_MB} MB"
