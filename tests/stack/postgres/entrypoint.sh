#!/bin/sh
# Postgres entrypoint for the arctui test stack (runs the host's postgres in hostroot).
# First start: initdb (scram password auth over TCP, trust on the socket), then create
# $POSTGRES_DB and the pg_stat_statements extension. Always: exec postgres on
# 127.0.0.1:$PG_PORT with its socket in /tmp.
set -eu
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-15432}
export PATH="$PG_BIN:$PATH"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "entrypoint: initdb in $PGDATA"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >/dev/null
  rm -f "$pwfile"
  echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\"" \
    | postgres --single -D "$PGDATA" postgres >/dev/null
  echo "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
    | postgres --single -D "$PGDATA" -c shared_preload_libraries=pg_stat_statements \
      "$POSTGRES_DB" >/dev/null
  echo "entrypoint: created database $POSTGRES_DB"
fi

exec postgres -D "$PGDATA" \
  -c port="$PG_PORT" \
  -c listen_addresses=127.0.0.1 \
  -c unix_socket_directories=/tmp \
  -c shared_preload_libraries=pg_stat_statements
