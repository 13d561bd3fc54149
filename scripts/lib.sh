# Shared helpers for the project's scripts (sourced, not run).
# shellcheck shell=bash

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BACKEND_DIR="$REPO_DIR/backend"
TOOLS_DIR="$REPO_DIR/.tools"
POETRY_VERSION="2.2.1"
POETRY="$TOOLS_DIR/poetry/bin/poetry"
VENV_PY="$BACKEND_DIR/.venv/bin/python"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

find_python() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  die "Python 3.11 is required (install Debian's python3.11 and python3.11-venv)."
}

# Installs Poetry into .tools/ and the backend's locked dependencies into backend/.venv.
install_backend() {
  local python
  python="$(find_python)"
  if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    log "Installing python3-venv from Debian's packages"
    apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq python3-venv >/dev/null
  fi
  if [ ! -x "$POETRY" ] || ! "$POETRY" --version 2>/dev/null | grep -q "$POETRY_VERSION"; then
    log "Installing Poetry $POETRY_VERSION into .tools/poetry"
    rm -rf "$TOOLS_DIR/poetry"
    "$python" -m venv "$TOOLS_DIR/poetry"
    "$TOOLS_DIR/poetry/bin/pip" install -q "poetry==$POETRY_VERSION"
  fi
  ensure_report_packages
  log "Installing backend dependencies from poetry.lock"
  (cd "$BACKEND_DIR" && "$POETRY" env use -q "$python" && "$POETRY" install --no-root -q)
}

# Debian libraries WeasyPrint loads at run time to lay out PDF reports (apps/reports): Pango
# (with its FreeType backend) and a font, so a report never depends on what fonts a host has.
REPORT_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
ensure_report_packages() {
  local missing=() package
  for package in "${REPORT_PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "Installing ${missing[*]} from Debian's packages (PDF reports)"
    apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# PostgreSQL and Redis on localhost: check they answer, start them if not.
ensure_services() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    log "Starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL does not answer on 127.0.0.1:5432"
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    log "Starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || die "Redis does not answer on 127.0.0.1:6379"
}

# Debian packages the test suite drives for real: nginx (the deployment stack),
# docker-compose (v1, validates the compose file; the image tests run Compose v2, which
# scripts/docker-engine.sh installs), docker.io (the engine of scripts/docker-engine.sh),
# debootstrap (the image tests' stand-in base images), openssh-server (a loopback sshd serving
# a git remote to prove deploy keys work) and poppler-utils (pdftoppm renders a report's first
# page to PNG in the report tests).
ensure_test_packages() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ -x /usr/bin/docker-compose ] || missing+=(docker-compose)
  [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
  [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "Installing ${missing[*]} from Debian's packages"
    apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The identity providers the SSO tests start on loopback (frontend/e2e/idp: oidc-provider and
# samlify, pinned in frontend/package-lock.json) run on node from the frontend's packages, and
# pytest starts them before frontend/scripts/check.sh runs: install those packages first.
ensure_idp_packages() {
  local frontend="$REPO_DIR/frontend"
  command -v node >/dev/null 2>&1 || die "node is missing (the web app and the SSO tests' identity providers need Node.js >= 20.19)"
  if [ ! -f "$frontend/node_modules/.package-lock.json" ] \
    || [ "$frontend/package-lock.json" -nt "$frontend/node_modules/.package-lock.json" ] \
    || [ ! -d "$frontend/node_modules/oidc-provider" ] || [ ! -d "$frontend/node_modules/samlify" ]; then
    log "Installing the frontend's npm packages (the SSO tests' identity providers)"
    (cd "$frontend" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
