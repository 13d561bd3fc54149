#!/usr/bin/env bash
# The whole test suite: lint, types, migrations check, unit and end-to-end tests on PostgreSQL
# and Redis (real Celery workers, real scanners), and a smoke run on the embedded SQLite
# default.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

install_backend
"$REPO_DIR/scripts/install-scanners.sh"
ensure_test_packages
ensure_idp_packages
ensure_services

cd "$BACKEND_DIR"
BIN="$BACKEND_DIR/.venv/bin"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# The suite never touches the developer's var/ folder or the `postgres` database.
export SECULITE_VAR_DIR="$WORK/var"
export MEDIA_ROOT="$WORK/var/media"
export CACHE_URL="locmemcache://"
unset DATABASE_URL CELERY_BROKER_URL DEBUG SECULITE_ENV

log "ruff"
"$BIN/ruff" check .
"$BIN/ruff" format --check .
log "mypy"
"$BIN/mypy" .
log "ruff and mypy: the seculite command line (cli/, its own settings)"
"$BIN/ruff" check ../cli
"$BIN/ruff" format --check ../cli
"$BIN/mypy" --config-file ../cli/pyproject.toml ../cli/seculite_cli
log "migrations are up to date"
"$BIN/python" manage.py makemigrations --check --dry-run

log "tests on PostgreSQL"
DATABASE_URL="postgres://postgres@127.0.0.1:5432/seculite_test" \
CELERY_BROKER_URL="redis://127.0.0.1:6379/15" \
  "$BIN/pytest" -q -n 2 -m "not smoke and not deploy and not fuzz and not images" "$@"

log "the seculite command line against a fake API"
"$BIN/pytest" -q -p no:xdist ../cli/tests

log "API fuzzing: schemathesis from the OpenAPI schema, as staff and as a member; no 5xx"
# Bounded: SECULITE_FUZZ_EXAMPLES generated cases per operation and role (plus schemathesis's
# deterministic coverage cases, about 13,000 requests in all), and a hard time limit. Each
# xdist worker fuzzes on its own test database.
DATABASE_URL="postgres://postgres@127.0.0.1:5432/seculite_test" \
SECULITE_FUZZ_EXAMPLES="${SECULITE_FUZZ_EXAMPLES:-10}" \
  timeout "${SECULITE_FUZZ_TIMEOUT:-600}" "$BIN/pytest" -q -n 2 -m fuzz fuzz_tests

log "deployment: compose, Dockerfiles, entrypoint, nginx, and the plain-process stack end to end"
"$BIN/pytest" -q -p no:xdist -m deploy deploy_tests

log "images: both Dockerfiles built and the compose stack run on the project's own Docker engine"
# The test starts the engine (scripts/docker-engine.sh; caches in its data root outside the
# clone). It stops the engine afterwards only when this run started it. A machine that cannot
# start one fails here unless SECULITE_SKIP_IMAGES=1 says to skip.
engine_was_running=false
"$REPO_DIR/scripts/docker-engine.sh" status >/dev/null 2>&1 && engine_was_running=true
images_status=0
"$BIN/pytest" -q -rP -p no:xdist -m images deploy_tests || images_status=$?
if [ "$engine_was_running" = false ]; then
  "$REPO_DIR/scripts/docker-engine.sh" stop || true
fi
[ "$images_status" -eq 0 ] || exit "$images_status"

log "web app: vue-tsc, ESLint, Vitest, build, Playwright in Debian's Chromium"
"$REPO_DIR/frontend/scripts/check.sh"

log "smoke tests on the embedded SQLite default"
"$BIN/pytest" -q -m smoke -p no:xdist

# Verdicts, auto-resolve, secrets, checkouts, path filters, limits and the webhook trigger
# must hold on the embedded default too: the ingest takes its ORM path there. (Finding
# identity, apps/tools/tests/adapters/test_identity.py, runs no query: the PostgreSQL step
# runs the same code.) Each xdist worker gets its own SQLite file.
log "scan trust rules on the embedded SQLite default"
"$BIN/pytest" -q -n 2 -m "not deploy and not fuzz" \
  apps/scans/tests/services/test_verdicts.py \
  apps/scans/tests/services/test_checkouts.py \
  apps/scans/tests/services/test_checkout_refs.py \
  apps/scans/tests/apis/test_scan_webhook_trigger.py \
  apps/scans/tests/test_limits.py \
  apps/findings/tests/lifecycle/test_auto_resolve.py \
  apps/imports/tests/test_repeated_report.py \
  apps/findings/tests/lifecycle/test_branch_lifecycle.py \
  apps/findings/tests/lifecycle/test_scan_pipeline.py \
  apps/findings/tests/lifecycle/test_triage.py \
  apps/findings/tests/lifecycle/test_sighting_ranges.py \
  apps/findings/tests/test_sighting_ranges_migration.py \
  apps/findings/tests/test_secrets_never_stored.py \
  apps/targets/tests/preparation/test_pathfilter.py
