# Shared by the benchmark scripts: a release build of the platform on its own PostgreSQL
# (fsync on) behind the gateway, wrk scenarios, and the result table. Source it; it starts
# everything and removes it on exit. Sets USERS, AUDIENCE, GATEWAY, AUTH, PG_PORT, PG_PASSWORD.
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/local/lib.sh"
cd "$ROSTER_ROOT"

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
ensure_packages
for tool in wrk hey; do
    command -v "$tool" >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$tool" >/dev/null
done
# BENCH_CONFIG=debug reuses the test build: quicker, and enough where PostgreSQL does the work
# (the SQL of an import's apply phase); recorded numbers come from release builds.
CONFIG="${BENCH_CONFIG:-release}"
say "building ($CONFIG)"
swift build -c "$CONFIG" >/dev/null
BIN="$(swift build -c "$CONFIG" --show-bin-path)"

WORK="$(mktemp -d /tmp/roster-bench.XXXXXX)"
chmod 755 "$WORK"
cleanup() {
    stop_platform "$WORK/platform"
    pg_stop "$WORK/pg"
    # ROSTER_BENCH_KEEP=1 keeps the logs (and data) for a look afterwards.
    if [ "${ROSTER_BENCH_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
PG_PASSWORD="$(random_secret 32)"
PG_PORT="$(free_port)"
pg_init "$WORK/pg" "$PG_PASSWORD"
pg_start "$WORK/pg" "$PG_PORT" "$WORK/postgres.log"
for service in "${ROSTER_SERVICES[@]}"; do export "ROSTER_PW_$service=$(random_secret 24)"; done
export ROSTER_SERVICE_SECRET="$(random_secret 48)" ROSTER_BOOTSTRAP_API_KEY="$(random_api_key)" ROSTER_LOG_LEVEL=warning
export ROSTER_ENCRYPTION_KEYS="$(random_encryption_keys)"
# Every benchmark client comes from 127.0.0.1: lift the per-address sign-in limit.
export ROSTER_AUTH_LOGIN_PER_MINUTE=1000000
db_bootstrap "$PG_PORT" "$PG_PASSWORD" bench bench_
PORTS=("$(free_port)" "$(free_port)" "$(free_port)" "$(free_port)")
GATEWAY_PORT="$(free_port)"
start_platform "$WORK/platform" "$BIN" "$PG_PORT" bench bench_ "$GATEWAY_PORT" "${PORTS[@]}"
USERS="http://127.0.0.1:${PORTS[0]}"
AUDIENCE="http://127.0.0.1:${PORTS[1]}"
GATEWAY="http://127.0.0.1:$GATEWAY_PORT"
AUTH="Authorization: Bearer $ROSTER_BOOTSTRAP_API_KEY"


# psql_bench SQL: runs SQL as the superuser on the benchmark database, unaligned output.
psql_bench() { PGPASSWORD="$PG_PASSWORD" psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bench -v ON_ERROR_STOP=1 -tAc "$1"; }

ROWS=()
# scenario NAME URL [LUA_SCRIPT] -- [wrk arguments...]: one wrk run; report.lua adds the result line.
scenario() {
    local name="$1" url="$2" script="$WORK/scenario.lua"
    shift 2
    cat "$ROSTER_ROOT/Benchmarks/report.lua" > "$script"
    if [ "${1:-}" != "--" ] && [ -n "${1:-}" ]; then cat "$1" >> "$script"; shift; fi
    [ "${1:-}" = "--" ] && shift
    say "$name"
    local line
    line="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "$@" "$url" | grep '^RESULT')"
    ROWS+=("$name|$line")
}
# print_table TITLE: the scenarios run so far.
print_table() {
    echo
    echo "$1 — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${DURATION}s per scenario"
    printf '%-52s %10s %9s %9s %8s\n' "scenario" "req/s" "p50 ms" "p99 ms" "errors"
    local row name result requests rate p50 p99 errors
    for row in "${ROWS[@]}"; do
        IFS='|' read -r name result <<<"$row"
        read -r _ requests rate p50 p99 errors <<<"$result"
        printf '%-52s %10s %9s %9s %8s\n' "$name" "$rate" "$p50" "$p99" "$errors"
    done
}
