"""Configuration, connection, authentication and HTTP errors: exit 2, one line on stderr, never
a traceback, never the token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import TOKEN, URL, Cli

GATE = ("gate", "-p", "web", "--scan", "11")


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("seculite: error: ")
    assert "Traceback" not in stderr
    assert TOKEN not in stderr
    return lines[0]


def test_no_url(cli: Cli) -> None:
    result = cli(*GATE, env={"SECULITE_URL": None})

    assert result.exit_code == 2
    assert (
        one_line_error(result.stderr)
        == "seculite: error: no server: set SECULITE_URL or pass --url"
    )


def test_no_token(cli: Cli) -> None:
    result = cli(*GATE, env={"SECULITE_TOKEN": None})

    assert result.exit_code == 2
    assert "set SECULITE_TOKEN or pass --token" in one_line_error(result.stderr)


def test_a_url_without_scheme(cli: Cli) -> None:
    result = cli(*GATE, env={"SECULITE_URL": "seculite.example.test"})

    assert result.exit_code == 2
    assert "SECULITE_URL must start with http:// or https://" in one_line_error(result.stderr)


def test_options_override_the_environment(cli: Cli) -> None:
    cli.server.add_scan(11)
    cli.server.compares[11] = {"new": [], "counts": {"new": 0, "fixed": 0, "unchanged": 0}}

    result = cli(
        *GATE,
        "--url",
        f"{URL}/api/v1/",
        "--token",
        TOKEN,
        env={"SECULITE_URL": "https://elsewhere.test", "SECULITE_TOKEN": "wrong"},
    )

    assert result.exit_code == 0, result.output
    assert {r.url.host for r in cli.server.requests} == {"seculite.example.test"}
    assert all(r.url.path.startswith("/api/v1/") for r in cli.server.requests)
    assert "/api/v1/api/v1" not in result.stdout


def test_a_wrong_token_is_an_authentication_error_that_does_not_echo_it(cli: Cli) -> None:
    secret = "sl_wrong_key_do_not_print"

    result = cli(*GATE, env={"SECULITE_TOKEN": secret})

    assert result.exit_code == 2
    line = one_line_error(result.stderr)
    assert "authentication failed (HTTP 401: Invalid API key.)" in line
    assert secret not in result.output


def test_a_forbidden_call_says_why(cli: Cli) -> None:
    cli.server.overrides[r"/api/v1/projects/"] = lambda _r: httpx.Response(
        403,
        json={
            "error": {
                "status": 403,
                "code": "permission_denied",
                "message": "This API key is limited to project 2.",
            }
        },
    )

    result = cli(*GATE)

    assert result.exit_code == 2
    assert (
        "permission denied (HTTP 403) for GET /api/v1/projects/: "
        "This API key is limited to project 2." in one_line_error(result.stderr)
    )


def test_a_server_error_page(cli: Cli) -> None:
    cli.server.overrides[r"/api/v1/projects/"] = lambda _r: httpx.Response(
        502, text="<html><body><h1>502 Bad Gateway</h1></body></html>"
    )

    result = cli(*GATE)

    assert result.exit_code == 2
    assert (
        "HTTP 502 from GET /api/v1/projects/: <html><body><h1>502 Bad Gateway</h1>"
        in one_line_error(result.stderr)
    )


def test_a_web_page_instead_of_the_api(cli: Cli) -> None:
    cli.server.overrides[r"/api/v1/projects/"] = lambda _r: httpx.Response(
        200,
        text="<!doctype html><title>Not SecuLite</title>",
        headers={"Content-Type": "text/html"},
    )

    result = cli(*GATE)

    assert result.exit_code == 2
    assert "with text/html, not JSON: is SECULITE_URL the SecuLite server?" in one_line_error(
        result.stderr
    )


def test_a_redirect_is_not_followed(cli: Cli) -> None:
    cli.server.overrides[r"/api/v1/projects/"] = lambda _r: httpx.Response(
        301, headers={"Location": "https://seculite.example.test/login"}
    )

    result = cli(*GATE)

    assert result.exit_code == 2
    assert "was redirected (HTTP 301) to https://seculite.example.test/login" in one_line_error(
        result.stderr
    )


def test_an_unexpected_answer_shape_is_a_one_line_error(cli: Cli) -> None:
    cli.server.add_scan(11)
    cli.server.compares[11] = {"counts": {}}  # no `new` list

    result = cli(*GATE)

    assert result.exit_code == 2
    assert "unexpected answer to the comparison of scan 11" in one_line_error(result.stderr)


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("[Errno 111] Connection refused"), httpx.ReadTimeout("timed out")],
)
def test_transport_failures(cli: Cli, failure: httpx.TransportError) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    cli.server.overrides[r".*"] = fail

    result = cli(*GATE)

    assert result.exit_code == 2
    line = one_line_error(result.stderr)
    assert line in (
        f"seculite: error: cannot reach {URL}: [Errno 111] Connection refused",
        f"seculite: error: {URL} did not answer GET /api/v1/projects/ in time",
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_installed_command_against_a_closed_port(tmp_path: Path) -> None:
    """The real entry point, in its own process, with nothing listening."""
    env = {
        **os.environ,
        "SECULITE_URL": f"http://127.0.0.1:{_closed_port()}",
        "SECULITE_TOKEN": TOKEN,
    }
    result = subprocess.run(
        [sys.executable, "-m", "seculite_cli", *GATE, "--sarif", str(tmp_path / "g.sarif")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "cannot reach http://127.0.0.1:" in one_line_error(result.stderr)
    assert result.stdout == ""
    assert not (tmp_path / "g.sarif").exists()


def test_version_and_help(cli: Cli) -> None:
    version = cli("--version")
    assert version.exit_code == 0
    assert version.stdout.startswith("seculite ")
    help_text = cli("gate", "--help", env={"SECULITE_TOKEN": "sl_shown_nowhere"})
    assert help_text.exit_code == 0
    assert "--fail-on" in help_text.stdout
    assert "sl_shown_nowhere" not in help_text.stdout
