#!/usr/bin/env bash
# Install the Debian packages partybuild needs, when missing. Safe to run repeatedly.
# Usage: scripts/system-deps.sh [run|test]
set -euo pipefail
mode=${1:-run}

pkgs=(python3 python3-venv gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
      fonts-dejavu-core fonts-liberation2 poppler-utils)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
if [ "$mode" = test ]; then
  pkgs+=(postgresql-client redis-tools chromium pgbouncer)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Thiếu gói hệ thống / missing Debian packages: ${missing[*]}" >&2
  echo "Chạy với quyền root hoặc: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Cài gói hệ thống / installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
