# Helpers shared by backup.sh, restore.sh, check_backup.sh and up.sh (sourced, not run).
# They turn DATABASE_URL (django-environ form) into libpq connection URIs.

# libpq knows postgres:// and postgresql://; django-environ also accepts pgsql:// etc.
pg_uri() { printf '%s' "$1" | sed -E 's#^[a-z0-9+]+://#postgresql://#'; }

# The database name of a URL (path after the last /, before any ?query).
pg_dbname() {
  local url=${1%%\?*}
  printf '%s' "${url##*/}"
}

# The same server and credentials, another database name.
pg_uri_for_db() {
  local url query base
  url=$(pg_uri "$1")
  base=${url%%\?*}
  query=${url#"$base"}
  printf '%s/%s%s' "${base%/*}" "$2" "$query"
}

# SQL identifier quoting for a database name we generated or were given.
pg_ident() { printf '"%s"' "${1//\"/\"\"}"; }

# Exact row counts of every table (schema.table<TAB>count), in one statement.
PG_COUNT_SQL="SELECT format('%I.%I', n.nspname, c.relname),
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I',
     n.nspname, c.relname), false, true, '')))[1]::text::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1"
