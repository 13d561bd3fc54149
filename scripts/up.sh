#!/usr/bin/env bash
# Installs everything and serves SecuLite on http://127.0.0.1:8000 on the embedded default
# (SQLite and a filesystem Celery broker under var/, no server needed): the API, a real Celery
# worker and beat. Stop with Ctrl-C; the worker and beat stop with it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

install_backend
"$REPO_DIR/scripts/install-scanners.sh" || log "Some scanners could not be installed (see above)"
log "Building the web app"
(cd "$REPO_DIR/frontend" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)

cd "$BACKEND_DIR"
# Plain HTTP on loopback: cookies cannot be marked Secure or the browser never returns them.
export SECURE_COOKIES="${SECURE_COOKIES:-false}"
# The sample project and anything under var/code may be scanned as local codebase paths.
export SECULITE_ALLOWED_PATHS="${SECULITE_ALLOWED_PATHS:-$BACKEND_DIR/testdata,$REPO_DIR/var/code}"
log "Migrating the database"
"$VENV_PY" manage.py migrate --noinput
log "Detecting installed scanners"
"$VENV_PY" manage.py sync_tools
log "Collecting static files"
"$VENV_PY" manage.py collectstatic --noinput >/dev/null
"$VENV_PY" manage.py ensure_admin

BIN="$BACKEND_DIR/.venv/bin"
LOG_DIR="${SECULITE_VAR_DIR:-$REPO_DIR/var}/log"
mkdir -p "$LOG_DIR"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

log "Starting a Celery worker and beat (logs in $LOG_DIR)"
"$BIN/celery" -A seculite_api worker -Q default,scans -c "${CELERY_CONCURRENCY:-2}" -l info \
  >>"$LOG_DIR/worker.log" 2>&1 &
pids+=("$!")
"$BIN/celery" -A seculite_api beat -l info --pidfile= \
  --scheduler django_celery_beat.schedulers:DatabaseScheduler >>"$LOG_DIR/beat.log" 2>&1 &
pids+=("$!")

BIND="${SECULITE_BIND:-127.0.0.1:8000}"
log "Serving SecuLite on http://$BIND (API: /api/v1/, docs: /api/v1/docs/, admin: /admin/)"
"$BIN/gunicorn" seculite_api.wsgi:application \
  --bind "$BIND" --workers "${GUNICORN_WORKERS:-2}" --access-logfile - --log-level info &
pids+=("$!")
wait -n "${pids[@]}"
