#!/usr/bin/env bash
# The compose deployment as plain processes on this machine, for hosts without a Docker engine:
# gunicorn, a Celery worker and Celery beat, each started through backend/entrypoint.sh exactly
# as the containers start them, and Debian's nginx with the same configuration (nginx/),
# rendered with this machine's addresses and paths, against the local PostgreSQL and Redis.
#
#   scripts/stack.sh start   [SERVICE...]   SERVICE: web worker beat nginx (default: all four)
#   scripts/stack.sh stop    [SERVICE...]   stops them and everything they started
#   scripts/stack.sh restart [SERVICE...]
#   scripts/stack.sh status                 exit status 0 only when all four run
#   scripts/stack.sh nginx-config           render nginx's configuration and check it (nginx -t)
#
# Settings come from the environment or the repository's .env (Django reads it; this script reads
# its own SECULITE_STACK_* and SECULITE_NGINX_* names from it), with defaults for this machine:
# database seculite_stack on 127.0.0.1:5432, Redis database 9, nginx on http://127.0.0.1:8080.
# The defaults it sets (DATABASE_URL, CELERY_BROKER_URL, CACHE_URL, the folders, SECULITE_ENV,
# SECURE_COOKIES, ALLOWED_HOSTS) win over .env; export a variable to change one. Pid files,
# logs, the rendered nginx configuration, static and media files live in var/stack/
# (SECULITE_STACK_DIR). The variables of its own:
#   SECULITE_STACK_DIR            var/stack
#   SECULITE_STACK_HOST           127.0.0.1         address nginx listens on
#   SECULITE_STACK_PORT           8080              port nginx listens on
#   SECULITE_STACK_TLS_PORT       8443              port of the TLS server, when
#                                                   SECULITE_NGINX_TLS_CERT and _KEY are set
#   SECULITE_STACK_BACKEND_BIND   127.0.0.1:8001    where gunicorn listens (nginx's upstream)
#   SECULITE_STACK_STOP_TIMEOUT   30                seconds a service gets to stop before SIGKILL
#   SECULITE_STACK_START_TIMEOUT  300               seconds a service gets to become ready
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# The stack's own variables (SECULITE_STACK_*, SECULITE_NGINX_*) may also be set in the
# repository's .env; the environment wins. Only those names are read, values literally: the file
# is not shell syntax (DEFAULT_FROM_EMAIL=SecuLite <...> would not even parse).
read_stack_settings_from_dotenv() {
  local line name value
  [ -f "$REPO_DIR/.env" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    [[ "$line" =~ ^(SECULITE_STACK_[A-Z_]+|SECULITE_NGINX_[A-Z_]+)=(.*)$ ]] || continue
    name="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    if [ -z "${!name:-}" ] && [ -n "$value" ]; then
      export "$name=$value"
    fi
  done <"$REPO_DIR/.env"
}
read_stack_settings_from_dotenv

SERVICES=(web worker beat nginx)
STACK_DIR="${SECULITE_STACK_DIR:-$REPO_DIR/var/stack}"
RUN_DIR="$STACK_DIR/run"
LOG_DIR="$STACK_DIR/log"
ENTRYPOINT="$BACKEND_DIR/entrypoint.sh"
LISTEN_HOST="${SECULITE_STACK_HOST:-127.0.0.1}"
PORT="${SECULITE_STACK_PORT:-8080}"
TLS_PORT="${SECULITE_STACK_TLS_PORT:-8443}"
BACKEND_BIND="${SECULITE_STACK_BACKEND_BIND:-127.0.0.1:8001}"
STOP_TIMEOUT="${SECULITE_STACK_STOP_TIMEOUT:-30}"
START_TIMEOUT="${SECULITE_STACK_START_TIMEOUT:-300}"
NGINX_CONF_DIR="$RUN_DIR/nginx"

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

# --- environment of the services ------------------------------------------------------------

# The settings the containers get from docker-compose.yml, with this machine's values.
# An empty variable counts as unset, as in backend/entrypoint.sh.
configure_environment() {
  umask 022
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$STACK_DIR/state" "$STACK_DIR/media" "$STACK_DIR/static"
  chmod 700 "$LOG_DIR" "$STACK_DIR/state" "$STACK_DIR/media"

  export SECULITE_STACK_DIR="$STACK_DIR"
  export SECULITE_ENV="${SECULITE_ENV:-production}"
  export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/seculite_stack}"
  export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/9}"
  export CACHE_URL="${CACHE_URL:-redis://127.0.0.1:6379/9}"
  export SECULITE_VAR_DIR="${SECULITE_VAR_DIR:-$STACK_DIR/state}"
  export MEDIA_ROOT="${MEDIA_ROOT:-$STACK_DIR/media}"
  export STATIC_ROOT="${STATIC_ROOT:-$STACK_DIR/static}"
  export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
  export NUM_PROXIES="${NUM_PROXIES:-1}"  # nginx in front sets X-Real-IP
  export SECULITE_ALLOWED_PATHS="${SECULITE_ALLOWED_PATHS:-$BACKEND_DIR/testdata,$REPO_DIR/var/code}"
  export SECULITE_FRONTEND_DIST="${SECULITE_FRONTEND_DIST:-$REPO_DIR/frontend/dist}"
  # Plain HTTP unless the TLS server is on: secure cookies would never come back.
  if [ -n "${SECULITE_NGINX_TLS_CERT:-}" ]; then
    export SECURE_COOKIES="${SECURE_COOKIES:-true}"
  else
    export SECURE_COOKIES="${SECURE_COOKIES:-false}"
  fi
  # Production mode needs a key; one is generated once for this stack, outside the repository's
  # tracked files, unless SECRET_KEY is given.
  if [ -z "${SECRET_KEY:-}" ]; then
    local key_file="$STACK_DIR/state/secret_key"
    if [ ! -s "$key_file" ]; then
      (umask 077 && "$VENV_PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$key_file")
    fi
    SECRET_KEY="$(cat "$key_file")"
    export SECRET_KEY
  fi
  export PYTHONUNBUFFERED=1
  export PATH="$BACKEND_DIR/.venv/bin:$PATH"
}

