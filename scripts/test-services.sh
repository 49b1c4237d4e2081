#!/usr/bin/env bash
# Start or stop the real services the test suite uses, on loopback, in a throwaway directory.
#   scripts/test-services.sh start   -> installs what is missing (apt-get), starts PostgreSQL 15,
#                                       MariaDB, Redis and OpenLDAP (scripts/test-ldap.sh), writes their URLs to var/test-services.env
#   scripts/test-services.sh stop    -> stops them and removes their data
# Ports are fixed high ports so a developer's own servers are never touched.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN="$ROOT/var/test-services"
ENV_FILE="$ROOT/var/test-services.env"
PG_PORT=${GOTRS_TEST_PG_PORT:-55432}
MY_PORT=${GOTRS_TEST_MARIADB_PORT:-53306}
REDIS_PORT=${GOTRS_TEST_REDIS_PORT:-56379}

log() { printf '[test-services] %s\n' "$*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then log "not root: cannot apt-get install $*"; return 1; fi
  if [ ! -f "$RUN/.apt-updated" ]; then apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null && touch "$RUN/.apt-updated"; fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}

ensure_installed() {
  local missing=()
  [ -n "$(pg_bin)" ] || missing+=(postgresql-15)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v mariadbd >/dev/null || command -v mysqld >/dev/null || missing+=(mariadb-server)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_install "${missing[@]}" || log "could not install ${missing[*]}"
  fi
}

wait_for() {  # wait_for NAME CMD...
  local name=$1; shift
  for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "$name did not come up"; return 1
}

start_postgres() {
  local bin; bin=$(pg_bin); [ -n "$bin" ] || { log "PostgreSQL 15 missing"; return 1; }
  # The cluster lives outside the checkout: the postgres user may not be able to enter it (mktemp -d is 0700).
  local data; data=$(mktemp -d /tmp/gotrs-test-pg.XXXXXX)
  echo "$data" > "$RUN/pg.path"
  chown -R postgres:postgres "$data" 2>/dev/null || true
  local as=(); [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null || return 1
  "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-p $PG_PORT -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null || return 1
  echo "GOTRS_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres" >> "$ENV_FILE"
}

start_mariadb() {
  local server; server=$(command -v mariadbd || command -v mysqld || true)
  [ -n "$server" ] || { log "MariaDB missing"; return 1; }
  local data="$RUN/mariadb"; mkdir -p "$data"
  mariadb-install-db --no-defaults --datadir="$data" --user=root --auth-root-authentication-method=normal \
    --skip-test-db >/dev/null 2>&1 || return 1
  "$server" --no-defaults --datadir="$data" --user=root --port="$MY_PORT" --bind-address=127.0.0.1 \
    --socket="$data/mysqld.sock" --pid-file="$data/mysqld.pid" --skip-log-bin \
    --innodb-flush-log-at-trx-commit=0 --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    >"$RUN/mariadb.log" 2>&1 &
  wait_for MariaDB mariadb --no-defaults -uroot -h127.0.0.1 -P"$MY_PORT" -e 'select 1' || return 1
  echo "GOTRS_TEST_MARIADB_URL=mysql+pymysql://root@127.0.0.1:$MY_PORT/mysql" >> "$ENV_FILE"
}

start_redis() {
  command -v redis-server >/dev/null || { log "Redis missing"; return 1; }
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log" --dir "$RUN" || return 1
  wait_for Redis redis-cli -p "$REDIS_PORT" ping || return 1
  echo "GOTRS_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0" >> "$ENV_FILE"
}

stop_all() {
  "$ROOT/scripts/test-ldap.sh" stop || true
  local bin; bin=$(pg_bin)
  local pg_data=""; [ -f "$RUN/pg.path" ] && pg_data=$(cat "$RUN/pg.path")
  if [ -n "$bin" ] && [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ]; then
    local as=(); [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "$pg_data" ] && rm -rf "$pg_data"
  [ -f "$RUN/mariadb/mysqld.pid" ] && kill "$(cat "$RUN/mariadb/mysqld.pid")" 2>/dev/null || true
  [ -f "$RUN/redis.pid" ] && kill "$(cat "$RUN/redis.pid")" 2>/dev/null || true
  sleep 0.5
  rm -rf "$RUN" "$ENV_FILE"
}

case "${1:-}" in
  start)
    stop_all
    mkdir -p "$RUN"; : > "$ENV_FILE"
    ensure_installed || true
    start_postgres || log "PostgreSQL not started"
    start_mariadb || log "MariaDB not started"
    start_redis || log "Redis not started"
    "$ROOT/scripts/test-ldap.sh" start || log "LDAP not started"
    log "services: $(tr '\n' ' ' < "$ENV_FILE")"
    ;;
  stop) stop_all ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
