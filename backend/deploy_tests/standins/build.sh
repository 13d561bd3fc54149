#!/usr/bin/env bash
# Builds the stand-ins for the registry images (see README.md beside this file) on the engine
# DOCKER_HOST names, each only when it is missing or its folder changed: the base root file
# system (debootstrap, about a minute) and every image carry the hash of their inputs as a label.
#   DOCKER_HOST=unix:///run/seculite-docker/docker.sock backend/deploy_tests/standins/build.sh
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
DOCKER="${DOCKER:-/usr/bin/docker}"
MIRROR="${SECULITE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
BASE_REPO="seculite-standin/bookworm"
LABEL="org.seculite.standin.hash"
# tag  folder
IMAGES=(
  "python:3.11-slim-bookworm python"
  "debian:bookworm-slim debian"
  "node:22-bookworm-slim node"
  "nginx:1.27-alpine nginx"
  "postgres:15-alpine postgres"
  "redis:7-alpine redis"
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

label_of() {
  "$DOCKER" image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null || true
}

hash_of() {
  (cd "$HERE" && find "$@" -type f -print0 | sort -z | xargs -0 sha256sum; \
   cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true) | sha256sum | cut -c1-16
}

# Debian bookworm minbase plus ca-certificates (and the host's local CAs), apt never starting
# services, imported as one layer.
build_base() {
  local tag="$1" rootfs
  rootfs="$(mktemp -d /var/tmp/seculite-standin-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' RETURN
  log "debootstrap --variant=minbase bookworm (stand-in base $tag)"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$MIRROR" \
    >"$rootfs.log" 2>&1 || { tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; return 1; }
  rm -f "$rootfs.log"
  cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
SOURCES
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
  fi
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
  local bundle=/etc/ssl/certs/ca-certificates.crt
  tar -C "$rootfs" --numeric-owner -c . | "$DOCKER" import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV LANG=C.UTF-8" \
    --change "ENV PIP_CERT=$bundle REQUESTS_CA_BUNDLE=$bundle NODE_EXTRA_CA_CERTS=$bundle" \
    --change 'CMD ["bash"]' - "$tag" >/dev/null
}

base_hash="$(cd "$HERE" && { cat build.sh; cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true; } | sha256sum | cut -c1-16)"
base_tag="$BASE_REPO:$base_hash"
if ! "$DOCKER" image inspect "$base_tag" >/dev/null 2>&1; then
  started=$SECONDS
  build_base "$base_tag"
  log "stand-in base $base_tag built in $((SECONDS - started)) s"
fi

for entry in "${IMAGES[@]}"; do
  read -r tag folder <<<"$entry"
  wanted="$base_hash-$(hash_of "$folder")"
  if [ "$(label_of "$tag")" = "$wanted" ]; then
    continue
  fi
  started=$SECONDS
  log "Building stand-in $tag"
  "$DOCKER" build -q --network host --build-arg "BASE=$base_tag" --label "$LABEL=$wanted" \
    -t "$tag" "$HERE/$folder" >/dev/null
  log "stand-in $tag built in $((SECONDS - started)) s"
done
