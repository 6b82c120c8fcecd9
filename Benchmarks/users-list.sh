#!/usr/bin/env bash
# Users list and search benchmark (issue 4), on demand: N users (default 1,000,000) written
# straight into the users table (first and last names from lists with accents, emails,
# phones for a third, usernames for a fifth, every type and status), then wrk through the
# gateway at 16 connections:
#   - a filtered, sorted page: status + type, newest first, a random page of the first 50
#     (target p99 ≤ 50 ms);
#   - q searches: a random "first last" name pair, and a random email fragment
#     (target p99 ≤ 100 ms);
# then the whole export, as CSV and as NDJSON, timed, with the users process's peak memory
# (target ≥ 200,000 rows/s, peak RSS ≤ 150 MB).
#
#   Benchmarks/users-list.sh
#   USERS_COUNT=200000 DURATION=20 Benchmarks/users-list.sh
set -euo pipefail
CONNECTIONS="${CONNECTIONS:-16}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
COUNT="${USERS_COUNT:-1000000}"
APP="$(psql_bench "SELECT id FROM users.applications ORDER BY created_at LIMIT 1")"

say "seeding $COUNT users"
START=$(date +%s.%N)
psql_bench "
    INSERT INTO users.users (id, application_id, email, phone, username, first_name, last_name, type, status, created_at, updated_at)
    SELECT gen_random_uuid(), '$APP',
        lower(f) || '.' || lower(l) || g || '@example.io',
        CASE WHEN g % 3 = 0 THEN '+1555' || lpad(g::text, 7, '0') END,
        CASE WHEN g % 5 = 0 THEN 'user_' || g END,
        f, l,
        (ARRAY['visitor','lead','user','user','user','agent'])[1 + g % 6],
        CASE WHEN g % 20 = 0 THEN 'inactive' WHEN g % 20 = 1 THEN 'blocked' ELSE 'active' END,
        now() - make_interval(secs => (g::bigint * 94) % (3 * 365 * 86400)), now()
    FROM (
        SELECT g, (ARRAY['Anna','José','Zoë','Mary','John','Émile','Chloé','Ivan','Olga','Liam','Noah','Mia','Léa','Sofía','Jörg',
                'Mateo','Aiko','Yuki','Omar','Fatima','Nina','Paul','Sara','Tomás','Inès','Björn','Ana','Luca','Eva','Max'])[1 + g % 30] AS f,
            (ARRAY['Müller','Smith','García','Dubois','Rossi','Novák','Søren','Kowalski','Öztürk','Silva','Nguyen','Kim','Petrov',
                'Johansson','Bauer','Moreau','Costa','Horváth','Jensen','López','Schmidt','Martin','Brown','Wilson','Taylor',
                'Andersen','Ferreira','Lefèvre','Žukauskas','Ólafsson','Weiß','Fischer','Wagner','Becker','Hoffmann','Schäfer',
                'Koch','Richter','Klein','Wolf'])[1 + (g / 30) % 40] AS l
        FROM generate_series(1, $COUNT) g) AS names"
psql_bench "VACUUM ANALYZE users.users"
SEEDED=$(python3 -c "import time; print(f'{time.time() - $START:.0f}')")

SCRIPT="$ROSTER_ROOT/Benchmarks/users-list.lua"
export LIST=page; scenario "page: status=active&type=user, newest first" "$GATEWAY" "$SCRIPT" -- -H "$AUTH" --timeout 10s
export LIST=name; scenario "q: a first and last name (about 830 match)" "$GATEWAY" "$SCRIPT" -- -H "$AUTH" --timeout 10s
export LIST=email; scenario "q: an email fragment (a few match)" "$GATEWAY" "$SCRIPT" -- -H "$AUTH" --timeout 10s

print_table "Roster users list and search ($COUNT users, seeded in ${SEEDED}s)"

USERS_PID="$(pgrep -f "$BIN/roster-users" | head -1)"
echo
printf '%-52s %10s %9s %12s\n' "export (whole table, through the gateway)" "rows" "seconds" "rows/s"
for format in csv ndjson; do
    start=$(date +%s.%N)
    rows=$(curl -fsS "$GATEWAY/api/v1/users/export?format=$format" -H "$AUTH" | wc -l)
    seconds=$(python3 -c "import time; print(f'{time.time() - $start:.2f}')")
    printf '%-52s %10s %9s %12s\n' "$format" "$rows" "$seconds" "$(python3 -c "print(f'{$rows / $seconds:,.0f}')")"
done
echo "users process peak RSS over the whole run: $(awk '/VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$USERS_PID/status")"
