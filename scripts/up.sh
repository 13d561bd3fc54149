#!/usr/bin/env bash
# Installs everything and serves SecuLite on http://127.0.0.1:8000 on the embedded default
# (SQLite under var/, no server needed). Stop with Ctrl-C.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

install_backend

cd "$BACKEND_DIR"
# Plain HTTP on loopback: cookies cannot be marked Secure or the browser never returns them.
export SECURE_COOKIES="${SECURE_COOKIES:-false}"
log "Migrating the database"
"$VENV_PY" manage.py migrate --noinput
log "Collecting static files"
"$VENV_PY" manage.py collectstatic --noinput >/dev/null
"$VENV_PY" manage.py ensure_admin

BIND="${SECULITE_BIND:-127.0.0.1:8000}"
log "Serving SecuLite on http://$BIND (API: /api/v1/, docs: /api/v1/docs/, admin: /admin/)"
exec "$BACKEND_DIR/.venv/bin/gunicorn" seculite_api.wsgi:application \
  --bind "$BIND" --workers "${GUNICORN_WORKERS:-2}" --access-logfile - --log-level info
