#!/usr/bin/env bash
# A real PostgreSQL streaming replica of the local primary, for the tests and the benchmarks.
#
#   scripts/replica.sh start     # make it (pg_basebackup -R) when missing, start it, wait for streaming
#   scripts/replica.sh stop      # stop it (the data directory stays: the next start catches up)
#   scripts/replica.sh status    # running?, in recovery?, streaming?, replay lag; exit 1 when not
#   scripts/replica.sh rebuild   # throw the copy away and make it again from the primary
#
# The replica is a second cluster on this machine (PRIMARY_PORT 5432 → REPLICA_PORT 5433), in
# REPLICA_DATA [/var/lib/postgresql/<major>/pb-replica], streaming through the physical slot
# `pb_replica`, so a replica stopped between two runs catches up instead of being rebuilt. The
# slot's retained WAL is capped (max_slot_wal_keep_size, REPLICA_MAX_SLOT_WAL [2GB]): a replica
# left stopped for long loses its slot and the next start rebuilds it rather than filling the
# primary's disk. One replica per machine, shared by every checkout (like the primary): it
# copies the whole cluster, since physical replication has no per-database copy.
#
# As root it prepares the local primary when needed, all without restarting it: a
# `host replication` line in pg_hba.conf (same method as its loopback line) and the slot
# cap in conf.d, then a reload. wal_level and max_wal_senders need a restart: when they are
# wrong (not the Debian defaults) it says so and stops. The replica's processes run as postgres.
set -euo pipefail

primary_host=${PRIMARY_HOST:-127.0.0.1}
primary_port=${PRIMARY_PORT:-5432}
replica_port=${REPLICA_PORT:-5433}
slot=${REPLICA_SLOT:-pb_replica}
max_slot_wal=${REPLICA_MAX_SLOT_WAL:-2GB}
marker=partybuild-replica # a file in the data directory: only a directory holding it is ever removed

