#!/usr/bin/env bash
# Users import benchmark (issue 4), on demand: a CSV of N users (default 1,000,000; emails,
# phones for a third, names, types, countries) uploaded as multipart through the gateway,
# then timed in its phases:
#   - upload and staging (the 202 arrives once every row is staged with COPY);
#   - rows applied (every user created with its event: `pending` reaches 0);
#   - done (the job finished);
# with the users process's peak memory (target ≥ 50,000 rows/s, peak RSS ≤ 300 MB), the CPU
# seconds PostgreSQL and each service used until the last row was applied, and, for reference,
# how fast PostgreSQL alone inserts the same rows into the users table (and into a plain copy of
# it with its primary key alone).
# With IMPORT_TAGS=1, one row in 20 has tags and one in 50 a group: the job then finishes only
# once audience has taken every imported user's event and the memberships are sent, so "done"
# measures audience's event intake as well.
#
#   Benchmarks/import.sh
#   IMPORT_ROWS=200000 IMPORT_TAGS=1 Benchmarks/import.sh
set -euo pipefail
export ROSTER_HTTP_MAX_UPLOAD_BYTES=$((1 << 30))
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
COUNT="${IMPORT_ROWS:-1000000}"

say "writing a CSV of $COUNT users"
python3 - "$COUNT" "${IMPORT_TAGS:-0}" > "$WORK/users.csv" <<'PY'
import sys
count, tagged = int(sys.argv[1]), sys.argv[2] == "1"
first = ["Anna", "José", "Zoë", "Mary", "John", "Émile", "Chloé", "Ivan", "Olga", "Liam", "Noah", "Mia", "Léa", "Sofía"]
last = ["Müller", "Smith", "García", "Dubois", "Rossi", "Novák", "Kowalski", "Öztürk", "Silva", "Nguyen", "Kim", "Petrov"]
types = ["user", "user", "user", "lead", "visitor", "agent"]
out = sys.stdout
out.write("email,phone,firstName,lastName,type,country,tags,groups\n")
for n in range(1, count + 1):
    phone = f"+1555{n:07d}" if n % 3 == 0 else ""
    tags = '"VIP,Gold"' if tagged and n % 20 == 0 else ""
    group = "Imported" if tagged and n % 50 == 0 else ""
    out.write(f"user{n}@example.io,{phone},{first[n % 14]},{last[n % 12]},{types[n % 6]},NO,{tags},{group}\n")
PY
BYTES=$(stat -c %s "$WORK/users.csv")
curl -fsS -X POST "$AUDIENCE/api/v1/groups" -H "$AUTH" -H 'Content-Type: application/json' -d '{"name": "Imported"}' >/dev/null

USERS_PID="$(pgrep -f "$BIN/roster-users" | head -1)"
# cpu_seconds: CPU seconds used so far by PostgreSQL (the server and every backend, ended ones
# included) and by each service, as "postgres=… users=… …", from /proc.
cpu_seconds() {
    python3 - "$WORK" "${ROSTER_SERVICES[@]}" <<'PY'
import os, sys
work, services = sys.argv[1], sys.argv[2:]
tick = os.sysconf("SC_CLK_TCK")
def stat(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
def used(fields, children=False):  # utime, stime (and the reaped children's) after the name
    return (sum(map(int, fields[11:13])) + (sum(map(int, fields[13:15])) if children else 0)) / tick if fields else 0.0
postmaster = int(open(f"{work}/pg/postmaster.pid").readline())
backends = (stat(p) for p in os.listdir("/proc") if p.isdigit())
postgres = used(stat(postmaster), children=True) + sum(used(f) for f in backends if f and int(f[1]) == postmaster)
print(f"postgres={postgres:.1f}", *(f"{s}={used(stat(open(f'{work}/platform/{s}.pid').read().strip())):.1f}" for s in services))
PY
}
say "uploading $((BYTES / 1048576)) MiB"
CPU_BEFORE="$(cpu_seconds)"
START=$(date +%s.%N)
ANSWER="$(curl -fsS -X POST "$GATEWAY/api/v1/users/import" -H "$AUTH" -F "file=@$WORK/users.csv;type=text/csv")"
STAGED=$(date +%s.%N)
ID="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' <<<"$ANSWER")"
field() { python3 -c "import json, sys; print(json.load(sys.stdin).get('$1'))"; }
APPLIED=""
while :; do
    STATE="$(curl -fsS "$GATEWAY/api/v1/users/imports/$ID" -H "$AUTH")"
    if [ -z "$APPLIED" ] && [ "$(field pending <<<"$STATE")" = 0 ]; then APPLIED=$(date +%s.%N) CPU_APPLIED="$(cpu_seconds)"; fi
    case "$(field status <<<"$STATE")" in succeeded | failed) break ;; esac
    sleep 0.2
