#!/usr/bin/env bash
# Prove that a backup restores: dump the database, restore the dump into a NEW database on
# the same server, compare the exact row count of every table, drop the new database.
#
#   DATABASE_URL=postgres://… deploy/check_backup.sh [--keep-dump FILE]
#
# The counts of the source are taken in the very snapshot pg_dump copies (exported with
# pg_export_snapshot and passed to pg_dump --snapshot), so the check is exact on a live
# database that keeps changing. Exit 0 when every table matches, 1 on any difference
# (the differing tables are printed), 2 on wrong usage. Needs CREATEDB on the server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/_pg.sh"

: "${DATABASE_URL:?DATABASE_URL is not set}"
keep_dump=""
if [[ ${1:-} == --keep-dump ]]; then
  keep_dump=${2:?--keep-dump needs a file name}
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--keep-dump FILE]" >&2; exit 2
fi

src=$(pg_uri "$DATABASE_URL")
db=$(pg_dbname "$DATABASE_URL")
check_db="${db:0:40}_restorecheck_$(date +%Y%m%d%H%M%S)_$$"
check_uri=$(pg_uri_for_db "$DATABASE_URL" "$check_db")
work=$(mktemp -d)
dump="$work/$db.dump"
created=0

cleanup() {
  exec {snap_in}>&- 2>/dev/null || true
  [[ -n ${SNAP_PID:-} ]] && kill "$SNAP_PID" 2>/dev/null || true
  if [[ $created == 1 ]]; then
    psql "$src" -qAtX -v ON_ERROR_STOP=1 \
      -c "DROP DATABASE IF EXISTS $(pg_ident "$check_db") WITH (FORCE)" >/dev/null \
      || echo "WARNING: could not drop $check_db; drop it by hand" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT

started=$(date +%s)
# 1. A read-only snapshot held open by a psql session: export it, count in it.
coproc SNAP { psql "$src" -qAtX -v ON_ERROR_STOP=1 -F $'\t' 2>&1; }
SNAP_PID=$SNAP_PID
exec {snap_in}>&"${SNAP[1]}"
printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;" \
  "SELECT pg_export_snapshot();" >&"$snap_in"
read -r -t 30 snapshot <&"${SNAP[0]}" || { echo "could not open a snapshot" >&2; exit 1; }
[[ $snapshot =~ ^[0-9A-F-]+$ ]] || { echo "psql: $snapshot" >&2; exit 1; }
printf '%s;\nSELECT %s;\n' "$PG_COUNT_SQL" "'--end--'" >&"$snap_in"
: >"$work/source.tsv"
while read -r -t 120 line <&"${SNAP[0]}"; do
  [[ $line == --end-- ]] && break
  printf '%s\n' "$line" >>"$work/source.tsv"
done

# 2. Dump exactly that snapshot, then let the session go.
pg_dump --format=custom --compress=6 --snapshot="$snapshot" --file="$dump" "$src"
printf 'COMMIT;\n\\q\n' >&"$snap_in"
exec {snap_in}>&-
wait "$SNAP_PID" 2>/dev/null || true
SNAP_PID=""

# 3. Restore into a new database (as restore.sh does: no owners or grants from elsewhere).
psql "$src" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $(pg_ident "$check_db")" >/dev/null
created=1
pg_restore --no-owner --no-privileges --exit-on-error --jobs=4 --dbname="$check_uri" "$dump"

# 4. Compare.
psql "$check_uri" -qAtX -v ON_ERROR_STOP=1 -F $'\t' -c "$PG_COUNT_SQL" >"$work/restored.tsv"
tables=$(wc -l <"$work/source.tsv")
rows=$(awk -F '\t' '{s += $2} END {print s + 0}' "$work/source.tsv")
if [[ -n $keep_dump ]]; then cp "$dump" "$keep_dump"; fi
if ! diff_out=$(diff "$work/source.tsv" "$work/restored.tsv"); then
  echo "MISMATCH between $db and its restored copy (< source, > restored):" >&2
  printf '%s\n' "$diff_out" >&2
  exit 1
fi
if [[ $tables -eq 0 ]]; then
  echo "No table found in $db: nothing was checked" >&2
  exit 1
fi
echo "OK: $db dumped ($(du -h "$dump" | cut -f1)), restored into $check_db and compared:" \
  "$tables tables, $rows rows, all equal ($(($(date +%s) - started)) s). $check_db dropped."
