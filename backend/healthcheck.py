"""Health probe for the backend container and scripts/stack.sh: exit 0 when /api/v1/health/
answers 200 (database and broker reachable), 1 otherwise.

Standard library only, so it runs in the slim image without curl. It sends a Host header
Django accepts (the first concrete ALLOWED_HOSTS entry) and X-Forwarded-Proto https, so
neither ALLOWED_HOSTS nor SECURE_SSL_REDIRECT makes a healthy server look sick.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/api/v1/health/"


def host_header(allowed_hosts: str) -> str:
    """The first ALLOWED_HOSTS entry usable as a Host header ("localhost" when none is)."""
    for entry in allowed_hosts.split(","):
        name = entry.strip().lstrip(".")
        if name and "*" not in name:
            return name
    return "localhost"


def main() -> int:
    url = os.environ.get("SECULITE_HEALTHCHECK_URL", DEFAULT_URL)
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's, http(s) only
        url,
        headers={
            "Host": host_header(os.environ.get("ALLOWED_HOSTS", "")),
            "X-Forwarded-Proto": "https",
            "Accept": "application/json",
        },
    )
    if not url.startswith(("http://", "https://")):
        print(f"healthcheck: not an http(s) URL: {url}", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(f"healthcheck: {url} answered {exc.code}", file=sys.stderr)
    except OSError as exc:
        print(f"healthcheck: {url} is unreachable: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
