#!/usr/bin/env bash
# Make sure the PostgreSQL, its streaming replica and Redis the test suite needs are reachable.
# Uses DATABASE_URL / REPLICA_DATABASE_URL / REDIS_URL; otherwise the local servers on their
# default ports (the replica: scripts/replica.sh on 5433),
# starting (or, as root, installing) them when they are not running. Never falls back
# to SQLite: if a server stays unreachable this exits non-zero saying what is missing.
set -euo pipefail
db_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/partybuild}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379/0}
py=${PYTHON:-.venv/bin/python}

pg_ok() { "$py" - "$db_url" <<'PY' >/dev/null 2>&1
import sys, psycopg, environ
cfg = environ.Env.db_url_config(sys.argv[1])
psycopg.connect(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                password=cfg["PASSWORD"] or None, dbname="postgres", connect_timeout=3).close()
PY
}
redis_ok() { "$py" - "$redis_url" <<'PY' >/dev/null 2>&1
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=3).ping()
PY
}
is_root() { [ "$(id -u)" -eq 0 ]; }
local_default() { [ -z "${1:-}" ]; }

if ! pg_ok; then
  if local_default "${DATABASE_URL:-}" && is_root; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      echo "Cài PostgreSQL / installing PostgreSQL…"
      apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      ver=$(ls /etc/postgresql | sort -V | tail -1)
      sed -i 's/^\(local\|host\)\(.*\)\(peer\|scram-sha-256\|md5\)$/\1\2trust/' \
        /etc/postgresql/"$ver"/main/pg_hba.conf
    fi
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start \
      || true
    for _ in $(seq 1 20); do pg_ok && break; sleep 1; done
  fi
  pg_ok || { echo "LỖI: không kết nối được PostgreSQL ($db_url). Đặt DATABASE_URL hoặc khởi động PostgreSQL." >&2; exit 1; }
fi

if ! redis_ok; then
  if local_default "${REDIS_URL:-}" && is_root; then
    command -v redis-server >/dev/null 2>&1 || {
      echo "Cài Redis / installing Redis…"
      apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    }
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/partybuild.log || true
    for _ in $(seq 1 20); do redis_ok && break; sleep 1; done
  fi
  redis_ok || { echo "LỖI: không kết nối được Redis ($redis_url). Đặt REDIS_URL hoặc khởi động Redis." >&2; exit 1; }
fi
# The database itself (the suite makes test_<name> from it; checks connect to it).
"$py" - "$db_url" <<'PY'
import sys, psycopg, environ
cfg = environ.Env.db_url_config(sys.argv[1])
with psycopg.connect(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                     password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
        conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
        print(f"Đã tạo cơ sở dữ liệu / created database {cfg['NAME']}")
    # A run killed mid-way leaves test_<name> behind with PgBouncer's pooled connections to it,
    # and the next run then fails creating it; dropped here, forcing those idle connections
    # off — but only when nothing is working in it (another suite running on this server).
    from psycopg import sql
    test_name = f"test_{cfg['NAME']}"
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [test_name]).fetchone():
        busy = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state <> 'idle'",
            [test_name],
        ).fetchone()[0]
        if busy:
            print(f"{test_name}: đang được dùng / in use by {busy} session(s), left alone")
        else:
            try:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(test_name)))
                print(f"Đã xoá cơ sở dữ liệu thử còn lại / dropped the leftover {test_name}")
            except psycopg.Error as exc:
                print(f"{test_name}: không xoá được / not dropped ({exc})")
PY

# The streaming replica (tests/replica/): made and started by scripts/replica.sh when it is the
# local one (127.0.0.1:5433) and we are root; it must be a standby (pg_is_in_recovery()).
replica_url=${REPLICA_DATABASE_URL:-}
replica_ok() { "$py" - "$replica_url" <<'PY' >/dev/null 2>&1
import sys, psycopg, environ
cfg = environ.Env.db_url_config(sys.argv[1])
with psycopg.connect(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                     password=cfg["PASSWORD"] or None, dbname="postgres", connect_timeout=3) as conn:
    assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
PY
}
if [ -n "$replica_url" ]; then
  if ! replica_ok; then
    case $replica_url in
      *@127.0.0.1:5433/*|*@localhost:5433/*)
        if is_root; then bash "$(dirname "$0")/replica.sh" start || true; fi ;;
    esac
  fi
  replica_ok || { echo "LỖI: không có bản sao PostgreSQL ($replica_url) đang nhận WAL. Chạy scripts/replica.sh start (root) hoặc đặt REPLICA_DATABASE_URL." >&2; exit 1; }
fi

# PgBouncer in transaction mode before the local primary, and a second one before the local
# replica (tests/test_pgbouncer.py): in production each database host runs its own.
case $db_url in
  *@127.0.0.1:5432/*|*@localhost:5432/*)
    if is_root; then bash "$(dirname "$0")/pgbouncer.sh" start; fi ;;
esac
case $replica_url in
  *@127.0.0.1:5433/*|*@localhost:5433/*)
    if is_root; then
      PGBOUNCER_PORT=6435 PRIMARY_PORT=5433 PGBOUNCER_DIR=/var/lib/postgresql/pb-pgbouncer-replica \
        bash "$(dirname "$0")/pgbouncer.sh" start
    fi ;;
esac
echo "PostgreSQL, bản sao và Redis sẵn sàng / ready: $db_url ${replica_url:-(no replica)} $redis_url"
