"""HTTP access to the SecuLite API: one httpx client with the token header, every failure turned
into a one-line `CliError` (the command exits 2 with it, never with a traceback).

The token is sent only in the `Authorization: Token <key>` header and never appears in a
message: httpx's own errors carry the URL, not the headers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from seculite_cli import __version__

API_PREFIX = "/api/v1"
# Uploads of large reports may take long to send and, behind a proxy, to be answered.
TIMEOUT = httpx.Timeout(30.0, read=300.0, write=600.0)
# Lists are read this many rows a page; name look-ups read at most MAX_PAGES pages.
PAGE_SIZE = 100
MAX_PAGES = 20


class CliError(Exception):
    """A problem the user must fix (usage, configuration, connection, authentication, HTTP):
    printed on one line, exit code 2."""


def _error_message(response: httpx.Response) -> str:
    """The API's error shape `{"error": {"message", "fields"}}` as one line; else a short
    excerpt of whatever the server answered."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())[:200]
        return text or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return " ".join(str(body).split())[:200]
    message = str(error.get("message") or response.reason_phrase)
    fields = error.get("fields")
    if isinstance(fields, dict) and fields:
        details = "; ".join(
            f"{name}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for name, msgs in fields.items()
        )
        if details not in message:
            message = f"{message} ({details})"
    return message


def base_url_normalise(url: str) -> str:
    """The web app's root URL: scheme and host (and path prefix, if any), no trailing slash,
    no `/api/v1` suffix (people paste the API's address as often as the app's)."""
    url = url.strip().rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)].rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise CliError(
            f"SECULITE_URL must start with http:// or https:// (got {url!r}), "
            "e.g. https://seculite.example.com"
        )
    return url


@dataclass
class Api:
    """The SecuLite API at `base_url`, authenticated with a token."""

    base_url: str
    http: httpx.Client

    def web_url(self, path: str) -> str:
        """A page of the web app, e.g. `/findings/12`."""
        return f"{self.base_url}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 202),
    ) -> httpx.Response:
        """Send one request under /api/v1; a status outside `ok` raises CliError."""
        url = f"{API_PREFIX}{path}"
        try:
            response = self.http.request(
                method, url, params=params, json=json, data=data, files=files, headers=headers
            )
        except httpx.TimeoutException:
            raise CliError(f"{self.base_url} did not answer {method} {url} in time") from None
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            reason = str(exc) or type(exc).__name__
            raise CliError(f"cannot reach {self.base_url}: {reason}") from None
        if response.status_code in ok:
            return response
        raise CliError(self._status_message(method, url, response))

    def _status_message(self, method: str, url: str, response: httpx.Response) -> str:
        status = response.status_code
        message = _error_message(response)
        if status == 401:
            return f"authentication failed (HTTP 401: {message}): check SECULITE_TOKEN or --token"
        if status == 403:
            return f"permission denied (HTTP 403) for {method} {url}: {message}"
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            return (
                f"{method} {url} was redirected (HTTP {status}) to {location or '?'}: "
                "check SECULITE_URL (use the final https:// address)"
            )
        return f"HTTP {status} from {method} {url}: {message}"

    def json(self, response: httpx.Response) -> Any:
        """The body as JSON; a server that answers something else is not SecuLite's API."""
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise CliError(
                f"{self.base_url} answered {response.request.method} {response.request.url.path} "
                f"with {kind}, not JSON: is SECULITE_URL the SecuLite server?"
            ) from None

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.json(self.request("GET", path, params=params))

    def post(self, path: str, *, json: Any = None, ok: tuple[int, ...] = (200, 201, 202)) -> Any:
        return self.json(self.request("POST", path, json=json, ok=ok))

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every row of a paginated list (at most MAX_PAGES pages of PAGE_SIZE)."""
        query: dict[str, Any] = {**(params or {}), "page_size": PAGE_SIZE}
        for page in range(1, MAX_PAGES + 1):
            body = self.get(path, {**query, "page": page})
            if isinstance(body, list):  # an unpaginated list
                yield from body
                return
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise CliError(f"unexpected answer to GET {API_PREFIX}{path}: not a list")
            yield from body["results"]
            if not body.get("next"):
                return

    def close(self) -> None:
        self.http.close()


def api_connect(
    *, url: str | None, token: str | None, transport: httpx.BaseTransport | None = None
) -> Api:
    """An Api for the URL and token given (options or SECULITE_URL / SECULITE_TOKEN)."""
    if not url:
        raise CliError("no server: set SECULITE_URL or pass --url")
    if not token:
        raise CliError("no API key: set SECULITE_TOKEN or pass --token")
    if any(ch.isspace() for ch in token.strip()) or not token.strip().isprintable():
        raise CliError(
            "the API key in SECULITE_TOKEN / --token is malformed (spaces or control characters)"
        )
    base_url = base_url_normalise(url)
    http = httpx.Client(
        base_url=base_url,
        headers={
            "Authorization": f"Token {token.strip()}",
            "Accept": "application/json",
            "User-Agent": f"seculite-cli/{__version__}",
        },
        timeout=TIMEOUT,
        transport=transport,
        follow_redirects=False,
    )
    return Api(base_url=base_url, http=http)
