#!/usr/bin/env bash
# Dump the partybuild database (pg_dump custom format: compressed, restorable table by
# table and in parallel) into BACKUP_DIR and keep the newest BACKUP_KEEP dumps.
#
#   DATABASE_URL=postgres://… [BACKUP_DIR=/var/backups/partybuild] [BACKUP_KEEP=14] deploy/backup.sh
#
# Run nightly by partybuild-backup.timer. A dump is written under a temporary name, checked
# (pg_restore --list reads its whole table of contents) and only then renamed, so a dump
# with the final name is complete. Prints the file name; exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/_pg.sh"

: "${DATABASE_URL:?DATABASE_URL is not set (source /etc/partybuild/partybuild.env)}"
dir=${BACKUP_DIR:-/var/backups/partybuild}
keep=${BACKUP_KEEP:-14}
[[ $keep =~ ^[1-9][0-9]*$ ]] || { echo "BACKUP_KEEP must be a positive integer" >&2; exit 2; }

src=$(pg_uri "$DATABASE_URL")
db=$(pg_dbname "$DATABASE_URL")
umask 077  # member records: readable by the backup owner only
mkdir -p "$dir"
out="$dir/$db-$(date +%Y%m%d-%H%M%S).dump"
tmp="$out.partial"
trap 'rm -f "$tmp"' EXIT

pg_dump --format=custom --compress=6 --file="$tmp" "$src"
pg_restore --list "$tmp" >/dev/null
mv "$tmp" "$out"
(cd "$dir" && sha256sum "$(basename "$out")" >"$(basename "$out").sha256")

# Rotation: newest first by name (the timestamp sorts), drop everything past $keep.
mapfile -t old < <(ls -1 "$dir"/"$db"-*.dump 2>/dev/null | sort -r | tail -n +$((keep + 1)))
for f in "${old[@]}"; do
  rm -f -- "$f" "$f.sha256"
done
echo "$out ($(du -h "$out" | cut -f1)); kept $(ls -1 "$dir"/"$db"-*.dump | wc -l) dump(s)"
