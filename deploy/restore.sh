#!/usr/bin/env bash
# Restore a dump made by backup.sh.
#
#   DATABASE_URL=postgres://…/partybuild deploy/restore.sh DUMP [--replace]
#
# Always restores into a NEW database on the server of DATABASE_URL
# (<name>_restored_<timestamp>); the live database is not touched. Then:
#   without --replace: prints the new database's name. Point DATABASE_URL at it (or rename
#                      it) once you have looked at it — the safe default.
#   with --replace:    renames the live database to <name>_before_restore_<timestamp> (kept,
#                      drop it yourself later) and the restored one to <name>. Refused while
#                      anything is connected to the live database: stop partybuild-web,
#                      partybuild-worker@* and partybuild-beat on every host first.
# After either, run `manage.py migrate` if the dump is older than the code, then start
# the services. Exit 0 on success, 1 on failure, 2 on wrong usage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/_pg.sh"

: "${DATABASE_URL:?DATABASE_URL is not set}"
dump=${1:-}
replace=0
[[ ${2:-} == --replace ]] && replace=1
if [[ -z $dump || ! -f $dump || ( $# -gt 1 && $replace == 0 ) ]]; then
  echo "usage: $0 DUMP_FILE [--replace]" >&2
  exit 2
fi
if [[ -f $dump.sha256 ]]; then
  (cd "$(dirname "$dump")" && sha256sum --check --quiet "$(basename "$dump").sha256") \
    || { echo "checksum mismatch: $dump is damaged" >&2; exit 1; }
fi
pg_restore --list "$dump" >/dev/null

db=$(pg_dbname "$DATABASE_URL")
stamp=$(date +%Y%m%d%H%M%S)
new_db="${db:0:40}_restored_$stamp"
admin_uri=$(pg_uri_for_db "$DATABASE_URL" postgres)
new_uri=$(pg_uri_for_db "$DATABASE_URL" "$new_db")

psql "$admin_uri" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $(pg_ident "$new_db")" >/dev/null
if ! pg_restore --no-owner --no-privileges --exit-on-error --jobs=4 --dbname="$new_uri" "$dump"
then
  psql "$admin_uri" -qAtX -c "DROP DATABASE IF EXISTS $(pg_ident "$new_db")" >/dev/null || true
  echo "restore failed; $new_db dropped, live database untouched" >&2
  exit 1
fi
psql "$new_uri" -qAtX -c "ANALYZE" >/dev/null
tables=$(psql "$new_uri" -qAtX -F $'\t' -c "$PG_COUNT_SQL" | wc -l)
echo "Restored $dump into $new_db ($tables tables)."

if [[ $replace == 0 ]]; then
  echo "Live database $db untouched. To use the restored copy: stop the services, then"
  echo "  $0 $dump --replace      (or set DATABASE_URL to …/$new_db)"
  exit 0
fi

others=$(psql "$admin_uri" -qAtX -c "SELECT count(*) FROM pg_stat_activity
  WHERE datname = '$db' AND pid <> pg_backend_pid()")
if [[ $others != 0 ]]; then
  echo "$others connection(s) to $db are open: stop partybuild-web, partybuild-worker@* and" \
    "partybuild-beat on every host, then run again. $new_db is kept." >&2
  exit 1
fi
old_db="${db:0:40}_before_restore_$stamp"
psql "$admin_uri" -1 -qAtX -v ON_ERROR_STOP=1 \
  -c "ALTER DATABASE $(pg_ident "$db") RENAME TO $(pg_ident "$old_db")" \
  -c "ALTER DATABASE $(pg_ident "$new_db") RENAME TO $(pg_ident "$db")" >/dev/null
echo "$db is now the restored copy; the previous database is kept as $old_db."
echo "Next: manage.py migrate --no-input; start the services; check /readyz."