# Creates the stack's database when it is missing; refuses the server's `postgres` database.
ensure_database() {
  "$VENV_PY" - "$DATABASE_URL" <<'PY'
import sys
import urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
if url.scheme not in ("postgres", "postgresql", "pgsql"):
    sys.exit(0)
name = urllib.parse.unquote(url.path.lstrip("/"))
if not name or name in ("postgres", "template0", "template1"):
    sys.exit(f"stack.sh: refusing to use the database {name or '(none)'!r}; name another one "
             "in DATABASE_URL (the default is seculite_stack)")

import psycopg
from psycopg import sql

params = {
    "host": url.hostname or "127.0.0.1",
    "port": url.port or 5432,
    "user": urllib.parse.unquote(url.username or "postgres"),
    "dbname": "postgres",
    "autocommit": True,
    "connect_timeout": 10,
}
if url.password:
    params["password"] = urllib.parse.unquote(url.password)
with psycopg.connect(**params) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"stack.sh: created the database {name}", file=sys.stderr)
PY
}

nginx_bin() {
  command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || return 1
}

ensure_nginx() {
  nginx_bin >/dev/null && return 0
  [ "$(id -u)" -eq 0 ] || die "nginx is not installed; install Debian's package: sudo apt-get install nginx"
  log "Installing Debian's nginx"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
  nginx_bin >/dev/null || die "nginx could not be installed"
}

