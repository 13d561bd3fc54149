"""A small HTTP client over urllib for talking to the stack through nginx, the way a browser
does: a cookie jar, the CSRF header from the csrftoken cookie, an Origin on writes, and no
redirect following (the tests look at the raw answers)."""

from __future__ import annotations

import gzip
import http.cookiejar
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode())

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        csrf: bool = True,
        timeout: float = 30,
    ) -> Response:
        all_headers = {"Accept": "application/json", **(headers or {})}
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        if method not in ("GET", "HEAD", "OPTIONS"):
            all_headers.setdefault("Origin", self.base_url)
            token = self.cookie("csrftoken")
            if csrf and token:
                all_headers["X-CSRFToken"] = token
        request = urllib.request.Request(  # noqa: S310 - http:// base URL of the stack
            self.base_url + path, data=data, headers=all_headers, method=method
        )
        try:
            with self._opener.open(request, timeout=timeout) as answer:
                return Response(answer.status, answer.headers, self._body(answer))
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, self._body(error))

    @staticmethod
    def _body(answer: Any) -> bytes:
        body = answer.read()
        if answer.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return bytes(body)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)
