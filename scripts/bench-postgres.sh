#!/usr/bin/env bash
# The benchmarks' own PostgreSQL cluster: it outlives the test services (scripts/test-services.sh start removes its
# cluster, and with it a million-ticket dataset that takes an hour to build).
#   scripts/bench-postgres.sh start   -> creates the cluster if it is missing, starts it if it is down, and writes
#                                        GOTRS_BENCH_PG_URL to var/bench-postgres.env (the benchmarks read it)
#   scripts/bench-postgres.sh stop    -> stops it; the data stays
#   scripts/bench-postgres.sh remove  -> stops it and removes its data
# Where: GOTRS_BENCH_PG_DIR (default /var/tmp/gotrs-bench-pg), port GOTRS_BENCH_PG_PORT (default 55452), loopback.
# Settings as the test cluster's (fsync, synchronous commit and full-page writes off: the figures in
# docs/PERFORMANCE.md were measured so; a production server keeps them on), shared_buffers a quarter of the memory
# up to 4 GB (GOTRS_BENCH_PG_SHARED_BUFFERS). On the development VM the kernel's DAMON reclaim pages out file cache
# not touched for a minute, so the million-ticket figures of 2026-12-03 and later run with
# GOTRS_BENCH_PG_SHARED_BUFFERS=16GB: the search's documents stay in PostgreSQL's own memory, as a server's page
# cache would hold them (docs/PERFORMANCE.md). The setting applies when the cluster starts.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${GOTRS_BENCH_PG_DIR:-/var/tmp/gotrs-bench-pg}
PORT=${GOTRS_BENCH_PG_PORT:-55452}
ENV_FILE="$ROOT/var/bench-postgres.env"
BIN=/usr/lib/postgresql/15/bin

log() { printf '[bench-postgres] %s\n' "$*" >&2; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# A quarter of the memory, at most 4 GB (the figures in docs/PERFORMANCE.md: 4 GB on a 23 GiB machine).
shared_buffers() {
  local kb; kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  local mb=$(( kb / 4096 )); [ "$mb" -gt 4096 ] && mb=4096
  echo "${GOTRS_BENCH_PG_SHARED_BUFFERS:-${mb}MB}"
}
running() { [ -f "$DATA/postmaster.pid" ] && as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
  if [ ! -x "$BIN/initdb" ]; then
    [ "$(id -u)" = 0 ] || { log "PostgreSQL 15 is missing (apt-get install postgresql-15 as root)"; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql-15 >/dev/null
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
    as_postgres "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    log "created the cluster in $DATA"
  fi
  if ! running; then
    rm -f "$DATA/postmaster.pid"
    as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -o "-p $PORT -k $DATA \
      -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
      -c max_connections=200 -c shared_buffers=$(shared_buffers)" start >/dev/null
  fi
  mkdir -p "$ROOT/var"
  echo "GOTRS_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres" > "$ENV_FILE"
  log "running: $(cat "$ENV_FILE")"
}

case "${1:-}" in
  start) start ;;
  stop) running && as_postgres "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null; rm -f "$ENV_FILE" ;;
  remove) running && as_postgres "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null; rm -rf "$DATA" "$ENV_FILE" ;;
  *) echo "usage: $0 start|stop|remove" >&2; exit 2 ;;
esac
