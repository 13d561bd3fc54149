#!/bin/sh
# SecuLite's process entrypoint, for the Docker image and for scripts/stack.sh alike.
#
#   entrypoint.sh gunicorn ARGS...        wait for the database, migrate, detect scanners,
#                                         collect static files, create the first admin, serve
#   entrypoint.sh celery_worker [CMD...]  wait for the database and its migrations, run a worker
#   entrypoint.sh celery_beat [CMD...]    wait likewise, run beat with the database scheduler
#   entrypoint.sh ANY COMMAND...          run it as it is (manage.py shell, a one-off task)
#
# The role's work happens first; then `exec "$@"` replaces this shell, so the server gets the
# signals (SIGTERM on stop) directly. The database comes from DATABASE_URL, or DB_HOST with
# POSTGRES_*, exactly as Django's settings read it: the wait asks Django itself.
set -eu

APP_DIR="$(cd "$(dirname "$0")" && pwd)"
cd "$APP_DIR"

PYTHON="${PYTHON:-python}"
# Seconds to wait for the database, and for another process to apply the migrations.
DB_WAIT_TIMEOUT="${DB_WAIT_TIMEOUT:-90}"
MIGRATIONS_WAIT_TIMEOUT="${MIGRATIONS_WAIT_TIMEOUT:-300}"

log() {
  printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S')" "$*" >&2
}

# A .env copied from .env.example leaves many variables empty, and for Django's settings an
# empty value is not the same as none (an empty DATABASE_URL fails, an empty SECURE_COOKIES
# turns secure cookies off). Here an empty variable means "not set": the default applies.
unset_empty_variables() {
  for name in $(env | sed -n 's/^\([A-Z][A-Z0-9_]*\)=$/\1/p'); do
    if [ -z "$(printenv "$name")" ]; then
      unset "$name"
    fi
  done
}

manage() {
  "$PYTHON" "$APP_DIR/manage.py" "$@"
}

# Connects through Django's own settings, so SQLite, DATABASE_URL and DB_HOST+POSTGRES_* are
# all covered; retries until DB_WAIT_TIMEOUT. With "migrations", it then also waits (up to
# MIGRATIONS_WAIT_TIMEOUT) until no migration is left unapplied: workers and beat never migrate,
# the web process (or an operator) does. One Python process for both, to start fast.
wait_for_db() {
  log "Waiting for the database${1:+ and its $1}"
  "$PYTHON" - "$DB_WAIT_TIMEOUT" "$MIGRATIONS_WAIT_TIMEOUT" "${1:-}" <<'PY'
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seculite_api.settings")
import django

django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import DatabaseError, OperationalError

db_timeout, migrations_timeout, what = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + db_timeout
while True:
    try:
        connection.ensure_connection()
        break
    except OperationalError as exc:
        if time.monotonic() > deadline:
            sys.exit(f"The database did not answer within {db_timeout:.0f}s: {exc}")
        connection.close()
        time.sleep(1)

if what == "migrations":
    deadline = time.monotonic() + migrations_timeout
    while True:
        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError:
            connection.close()
            pending = ["unknown"]
        if not pending:
            break
        if time.monotonic() > deadline:
            print(f"{len(pending)} migrations still unapplied after {migrations_timeout:.0f}s; "
                  "starting anyway", file=sys.stderr)
            break
        time.sleep(2)
PY
}

unset_empty_variables

case "${1:-}" in
  gunicorn)
    if [ "${WAIT_FOR_DB:-true}" = "true" ]; then wait_for_db; fi
    if [ "${SECULITE_MIGRATE_ON_START:-true}" = "true" ]; then
      log "Applying database migrations"
      manage migrate --noinput
    fi
    # Independent and each slow (every scanner is asked its version; every static file is
    # hashed and compressed), so they run side by side.
    log "Detecting installed scanners and collecting static files"
    manage sync_tools &
    sync_tools_pid=$!
    manage collectstatic --noinput --verbosity 0
    wait "$sync_tools_pid"
    manage ensure_admin
    log "Starting gunicorn"
    ;;
  celery_worker)
    shift
    if [ "${WAIT_FOR_DB:-true}" = "true" ]; then wait_for_db migrations; fi
    if [ "$#" -eq 0 ]; then
      set -- celery -A seculite_api worker -l info -Q default,scans \
        -c "${CELERY_CONCURRENCY:-2}"
    fi
    log "Starting the Celery worker"
    ;;
  celery_beat)
    shift
    if [ "${WAIT_FOR_DB:-true}" = "true" ]; then wait_for_db migrations; fi
    if [ "$#" -eq 0 ]; then
      # No pid file: a stale one from a killed container would stop beat from starting.
      set -- celery -A seculite_api beat -l info --pidfile= \
        --scheduler django_celery_beat.schedulers:DatabaseScheduler
    fi
    log "Starting Celery beat"
    ;;
  "")
    log "No command given; see the top of $0 for usage"
    exit 64
    ;;
esac

exec "$@"