# Renders nginx/ into $NGINX_CONF_DIR with this stack's addresses and paths; the same templates
# and the same variable list (nginx/seculite-env.sh) as the nginx image.
render_nginx_config() {
  local mime_types template rendered
  mime_types="$(dirname "$(nginx_conf_path)")/mime.types"
  [ -f "$mime_types" ] || mime_types=/etc/nginx/mime.types
  [ -f "$mime_types" ] || die "nginx's mime.types was not found"
  rm -rf "$NGINX_CONF_DIR"
  mkdir -p "$NGINX_CONF_DIR/conf.d" "$RUN_DIR/nginx-temp"
  cp "$REPO_DIR/nginx/nginx.conf" "$NGINX_CONF_DIR/nginx.conf"
  cp "$mime_types" "$NGINX_CONF_DIR/mime.types"
  local tls=false
  if [ -n "${SECULITE_NGINX_TLS_CERT:-}" ] && [ -n "${SECULITE_NGINX_TLS_KEY:-}" ]; then
    tls=true
  fi
  (
    export SECULITE_BACKEND_UPSTREAM="$BACKEND_BIND"
    export SECULITE_NGINX_LISTEN="$LISTEN_HOST:$PORT"
    export SECULITE_NGINX_TLS_LISTEN="$LISTEN_HOST:$TLS_PORT"
    export SECULITE_NGINX_HTTPS_PORT="$TLS_PORT"
    export SECULITE_FRONTEND_ROOT="$SECULITE_FRONTEND_DIST"
    export SECULITE_STATIC_ROOT="$STATIC_ROOT"
    export SECULITE_NGINX_ACCESS_LOG="$LOG_DIR/nginx-access.log"
    export SECULITE_NGINX_TEMP_DIR="$RUN_DIR/nginx-temp"
    # shellcheck source=nginx/seculite-env.sh
    . "$REPO_DIR/nginx/seculite-env.sh"
    for template in "$REPO_DIR"/nginx/templates/*.template; do
      rendered="$NGINX_CONF_DIR/conf.d/$(basename "$template" .template)"
      envsubst "$SECULITE_NGINX_TEMPLATE_VARS" <"$template" >"$rendered"
    done
    if [ "$tls" = true ]; then
      envsubst "$SECULITE_NGINX_TEMPLATE_VARS" <"$REPO_DIR/nginx/tls/seculite-tls.conf.template" \
        >"$NGINX_CONF_DIR/conf.d/seculite-tls.conf"
    fi
  )
  "$(nginx_bin)" -t -q -p "$NGINX_CONF_DIR" -c "$NGINX_CONF_DIR/nginx.conf" \
    -g "pid $RUN_DIR/nginx.pid; error_log $LOG_DIR/nginx-error.log;" \
    || die "the rendered nginx configuration in $NGINX_CONF_DIR does not pass nginx -t"
}

nginx_conf_path() {
  "$(nginx_bin)" -V 2>&1 | tr ' ' '\n' | sed -n 's/^--conf-path=//p' | head -n 1 | grep . \
    || echo /etc/nginx/nginx.conf
}

# --- processes ------------------------------------------------------------------------------

pid_file() { echo "$RUN_DIR/$1.pid"; }

# Live (non-zombie) processes of a process group.
group_members() {
  ps -e -o pid=,pgid=,stat= | awk -v group="$1" '$2 == group && $3 !~ /^Z/ { print $1 }'
}

# Everything a group has started, including scanners that run in sessions of their own.
group_and_descendants() {
  ps -e -o pid=,ppid=,pgid=,stat= | awk -v group="$1" '
    $4 ~ /^Z/ { next }
    { parent[$1] = $2; pgid[$1] = $3 }
    END {
      for (pid in pgid) if (pgid[pid] == group) keep[pid] = 1
      do {
        added = 0
        for (pid in parent) if (!(pid in keep) && (parent[pid] in keep)) { keep[pid] = 1; added = 1 }
      } while (added)
      for (pid in keep) print pid
    }'
}

service_pid() {
  local file
  file="$(pid_file "$1")"
  [ -s "$file" ] || return 1
  cat "$file"
}

service_running() {
  local pid
  pid="$(service_pid "$1")" || return 1
  [ -n "$(group_members "$pid")" ]
}

# Starts a service in a session of its own (so it and all its children form one process group
# whose id is the pid in the pid file), output appended to its log.
spawn() {
  local name="$1"
  shift
  (cd "$BACKEND_DIR" && exec setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null) &
  local pid=$!
  echo "$pid" >"$(pid_file "$name")"
  sleep 0.2
  local pgid
  pgid="$(ps -o pgid= -p "$pid" | tr -d ' ' || true)"
  if [ -n "$pgid" ] && [ "$pgid" != "$pid" ]; then
    die "$name (pid $pid) did not get a process group of its own"
  fi
}

log_size() { stat -c %s "$LOG_DIR/$1.log" 2>/dev/null || echo 0; }

# Waits until CHECK succeeds, failing early if the service's processes are gone.
wait_ready() {
  local name="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + START_TIMEOUT))
  until "$@"; do
    if ! service_running "$name"; then
      tail -n 40 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited before it was $what (log: $LOG_DIR/$name.log)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 40 "$LOG_DIR/$name.log" >&2 || true
      die "$name was not $what after ${START_TIMEOUT}s (log: $LOG_DIR/$name.log)"
    fi
    sleep 1
  done
}

log_has_since() {
  local name="$1" offset="$2" pattern="$3"
  tail -c "+$((offset + 1))" "$LOG_DIR/$name.log" 2>/dev/null | grep -q -- "$pattern"
}

backend_healthy() {
  SECULITE_HEALTHCHECK_URL="http://$BACKEND_BIND/api/v1/health/" \
    "$VENV_PY" "$BACKEND_DIR/healthcheck.py" 2>/dev/null
}

nginx_healthy() {
  "$VENV_PY" - "http://$LISTEN_HOST:$PORT/healthz" <<'PY' 2>/dev/null
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=3) as response:
    sys.exit(0 if response.status == 200 else 1)
PY
}

# Each service has a launch (spawn it, note where its log stood) and an await (until ready).
# web, worker and beat are launched together: the worker and beat wait on their own until the
# web process has applied the migrations, so the three start in the time of the slowest.
declare -A LOG_OFFSET=()

launch_web() {
  LOG_OFFSET[web]="$(log_size web)"
  spawn web "$ENTRYPOINT" gunicorn seculite_api.wsgi:application \
    --bind "$BACKEND_BIND" --workers "${GUNICORN_WORKERS:-2}" --timeout 120 \
    --access-logfile - --forwarded-allow-ips 127.0.0.1
}

await_web() {
  wait_ready web "healthy (migrations, scanner detection, static files)" backend_healthy
  local generated
  generated="$(tail -c "+$((LOG_OFFSET[web] + 1))" "$LOG_DIR/web.log" |
    grep -m 1 "Generated password" || true)"
  if [ -n "$generated" ]; then
    log "First admin account '${SECULITE_ADMIN_USERNAME:-admin}' created. $generated"
  fi
}

launch_worker() {
  LOG_OFFSET[worker]="$(log_size worker)"
  spawn worker "$ENTRYPOINT" celery_worker celery -A seculite_api worker -l info \
    -Q default,scans -c "${CELERY_CONCURRENCY:-2}" -n "stack-worker@%h"
}

await_worker() {
  wait_ready worker "ready" log_has_since worker "${LOG_OFFSET[worker]}" " ready."
}

launch_beat() {
  LOG_OFFSET[beat]="$(log_size beat)"
  spawn beat "$ENTRYPOINT" celery_beat celery -A seculite_api beat -l info --pidfile= \
    --scheduler django_celery_beat.schedulers:DatabaseScheduler
}

await_beat() {
  wait_ready beat "started" log_has_since beat "${LOG_OFFSET[beat]}" "beat: Starting"
}

launch_nginx() {
  ensure_nginx
  render_nginx_config
  [ -f "$SECULITE_FRONTEND_DIST/index.html" ] ||
    log "Note: the web app is not built ($SECULITE_FRONTEND_DIST/index.html is missing): run npm ci && npm run build in frontend/"
  # Like every process of the stack, nginx's workers run as the user who started it, so they
  # read what collectstatic and the build wrote (as root, nginx would otherwise pick nobody).
  local user_directive=""
  if [ "$(id -u)" -eq 0 ]; then
    user_directive="user root root;"
  fi
  spawn nginx "$(nginx_bin)" -p "$NGINX_CONF_DIR" -c "$NGINX_CONF_DIR/nginx.conf" \
    -g "daemon off; $user_directive pid $RUN_DIR/nginx.pid; error_log $LOG_DIR/nginx-error.log;"
}

await_nginx() {
  wait_ready nginx "answering on http://$LISTEN_HOST:$PORT/" nginx_healthy
}

# SIGTERM to the service's main process, as `docker stop` does: gunicorn and Celery then stop
# their own workers (Celery lets a running tool run finish). Whatever of the group, or of what it
# started (scanners run in sessions of their own), is still alive after the timeout is killed.
stop_service() {
  local name="$1" pid known
  if ! pid="$(service_pid "$name")"; then
    return 0
  fi
  known="$(group_and_descendants "$pid")"
  if [ -n "$known" ]; then
    log "Stopping $name (pid $pid)"
    # A main process that is gone already leaves its group to be told directly.
    kill -TERM "$pid" 2>/dev/null || kill -TERM -- "-$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ]; do
      known="$(printf '%s\n%s\n' "$known" "$(group_and_descendants "$pid")" | sed '/^$/d' | sort -u)"
      [ -n "$(alive_of "$known")" ] || break
      sleep 0.5
    done
    local left
    left="$(alive_of "$known")"
    if [ -n "$left" ]; then
      log "$name did not stop within ${STOP_TIMEOUT}s; killing it"
      # shellcheck disable=SC2086 # one pid per word
      kill -KILL $left 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$(pid_file "$name")"
}

# Those of PIDS still alive (zombies count as gone).
alive_of() {
  local pid state
  for pid in $1; do
    state="$(ps -o stat= -p "$pid" 2>/dev/null || true)"
    if [ -n "$state" ] && [[ "$state" != Z* ]]; then
      echo "$pid"
    fi
  done
}

# Processes carrying this stack's tag in their environment that no pid file accounts for
# (a lost pid file, a scanner orphaned by a crash). nginx, gunicorn and celery rewrite their
# process titles over the environment, so their groups are found through the pid files.
stray_processes() {
  local environ pid
  for environ in /proc/[0-9]*/environ; do
    pid="${environ#/proc/}"
    pid="${pid%/environ}"
    [ "$pid" = "$$" ] && continue
    if grep -qxzF "SECULITE_STACK_DIR=$STACK_DIR" "$environ" 2>/dev/null; then
      echo "$pid"
    fi
  done
}

selected_services() {
  local service
  if [ "$#" -eq 0 ]; then
    printf '%s\n' "${SERVICES[@]}"
    return 0
  fi
  for service in "$@"; do
    case " ${SERVICES[*]} " in
      *" $service "*) echo "$service" ;;
      *) die "unknown service '$service' (services: ${SERVICES[*]})" ;;
    esac
  done
}