done
DONE=$(date +%s.%N)
USERS_RSS="$(awk '/VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$USERS_PID/status")"

# The reference: PostgreSQL alone inserting REFERENCE_ROWS of the file's rows (new ids and
# emails) into the users table as it now stands — every index, the kept counts' trigger, the
# foreign key — in one statement, rolled back. No import can apply rows faster than this.
REFERENCE_ROWS=$(( COUNT < 100000 ? COUNT : 100000 ))
# reference_insert [SQL run first in the transaction]: seconds for the insert.
reference_insert() {
    local start; start=$(date +%s.%N)
    psql_bench "
        BEGIN;
        $1
        INSERT INTO users.users (id, application_id, email, phone, first_name, last_name, type, status)
        SELECT gen_random_uuid(), i.application_id, 'ref-' || r.email, r.phone || '0', r.first_name, r.last_name, r.type, r.status
        FROM users.user_import_rows r JOIN users.user_imports i USING (job_id)
        WHERE r.job_id = '$ID' ORDER BY r.line LIMIT $REFERENCE_ROWS;
        ROLLBACK;" >/dev/null
    python3 -c "import time; print(time.time() - $start)"
}
say "reference: $REFERENCE_ROWS rows inserted by PostgreSQL alone"
REFERENCE_SECONDS="$(reference_insert "")"
# The same without the eight indexes that exist for the list's sorts (two of them also serve
# `GET /users/by?field=firstName|lastName`), dropped inside the rolled-back transaction: how
# much of the insert is theirs.
UNSORTED_SECONDS="$(reference_insert "DROP INDEX users.users_first_name, users.users_last_name, users.users_email_sort,
    users.users_username_sort, users.users_department, users.users_type_sort, users.users_last_activity, users.users_last_login;")"
# The floor: the same rows into a plain copy of the table with its primary key alone — no other
# index, no search column, no trigger. What the indexes and the rest cost is the difference.
PLAIN_SECONDS="$(reference_insert "CREATE TABLE users.users_plain (LIKE users.users INCLUDING DEFAULTS, PRIMARY KEY (id));
    ALTER TABLE users.users RENAME TO users_indexed; ALTER TABLE users.users_plain RENAME TO users;")"
echo
echo "Roster users import ($COUNT rows, $((BYTES / 1048576)) MiB) — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
printf '%-46s %9s %12s\n' "phase (from the start of the upload)" "seconds" "rows/s"
python3 - "$COUNT" "$START" "$STAGED" "$APPLIED" "$DONE" <<'PY'
import sys
count, start, staged, applied, done = int(sys.argv[1]), *map(float, sys.argv[2:])
for name, end in [("uploaded and staged (202)", staged), ("rows applied (users created)", applied), ("done (job finished)", done)]:
    print(f"{name:<46} {end - start:9.1f} {count / (end - start):12,.0f}")
PY
python3 - "$REFERENCE_ROWS" "$REFERENCE_SECONDS" "$UNSORTED_SECONDS" "$PLAIN_SECONDS" <<'PY'
import sys
rows, seconds, unsorted, plain = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"{f'reference: PostgreSQL inserting {rows:,} rows':<46} {seconds:9.1f} {rows / seconds:12,.0f}")
print(f"{'  the same without the 8 sort indexes':<46} {unsorted:9.1f} {rows / unsorted:12,.0f}")
print(f"{'  into a copy with its primary key alone':<46} {plain:9.1f} {rows / plain:12,.0f}")
PY
# Where the CPU went from the upload to the last row applied: the import's own backend is one
# of PostgreSQL's; the other services take each imported user's `user.created` event meanwhile.
python3 - "$(nproc)" "$START" "$APPLIED" "$CPU_BEFORE" "$CPU_APPLIED" <<'PY'
import sys
cores, start, applied = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
before, after = (dict(item.split("=") for item in line.split()) for line in sys.argv[4:6])
used = {name: float(after[name]) - float(before[name]) for name in before}
print(f"CPU seconds from the upload to the last row applied ({cores} cores × {applied - start:.1f} s = {cores * (applied - start):.1f}):")
print("  " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in used.items()) + f"; together {sum(used.values()):.1f}")
PY
echo "final state: $STATE"
echo "users process peak RSS over the whole run: $USERS_RSS"
