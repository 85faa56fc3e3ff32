#!/usr/bin/env bash
# Starts (or stops) the real Redis and PostgreSQL servers that the tests use, on loopback, with their
# data in a throw-away directory. `start` prints the environment the tests read; source it:
#
#   eval "$(scripts/test-services.sh start)"    # GRIDGAME_TEST_REDIS, GRIDGAME_TEST_POSTGRES, ...
#   scripts/test-services.sh stop
#
# PostgreSQL refuses to run as root, so its cluster is created and run as the `postgres` user.
set -euo pipefail

state=${GRIDGAME_TEST_SERVICES_DIR:-/tmp/gridgame-test-services}
redis_port=${GRIDGAME_TEST_REDIS_PORT:-6391}
pg_port=${GRIDGAME_TEST_POSTGRES_PORT:-5439}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  command -v redis-server >/dev/null || { echo "redis-server is not installed: run scripts/install-deps.sh" >&2; exit 1; }
  [ -n "$pg_bin" ] || { echo "PostgreSQL is not installed: run scripts/install-deps.sh" >&2; exit 1; }
  stop >/dev/null 2>&1 || true
  mkdir -p "$state/redis" "$state/pg"
  redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --save "" --appendonly no \
    --dir "$state/redis" --pidfile "$state/redis/redis.pid" --logfile "$state/redis/redis.log" >&2
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$state/pg"; fi
  as_postgres "$pg_bin/initdb" -D "$state/pg/data" -U postgres --auth=trust -E UTF8 >"$state/pg-initdb.log" 2>&1
  as_postgres "$pg_bin/pg_ctl" -D "$state/pg/data" -l "$state/pg/pg.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $pg_port -k $state/pg -c max_connections=300 -c fsync=off -c synchronous_commit=off" start >&2
  for _ in $(seq 1 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  cat <<ENV
export GRIDGAME_TEST_REDIS=127.0.0.1:$redis_port
export GRIDGAME_TEST_POSTGRES='Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres'
export GRIDGAME_TEST_PG_BIN=$pg_bin
export GRIDGAME_TEST_REDIS_SERVER=$(command -v redis-server)
ENV
}

stop() {
  if [ -f "$state/redis/redis.pid" ]; then kill "$(cat "$state/redis/redis.pid")" 2>/dev/null || true; fi
  if [ -n "$pg_bin" ] && [ -d "$state/pg/data" ]; then
    as_postgres "$pg_bin/pg_ctl" -D "$state/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$state"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
