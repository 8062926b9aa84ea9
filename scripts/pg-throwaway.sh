#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for tests: `start` prints its URL, `stop` removes it.
# Uses Debian's postgresql package (installed when missing and run as root). Never for production data.
set -euo pipefail
PORT="${PG_THROWAWAY_PORT:-54329}"
DIR="${PG_THROWAWAY_DIR:-/tmp/tenantry-pg-$PORT}"
DB="${PG_THROWAWAY_DB:-tenantry_test}"

bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$found" ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
      found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    else
      echo "PostgreSQL is not installed (apt-get install postgresql)" >&2
      exit 1
    fi
  fi
  echo "$found"
}

as_owner() {
  # initdb and postgres refuse to run as root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    BIN=$(bindir)
    if [ ! -f "$DIR/PG_VERSION" ]; then
      mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
      as_owner "$BIN/initdb" -D "$DIR" -U postgres --auth=trust >/dev/null
    fi
    as_owner "$BIN/pg_ctl" -D "$DIR" -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" -l "$DIR/log" -w start >/dev/null
    as_owner "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1 \
      || as_owner "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -c "CREATE DATABASE $DB" >/dev/null
    echo "postgres://postgres@127.0.0.1:$PORT/$DB"
    ;;
  stop)
    BIN=$(bindir)
    [ -f "$DIR/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DIR" -m immediate stop >/dev/null || true
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
