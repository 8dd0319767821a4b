#!/usr/bin/env bash
# Stop what deploy/up.sh started: each process group by the pid up.sh recorded, gently
# (SIGTERM: gunicorn finishes its requests, workers their tasks), then SIGKILL after 30 s.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
run=$root/var/prod/run
shopt -s nullglob
pidfiles=("$run"/*.pid)
if [[ ${#pidfiles[@]} -eq 0 ]]; then
  echo "nothing to stop (no pid file in $run)"
  exit 0
fi
for pidfile in "${pidfiles[@]}"; do
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    echo "stopping $(basename "$pidfile" .pid) (pid $pid)"
  fi
done
for _ in $(seq 1 30); do
  alive=0
  for pidfile in "${pidfiles[@]}"; do
    kill -0 -- "-$(cat "$pidfile")" 2>/dev/null && alive=1
  done
  [[ $alive == 0 ]] && break
  sleep 1
done
for pidfile in "${pidfiles[@]}"; do
  pid=$(cat "$pidfile")
  if kill -0 -- "-$pid" 2>/dev/null; then
    echo "killing $(basename "$pidfile" .pid) (pid $pid): did not stop in 30 s"
    kill -KILL -- "-$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
done
echo "stopped"
