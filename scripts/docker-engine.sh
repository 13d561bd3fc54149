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

start() {
  if answers; then
    log "Docker engine already answers on $SOCKET"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "the Docker engine starts as root"
  ensure_engine_packages
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
  clean)
    stop
    log "Deleting $DATA_ROOT"
    rm -rf "$DATA_ROOT"
    ;;
  *)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
