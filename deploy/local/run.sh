#!/usr/bin/env bash
# The run command: builds Roster (release) and runs the whole platform on this machine —
# a private PostgreSQL cluster under .roster/ (created on the first run, reused after),
# the four services and the nginx gateway on http://127.0.0.1:8080. Ctrl-C stops it all.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROSTER_ROOT"

DATA="${ROSTER_DATA_DIR:-$ROSTER_ROOT/.roster}"
PG_PORT="${ROSTER_LOCAL_PG_PORT:-54329}"
GATEWAY_PORT="${ROSTER_GATEWAY_PORT:-8080}"

ensure_packages
say "building (release; the first build takes a while)"
swift build -c release
BIN="$(swift build -c release --show-bin-path)"

mkdir -p "$DATA/logs"
chmod 755 "$DATA"
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$DATA"; then
    # e.g. a checkout under /root (mode 700): the postgres user cannot reach it.
    DATA=/var/lib/roster
    say "the postgres user cannot reach the checkout; keeping data in $DATA (set ROSTER_DATA_DIR to choose)"
    mkdir -p "$DATA/logs"
    chmod 755 "$DATA"
fi
if [ ! -f "$DATA/secrets.env" ]; then
    umask 077
    {
        echo "PG_PASSWORD=$(random_secret 32)"
        for service in "${ROSTER_SERVICES[@]}"; do echo "ROSTER_PW_$service=$(random_secret 32)"; done
        echo "ROSTER_SERVICE_SECRET=$(random_secret 48)"
        echo "ROSTER_BOOTSTRAP_API_KEY=$(random_api_key)"
    } > "$DATA/secrets.env"
    umask 022
fi
if ! grep -q '^ROSTER_ENCRYPTION_KEYS=' "$DATA/secrets.env"; then
    # Data folders made before encrypted attributes existed get their key now.
    echo "ROSTER_ENCRYPTION_KEYS=$(random_encryption_keys)" >> "$DATA/secrets.env"
fi
set -a
# shellcheck disable=SC1091
source "$DATA/secrets.env"
set +a

if [ ! -d "$DATA/postgres" ]; then
    say "creating the PostgreSQL cluster in $DATA/postgres"
    pg_init "$DATA/postgres" "$PG_PASSWORD"
fi
stop_all() {
    trap - EXIT INT TERM
    say "stopping"
    stop_platform "$DATA/run"
    pg_stop "$DATA/postgres"
}
trap stop_all EXIT INT TERM
pg_start "$DATA/postgres" "$PG_PORT" "$DATA/logs/postgres.log"
db_bootstrap "$PG_PORT" "$PG_PASSWORD" roster roster_

stop_platform "$DATA/run"
start_platform "$DATA/run" "$BIN" "$PG_PORT" roster roster_ "$GATEWAY_PORT" 8081 8082 8083 8084

cat <<MSG

  Roster is running at http://127.0.0.1:$GATEWAY_PORT

  Admin API key of the default application:
      $ROSTER_BOOTSTRAP_API_KEY

  Try:  curl -H "Authorization: Bearer $ROSTER_BOOTSTRAP_API_KEY" http://127.0.0.1:$GATEWAY_PORT/api/v1/users
  Logs: $DATA/run/*.log      Stop: Ctrl-C

MSG
wait
