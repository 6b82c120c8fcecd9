#!/usr/bin/env bash
# Shared shell functions of the local run and test commands: packages, a private
# PostgreSQL cluster, the four services and the nginx gateway on loopback.

ROSTER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROSTER_SERVICES=(users audience verification notification)
PG_BIN="/usr/lib/postgresql/15/bin"

say() { printf '\033[1m[roster]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Installs what is missing of PostgreSQL 15, nginx, curl and Python 3 with venv.
ensure_packages() {
    local missing=()
    [ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15 postgresql-client-15)
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    # Debian starts a system cluster and nginx on install; we run our own, so stop theirs.
    if [ ${#missing[@]} -gt 0 ]; then
        as_root service nginx stop >/dev/null 2>&1 || true
        as_root service postgresql stop >/dev/null 2>&1 || true
    fi
}

nginx_bin() { command -v nginx 2>/dev/null || echo /usr/sbin/nginx; }

# Runs a PostgreSQL server binary as an unprivileged user (postgres refuses root).
pg_run() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

random_secret() {
    python3 -c 'import secrets,string; a=string.ascii_letters+string.digits; print("".join(secrets.choice(a) for _ in range('"${1:-40}"')))'
}

# A key in the API-key format: rk_<8>_<32>.
# random_encryption_keys: a key list for ROSTER_ENCRYPTION_KEYS (one fresh 32-byte key).
random_encryption_keys() { echo "k1:$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')"; }
random_api_key() { echo "rk_$(random_secret 8)_$(random_secret 32)"; }

# pg_init DIR SUPERUSER_PASSWORD: a new cluster in DIR owned by the user that runs postgres.
pg_init() {
    local dir="$1" password="$2"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    local pwfile; pwfile="$(mktemp)"
    echo "$password" > "$pwfile"
    [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
    pg_run "$PG_BIN/initdb" -D "$dir" -U postgres --pwfile="$pwfile" --auth-local=scram-sha-256 \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
}

# pg_start DIR PORT LOGFILE
pg_start() {
    local dir="$1" port="$2" log="$3"
    touch "$log"; [ "$(id -u)" = 0 ] && chown postgres: "$log"
    pg_run "$PG_BIN/pg_ctl" -D "$dir" -l "$log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=300 -c fsync=${PG_FSYNC:-on}" \
        start >/dev/null || { cat "$log" >&2; die "PostgreSQL did not start"; }
}

pg_stop() { pg_run "$PG_BIN/pg_ctl" -D "$1" -m fast -w stop >/dev/null 2>&1 || true; }

# psql_set NAME VALUE: a psql `\set` line (quotes and backslashes escaped), so values such
# as passwords reach psql on standard input rather than on its command line.
psql_set() {
    local value="${2//\\/\\\\}"
    printf "\\set %s '%s'\n" "$1" "${value//\'/\\\'}"
}

# db_bootstrap PORT SUPERUSER_PASSWORD DATABASE ROLE_PREFIX (role passwords from ROSTER_PW_<service>)
db_bootstrap() {
    local port="$1" password="$2" database="$3" prefix="$4" service variable
    PGPASSWORD="$password" psql -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1 ||
        PGPASSWORD="$password" psql -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE \"$database\"" >/dev/null
    {
        psql_set role_prefix "$prefix"
        for service in "${ROSTER_SERVICES[@]}"; do
            variable="ROSTER_PW_$service"
            psql_set "${service}_password" "${!variable}"
        done
        cat "$ROSTER_ROOT/deploy/postgres/bootstrap.sql"
    } | PGPASSWORD="$password" psql -q -h 127.0.0.1 -p "$port" -U postgres -d "$database" -f - >/dev/null
}

# render_gateway OUTPUT_DIR LISTEN USERS AUDIENCE VERIFICATION NOTIFICATION: a full nginx.conf
# around the shared gateway template (the same file docker-compose uses); an upstream may list
# several replicas, comma-separated.
render_gateway() {
    local out="$1"
    mkdir -p "$out"
    ROSTER_GATEWAY_LISTEN="$2" ROSTER_USERS_UPSTREAM="$3" ROSTER_AUDIENCE_UPSTREAM="$4" \
    ROSTER_VERIFICATION_UPSTREAM="$5" ROSTER_NOTIFICATION_UPSTREAM="$6" \
        python3 "$ROSTER_ROOT/deploy/gateway/render.py" "$ROSTER_ROOT/deploy/gateway/roster.conf.template" > "$out/roster.conf"
    nginx_main "$out"
}

# nginx_main OUTPUT_DIR: the main nginx.conf around OUTPUT_DIR/roster.conf, with its own
# pid, logs and temp folders there.
nginx_main() {
    local out="$1"
    mkdir -p "$out/temp"
    chmod 777 "$out/temp"
    sed -e "s#@OUT@#$out#g" "$ROSTER_ROOT/deploy/local/nginx.conf" > "$out/nginx.conf"
}

# wait_ready URL SECONDS
wait_ready() {
    local url="$1" deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}

# start_service OUT BIN SERVICE NAME PORT PG_PORT DATABASE ROLE_PREFIX USERS_PORT AUDIENCE_PORT
#               VERIFICATION_PORT NOTIFICATION_PORT
# Starts one process of SERVICE on PORT (log OUT/NAME.log, pid OUT/NAME.pid), reaching its
# peers on the given ports; role passwords from ROSTER_PW_<service>.
start_service() {
    local out="$1" bin="$2" service="$3" name="$4" port="$5" pg_port="$6" database="$7" prefix="$8"
    shift 8
    local peers=("$@") password_var="ROSTER_PW_$service"
    env ROSTER_HTTP_PORT="$port" \
        ROSTER_DATABASE_URL="postgres://$prefix$service:${!password_var}@127.0.0.1:$pg_port/$database" \
        ROSTER_USERS_URL="http://127.0.0.1:${peers[0]}" ROSTER_AUDIENCE_URL="http://127.0.0.1:${peers[1]}" \
        ROSTER_VERIFICATION_URL="http://127.0.0.1:${peers[2]}" ROSTER_NOTIFICATION_URL="http://127.0.0.1:${peers[3]}" \
        "$bin/roster-$service" >> "$out/$name.log" 2>&1 &
    echo $! > "$out/$name.pid"
}

# start_platform OUT BIN PG_PORT DATABASE ROLE_PREFIX GATEWAY_PORT USERS_PORT AUDIENCE_PORT
#                VERIFICATION_PORT NOTIFICATION_PORT
# Starts the four services (role passwords from ROSTER_PW_<service>; ROSTER_SERVICE_SECRET
# and ROSTER_BOOTSTRAP_API_KEY from the environment) and the gateway; waits until all are ready.
start_platform() {
    local out="$1" bin="$2" pg_port="$3" database="$4" prefix="$5" gateway_port="$6"
    shift 6
    local ports=("$@") i
    mkdir -p "$out"
    for i in 0 1 2 3; do
        start_service "$out" "$bin" "${ROSTER_SERVICES[$i]}" "${ROSTER_SERVICES[$i]}" "${ports[$i]}" "$pg_port" "$database" "$prefix" \
            "${ports[@]}"
    done
    render_gateway "$out/gateway" "127.0.0.1:$gateway_port" "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" \
        "127.0.0.1:${ports[2]}" "127.0.0.1:${ports[3]}"
    "$(nginx_bin)" -p "$out/gateway" -c "$out/gateway/nginx.conf" >> "$out/gateway.log" 2>&1 &
    echo $! > "$out/gateway.pid"
    for i in 0 1 2 3; do
        wait_ready "http://127.0.0.1:${ports[$i]}/health/ready" 120 ||
            { tail -n 30 "$out/${ROSTER_SERVICES[$i]}.log" >&2; die "${ROSTER_SERVICES[$i]} did not become ready"; }
    done
    wait_ready "http://127.0.0.1:$gateway_port/healthz" 30 || { cat "$out/gateway.log" >&2; die "the gateway did not start"; }
}

# ours PID: whether PID is still a process start_platform started (a roster service or nginx),
# so a stale PID file never makes us signal an unrelated process.
ours() {
    local command
    command="$({ tr '\0' ' ' < "/proc/$1/cmdline"; } 2>/dev/null)" || return 1
    [[ "$command" == *roster-* || "$command" == *nginx* ]]
}

# stop_platform OUT: SIGTERM to everything start_platform started (services drain), then wait.
stop_platform() {
    local out="$1" pidfile pid
    [ -d "$out" ] || return 0
    for pidfile in "$out"/*.pid; do
        [ -f "$pidfile" ] || continue
        pid="$(cat "$pidfile")"
        ours "$pid" && kill -TERM "$pid" 2>/dev/null || true
    done
    for pidfile in "$out"/*.pid; do
        [ -f "$pidfile" ] || continue
        pid="$(cat "$pidfile")"
        for _ in $(seq 1 150); do ours "$pid" || break; sleep 0.2; done
        ours "$pid" && kill -KILL "$pid" 2>/dev/null || true
        rm -f "$pidfile"
    done
}