cmd_start() {
  local services service launched=()
  mapfile -t services < <(selected_services "$@")
  [ -x "$VENV_PY" ] || install_backend
  configure_environment
  if [ "$DATABASE_URL" = "postgres://postgres@127.0.0.1:5432/seculite_stack" ] ||
    [ "$CELERY_BROKER_URL" = "redis://127.0.0.1:6379/9" ]; then
    ensure_services
  fi
  ensure_database
  for service in web worker beat; do
    case " ${services[*]} " in *" $service "*) ;; *) continue ;; esac
    if service_running "$service"; then
      log "$service is already running (pid $(service_pid "$service"))"
      continue
    fi
    log "Starting $service"
    "launch_$service"
    launched+=("$service")
  done
  for service in "${launched[@]}"; do
    "await_$service"
    log "$service is up (pid $(service_pid "$service"))"
  done
  # nginx last, so it never answers 502 for a backend that is still migrating.
  case " ${services[*]} " in
    *" nginx "*)
      if service_running nginx; then
        log "nginx is already running (pid $(service_pid nginx))"
      else
        log "Starting nginx"
        launch_nginx
        await_nginx
        log "nginx is up (pid $(service_pid nginx))"
      fi
      ;;
  esac
  log "SecuLite runs on http://$LISTEN_HOST:$PORT/ (API: /api/v1/, admin: /admin/; logs: $LOG_DIR)"
}