die() { echo "replica.sh: $*" >&2; exit 1; }
say() { echo "replica.sh: $*"; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
primary_sql() { psql -h "$primary_host" -p "$primary_port" -U postgres -d postgres -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
replica_sql() { psql -h 127.0.0.1 -p "$replica_port" -U postgres -d postgres -qAtX -c "$1" 2>/dev/null; }

primary_sql "SELECT 1" >/dev/null 2>&1 || die "the primary ($primary_host:$primary_port) is not reachable"
major=$(( $(primary_sql "SHOW server_version_num") / 10000 ))
bin=/usr/lib/postgresql/$major/bin
[ -x "$bin/pg_ctl" ] || die "no PostgreSQL $major server binaries in $bin"
data=${REPLICA_DATA:-/var/lib/postgresql/$major/pb-replica}
log=${REPLICA_LOG:-/var/log/postgresql/pb-replica.log}

running() { [ -f "$data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }
streaming() { [ "$(replica_sql "SELECT status FROM pg_stat_wal_receiver")" = streaming ]; }
in_recovery() { [ "$(replica_sql "SELECT pg_is_in_recovery()")" = t ]; }

prepare_primary() {
  local wal_level senders hba changed=0
  wal_level=$(primary_sql "SHOW wal_level")
  senders=$(primary_sql "SHOW max_wal_senders")
  [ "$wal_level" != minimal ] && [ "$senders" -ge 2 ] || die "the primary has wal_level=$wal_level, \
max_wal_senders=$senders: set wal_level=replica and max_wal_senders>=2, then restart it"
  # A replication connection from loopback: the file's own rules, as the server parsed them.
  if [ -z "$(primary_sql "SELECT 1 FROM pg_hba_file_rules WHERE type IN ('host', 'hostnossl')
        AND 'replication' = ANY(database) AND (address IS NULL OR address IN ('127.0.0.1', 'all', 'samehost'))
        AND error IS NULL LIMIT 1")" ]; then
    [ "$(id -u)" -eq 0 ] || die "the primary refuses replication from 127.0.0.1: as root, or add \
'host replication all 127.0.0.1/32 <method>' to its pg_hba.conf and reload"
    hba=$(primary_sql "SHOW hba_file")
    method=$(primary_sql "SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host'
      AND 'all' = ANY(database) AND address = '127.0.0.1' ORDER BY line_number LIMIT 1")
    # Before the other lines: the first matching line decides, and none of them matches
    # replication (their `all` never does), so order only matters for readers.
    printf '\n# partybuild: the local streaming replica (scripts/replica.sh)\nhost replication all 127.0.0.1/32 %s\n' \
      "${method:-trust}" >>"$hba"
    say "added a 'host replication' line to $hba"
    changed=1
  fi
  if [ "$(primary_sql "SHOW max_slot_wal_keep_size")" = -1 ]; then
    local confd
    confd="$(dirname "$(primary_sql "SHOW config_file")")/conf.d"
    if [ "$(id -u)" -eq 0 ] && [ -d "$confd" ]; then
      printf '# partybuild: WAL kept for a stopped replica is capped (scripts/replica.sh)\nmax_slot_wal_keep_size = %s\n' \
        "$max_slot_wal" >"$confd/60-partybuild-replica.conf"
      say "capped the slot's WAL at $max_slot_wal ($confd/60-partybuild-replica.conf)"
      changed=1
    else
      say "warning: max_slot_wal_keep_size is unlimited on the primary: a stopped replica's slot keeps all WAL"
    fi
  fi
  if [ $changed = 1 ]; then primary_sql "SELECT pg_reload_conf()" >/dev/null; sleep 1; fi
}

write_config() {
  # pg_basebackup copies the data directory only: on Debian the configuration lives in /etc,
  # so the replica gets its own. Settings a hot standby must hold at least at the primary's value
  # are read from the primary.
  local setting
  {
    echo "# partybuild streaming replica of $primary_host:$primary_port (scripts/replica.sh)"
    echo "port = $replica_port"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '/var/run/postgresql'"
    echo "cluster_name = 'pb-replica'"
    echo "hot_standby = on"
    # Long dashboard reads on the replica are not cancelled by the primary's vacuum.
    echo "hot_standby_feedback = on"
    echo "shared_buffers = '$(primary_sql "SHOW shared_buffers")'"
    for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
        max_locks_per_transaction timezone datestyle lc_messages lc_monetary lc_numeric lc_time \
        default_text_search_config; do
      echo "$setting = '$(primary_sql "SHOW $setting")'"
    done
    echo "log_line_prefix = '%m [%p] %q%u@%d '"
  } | as_pg tee "$data/postgresql.conf" >/dev/null
  as_pg cp "$(primary_sql "SHOW hba_file")" "$data/pg_hba.conf"
  as_pg cp "$(primary_sql "SHOW ident_file")" "$data/pg_ident.conf"
}

create() {
  prepare_primary
  [ ! -e "$data" ] || die "$data exists and is not a replica made by this script: move it away"
  install -d -o postgres -g postgres -m 0700 "$data" 2>/dev/null || as_pg mkdir -m 0700 -p "$data"
  # A slot left by an earlier copy holds that copy's position: a new copy starts its own.
  primary_sql "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots
    WHERE slot_name = '$slot' AND NOT active" >/dev/null
  say "pg_basebackup of $primary_host:$primary_port ($(primary_sql \
    "SELECT pg_size_pretty(sum(pg_database_size(datname))::bigint) FROM pg_database")) into $data"
  local started=$SECONDS
  as_pg pg_basebackup -h "$primary_host" -p "$primary_port" -U postgres -D "$data" -R -X stream \
    -S "$slot" -C -c fast
  say "copied in $((SECONDS - started)) s"
  as_pg touch "$data/$marker"
  write_config
}

remove() {
  [ -e "$data" ] || return 0
  [ -f "$data/$marker" ] || die "$data was not made by this script: not removing it"
  stop_replica
  rm -rf "$data"
  primary_sql "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots
    WHERE slot_name = '$slot' AND NOT active" >/dev/null
}

start_replica() {
  if ! running; then
    [ "$(id -u)" -eq 0 ] && { install -d -o postgres -g postgres "$(dirname "$log")"; touch "$log"; chown postgres "$log"; }
    as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null \
      || { tail -n 20 "$log" >&2; return 1; }
  fi
  local _
  for _ in $(seq 1 30); do
    if in_recovery && streaming; then return 0; fi
    sleep 1
  done
  return 1
}

stop_replica() {
  if running; then as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
}

# A slot the primary gave up (its WAL passed the cap), or a copy that cannot find its WAL,
# is made again: it is a cache of the primary, nothing in it is lost.
slot_lost() {
  [ "$(primary_sql "SELECT coalesce(wal_status, 'none') FROM pg_replication_slots
    WHERE slot_name = '$slot'")" = lost ]
}

status() {
  if ! running; then echo "replica: not running ($data)"; return 1; fi
  replica_sql "SELECT 'replica: port $replica_port, in recovery ' || pg_is_in_recovery()
    || ', receiver ' || coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')
    || ', replayed ' || pg_last_wal_replay_lsn()
    || ', paused ' || (pg_get_wal_replay_pause_state() <> 'not paused')
    || ', lag ' || CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN '0'
       ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::text END || ' s'"
  in_recovery && streaming
}

case ${1:-} in
  start)
    if [ -f "$data/$marker" ] && slot_lost; then
      say "the primary dropped the slot's WAL (replica stopped too long): rebuilding"
      remove
    fi
    [ -f "$data/$marker" ] || create
    if ! start_replica; then
      say "the replica does not stream (log: $log): rebuilding it from the primary"
      tail -n 5 "$log" >&2 || true
      remove
      create
      start_replica || { tail -n 30 "$log" >&2; die "the rebuilt replica does not stream"; }
    fi
    # A test run killed while it had replay paused (tests/replica) must not leave it standing.
    replica_sql "SELECT pg_wal_replay_resume() WHERE pg_is_wal_replay_paused()" >/dev/null || true
    status
    ;;
  stop) stop_replica; say "stopped" ;;
  status) status ;;
  rebuild) remove; create; start_replica || die "the replica does not stream (log: $log)"; status ;;
  *) echo "usage: $0 start|stop|status|rebuild" >&2; exit 2 ;;
esac
