#!/bin/sh
# Runs once, when the postgres container creates its cluster: the four roles and schemas.
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
    -v role_prefix=roster_ \
    -v users_password="$ROSTER_USERS_DB_PASSWORD" \
    -v audience_password="$ROSTER_AUDIENCE_DB_PASSWORD" \
    -v verification_password="$ROSTER_VERIFICATION_DB_PASSWORD" \
    -v notification_password="$ROSTER_NOTIFICATION_DB_PASSWORD" \
    -f /roster/bootstrap.sql
