# shellcheck shell=bash
# Source this file: pg_start DIR starts a throwaway PostgreSQL cluster in DIR (data, socket, log) on
# 127.0.0.1 and a free port, and sets PG_PORT and PG_SERVER (an Npgsql connection string without a
# database); pg_stop stops it and removes DIR. PG_EXTRA_OPTIONS adds server options (test.sh turns fsync off).
# The server package comes from Debian when it is missing.
# As root the cluster runs as the `postgres` user (initdb refuses root).

pg_bin() {
  local initdb
  initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)"
  if [[ -z "$initdb" ]]; then
    echo "postgres.sh: installing the PostgreSQL server (apt-get install postgresql)" >&2
    if [[ "$(id -u)" -eq 0 ]]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; }
    else
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
    fi
    initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)"
  fi
  dirname "$initdb"
}

_pg_as() { if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_start() {
  PG_DIR="$1"
  local bin; bin="$(pg_bin)"
  mkdir -p "$PG_DIR"
  [[ "$(id -u)" -eq 0 ]] && chown postgres "$PG_DIR"
  PG_PORT="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null \
    || node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  _pg_as "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync >/dev/null
  # More connections than the default 100: several service instances each keep a pool. Durability
  # settings (fsync, synchronous_commit) stay at their defaults, so benchmark figures are honest.
  _pg_as "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=500 ${PG_EXTRA_OPTIONS:-}" start >/dev/null
  PG_SERVER="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Maximum Pool Size=50"
  PG_BIN="$bin"
  export PG_PORT PG_SERVER PG_DIR PG_BIN
}

pg_stop() {
  [[ -n "${PG_DIR:-}" && -d "$PG_DIR/data" ]] || return 0
  _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
