#!/usr/bin/env bash
# A real PostgreSQL server for local runs and tests. If something already answers
# on the port it is reused; otherwise PostgreSQL is installed from Debian's
# packages when missing and a cluster of labbook's own is started on 127.0.0.1,
# its data under $LABBOOK_HOME/pg. Idempotent. `down` stops only that cluster.
# Usage: deploy/local/postgres.sh up|down|destroy|status
# Settings: LABBOOK_PG_PORT (5432), LABBOOK_PG_USER/PASSWORD/DB (labbook), LABBOOK_PG_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
home=${LABBOOK_HOME:-$root/.labbook}
port=${LABBOOK_PG_PORT:-5432}
user=${LABBOOK_PG_USER:-labbook}
password=${LABBOOK_PG_PASSWORD:-labbook}
db=${LABBOOK_PG_DB:-labbook}
dir=${LABBOOK_PG_DIR:-$home/pg}

say() { echo "postgres: $*"; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

install_server() {
  [ -n "$(bindir)" ] && return
  [ "$(id -u)" = 0 ] || { say "PostgreSQL is not installed; run as root to install it"; exit 1; }
  say "installing PostgreSQL from Debian packages"
  # labbook runs its own cluster; don't let the package start a second one on 5432.
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf ||
    echo "create_main_cluster = false" >> /etc/postgresql-common/createcluster.conf
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib >/dev/null
}

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Where the cluster lives: $dir, or, when the postgres user cannot enter a parent
# folder of it (a checkout under /root or a private tmp folder), a stable place
# beside /var/tmp. No side effects, so `down` and `status` create nothing.
resolve_dir() {
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -w "$dir" 2>/dev/null; then
    dir=/var/tmp/labbook-pg-$(echo "$dir" | sha256sum | cut -c1-12)
  fi
}

prepare_dir() {
  mkdir -p "$dir"
  [ "$(id -u)" != 0 ] || chown postgres: "$dir"
  local wanted=$dir
  resolve_dir
  if [ "$dir" != "$wanted" ]; then
    say "postgres user cannot reach $wanted; using $dir"
    mkdir -p "$dir" && chown postgres: "$dir"
  fi
  chmod 700 "$dir"
}

answering() { "$(bindir)/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; }

ours_running() { [ -f "$dir/data/postmaster.pid" ] && as_owner "$(bindir)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

psql_admin() { as_owner "$(bindir)/psql" -h "$dir/sock" -p "$port" -U postgres -d postgres -qtAX "$@"; }

ensure_role_and_db() {
  psql_admin -v ON_ERROR_STOP=1 <<SQL >/dev/null
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L CREATEDB', '$user', '$password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$user') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$db', '$user')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db') \gexec
SQL
}

start() {
  install_server
  prepare_dir
  if ours_running; then say "already running at 127.0.0.1:$port ($dir)"; ensure_role_and_db; return; fi
  if answering; then say "a server already answers at 127.0.0.1:$port; reusing it"; return; fi
  local bin; bin=$(bindir)
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    say "creating a cluster in $dir/data"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C >/dev/null
  fi
  mkdir -p "$dir/sock" && { [ "$(id -u)" != 0 ] || chown postgres: "$dir/sock"; }
  say "starting PostgreSQL at 127.0.0.1:$port (log $dir/server.log)"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c max_connections=200" >/dev/null
  ensure_role_and_db
  say "ready: postgresql://$user:***@127.0.0.1:$port/$db"
}

stop() {
  resolve_dir
  if ours_running; then
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    say "stopped ($dir)"
  else
    say "not running (nothing of ours to stop)"
  fi
}

destroy() {
  stop
  rm -rf "$dir"
  say "removed $dir"
}

status() {
  resolve_dir
  if [ -n "$(bindir)" ] && ours_running; then say "running at 127.0.0.1:$port ($dir)"
  elif [ -n "$(bindir)" ] && answering; then say "a server not started by labbook answers at 127.0.0.1:$port"
  else say "stopped"; return 3; fi
}

case "${1:-}" in
  up) start ;;
  down) stop ;;
  destroy) destroy ;;  # stop and delete the cluster's data (throwaway test clusters)
  status) status ;;
  *) echo "usage: $0 up|down|destroy|status" >&2; exit 2 ;;
esac
