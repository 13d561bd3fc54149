#!/bin/sh
# The redis image's interface: options alone mean redis-server; as root it owns /data and
# re-runs as redis; the server listens on every address without protected mode.
set -eu
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = "redis-server" ] && [ "$(id -u)" = "0" ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "$1" = "redis-server" ]; then
  set -- "$@" --bind "* -::*" --protected-mode no
fi
exec "$@"
