#!/usr/bin/env bash
# Bring up the production configuration on THIS machine, on loopback only:
# PostgreSQL and Redis (already running here), gunicorn on 127.0.0.1:8001, two Celery
# workers with different node names, and beat — as the systemd units do on real hosts,
# with DJANGO_ENV=production, DEBUG off, WhiteNoise's manifest storage.
#
#   deploy/up.sh          # then: deploy/down.sh
#
# Environment (all optional): PB_DATABASE_URL [postgres://postgres@127.0.0.1:5432/partybuild_prod]
# PB_REDIS_URL [redis://127.0.0.1:6379/12] PB_PORT [8001]. State (env file, secret key,
# media, logs, pids, beat schedule) lives in var/prod/; static files go to var/staticfiles.
#
# The production layout's two database helpers, on this machine (both need root, as the
# test suite's services step does):
#   PB_POOLER=1    the processes connect through PgBouncer in transaction mode
#                  (scripts/pgbouncer.sh, deploy/pgbouncer/pgbouncer.ini; port 6434), with
#                  DB_POOLER=true; migrations still run on the primary directly
#   PB_REPLICA=1   a streaming replica (scripts/replica.sh, port 5433) serves the marked reads
#                  (REPLICA_DATABASE_URL: the dashboard, lists, report rendering)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/deploy/_pg.sh"
cd "$root"

