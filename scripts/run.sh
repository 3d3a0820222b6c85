#!/usr/bin/env bash
# `make run`: migrate, load the demo data, then start the web server and the Celery workers
# (the default queue with beat, and the reports queue: two processes rendering package parts
# in parallel, each replaced once it holds more than 768 MiB). Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
CELERY=.venv/bin/celery
HOST=${CUSTOS_HOST:-127.0.0.1}
PORT=${CUSTOS_PORT:-8000}
VAR_DIR=${CUSTOS_VAR_DIR:-var}
mkdir -p "$VAR_DIR"

"$PY" manage.py migrate --noinput
# Case packages are signed: a self-signed development certificate unless one is configured.
"$PY" manage.py make_signing_cert --if-missing
logins=$("$PY" manage.py seed_demo)
echo "$logins"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "Stopping Custos..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

"$CELERY" -A custos worker -Q default -n "default@%h" --concurrency 2 --loglevel INFO \
  --beat --schedule "$VAR_DIR/celerybeat-schedule" &
pids+=($!)
"$CELERY" -A custos worker -Q reports -n "reports@%h" --concurrency 2 --max-tasks-per-child 20 \
  --max-memory-per-child 786432 --loglevel INFO &
pids+=($!)
"$PY" manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)

for _ in $(seq 1 60); do
  if "$PY" - "$HOST" "$PORT" <<'PYCODE' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/accounts/login/", timeout=1)
PYCODE
  sleep 1
done

cat <<BANNER

=====================================================================
 Custos is running at http://$HOST:$PORT/
 Log in at          http://$HOST:$PORT/accounts/login/
$(echo "$logins" | sed 's/^/ /')
 Press Ctrl-C to stop the web server and the workers.
=====================================================================

BANNER

# Stop everything as soon as any one of the processes ends.
wait -n
