#!/usr/bin/env bash
# Every frontend check, for the project's test command: install from the lock file, vue-tsc,
# ESLint, Vitest unit tests, the production build, and the Playwright specs in Debian's
# Chromium against the real backend and a real Celery worker. Exits non-zero on any failure.
set -euo pipefail

FRONTEND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$FRONTEND_DIR/.." && pwd)"
cd "$FRONTEND_DIR"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
SCANNERS_DIR="${SECULITE_SCANNERS_DIR:-$HOME/.cache/seculite/scanners}"

step() { printf '\n==> %s\n' "$*"; }

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error
step "typecheck (vue-tsc)"
npm run --silent typecheck
step "lint (ESLint)"
npm run --silent lint
step "unit tests (Vitest)"
npm run --silent test:unit
step "build"
npm run --silent build

step "browser tests (Playwright, Debian's Chromium, real backend and worker)"
if [ ! -x "$REPO_DIR/backend/.venv/bin/python" ]; then
  echo "The backend is not installed (backend/.venv): run scripts/up.sh or scripts/test.sh first." >&2
  exit 1
fi
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: apt-get install -y chromium (or set CHROMIUM_PATH)." >&2
    exit 1
  fi
fi
if [ ! -x "$SCANNERS_DIR/semgrep/bin/semgrep" ] || [ ! -x "$SCANNERS_DIR/bandit/bin/bandit" ]; then
  "$REPO_DIR/scripts/install-scanners.sh" --only semgrep --only bandit --no-apt --no-npm
fi
npx playwright test