cmd_stop() {
  local services service index strays
  mapfile -t services < <(selected_services "$@")
  for ((index = ${#SERVICES[@]} - 1; index >= 0; index--)); do
    service="${SERVICES[index]}"
    case " ${services[*]} " in *" $service "*) stop_service "$service" ;; esac
  done
  if [ "$#" -eq 0 ]; then
    strays="$(stray_processes)"
    if [ -n "$strays" ]; then
      log "Killing leftover processes of this stack: $(echo "$strays" | tr '\n' ' ')"
      # shellcheck disable=SC2086 # one pid per word
      kill -KILL $strays 2>/dev/null || true
    fi
    rm -f "$RUN_DIR/nginx.pid"
  fi
}

cmd_status() {
  local service all=0
  for service in "${SERVICES[@]}"; do
    if service_running "$service"; then
      printf '%-7s running (pid %s)\n' "$service" "$(service_pid "$service")"
    else
      printf '%-7s stopped\n' "$service"
      all=1
    fi
  done
  printf 'url     http://%s:%s/\nlogs    %s\n' "$LISTEN_HOST" "$PORT" "$LOG_DIR"
  return "$all"
}

command="${1:-}"
[ "$#" -gt 0 ] && shift
case "$command" in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  restart)
    cmd_stop "$@"
    cmd_start "$@"
    ;;
  status) cmd_status ;;
  nginx-config)
    configure_environment
    ensure_nginx
    render_nginx_config
    log "nginx -t passes on $NGINX_CONF_DIR/nginx.conf"
    echo "$NGINX_CONF_DIR/nginx.conf"
    ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
