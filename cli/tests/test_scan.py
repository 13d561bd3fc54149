"""`seculite scan`: starting a configuration's scan, live progress, exit code by end state."""

from __future__ import annotations

import json
from itertools import count

import httpx
import pytest

from seculite_cli.scans import Waiting
from tests.conftest import Cli


def test_starts_the_configuration_named_with_the_ref(cli: Cli) -> None:
    result = cli(
        "scan", "--project", "web", "--configuration", "nightly sast", "--ref", "feature/x"
    )

    assert result.exit_code == 0, result.output
    (start,) = cli.server.sent("POST", "/api/v1/projects/1/scan-configurations/4/start/")
    assert json.loads(start.content) == {"ref": "feature/x"}
    assert "Started scan 100 of 'Nightly SAST' in project 'web'" in result.stdout
    assert cli.server.sent("GET", "/api/v1/scans/100/status/") == []  # no --wait, no polling


def test_without_ref_sends_no_body(cli: Cli) -> None:
    result = cli("scan", "-p", "1", "-c", "4")

    assert result.exit_code == 0, result.output
    (start,) = cli.server.sent("POST", "/api/v1/projects/1/scan-configurations/4/start/")
    assert start.content == b""


@pytest.mark.parametrize(
    ("end_state", "exit_code"),
    [
        ("completed", 0),
        ("completed_with_errors", 1),
        ("failed", 1),
        ("error", 1),
        ("cancelled", 1),
    ],
)
def test_wait_exit_code_follows_the_end_state(cli: Cli, end_state: str, exit_code: int) -> None:
    cli.server.statuses[100] = ["queued", "running", "running", end_state]

    result = cli("scan", "-p", "web", "-c", "Nightly SAST", "--wait")

    assert result.exit_code == exit_code, result.output
    assert f"Scan 100 {end_state.replace('_', ' ')}" in result.stdout
    # Tool runs are reported as they change: running, then finished with its count.
    assert "Semgrep on web-repo: running" in result.stderr
    assert "Semgrep on web-repo: completed, 3 findings" in result.stderr


def test_wait_polls_with_the_etag_and_takes_304_as_unchanged(cli: Cli) -> None:
    cli.server.statuses[100] = ["running", "running", "completed"]

    result = cli("scan", "-p", "web", "-c", "4", "--wait")

    assert result.exit_code == 0, result.output
    polls = cli.server.sent("GET", "/api/v1/scans/100/status/")
    assert [p.headers.get("If-None-Match") for p in polls] == [None, 'W/"running"', 'W/"running"']


def test_wait_prints_the_summary(cli: Cli) -> None:
    cli.server.statuses[100] = ["completed"]
    cli.server.scan_defaults["summary"] = {
        "total": 5,
        "new": 2,
        "resolved": 1,
        "by_severity": {"critical": 0, "high": 2, "low": 3},
    }

    result = cli("scan", "-p", "web", "-c", "4", "--wait")

    assert result.exit_code == 0, result.output
    assert "Scan 100 completed: 5 findings (2 new, 1 resolved) — 2 high, 3 low" in result.stdout


def test_wait_gives_up_after_the_timeout_with_exit_2(cli: Cli) -> None:
    cli.server.statuses[100] = ["running"]
    ticks = count(step=30)
    waiting = Waiting(interval=0, sleep=lambda _s: None, clock=lambda: float(next(ticks)))

    result = cli("scan", "-p", "web", "-c", "4", "--wait", "--timeout", "100", waiting=waiting)

    assert result.exit_code == 2
    assert "scan 100 is still running after 100 s: stopped waiting" in result.stderr


def test_an_unknown_configuration_is_a_one_line_error(cli: Cli) -> None:
    result = cli("scan", "-p", "web", "-c", "weekly")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "seculite: error: no scan configuration 'weekly' in project 'web' that this API key can see"
    )
    assert cli.server.sent("POST", "/api/v1/projects/1/scan-configurations/4/start/") == []


def test_a_server_that_ignores_the_ref_is_reported(cli: Cli) -> None:
    def start_without_ref(request: httpx.Request) -> httpx.Response:
        scan = cli.server.add_scan(100, status="queued")
        del scan["ref"]
        return httpx.Response(202, json=scan)

    cli.server.overrides[r"/api/v1/projects/1/scan-configurations/4/start/"] = start_without_ref

    result = cli("scan", "-p", "web", "-c", "4", "--ref", "feature/x")

    assert result.exit_code == 0, result.output
    assert "the server did not record ref 'feature/x' on scan 100" in result.stderr
