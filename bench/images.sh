#!/usr/bin/env bash
# Build times and sizes of the two images, on the project's own Docker engine
# (scripts/docker-engine.sh) with the registry-image stand-ins, from a clean copy of the working
# tree (what git tracks or would track): the backend image, the nginx image, then the backend
# again after a code-only change (one comment added to a module) and after no change.
#
#   bench/images.sh            uses the build cache (a warm machine)
#   bench/images.sh --cold     drops the cache of the two images first (stand-ins stay)
#
# Single-binary scanners are skipped (INSTALL_SINGLE_BINARY_SCANNERS=false): this machine
# reaches only the package registries.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

DOCKER=/usr/bin/docker
eval "$("$REPO_DIR/scripts/docker-engine.sh" env)"
export DOCKER_HOST
"$REPO_DIR/scripts/docker-engine.sh" start
"$REPO_DIR/backend/deploy_tests/standins/build.sh"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$REPO_DIR" && git ls-files -co --exclude-standard -z |
  while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf -) | tar -xf - -C "$WORK"
cd "$WORK"
printf 'SECRET_KEY=bench\nPOSTGRES_PASSWORD=bench\n' >.env
COMPOSE_V2="$("$REPO_DIR/scripts/docker-engine.sh" compose)"
# The classic builder: BuildKit would fetch the `# syntax=` frontend image from a registry.
compose() {
  SECULITE_VERSION=bench DOCKER_BUILDKIT=0 "$COMPOSE_V2" -p seculite_bench \
    -f docker-compose.yml -f docker-compose.images-test.yml "$@"
}

if [ "${1:-}" = "--cold" ]; then
  log "Dropping the images and the build cache (the stand-ins stay)"
  "$DOCKER" image rm -f seculite-backend:bench seculite-nginx:bench >/dev/null 2>&1 || true
  "$DOCKER" image prune -f >/dev/null
  "$DOCKER" builder prune -af >/dev/null
fi

timed() {
  local what="$1" started=$SECONDS
  shift
  "$@" >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log" >&2; die "$what failed"; }
  printf '%-44s %5d s\n' "$what" "$((SECONDS - started))"
}

timed "backend image" compose build backend
timed "nginx image" compose build nginx
echo "# a code-only change" >>backend/seculite_api/__init__.py
timed "backend image after a code-only change" compose build backend
timed "backend image, nothing changed" compose build backend
for tag in seculite-backend:bench seculite-nginx:bench; do
  size="$("$DOCKER" image inspect -f '{{.Size}}' "$tag")"
  printf '%-44s %5d MB\n' "$tag" "$((size / 1000000))"
done
