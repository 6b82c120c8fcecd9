#!/usr/bin/env bash
# Users statistics benchmark (issue 4), on demand: N users (default 1,000,000) written straight
# into the users table with spread-out creation dates (three years), types, statuses, sexes,
# birth dates, preferences and engagement scores; then each statistics endpoint is timed
# RUNS times through the gateway. Target: every one ≤ 200 ms.
#
#   Benchmarks/stats.sh
#   USERS_COUNT=200000 RUNS=5 Benchmarks/stats.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
COUNT="${USERS_COUNT:-1000000}"
RUNS="${RUNS:-10}"
APP="$(psql_bench "SELECT id FROM users.applications ORDER BY created_at LIMIT 1")"

say "seeding $COUNT users"
START=$(date +%s.%N)
psql_bench "
    INSERT INTO users.users (id, application_id, email, type, status, sex, birth_date, email_verified, preferences,
        engagement_score, created_at, updated_at)
    SELECT gen_random_uuid(), '$APP', 'user' || g || '@example.io',
        (ARRAY['visitor','lead','user','user','user','agent'])[1 + g % 6],
        CASE WHEN g % 20 = 0 THEN 'inactive' WHEN g % 20 = 1 THEN 'blocked' ELSE 'active' END,
        (ARRAY['male','female','other',NULL])[1 + g % 4],
        CASE WHEN g % 7 = 0 THEN NULL ELSE date '1950-01-01' + (g % 25000) END,
        g % 3 <> 0,
        jsonb_build_object('categories', (ARRAY['[\"fashion\"]','[\"tech\",\"beauty\"]','[]'])[1 + g % 3]::jsonb,
            'networks', '[\"instagram\"]'::jsonb),
        (g::bigint * 7919) % 100,
        now() - make_interval(secs => (g::bigint * 94) % (3 * 365 * 86400)), now()
    FROM generate_series(1, $COUNT) g"
psql_bench "VACUUM ANALYZE users.users"
SEEDED=$(python3 -c "import time; print(f'{time.time() - $START:.0f}')")

TABLE=()
for path in users-stats users/metrics users/counts users/stats/sex users/stats/age users/stats/preferences; do
    say "GET /api/v1/$path ($RUNS runs)"
    times=()
    for _ in $(seq "$RUNS"); do
        times+=("$(curl -fsS "$GATEWAY/api/v1/$path" -H "$AUTH" -o /dev/null -w '%{time_total}')")
    done
    TABLE+=("$(python3 -c '
import statistics, sys
times = [float(t) * 1000 for t in sys.argv[2:]]
print(f"{sys.argv[1]:<40} {statistics.median(times):>9.0f} {max(times):>9.0f}")' "GET /api/v1/$path" "${times[@]}")")
done

echo
echo "Roster users statistics ($COUNT users) — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $RUNS runs each, through the gateway"
printf '%-40s %9s %9s\n' "endpoint" "p50 ms" "max ms"
printf '%s\n' "${TABLE[@]}"
echo "seeding: ${SEEDED}s"
