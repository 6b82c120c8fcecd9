#!/bin/sh
# Runs once, when the postgres container creates its cluster: the four roles and schemas.
# Passwords reach psql on standard input, not on its command line.
set -eu
set_var() {
    printf "\\set %s '%s'\n" "$1" "$(printf '%s' "$2" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/\\\\'/g")"
}
{
    set_var role_prefix roster_
    set_var users_password "$ROSTER_USERS_DB_PASSWORD"
    set_var audience_password "$ROSTER_AUDIENCE_DB_PASSWORD"
    set_var verification_password "$ROSTER_VERIFICATION_DB_PASSWORD"
    set_var notification_password "$ROSTER_NOTIFICATION_DB_PASSWORD"
    cat /roster/bootstrap.sql
} | psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f -
