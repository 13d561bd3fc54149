"""End to end through nginx only: scripts/stack.sh runs gunicorn, a Celery worker and beat
through backend/entrypoint.sh, and Debian's nginx with the deployment's configuration, against
PostgreSQL and Redis; a client talks to nginx as a browser would. The tests share one stack
and run in file order; the last one stops it and looks for leftovers."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from deploy_tests.client import Client
from deploy_tests.conftest import FrontendBuild, Stack, wait_for
from deploy_tests.mfa import MfaAccount

pytestmark = [pytest.mark.deploy]

SCAN_TIMEOUT = 180
FINAL = {"completed", "failed", "error", "cancelled"}
GOOD_TOOL_RESULTS = {"completed", "no_findings"}


# --- helpers -----------------------------------------------------------------------------


def available_tools(client: Client) -> set[str]:
    answer = client.get("/api/v1/tools/?page_size=500")
    assert answer.status == 200, answer.text
    return {tool["slug"] for tool in answer.json()["results"] if tool["available"]}


def require_tools(client: Client, *slugs: str) -> None:
    missing = set(slugs) - available_tools(client)
    if missing:
        pytest.fail(
            f"scanners missing on the stack's worker (run scripts/install-scanners.sh): {missing}"
        )


def create_scan_setup(
    stack: Stack, client: Client, *, name: str, tools: list[str], **configuration: Any
) -> tuple[int, int]:
    """A project with the sample project as codebase-path target and a configuration of
    `tools`; returns (project id, configuration id)."""
    project = client.post("/api/v1/projects/", json_body={"name": name})
    assert project.status == 201, project.text
    project_id = project.json()["id"]
    target = client.post(
        f"/api/v1/projects/{project_id}/targets/",
        json_body={
            "name": "sample",
            "asset_type": "codebase_path",
            "identifier": str(stack.sample_dir),
        },
    )
    assert target.status == 201, target.text
    config = client.post(
        f"/api/v1/projects/{project_id}/scan-configurations/",
        json_body={
            "name": f"{name} configuration",
            "targets": [target.json()["id"]],
            "tools": [{"tool": slug} for slug in tools],
            **configuration,
        },
    )
    assert config.status == 201, config.text
    return project_id, config.json()["id"]


def scan_detail(client: Client, scan_id: int) -> dict[str, Any]:
    answer = client.get(f"/api/v1/scans/{scan_id}/")
    assert answer.status == 200, answer.text
    return dict(answer.json())


def wait_for_scan(stack: Stack, client: Client, scan_id: int) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        scan = scan_detail(client, scan_id)
        return scan if scan["status"] in FINAL else None

    return dict(
        wait_for(finished, timeout=SCAN_TIMEOUT, what=f"scan {scan_id} to finish", logs=stack.logs)
    )


def tool_problems(scan: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (result["tool"]["slug"], result["status"], result["error_message"][:300])
        for result in scan["tool_results"]
        if result["status"] not in GOOD_TOOL_RESULTS
    ]


def findings_of(client: Client, project_id: int) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/findings/?project={project_id}&page_size=500")
    assert answer.status == 200, answer.text
    return list(answer.json()["results"])


def assert_security_headers(answer: Any, where: str) -> None:
    csp = answer.headers.get_all("Content-Security-Policy") or []
    assert len(csp) == 1, (where, csp)
    assert "default-src 'self'" in csp[0] and "frame-ancestors 'none'" in csp[0], (where, csp)
    assert "object-src 'none'" in csp[0], (where, csp)
    assert answer.headers.get_all("X-Frame-Options") == ["DENY"], where
    assert answer.headers.get_all("X-Content-Type-Options") == ["nosniff"], where
    assert answer.headers.get_all("Referrer-Policy") == ["same-origin"], where
    assert answer.header("Server") == "nginx", (where, answer.header("Server"))


# --- the tests, in the order they run ----------------------------------------------------


def test_stack_starts_every_service_through_the_entrypoint(stack: Stack) -> None:
    print(f"\nstack.sh start took {stack.started_seconds:.1f} s")
    status = stack.script("status")
    assert status.returncode == 0, status.stdout + status.stderr
    for service in ("web", "worker", "beat", "nginx"):
        assert re.search(rf"^{service}\s+running \(pid \d+\)", status.stdout, re.M), status.stdout
    web = stack.log("web")
    for step in (
        "Applying database migrations",
        "Detecting installed scanners",
        "Starting gunicorn",
    ):
        assert f"[entrypoint] {step}" in web, web[-3000:]
    assert "[entrypoint] Starting the Celery worker" in stack.log("worker")
    assert "[entrypoint] Starting Celery beat" in stack.log("beat")
    assert "Created admin account 'stackadmin'" in web
    # gunicorn is not what the client talks to: every answer below comes through nginx.
    assert stack.url.endswith(stack.env["SECULITE_STACK_PORT"])


def test_spa_loads_at_root_and_at_a_deep_link(stack: Stack, frontend_build: FrontendBuild) -> None:
    if frontend_build.skip:
        pytest.skip(frontend_build.skip)
    assert not frontend_build.error, frontend_build.error
    index = (frontend_build.dist / "index.html").read_text()
    client = stack.client()
    for path in ("/", "/findings/42?tab=history", "/projects/7/scans"):
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status == 200, (path, page.status, page.text[:300])
        assert (page.header("Content-Type") or "").startswith("text/html"), path
        assert page.text == index, path
        assert page.header("Cache-Control") == "no-cache", path
        assert_security_headers(page, path)

    # Vite's hashed assets: served with a year-long immutable cache; a missing one is a 404,
    # not the app's page.
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', index)
    assert assets, index
    for asset in assets:
        answer = client.get(asset, headers={"Accept-Encoding": "gzip"})
        assert answer.status == 200, asset
        assert answer.header("Cache-Control") == "public, max-age=31536000, immutable", asset
        assert answer.body == (frontend_build.dist / asset.lstrip("/")).read_bytes(), asset
    assert client.get("/assets/missing-0123abcd.js").status == 404


def test_openapi_schema_answers(stack: Stack) -> None:
    answer = stack.client().get(
        "/api/v1/schema/", headers={"Accept": "*/*", "Accept-Encoding": "gzip"}
    )
    assert answer.status == 200, answer.text[:500]
    assert (answer.header("Content-Type") or "").startswith("application/vnd.oai.openapi")
    assert answer.header("Content-Encoding") == "gzip"
    assert answer.text.startswith("openapi: 3"), answer.text[:100]
    assert "/api/v1/scans/{id}/:" in answer.text


def test_django_static_files_are_served_by_nginx_with_cache_headers(stack: Stack) -> None:
    client = stack.client()
    login_page = client.get("/admin/login/", headers={"Accept": "text/html"})
    assert login_page.status == 200, login_page.text[:500]
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login_page.text)
    assert stylesheet, login_page.text[:2000]

    css = client.get(stylesheet.group(1))
    assert css.status == 200
    assert css.header("Content-Type") == "text/css"
    assert css.header("Cache-Control") == "public, max-age=31536000, immutable"
    # nginx's ETag, and the bytes collectstatic wrote into the stack's STATIC_ROOT.
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', css.header("ETag") or ""), css.headers
    collected = stack.dir / "static" / stylesheet.group(1).removeprefix("/static/")
    assert css.body == collected.read_bytes()
    gzipped = client.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
    assert gzipped.header("Content-Encoding") == "gzip" and gzipped.body == css.body
    assert_security_headers(css, "static css")

    unhashed = client.get("/static/admin/css/base.css")
    assert unhashed.status == 200
    assert unhashed.header("Cache-Control") == "public, max-age=3600"
    # Uploads and raw scanner output are never served as files.
    assert client.get("/media/scan_tool_outputs/x.json").status == 404


@pytest.mark.parametrize(
    "path", ["/api/v1/health/", "/api/v1/schema/", "/admin/login/", "/api/v1/no-such-endpoint/"]
)
def test_security_headers_on_proxied_answers(stack: Stack, path: str) -> None:
    answer = stack.client().get(path, headers={"Accept": "text/html,application/json,*/*"})
    assert answer.status in (200, 302, 404), (path, answer.status)
    assert_security_headers(answer, path)
    csp = answer.header("Content-Security-Policy") or ""
    assert "script-src 'self';" in csp, csp


def test_api_docs_page_gets_the_only_relaxed_policy(stack: Stack) -> None:
    answer = stack.client().get("/api/v1/docs/", headers={"Accept": "text/html"})
    assert answer.status == 200
    assert "script-src 'self' 'unsafe-inline'" in (answer.header("Content-Security-Policy") or "")
    assert answer.headers.get_all("X-Frame-Options") == ["DENY"]


def test_login_with_csrf_then_session_reads_and_writes(stack: Stack) -> None:
    client = stack.client()
    assert client.get("/api/v1/auth/me/").status in (401, 403)

    password_only = stack.client()
    first_step = password_only.post(
        "/api/v1/auth/login/",
        json_body={"username": stack.admin_username, "password": stack.admin_password},
    )
    assert first_step.status == 200, first_step.text
    # Staff need a second factor: the password alone opens no session.
    assert first_step.json()["status"] in ("mfa_enrolment_required", "mfa_required")
    assert first_step.json()["user"] is None
    assert password_only.get("/api/v1/auth/me/").status in (401, 403)

    if stack.admin_mfa is None:
        stack.admin_mfa = MfaAccount(stack.admin_username, stack.admin_password)
    login = stack.admin_mfa.sign_in(client)
    assert login.status == 200, login.text
    assert login.json()["status"] == "signed_in", login.text
    assert client.cookie("sessionid"), "the login set no session cookie"
    assert client.cookie("csrftoken"), "the login set no CSRF cookie"

    me = client.get("/api/v1/auth/me/")
    assert me.status == 200, me.text
    assert me.json()["username"] == stack.admin_username

    # A session write needs the CSRF token (the proxy keeps the Host and port Django checks the
    # Origin against)...
    refused = client.post("/api/v1/projects/", json_body={"name": "no token"}, csrf=False)
    assert refused.status == 403, refused.text
    forged = client.post(
        "/api/v1/projects/", json_body={"name": "forged"}, headers={"Origin": "http://evil.example"}
    )
    assert forged.status == 403, forged.text
    created = client.post("/api/v1/projects/", json_body={"name": "Created through nginx"})
    assert created.status == 201, created.text
    assert created.json()["name"] == "Created through nginx"


def test_upload_limit_answers_in_the_api_error_format(stack: Stack) -> None:
    client = stack.client()
    body = b"x" * (stack.upload_max_bytes + 1024 * 1024 + 1)
    answer = client.post(
        "/api/v1/auth/login/", data=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status == 413
    assert answer.json()["error"]["status"] == 413
    just_under = client.post(
        "/api/v1/auth/login/", json_body={"username": "x" * 1000, "password": "y"}
    )
    assert just_under.status in (400, 401), just_under.text


def test_scan_started_through_the_api_completes_on_the_worker(stack: Stack) -> None:
    client = stack.admin_client()
    require_tools(client, "bandit")
    project_id, config_id = create_scan_setup(stack, client, name="API scan", tools=["bandit"])

    started = client.post(f"/api/v1/projects/{project_id}/scan-configurations/{config_id}/start/")
    assert started.status == 202, started.text
    scan = wait_for_scan(stack, client, started.json()["id"])

    assert scan["status"] == "completed", (
        scan["status"],
        scan["error_message"],
        tool_problems(scan),
    )
    assert scan["progress"] == 100
    assert [r["tool"]["slug"] for r in scan["tool_results"]] == ["bandit"]
    assert not tool_problems(scan)
    findings = findings_of(client, project_id)
    assert findings and all(f["tool"]["slug"] == "bandit" for f in findings)
    assert scan["summary"]["total"] == len(findings)
    assert any(f["file_path"].endswith(".py") and f["line_start"] for f in findings)
    # The worker ran it: its log shows the tasks.
    assert "scans.tool_result_run" in stack.log("worker")


def test_beat_starts_a_scheduled_scan(stack: Stack) -> None:
    # Beat's database scheduler wrote the periodic tasks of the settings into the database.
    reaper = stack.sql(
        "SELECT enabled, task FROM django_celery_beat_periodictask WHERE name = %s",
        ("scans-reaper",),
    )
    assert reaper == [(True, "scans.scans_reap")], reaper

    client = stack.admin_client()
    require_tools(client, "bandit")
    once_at = datetime.now(UTC) + timedelta(seconds=3)
    project_id, config_id = create_scan_setup(
        stack, client, name="Scheduled scan", tools=["bandit"],
        schedule_type="once", schedule_enabled=True, schedule_once_at=once_at.isoformat(),
    )  # fmt: skip

    def scheduled_scan() -> dict[str, Any] | None:
        answer = client.get(f"/api/v1/projects/{project_id}/scans/")
        assert answer.status == 200, answer.text
        scans = [s for s in answer.json()["results"] if s["configuration"]["id"] == config_id]
        return scans[0] if scans else None

    scan = wait_for(
        scheduled_scan, timeout=90, what="beat to start the scheduled scan", logs=stack.logs
    )
    assert scan["trigger"] == "scheduled", scan
    finished = wait_for_scan(stack, client, scan["id"])
    assert finished["status"] == "completed", tool_problems(finished)
    assert "Sending due task" in stack.log("beat")


def _kill_worker(stack: Stack) -> int:
    """SIGKILL the worker's process group, as a crash would, and the scanners it started
    (they run in sessions of their own), so nothing of the old worker finishes the work."""
    pid = stack.pid("worker")
    assert pid is not None
    for process in stack.group_and_descendants(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(process, signal.SIGKILL)
    return pid


def test_worker_restarted_in_the_middle_of_a_scan_the_scan_completes(stack: Stack) -> None:
    client = stack.admin_client()
    wanted = ["semgrep", "bandit", "detect-secrets", "shellcheck"]
    tools = [slug for slug in wanted if slug in available_tools(client)]
    assert "bandit" in tools, "bandit is needed (run scripts/install-scanners.sh)"
    project_id, config_id = create_scan_setup(stack, client, name="Restart scan", tools=tools)
    started = client.post(f"/api/v1/projects/{project_id}/scan-configurations/{config_id}/start/")
    assert started.status == 202, started.text
    scan_id = started.json()["id"]

    def a_tool_is_running() -> bool:
        scan = scan_detail(client, scan_id)
        assert scan["status"] not in FINAL, "the scan ended before the worker could be restarted"
        return any(r["status"] == "running" for r in scan["tool_results"])

    wait_for(
        a_tool_is_running, timeout=90, what="a tool run to start", logs=stack.logs, interval=0.1
    )
    old_pid = _kill_worker(stack)
    wait_for(
        lambda: re.search(r"^worker\s+stopped", stack.script("status").stdout, re.M),
        timeout=10,
        what="stack.sh status to see the worker gone",
    )

    restarted = stack.script("start", "worker")
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr + stack.logs()
    new_pid = stack.pid("worker")
    assert new_pid and new_pid != old_pid
    stack.remember_process_groups()

    scan = wait_for_scan(stack, client, scan_id)
    assert scan["status"] == "completed", (scan["error_message"], tool_problems(scan))
    assert not tool_problems(scan)
    assert sorted(r["tool"]["slug"] for r in scan["tool_results"]) == sorted(tools)
    keys = [
        (f["tool"]["slug"], f["rule_id"], f["file_path"], f["line_start"])
        for f in findings_of(client, project_id)
    ]
    assert keys and len(keys) == len(set(keys)), "duplicate findings after the redelivery"


def test_beat_ran_the_reaper_on_its_schedule(stack: Stack) -> None:
    # The reaper is due every 60 s; by now beat has been up about that long.
    def reaper_sent() -> bool:
        rows = stack.sql(
            "SELECT last_run_at FROM django_celery_beat_periodictask WHERE name = %s",
            ("scans-reaper",),
        )
        return bool(rows and rows[0][0]) or "Sending due task scans-reaper" in stack.log("beat")

    wait_for(reaper_sent, timeout=90, what="beat to send scans-reaper", logs=stack.logs)


def test_stop_leaves_no_process_behind(stack: Stack) -> None:
    stack.remember_process_groups()
    stopped = stack.script("stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    status = stack.script("status")
    assert status.returncode != 0
    for service in ("web", "worker", "beat", "nginx"):
        assert re.search(rf"^{service}\s+stopped", status.stdout, re.M), status.stdout
    left = wait_for(lambda: not stack.leftover_processes() or None, timeout=5, what="no leftovers",
                    logs=lambda: "\n".join(stack.leftover_processes()))  # fmt: skip
    assert left
    for address in (stack.url.removeprefix("http://"), stack.backend_bind):
        host, port = address.split(":")
        with socket.socket() as sock:
            sock.settimeout(2)
            assert sock.connect_ex((host, int(port))) != 0, f"{address} still accepts connections"
    assert not list((stack.dir / "run").glob("*.pid"))
