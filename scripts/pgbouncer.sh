#!/usr/bin/env bash
# PgBouncer in transaction mode in front of the local primary, for the tests and the benchmarks.
#
#   scripts/pgbouncer.sh start    # install the Debian package when missing (root), start or reload
#   scripts/pgbouncer.sh stop
#   scripts/pgbouncer.sh status   # SHOW POOLS; exit 1 when not answering
#
# It runs deploy/pgbouncer/pgbouncer.ini — the production file — with only what a loopback
# test instance needs changed after it: port PGBOUNCER_PORT [6434] (6432 is left to a system
# pgbouncer), trust authentication, every database name passed through to the primary
# (PRIMARY_PORT [5432]), its files in PGBOUNCER_DIR [/var/lib/postgresql/pb-pgbouncer].
# One instance per machine, shared by every checkout (the copy of the ini is taken at start).
# Clients: postgres://postgres@127.0.0.1:6434/<database>, with DB_POOLER=true.
# The replica's own pooler is a second instance of the same file (scripts/test-services.sh):
#   PGBOUNCER_PORT=6435 PRIMARY_PORT=5433 PGBOUNCER_DIR=/var/lib/postgresql/pb-pgbouncer-replica
# (PRIMARY_PORT is the server it pools: there the replica.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${PGBOUNCER_PORT:-6434}
primary_port=${PRIMARY_PORT:-5432}
dir=${PGBOUNCER_DIR:-/var/lib/postgresql/pb-pgbouncer}
pool_size=${PGBOUNCER_POOL_SIZE:-20}

die() { echo "pgbouncer.sh: $*" >&2; exit 1; }
admin() { psql -h 127.0.0.1 -p "$port" -U postgres -d pgbouncer -qAtX -c "$1" 2>/dev/null; }
answering() { admin "SHOW VERSION" >/dev/null; }
pid() { [ -f "$dir/pgbouncer.pid" ] && cat "$dir/pgbouncer.pid"; }
running() { local p; p=$(pid) && kill -0 "$p" 2>/dev/null; }

configure() {
  install -d -o postgres -g postgres -m 0750 "$dir"
  install -o postgres -g postgres -m 0640 "$root/deploy/pgbouncer/pgbouncer.ini" "$dir/production.ini"
  # trust still needs the user names in auth_file.
  printf '"postgres" ""\n' | install -o postgres -g postgres -m 0640 /dev/stdin "$dir/userlist.txt"
  # The production file with the test instance's values in place of its own: one [databases]
  # (every name to this instance's server) and one [pgbouncer] (the last section, so appended keys land
  # in it; PgBouncer 1.18 took neither a leading %include nor a section opened twice).
  local overrides="listen_addr|listen_port|unix_socket_dir|auth_type|auth_file|logfile|pidfile|default_pool_size|max_db_connections|admin_users"
  {
    echo "; Made by scripts/pgbouncer.sh from deploy/pgbouncer/pgbouncer.ini: the loopback test instance."
    # The production file's own database lines go (they name its hosts): one wildcard, to
    # this instance's server, serves every name (a second instance pools the replica).
    grep -v -E "^[[:space:]]*($overrides)[[:space:]]*=" "$dir/production.ini" \
      | awk -v star="* = host=127.0.0.1 port=$primary_port" '
          /^\[/ { section = $0; print; if (section == "[databases]") print star; next }
          section == "[databases]" && $0 !~ /^[[:space:]]*(;|$)/ { next }
          { print }'
    cat <<INI

; --- the test instance's values ---
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
default_pool_size = $pool_size
max_db_connections = 0
admin_users = postgres
INI
  } >"$dir/pgbouncer.ini"
  chown postgres:postgres "$dir/pgbouncer.ini"
}

case ${1:-} in
  start)
    [ "$(id -u)" -eq 0 ] || die "run as root (it runs the pooler as postgres)"
    if ! command -v pgbouncer >/dev/null 2>&1; then
      echo "Cài PgBouncer / installing pgbouncer…"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null
    fi
    configure
    if running; then
      kill -HUP "$(pid)"  # re-read the configuration: clients keep their connections
    else
      pgbouncer -d -u postgres "$dir/pgbouncer.ini" >/dev/null \
        || { tail -n 20 "$dir/pgbouncer.log" >&2; die "pgbouncer did not start"; }
    fi
    for _ in $(seq 1 20); do answering && break; sleep 0.5; done
    answering || { tail -n 20 "$dir/pgbouncer.log" >&2; die "pgbouncer does not answer on $port"; }
    echo "pgbouncer: 127.0.0.1:$port → 127.0.0.1:$primary_port, $(admin "SHOW CONFIG" \
      | awk -F'|' '$1 == "pool_mode" {print "pool_mode " $2}'), pool $pool_size"
    ;;
  stop)
    if running; then kill -INT "$(pid)"; fi
    for _ in $(seq 1 20); do running || break; sleep 0.2; done
    echo "pgbouncer: stopped"
    ;;
  status)
    answering || { echo "pgbouncer: not answering on 127.0.0.1:$port"; exit 1; }
    admin "SHOW POOLS"
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
