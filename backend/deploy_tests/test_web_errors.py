"""Every error the web stack answers itself has a JSON body on /api/: a body too large, a NUL
in a header, a request line or header too long, too many headers, through nginx and gunicorn
as scripts/stack.sh runs them (the deployment's own configuration)."""

from __future__ import annotations

import contextlib
import json
import socket
from urllib.parse import urlsplit

import pytest

from deploy_tests.conftest import Stack

pytestmark = [pytest.mark.deploy]


def raw_request(address: str, request: bytes, *, timeout: float = 30) -> tuple[int, dict, bytes]:
    """Send bytes as they are (no client library would send these) and read the answer."""
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        # The server may answer (and close) before it has read the whole body.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(request)
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := conn.recv(65536):
                chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
    }
    return status, headers, body


def get(path: bytes, extra: bytes = b"") -> bytes:
    return (
        b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + b"Connection: close\r\n\r\n"
    )


def assert_json_error(answer: tuple[int, dict, bytes], status: int) -> dict:
    code, headers, body = answer
    assert code == status, (code, body[:300])
    assert headers.get("content-type", "").startswith("application/json"), (headers, body[:300])
    error = json.loads(body)["error"]
    assert error["status"] == status and error["code"] and error["message"]
    return error


def nginx(stack: Stack) -> str:
    return urlsplit(stack.url).netloc


def test_a_12_mb_body_is_a_json_413_through_nginx(stack: Stack) -> None:
    body = b"[" + b"1," * (6 * 1024 * 1024) + b"1]"
    request = (
        b"POST /api/v1/projects/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    assert_json_error(raw_request(nginx(stack), request), 413)


def test_a_12_mb_body_is_a_json_413_from_gunicorn_too(stack: Stack) -> None:
    """Straight to gunicorn (the embedded stack has no nginx): Django's cap, same format."""
    body = json.dumps({"username": "x" * (12 * 1024 * 1024), "password": "y"}).encode()
    request = (
        b"POST /api/v1/auth/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    assert_json_error(raw_request(stack.backend_bind, request), 413)


def test_a_nul_in_a_header_is_a_json_400(stack: Stack) -> None:
    answer = raw_request(nginx(stack), get(b"/api/v1/health/", b"X-Probe: a\x00b\r\n"))
    assert assert_json_error(answer, 400)["code"] == "bad_request"


def test_a_broken_request_line_is_a_json_400(stack: Stack) -> None:
    answer = raw_request(nginx(stack), get(b"/api/v1/health/\x00"))
    assert_json_error(answer, 400)


def test_a_long_query_string_is_a_json_414(stack: Stack) -> None:
    answer = raw_request(nginx(stack), get(b"/api/v1/projects/?search=" + b"a" * 20000))
    assert assert_json_error(answer, 414)["code"] == "uri_too_long"


def test_a_long_header_is_a_json_error(stack: Stack) -> None:
    answer = raw_request(nginx(stack), get(b"/api/v1/health/", b"X-Big: " + b"a" * 20000 + b"\r\n"))
    assert_json_error(answer, 400)


@pytest.mark.parametrize("length", [5000, 6000])
def test_what_nginx_lets_through_gunicorn_does_not_refuse(stack: Stack, length: int) -> None:
    """Past gunicorn's default request line (4094) but within nginx's buffers: Django answers."""
    path = b"/api/v1/health/?x=" + b"a" * length
    code, headers, body = raw_request(nginx(stack), get(path))
    if code == 414:
        assert_json_error((code, headers, body), 414)
    else:
        assert code == 200, (code, body[:300])


def test_many_headers_reach_django(stack: Stack) -> None:
    extra = b"".join(b"X-H%d: v\r\n" % n for n in range(300))
    code, _headers, body = raw_request(nginx(stack), get(b"/api/v1/health/", extra))
    assert code == 200, (code, body[:300])


def test_the_web_app_still_answers_html(stack: Stack) -> None:
    code, headers, _body = raw_request(nginx(stack), get(b"/projects"))
    assert code == 200
    assert headers["content-type"].startswith("text/html")
