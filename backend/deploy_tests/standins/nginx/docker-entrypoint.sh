#!/bin/sh
# The nginx image's entrypoint convention: before nginx starts, every file in
# /docker-entrypoint.d/ in version order, *.envsh sourced (its variables reach the later
# scripts), *.sh run, each only when executable.
set -e
if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
  find /docker-entrypoint.d/ -follow -type f -print | sort -V | while read -r f; do
    case "$f" in
      *.envsh)
        # shellcheck disable=SC1090 # the image's own scripts
        if [ -x "$f" ]; then echo "$0: sourcing $f"; . "$f"; else echo "$0: ignoring $f, not executable"; fi
        ;;
      *.sh)
        if [ -x "$f" ]; then echo "$0: running $f"; "$f"; else echo "$0: ignoring $f, not executable"; fi
        ;;
      *) echo "$0: ignoring $f" ;;
    esac
  done
  echo "$0: configuration complete; ready for start up"
fi
exec "$@"
