#!/usr/bin/env bash
# A Docker engine of the project's own, for the image tests (backend/deploy_tests/test_images.py):
# Debian's dockerd on its own socket, data root and exec root, started as root and stopped by
# its pid file only (never another engine on the machine).
#
#   scripts/docker-engine.sh start    install docker.io/docker-compose/debootstrap if missing,
#                                     start the daemon (no-op when it already answers)
#   scripts/docker-engine.sh stop     stop the daemon this script started (its pid file)
#   scripts/docker-engine.sh status   exit 0 when the daemon answers
#   scripts/docker-engine.sh env      print the DOCKER_HOST line to eval
#   scripts/docker-engine.sh compose  print the path of Compose v2 (installed when missing)
#   scripts/docker-engine.sh clean    stop, then delete the data root (images, build cache,
#                                     stand-ins: the next start is a cold one)
#
# The data root is outside the clone (default /var/lib/seculite-docker) so the stand-in base
# images and build layers stay cached between test runs on one machine. Settings:
#   SECULITE_DOCKER_RUN_DIR    /run/seculite-docker          socket, pid file, exec root
#   SECULITE_DOCKER_DATA_ROOT  /var/lib/seculite-docker      images, containers, volumes
# No bridge, no iptables, no masquerading: containers talk over the networks compose creates,
# published ports listen through docker-proxy, and builds use the host's network.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

RUN_DIR="${SECULITE_DOCKER_RUN_DIR:-/run/seculite-docker}"
DATA_ROOT="${SECULITE_DOCKER_DATA_ROOT:-/var/lib/seculite-docker}"
SOCKET="$RUN_DIR/docker.sock"
PID_FILE="$RUN_DIR/dockerd.pid"
LOG_FILE="$RUN_DIR/dockerd.log"
# Debian's client, whatever else is first on PATH: the one that matches the daemon.
DOCKER=/usr/bin/docker
# Compose v2 as a CLI plugin of Debian's client. Debian bookworm ships only Compose v1, which
# refuses docker-compose.yml's `security_opt: systempaths=unconfined`; v2 is Debian's own build
# from the next release (trixie's `docker-compose` package: one static Go binary that needs
# only libc). apt fetches it with a list of its own, so the machine's sources stay bookworm,
# and checks the archive's signature against Debian's keyring before the file is unpacked.
COMPOSE_V2="${SECULITE_COMPOSE_V2:-/usr/libexec/docker/cli-plugins/docker-compose}"
COMPOSE_V2_SUITE=trixie
COMPOSE_V2_VERSION_PREFIX=2.
export DOCKER_HOST="unix://$SOCKET"

answers() {
  [ -S "$SOCKET" ] && [ -x "$DOCKER" ] && timeout 10 "$DOCKER" version >/dev/null 2>&1
}

ensure_engine_packages() {
  local missing=()
  [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
  [ -x /usr/bin/docker-compose ] || missing+=(docker-compose)
  [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
  if [ "${#missing[@]}" -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "installing ${missing[*]} needs root"
    log "Installing ${missing[*]} from Debian's packages"
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

compose_v2_ok() {
  [ -x "$COMPOSE_V2" ] && "$COMPOSE_V2" version --short 2>/dev/null | grep -q "^v\{0,1\}$COMPOSE_V2_VERSION_PREFIX"
}

ensure_compose_v2() {
  compose_v2_ok && return 0
  [ "$(id -u)" -eq 0 ] || die "installing Compose v2 needs root"
  log "Installing Docker Compose v2 from Debian $COMPOSE_V2_SUITE's docker-compose package"
  local work
  work="$(mktemp -d)"
  chmod 0755 "$work"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $COMPOSE_V2_SUITE main" \
    >"$work/sources.list"
  local apt_opts=(
    -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o DPkg::Lock::Timeout=600
  )
  apt-get "${apt_opts[@]}" update -qq >/dev/null ||
    { rm -rf "$work"; die "apt could not read Debian $COMPOSE_V2_SUITE's package list"; }
  (cd "$work" && apt-get "${apt_opts[@]}" download -qq docker-compose >/dev/null 2>&1) ||
    { rm -rf "$work"; die "apt could not download $COMPOSE_V2_SUITE's docker-compose"; }
  dpkg-deb -x "$work"/docker-compose_*.deb "$work/root"
  install -D -m 0755 "$work/root/usr/libexec/docker/cli-plugins/docker-compose" "$COMPOSE_V2"
  rm -rf "$work"
  compose_v2_ok || die "$COMPOSE_V2 is not Compose v$COMPOSE_V2_VERSION_PREFIX*"
}

start() {
  if answers; then
    ensure_compose_v2
    log "Docker engine already answers on $SOCKET"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "the Docker engine starts as root"
  ensure_engine_packages
  ensure_compose_v2
  mkdir -p "$RUN_DIR" "$DATA_ROOT"
  # A stale pid file of a daemon that died: its process is gone, the file goes too.
  if [ -f "$PID_FILE" ] && ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    rm -f "$PID_FILE" "$SOCKET"
  fi
  log "Starting dockerd on $SOCKET (data root $DATA_ROOT)"
  setsid /usr/sbin/dockerd \
    -H "unix://$SOCKET" \
    --data-root "$DATA_ROOT" \
    --exec-root "$RUN_DIR/exec" \
    --pidfile "$PID_FILE" \
    --storage-driver=overlay2 \
    --iptables=false --ip-masq=false --bridge=none \
    --containerd-namespace seculite --containerd-plugins-namespace seculite-plugins \
    >>"$LOG_FILE" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    if answers; then
      log "Docker engine up ($("$DOCKER" version --format '{{.Server.Version}}'))"
      return 0
    fi
    sleep 1
  done
  tail -n 30 "$LOG_FILE" >&2 || true
  die "dockerd did not answer on $SOCKET within 60 s (log: $LOG_FILE)"
}

stop() {
  [ -f "$PID_FILE" ] || { log "No dockerd of ours is running"; return 0; }
  local pid
  pid="$(cat "$PID_FILE")"
  if kill -0 "$pid" 2>/dev/null; then
    log "Stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "dockerd did not stop in 60 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$PID_FILE" "$SOCKET"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if answers; then echo "running ($SOCKET)"; else echo "stopped"; exit 1; fi
    ;;
  env) echo "DOCKER_HOST=unix://$SOCKET" ;;
  compose)
    ensure_compose_v2
    echo "$COMPOSE_V2"
    ;;
  clean)
    stop
    log "Deleting $DATA_ROOT"
    rm -rf "$DATA_ROOT"
    ;;
  *)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
