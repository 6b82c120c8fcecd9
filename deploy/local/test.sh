#!/usr/bin/env bash
# The test command, self-sufficient on a fresh machine:
#  1. installs what is missing (PostgreSQL 15, nginx; schemathesis and aiosmtpd — the tests'
#     loopback SMTP server — in a local venv);
#  2. builds everything (debug) and checks the gateway configuration with `nginx -t`;
#  3. starts a throwaway PostgreSQL cluster on a free port (initdb into a temp folder);
#  4. runs the whole Swift test suite against it (real services, real gateway);
#  5. starts the platform behind the gateway and checks every service against its OpenAPI
#     document with schemathesis;
#  6. removes everything it started.
# Arguments are passed to `swift test` (e.g. --filter GatewayTests); ROSTER_SKIP_CONTRACT=1
# skips step 5.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROSTER_ROOT"

SCHEMATHESIS_VERSION=4.32.5
AIOSMTPD_VERSION=1.4.6
VENV="$ROSTER_ROOT/.build-venv"

ensure_packages
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION" \
    || ! "$VENV/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" 2>/dev/null; then
    say "installing schemathesis $SCHEMATHESIS_VERSION and aiosmtpd $AIOSMTPD_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" "aiosmtpd==$AIOSMTPD_VERSION"
fi

say "building (debug)"
swift build --build-tests
BIN="$(swift build --show-bin-path)"

WORK="$(mktemp -d /tmp/roster-test.XXXXXX)"
chmod 755 "$WORK"
cleanup() {
    stop_platform "$WORK/platform"
    # Processes the Swift tests started, should `swift test` itself have died.
    pkill -KILL -f "^$BIN/roster-" 2>/dev/null || true
    pkill -KILL -f "nginx -p /tmp/roster-test-" 2>/dev/null || true
    pg_stop "$WORK/pg"
    if [ -n "${ROSTER_TEST_KEEP:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

say "checking the gateway configuration (nginx -t)"
render_gateway "$WORK/nginx-check" 127.0.0.1:18080 127.0.0.1:18081 127.0.0.1:18082 127.0.0.1:18083 127.0.0.1:18084
"$(nginx_bin)" -t -q -p "$WORK/nginx-check" -c "$WORK/nginx-check/nginx.conf"

PG_PASSWORD="$(random_secret 32)"
PG_PORT="$(free_port)"
say "starting a throwaway PostgreSQL on port $PG_PORT"
pg_init "$WORK/pg" "$PG_PASSWORD"
PG_FSYNC=off pg_start "$WORK/pg" "$PG_PORT" "$WORK/postgres.log"

export ROSTER_TEST_POSTGRES_URL="postgres://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
export ROSTER_TEST_BIN_DIR="$BIN"
export ROSTER_TEST_PYTHON="$VENV/bin/python"
say "running the Swift tests"
swift test --skip-build --no-parallel "$@"

[ "${ROSTER_SKIP_CONTRACT:-0}" = 1 ] && exit 0

say "contract check: schemathesis against every service's OpenAPI document"
for service in "${ROSTER_SERVICES[@]}"; do export "ROSTER_PW_$service=$(random_secret 24)"; done
export ROSTER_SERVICE_SECRET="$(random_secret 48)" ROSTER_BOOTSTRAP_API_KEY="$(random_api_key)"
export ROSTER_ENCRYPTION_KEYS="$(random_encryption_keys)"
db_bootstrap "$PG_PORT" "$PG_PASSWORD" contract contract_
PORTS=("$(free_port)" "$(free_port)" "$(free_port)" "$(free_port)")
GATEWAY_PORT="$(free_port)"
start_platform "$WORK/platform" "$BIN" "$PG_PORT" contract contract_ "$GATEWAY_PORT" "${PORTS[@]}"
GATEWAY="http://127.0.0.1:$GATEWAY_PORT"

# Fails on any 5xx, a response that violates its documented schema, content type or headers,
# any status code the document does not list, an operation that ignores missing or invalid
# credentials, and a deleted resource that can still be read.
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
CHECKS=$CHECKS,response_headers_conformance,ignored_auth,use_after_free,negative_data_rejection
export HYPOTHESIS_STORAGE_DIRECTORY="$WORK/hypothesis"
# schemathesis_run CREDENTIAL SCHEMATHESIS_ARGUMENTS...
# One worker: with two threads, hypothesis describing its filters runs Python's ast.parse
# concurrently, which CPython 3.11 can fail with "AST constructor recursion depth mismatch"
# (seen once in CI, a crash of the tool, not a finding about the API).
schemathesis_run() {
    local credential="$1"
    shift
    ROSTER_CONTRACT_CREDENTIAL="$credential" "$VENV/bin/schemathesis" --config-file "$ROSTER_ROOT/deploy/local/schemathesis.toml" \
        run "$@" --checks "$CHECKS" --max-examples "${ROSTER_CONTRACT_EXAMPLES:-25}" --seed 20261123 --generation-database none \
        --workers 1 --request-timeout 10 --no-color
}
# Runs limited to a slice of the routes skip the stateful phase: the document's links join
# operations outside the slice, and schemathesis counts links it cannot follow as an error.
SLICE_PHASES=examples,coverage,fuzzing
OPERATIONS='^/(health/|metrics$|openapi\.json$)'
# Routes that act for a signed-in user get a user's access token; the rest the admin API key.
USER_ROUTES='^/api/v1/(me($|/)|auth/(csrf|logout|logout-all|email/verification)$)'
curl -fsS -X POST "$GATEWAY/api/v1/auth/register" -H 'Content-Type: application/json' \
    -d '{"email":"contract@example.com","password":"contract-password-1"}' -o /dev/null
USER_TOKEN="$(curl -fsS -X POST "$GATEWAY/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"contract@example.com","password":"contract-password-1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')"
failed=0
for i in 0 1 2 3; do
    service="${ROSTER_SERVICES[$i]}"
    document="$WORK/$service.json"
    curl -fsS "$GATEWAY/openapi/$service.json" -o "$document"
    public=$(python3 -c 'import json,re,sys; d=json.load(open(sys.argv[1])); print(sum(1 for p in d.get("paths",{}) if not re.match(sys.argv[2], p)))' \
        "$document" "$OPERATIONS")
    if [ "$public" -gt 0 ]; then
        say "$service: public routes through the gateway"
        schemathesis_run "$ROSTER_BOOTSTRAP_API_KEY" "$document" --url "$GATEWAY" \
            --exclude-path-regex "$OPERATIONS|$USER_ROUTES" || failed=1
        if python3 -c 'import json,re,sys; sys.exit(0 if any(re.match(sys.argv[2], p) for p in json.load(open(sys.argv[1]))["paths"]) else 1)' \
            "$document" "$USER_ROUTES"; then
            say "$service: routes of the signed-in user through the gateway"
            schemathesis_run "$USER_TOKEN" "$document" --url "$GATEWAY" --include-path-regex "$USER_ROUTES" \
                --phases "$SLICE_PHASES" || failed=1
        fi
    fi
    say "$service: operational routes on the service itself"
    schemathesis_run "" "$document" --url "http://127.0.0.1:${PORTS[$i]}" --include-path-regex "$OPERATIONS" \
        --phases "$SLICE_PHASES" || failed=1
done
if grep -h '"level":"\(error\|critical\)"' "$WORK"/platform/*.log; then
    say "services logged errors during the contract check"
    failed=1
fi
[ $failed = 0 ] || die "the contract check failed"
say "all tests passed"