port=${PB_PORT:-8001}
db_url=${PB_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/partybuild_prod}
redis_url=${PB_REDIS_URL:-redis://127.0.0.1:6379/12}
state=$root/var/prod
run=$state/run
logs=$state/log
bin=$root/.venv/bin
py=$bin/python

say() { printf '\n== %s\n' "$*"; }
die() { echo "up.sh: $*" >&2; exit 1; }

# --- refuse to start twice ------------------------------------------------------------------
mkdir -p "$run" "$logs" "$state/media"
for pidfile in "$run"/*.pid; do
  [[ -e $pidfile ]] || continue
  if kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    die "already running ($(basename "$pidfile" .pid), pid $(cat "$pidfile")): deploy/down.sh first"
  fi
  rm -f "$pidfile"
done
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  die "something already listens on 127.0.0.1:$port (set PB_PORT)"
fi

# --- the pooler and the replica, when asked -----------------------------------------------
app_db_url=$db_url
replica_url=
if [[ ${PB_REPLICA:-0} == 1 || ${PB_POOLER:-0} == 1 ]]; then
  # Both scripts serve the local primary as the postgres role: the URL must say its port.
  [[ $db_url =~ ^[a-z]+://postgres(:[^@]*)?@(127\.0\.0\.1|localhost):([0-9]+)/ ]] \
    || die "PB_POOLER/PB_REPLICA need PB_DATABASE_URL as postgres://postgres@127.0.0.1:<port>/<db>"
  export PRIMARY_PORT=${BASH_REMATCH[3]}
fi
with_port() { printf '%s' "$db_url" | sed -E "s#:[0-9]+/#:$1/#"; }
if [[ ${PB_REPLICA:-0} == 1 ]]; then
  say "Streaming replica (scripts/replica.sh)"
  bash "$root/scripts/replica.sh" start
  replica_url=$(with_port "${REPLICA_PORT:-5433}")
fi
if [[ ${PB_POOLER:-0} == 1 ]]; then
  say "PgBouncer in transaction mode (scripts/pgbouncer.sh)"
  bash "$root/scripts/pgbouncer.sh" start
  app_db_url=$(with_port "${PGBOUNCER_PORT:-6434}")
fi

# --- environment: the same variables /etc/partybuild/partybuild.env sets ----------------------
say "Environment: $state/partybuild.env"
umask 077
[[ -s $state/secret_key ]] || "$py" -c "import secrets; print(secrets.token_urlsafe(50))" \
  >"$state/secret_key"
cat >"$state/partybuild.env" <<ENV
DJANGO_ENV=production
DJANGO_SETTINGS_MODULE=partybuild.settings
SECRET_KEY=$(cat "$state/secret_key")
ALLOWED_HOSTS=127.0.0.1,localhost
DATABASE_URL=$app_db_url
DB_POOLER=$([[ ${PB_POOLER:-0} == 1 ]] && echo true || echo false)
REPLICA_DATABASE_URL=$replica_url
DB_POOL_MIN=1
DB_POOL_MAX=4
CELERY_BROKER_URL=$redis_url
MEDIA_ROOT=$state/media
# Loopback without TLS: in production nginx terminates HTTPS and these stay on.
SECURE_SSL_REDIRECT=False
SECURE_HSTS_SECONDS=0
GUNICORN_BIND=127.0.0.1:$port
GUNICORN_WORKERS=2
GUNICORN_THREADS=1
GUNICORN_ACCESS_LOG=$logs/web-access.log
LOG_LEVEL=INFO
ENV
umask 022
set -a
# shellcheck disable=SC1091
. "$state/partybuild.env"
set +a

# --- dependencies --------------------------------------------------------------------------
say "PostgreSQL and Redis"
admin_uri=$(pg_uri_for_db "$db_url" postgres)
db=$(pg_dbname "$db_url")
psql "$admin_uri" -qAtX -c "SELECT 1" >/dev/null || die "PostgreSQL unreachable ($admin_uri)"
"$py" -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=3).ping()" \
  "$redis_url" || die "Redis unreachable ($redis_url)"
if [[ -z $(psql "$admin_uri" -qAtX -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
  psql "$admin_uri" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $(pg_ident "$db")" >/dev/null
  echo "created database $db"
else
  echo "database $db exists"
fi

# --- release steps: migrate, static files --------------------------------------------------
say "migrate"
# On the primary itself: a migration's DDL and locks belong to one session, not a pool.
DATABASE_URL=$db_url DB_POOLER=false "$py" manage.py migrate --no-input -v 1 | tail -n 3
say "collectstatic → var/staticfiles"
"$py" manage.py collectstatic --no-input -v 0
"$py" manage.py check --deploy --fail-level CRITICAL 2>&1 | tail -n 20 || true

# --- processes -----------------------------------------------------------------------------
# Each in its own session (setsid): down.sh stops a whole group by its leader's pid.
start() {
  local name=$1
  shift
  setsid "$@" >>"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/$name.pid"
}
say "Starting gunicorn, workers w1 and w2, beat"
start web "$bin/gunicorn" -c deploy/gunicorn.conf.py partybuild.wsgi
for w in w1 w2; do
  start "worker-$w" "$bin/celery" -A partybuild worker --hostname="$w@%h" --concurrency=2 \
    --prefetch-multiplier=1 --loglevel=INFO --without-gossip --without-mingle
done
start beat "$bin/celery" -A partybuild beat --loglevel=INFO \
  --schedule="$state/celerybeat-schedule" --pidfile=

# --- wait for readiness --------------------------------------------------------------------
say "Waiting for http://127.0.0.1:$port/readyz"
code=000
for _ in $(seq 1 60); do
  for pidfile in "$run"/*.pid; do
    kill -0 "$(cat "$pidfile")" 2>/dev/null \
      || { tail -n 30 "$logs/$(basename "$pidfile" .pid).log" >&2; \
           "$root/deploy/down.sh" >/dev/null 2>&1 || true; \
           die "$(basename "$pidfile" .pid) exited (log above)"; }
  done
  # As nginx would send it: HTTPS was terminated in front.
  code=$(curl -s -o "$state/readyz.json" -w '%{http_code}' -H 'X-Forwarded-Proto: https' \
    "http://127.0.0.1:$port/readyz" || true)
  [[ $code == 200 || $code == 404 ]] && break
  sleep 1
done
if [[ $code == 404 ]]; then
  # partybuild/urls.py does not route the health views yet: run the same checks in-process.
  echo "WARNING: /readyz is not routed (add the health paths to partybuild/urls.py);"
  echo "running partybuild.health.readyz in-process with the same environment instead."
  code=503
  if "$py" - >"$state/readyz.json" <<'PY'
import django
django.setup()
from django.test import RequestFactory
from partybuild import health
response = health.readyz(RequestFactory().get("/readyz"))
print(response.content.decode())
raise SystemExit(0 if response.status_code == 200 else 1)
PY
  then
    code=200
  fi
fi
cat "$state/readyz.json"; echo
[[ $code == 200 ]] || { "$root/deploy/down.sh"; die "not ready (HTTP $code)"; }
login=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-Proto: https' \
  "http://127.0.0.1:$port/dang-nhap/")
[[ $login == 200 ]] || echo "WARNING: the login page answered HTTP $login (see $logs/web.log)"
"$py" manage.py worker_status --timeout 3 2>/dev/null | sed 's/^/  /' || true

say "partybuild is up on http://127.0.0.1:$port/ (readyz 200)"
for pidfile in "$run"/*.pid; do
  printf '  %-10s pid %s   log %s\n' "$(basename "$pidfile" .pid)" "$(cat "$pidfile")" \
    "$logs/$(basename "$pidfile" .pid).log"
done
echo "Stop everything with: deploy/down.sh"
