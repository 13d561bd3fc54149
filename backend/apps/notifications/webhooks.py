"""Outgoing webhook POSTs with the standard library, aimed only where the target policy allows.

The host is checked with `target_policy_check` at send time and the connection goes to the very
address that was checked, so a DNS answer that changes between check and connect (rebinding)
cannot steer the request to a private address. HTTPS still verifies the certificate against the
host name. Redirects are never followed: a 3xx is a failed delivery.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from apps.targets.policy import TargetPolicyError, target_policy_check

USER_AGENT = "SecuLite-Webhook/2"
# Statuses worth another try later; any other non-2xx answer is final.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RESPONSE_BYTES = 64 * 1024
# How much of an answer the delivery log keeps.
RESPONSE_EXCERPT_CHARS = 1000


@dataclass(frozen=True)
class SendOutcome:
    ok: bool
    error: str = ""
    transient: bool = False
    status_code: int | None = None
    duration_ms: int = 0
    response_excerpt: str = ""


def webhook_display_url(url: str) -> str:
    """The URL reduced to what identifies it without secrets: scheme, host, port, first path
    segment. User info, query and fragment go, and so does the rest of the path, because
    services such as Slack and Discord put the token there."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(invalid URL)"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    segments = [s for s in parts.path.split("/") if s]
    path = f"/{segments[0]}" if segments else ""
    if len(segments) > 1 or parts.query or parts.username or parts.password:
        path += "/…"
    return f"{parts.scheme}://{netloc}{path}"


def _redacted(message: str, url: str) -> str:
    """`message` with the URL and its secret parts taken out, in case an error quotes them."""
    parts = urlsplit(url)
    for secret in (url, parts.path, parts.query, parts.password, parts.username):
        if secret and len(secret) > 1:
            message = message.replace(secret, "…")
    return message


def _connection(
    scheme: str, host: str, port: int, address: str, timeout: float
) -> http.client.HTTPConnection:
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)

    # http.client connects through this hook; pin it to the checked address. The HTTPS class
    # still wraps the socket with server_hostname=host, so the certificate check is unchanged.
    def create_connection(
        _address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        return socket.create_connection((address, port), timeout, source_address)

    connection._create_connection = create_connection  # type: ignore[attr-defined]
    return connection


def webhook_post(
    *, url: str, body: bytes, headers: Mapping[str, str], timeout: float
) -> SendOutcome:
    """POST `body` (JSON) to `url` with `headers` added; never raises, the outcome says what
    happened, how long it took and how the receiver answered (its start, secrets removed)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return SendOutcome(ok=False, error="The webhook URL is not valid.")
    if parts.scheme not in ("http", "https") or not host:
        return SendOutcome(ok=False, error="The webhook URL must be an http or https URL.")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = target_policy_check(host)
    except TargetPolicyError as exc:
        return SendOutcome(ok=False, error=f"Refused by the target network policy: {exc}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    all_headers = {
        **headers,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Accept": "*/*",
    }
    connection = _connection(parts.scheme, host, port, str(addresses[0]), timeout)
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        connection.request("POST", path, body=body, headers=all_headers)
        response = connection.getresponse()
        answer = response.read(MAX_RESPONSE_BYTES)
        status = response.status
    except TimeoutError:
        return SendOutcome(
            ok=False,
            transient=True,
            error=f"No answer within {timeout:g} s (timed out).",
            duration_ms=elapsed(),
        )
    except ssl.SSLCertVerificationError as exc:
        return SendOutcome(
            ok=False, error=_redacted(f"TLS certificate: {exc}", url), duration_ms=elapsed()
        )
    except (OSError, http.client.HTTPException) as exc:
        return SendOutcome(
            ok=False,
            transient=True,
            error=_redacted(f"Connection failed: {exc.__class__.__name__}: {exc}", url),
            duration_ms=elapsed(),
        )
    finally:
        connection.close()
    excerpt = _redacted(answer[: RESPONSE_EXCERPT_CHARS * 4].decode("utf-8", "replace"), url)
    if 200 <= status < 300:
        ok, transient, error = True, False, ""
    elif 300 <= status < 400:
        ok, transient, error = False, False, f"HTTP {status}: redirects are not followed."
    else:
        ok, transient = False, status in TRANSIENT_STATUSES
        error = f"HTTP {status} from the webhook."
    return SendOutcome(
        ok=ok,
        transient=transient,
        error=error,
        status_code=status,
        duration_ms=elapsed(),
        response_excerpt=excerpt[:RESPONSE_EXCERPT_CHARS],
    )
