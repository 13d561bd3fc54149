"""The compose deployment for real: both images built from the repository's Dockerfiles on the
project's own Docker engine (scripts/docker-engine.sh), docker-compose.yml brought up unchanged
(docker-compose.images-test.yml adds only the build network and the skipped single-binary
scanners), against stand-ins of the registry images (standins/). A client talks to nginx as a
browser does. The tests share one stack and run in file order; the last one upgrades from the
previous commit's image and tears everything down.

SECULITE_SKIP_IMAGES=1 skips the module when no engine can start; without it a machine that
cannot start one fails here, with the reason."""

from __future__ import annotations

import io
import os
import re
import secrets
import time
import uuid
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from deploy_tests.client import Client
from deploy_tests.compose import (
    CONTAINERS,
    DOCKER,
    ENGINE_SH,
    STANDINS_SH,
    ComposeStack,
    copy_tree,
    docker,
    export_commit,
    image_size_mb,
    sh,
    wait_until,
)
from deploy_tests.conftest import REPO_DIR, SAMPLE_PROJECT

pytestmark = [pytest.mark.images]

APP_UID = "10001"
SCAN_TIMEOUT = 420
FINAL = {"completed", "failed", "error", "cancelled"}
GOOD_TOOL_RESULTS = {"completed", "no_findings"}
# Scanners of the image the scans run (the single-binary ones are skipped in the test build).
SCAN_TOOLS = ["bandit", "semgrep", "detect-secrets", "shellcheck"]
# A code-only change must rebuild the backend image in under this many seconds.
REBUILD_LIMIT = 60


def _engine_or_skip() -> None:
    started = sh([ENGINE_SH, "start"], timeout=900, check=False, env=dict(os.environ))
    if started.returncode == 0:
        return
    reason = f"no Docker engine: {(started.stdout + started.stderr).strip()[-1500:]}"
    if os.environ.get("SECULITE_SKIP_IMAGES") == "1":
        pytest.skip(reason)
    pytest.fail(reason + "\n(set SECULITE_SKIP_IMAGES=1 to skip the image tests explicitly)")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    """Stand-ins, both images built (timed), a code-only rebuild timed, the stack up and
    healthy. Torn down with its volumes at the end."""
    _engine_or_skip()
    started = time.monotonic()
    sh([STANDINS_SH], timeout=1800)
    standins_seconds = time.monotonic() - started
    context = tmp_path_factory.mktemp("images") / "current"
    copy_tree(REPO_DIR, context)
    handle = ComposeStack(dir=context, admin_password="Images-" + secrets.token_urlsafe(16))
    handle.timings["stand-ins"] = standins_seconds
    handle.write_env()
    handle.compose("down", "-v", "--remove-orphans", check=False)
    try:
        handle.timed_build("backend image", "backend")
        handle.timed_build("nginx image", "nginx")
        yield handle
    finally:
        print("\n" + handle.logs(tail=40)[-6000:])
        # No image prune: the classic builder's cache of the earlier stages (dependencies,
        # scanners, the web app's build) is untagged images a prune would delete.
        handle.compose("down", "-v", "--remove-orphans", check=False, timeout=300)


@pytest.fixture(scope="module")
def up(stack: ComposeStack) -> ComposeStack:
    started = time.monotonic()
    stack.compose("up", "-d", "--no-build", timeout=600)
    stack.wait_healthy()
    stack.timings["up until healthy"] = time.monotonic() - started
    return stack


# --- helpers -----------------------------------------------------------------------------


def _sample_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(SAMPLE_PROJECT.rglob("*")):
            if path.is_file():
                archive.write(path, f"vulnerable-project/{path.relative_to(SAMPLE_PROJECT)}")
    return buffer.getvalue()


def _multipart(fields: dict[str, str], filename: str, payload: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + f"{value}\r\n".encode()
        )
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; '
            f'filename="{filename}"\r\nContent-Type: application/zip\r\n\r\n'
        ).encode()
        + payload
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def create_scan_setup(client: Client, name: str, tools: list[str]) -> tuple[int, int, int]:
    """A project whose target is the sample project uploaded as a zip archive (it lands in the
    media volume the backend and the workers share); returns (project, target, configuration)."""
    project = client.post("/api/v1/projects/", json_body={"name": name})
    assert project.status == 201, project.text
    project_id = project.json()["id"]
    body, content_type = _multipart(
        {"name": "sample", "asset_type": "file_upload"}, "sample.zip", _sample_zip()
    )
    target = client.post(
        f"/api/v1/projects/{project_id}/targets/", data=body, headers={"Content-Type": content_type}
    )
    assert target.status == 201, target.text
    config = client.post(
        f"/api/v1/projects/{project_id}/scan-configurations/",
        json_body={
            "name": f"{name} configuration",
            "targets": [target.json()["id"]],
            "tools": [{"tool": slug} for slug in tools],
        },
    )
    assert config.status == 201, config.text
    return project_id, target.json()["id"], config.json()["id"]


def start_scan(client: Client, project_id: int, config_id: int) -> int:
    started = client.post(f"/api/v1/projects/{project_id}/scan-configurations/{config_id}/start/")
    assert started.status == 202, started.text
    return int(started.json()["id"])


def scan_detail(client: Client, scan_id: int) -> dict[str, Any]:
    answer = client.get(f"/api/v1/scans/{scan_id}/")
    assert answer.status == 200, answer.text
    return dict(answer.json())


def wait_for_scan(stack: ComposeStack, client: Client, scan_id: int) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        scan = scan_detail(client, scan_id)
        return scan if scan["status"] in FINAL else None

    return dict(wait_until(finished, timeout=SCAN_TIMEOUT, what=f"scan {scan_id}", logs=stack.logs))


def tool_problems(scan: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (r["tool"]["slug"], r["status"], r["error_message"][:300])
        for r in scan["tool_results"]
        if r["status"] not in GOOD_TOOL_RESULTS
    ]


def findings_of(client: Client, project_id: int) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/findings/?project={project_id}&page_size=500")
    assert answer.status == 200, answer.text
    return list(answer.json()["results"])


def available_tools(client: Client) -> set[str]:
    answer = client.get("/api/v1/tools/?page_size=500")
    assert answer.status == 200, answer.text
    return {tool["slug"] for tool in answer.json()["results"] if tool["available"]}


def container_log(container: str) -> str:
    result = sh([DOCKER, "logs", container], check=False)
    return result.stdout + result.stderr


def _logged(container: str, text: str) -> bool:
    return text in container_log(container)


def process_uids(container: str) -> set[str]:
    """Real uids of every process in a container, read from /proc inside it."""
    out = docker(
        "exec", container, "sh", "-c",
        "for s in /proc/[0-9]*/status; do awk '/^Uid:/{print $2}' \"$s\" 2>/dev/null; done",
    )  # fmt: skip
    return set(out.split())


# --- the tests, in the order they run ----------------------------------------------------


def test_images_build_and_the_backend_image_carries_no_build_tools(stack: ComposeStack) -> None:
    sizes = {
        tag: image_size_mb(tag) for tag in ("seculite-backend:latest", "seculite-nginx:latest")
    }
    print("\n" + "\n".join(f"{k}: {v:.0f} s" for k, v in stack.timings.items()))
    print("\n".join(f"{k}: {v:.0f} MB" for k, v in sizes.items()))
    probe = docker(
        "run", "--rm", "--entrypoint", "sh", "seculite-backend:latest", "-c",
        "for t in gcc cc g++ make c++ poetry; do command -v $t; done;"
        " ls -d /root/.cache /var/lib/seculite/.cache/pip /var/lib/apt/lists/*deb* 2>/dev/null;"
        " find /app /opt/venv/lib -maxdepth 3 \\( -name tests -o -name conftest.py"
        " -o -name deploy_tests -o -name fuzz_tests -o -name testdata \\) -path '/app/*';"
        " id -u",
    ).split()  # fmt: skip
    assert probe == [APP_UID], f"build tools, caches or tests in the backend image: {probe[:-1]}"
    # The code is root's and read-only to the app's user.
    owner = docker("run", "--rm", "--entrypoint", "stat", "seculite-backend:latest",
                   "-c", "%u %a", "/app/manage.py").split()  # fmt: skip
    assert owner[0] == "0" and not int(owner[1][-1]) & 2, owner


def test_a_code_only_change_rebuilds_quickly(stack: ComposeStack) -> None:
    module = stack.dir / "backend" / "seculite_api" / "__init__.py"
    original = module.read_text()
    # A new comment each run: the same change built before would come from the cache.
    module.write_text(original + f"\n# a code-only change {uuid.uuid4().hex}\n")
    try:
        seconds = stack.timed_build("backend rebuild after a code change", "backend")
    finally:
        module.write_text(original)
    print(f"\nbackend image rebuilt after a code-only change in {seconds:.1f} s")
    # Back to the tree the stack runs: every layer from the cache.
    stack.compose("build", "backend", timeout=600)
    assert seconds < REBUILD_LIMIT, f"a code-only change took {seconds:.0f} s to rebuild"


def test_every_healthcheck_passes(up: ComposeStack) -> None:
    print(f"\nup until every health check passed: {up.timings['up until healthy']:.0f} s")
    for service, container in CONTAINERS.items():
        assert up.health(container) in ("healthy", "running"), service
    assert [up.health(c) for c in up.container_ids("worker")] == ["healthy"]
    backend_log = up.logs("backend", tail=400)
    for step in (
        "Applying database migrations",
        "Detecting installed scanners",
        "Starting gunicorn",
    ):
        assert f"[entrypoint] {step}" in backend_log, backend_log[-3000:]
    assert "[entrypoint] Starting the Celery worker" in up.logs("worker", tail=400)


def test_backend_worker_and_beat_run_as_the_unprivileged_user(up: ComposeStack) -> None:
    for container in (CONTAINERS["backend"], CONTAINERS["beat"], *up.container_ids("worker")):
        uids = process_uids(container)
        assert uids == {APP_UID}, (container, uids)


def test_sign_in_through_nginx_with_csrf(up: ComposeStack) -> None:
    client = up.client()
    assert client.get("/api/v1/auth/me/").status in (401, 403)
    client = up.admin_client()
    assert client.cookie("sessionid") and client.cookie("csrftoken")
    assert client.get("/api/v1/auth/me/").json()["username"] == "imagesadmin"
    refused = client.post("/api/v1/projects/", json_body={"name": "no token"}, csrf=False)
    assert refused.status == 403, refused.text
    created = client.post("/api/v1/projects/", json_body={"name": "Through the images"})
    assert created.status == 201, created.text
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status == 200 and '<div id="app"' in page.text, page.text[:500]


def test_static_volume_written_by_the_backend_and_served_by_nginx(up: ComposeStack) -> None:
    client = up.client()
    login_page = client.get("/admin/login/", headers={"Accept": "text/html"})
    assert login_page.status == 200, login_page.text[:500]
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login_page.text)
    assert stylesheet, login_page.text[:2000]
    css = client.get(stylesheet.group(1))
    assert css.status == 200 and css.header("Content-Type") == "text/css"
    relative = stylesheet.group(1).removeprefix("/static/")
    written = up.exec(
        CONTAINERS["backend"], "stat", "-c", "%u", f"/var/lib/seculite/static/{relative}"
    )
    assert written.strip() == APP_UID
    served = up.exec(CONTAINERS["nginx"], "cat", f"/var/www/django_static/{relative}")
    assert served.encode() == css.body


def test_scan_of_the_sample_project_on_the_worker(up: ComposeStack) -> None:
    client = up.admin_client()
    tools = available_tools(client)
    missing = set(SCAN_TOOLS) - tools
    assert not missing, f"scanners missing in the image: {missing} (available: {sorted(tools)})"
    project_id, _, config_id = create_scan_setup(client, "Image scan", ["bandit", "shellcheck"])
    scan = wait_for_scan(up, client, start_scan(client, project_id, config_id))
    assert scan["status"] == "completed", (scan["error_message"], tool_problems(scan))
    assert not tool_problems(scan)
    findings = findings_of(client, project_id)
    assert {f["tool"]["slug"] for f in findings} == {"bandit", "shellcheck"}, findings[:3]
    assert "scans.tool_result_run" in up.logs("worker", tail=2000)
    # The upload and the raw tool output are in the media volume, written by the app's user.
    media = up.exec(
        up.container_ids("worker")[0], "find", "/var/lib/seculite/media", "-type", "f",
        "-printf", "%U %P\n",
    ).split("\n")  # fmt: skip
    owners = {line.split()[0] for line in media if line}
    paths = [line.split()[1] for line in media if line]
    assert owners == {APP_UID}, media
    assert any(p.startswith("target_uploads/") for p in paths), paths
    assert any(p.startswith("scan_tool_outputs/") for p in paths), paths


def test_two_workers_one_killed_mid_scan_loses_nothing(up: ComposeStack) -> None:
    up.compose("up", "-d", "--no-build", "--no-recreate", "--scale", "worker=2", "worker")
    workers = up.container_ids("worker")
    assert len(workers) == 2, workers
    for worker in workers:
        wait_until(
            partial(_logged, worker, "ready."),
            timeout=180, what=f"worker {worker[:12]} ready", logs=up.logs,
        )  # fmt: skip
    client = up.admin_client()
    project_id, _, config_id = create_scan_setup(client, "Killed worker", SCAN_TOOLS)
    scan_id = start_scan(client, project_id, config_id)

    def busy_worker() -> str | None:
        scan = scan_detail(client, scan_id)
        assert scan["status"] not in FINAL, "the scan ended before a worker could be killed"
        if not any(r["status"] == "running" for r in scan["tool_results"]):
            return None
        for worker in workers:
            top = docker("top", worker, "-eo", "pid,args", check=False)
            if any(
                tool in top
                for tool in ("semgrep", "bandit", "detect-secrets", "shellcheck", "bwrap")
            ):
                return worker
        return None

    victim = wait_until(busy_worker, timeout=180, what="a tool running on a worker", logs=up.logs)
    docker("kill", victim)
    print(f"\nkilled worker {victim[:12]} in the middle of scan {scan_id}")
    scan = wait_for_scan(up, client, scan_id)
    assert scan["status"] == "completed", (scan["error_message"], tool_problems(scan))
    assert not tool_problems(scan)
    assert sorted(r["tool"]["slug"] for r in scan["tool_results"]) == sorted(SCAN_TOOLS)
    keys = [
        (f["tool"]["slug"], f["rule_id"], f["file_path"], f["line_start"])
        for f in findings_of(client, project_id)
    ]
    assert keys and len(keys) == len(set(keys)), "duplicate findings after the redelivery"
    up.compose("up", "-d", "--no-build", "--scale", "worker=1", "worker")


def test_beat_sends_its_scheduled_tasks(up: ComposeStack) -> None:
    def reaper_sent() -> bool:
        last = up.psql(
            "SELECT last_run_at IS NOT NULL FROM django_celery_beat_periodictask "
            "WHERE name = 'scans-reaper'"
        )
        return last == "t" and "Sending due task scans-reaper" in up.logs("beat", tail=2000)

    wait_until(reaper_sent, timeout=150, what="beat to send scans-reaper", logs=up.logs)


def test_down_and_up_keeps_the_data_in_the_named_volumes(up: ComposeStack) -> None:
    client = up.admin_client()
    before = client.get("/api/v1/projects/?page_size=100").json()["results"]
    assert {"Through the images", "Image scan"} <= {p["name"] for p in before}
    findings_before = up.psql("SELECT count(*) FROM findings_finding")
    up.compose("down", timeout=300)
    assert not up.compose("ps", "-q").stdout.split()
    up.compose("up", "-d", "--no-build", timeout=600)
    up.wait_healthy()
    client = up.admin_client()  # the admin's password and the sessions' secret key held
    after = client.get("/api/v1/projects/?page_size=100").json()["results"]
    assert sorted(p["id"] for p in after) == sorted(p["id"] for p in before)
    assert up.psql("SELECT count(*) FROM findings_finding") == findings_before
    uploads = up.exec(
        CONTAINERS["backend"], "find", "/var/lib/seculite/media/target_uploads", "-type", "f"
    )
    assert uploads.strip(), "the uploads are gone from the media volume"
    # Redis keeps its append-only file in its volume.
    assert up.exec(CONTAINERS["redis"], "sh", "-c", "ls /data/appendonlydir || ls /data").strip()


def _build_previous_commit(stack: ComposeStack, base: Path) -> tuple[ComposeStack, str]:
    """The backend image of HEAD~1, built from an export of that commit (tagged
    seculite-backend:previous). A commit older than the test build argument gets the current
    Dockerfile (it cannot skip the downloads otherwise): said in the returned note."""
    commit = sh(["git", "rev-parse", "HEAD~1"], cwd=REPO_DIR, env=dict(os.environ)).stdout.strip()
    previous = ComposeStack(
        dir=base / "previous", admin_password=stack.admin_password, version="previous"
    )
    export_commit(commit, previous.dir)
    note = f"previous commit {commit[:12]}"
    dockerfile = previous.dir / "backend" / "Dockerfile"
    if "INSTALL_SINGLE_BINARY_SCANNERS" not in dockerfile.read_text():
        dockerfile.write_text((stack.dir / "backend" / "Dockerfile").read_text())
        note += " (built with this commit's Dockerfile: its own cannot skip the downloads)"
    (previous.dir / ".env").write_text((stack.dir / ".env").read_text())
    (previous.dir / "docker-compose.images-test.yml").write_text(
        (stack.dir / "docker-compose.images-test.yml").read_text()
    )
    previous.timed_build("previous backend image", "backend")
    return previous, note


def test_previous_commit_upgrades_to_this_one(up: ComposeStack, tmp_path: Path) -> None:
    """The previous commit's backend, worker and beat on fresh volumes (nginx and the health
    of the previous image are not what this checks: a commit this one fixes may have failed
    them); data written through its ORM; then this commit's images take over the volumes."""
    previous, note = _build_previous_commit(up, tmp_path)
    seconds = previous.timings["previous backend image"]
    print(f"\nupgrade from the {note}: its backend image built in {seconds:.0f} s")
    up.compose("down", "-v", timeout=300)
    previous.compose("up", "-d", "--no-build", "backend", "worker", "beat", timeout=600)
    # Its migrations applied is all the upgrade needs (not its scanner probe and static files).
    wait_until(
        partial(_logged, CONTAINERS["backend"], "[entrypoint] Detecting installed scanners"),
        timeout=420, what="the previous backend to migrate", logs=previous.logs,
    )  # fmt: skip
    assert previous.inspect(CONTAINERS["backend"])["Config"]["Image"] == (
        "seculite-backend:previous"
    )
    # Its first admin comes after its scanner probe and static files: made here instead.
    up.exec(CONTAINERS["backend"], "python", "manage.py", "ensure_admin")
    up.exec(
        CONTAINERS["backend"], "python", "manage.py", "shell", "-c",
        "from django.contrib.auth import get_user_model;"
        "from apps.projects.models import Project;"
        "admin = get_user_model().objects.get(username='imagesadmin');"
        "Project.objects.create(name='Made before the upgrade',"
        " owner_user=admin, created_by=admin)",
    )  # fmt: skip

    # This commit's images replace the containers; the volumes stay.
    up.compose("up", "-d", "--no-build", timeout=600)
    up.wait_healthy()
    backend = up.inspect(CONTAINERS["backend"])
    assert backend["Config"]["Image"] == "seculite-backend:latest"
    assert "[entrypoint] Applying database migrations" in up.logs("backend", tail=400)
    unapplied = up.exec(CONTAINERS["backend"], "python", "manage.py", "showmigrations", "--plan")
    assert "[ ]" not in unapplied, unapplied
    worker_log = up.logs("worker", tail=400)
    assert "Waiting for the database and its migrations" in worker_log, worker_log[-2000:]
    assert "[entrypoint] Starting the Celery worker" in worker_log
    client = up.admin_client()
    names = {p["name"] for p in client.get("/api/v1/projects/?page_size=100").json()["results"]}
    assert "Made before the upgrade" in names
    docker("rmi", "seculite-backend:previous", check=False)


def test_print_engine_info() -> None:
    """Not a check: the engine's version and the disk its caches take, for the log."""
    # scripts/lib.sh installs docker.io: a missing client is a broken install, not a skip.
    assert Path(DOCKER).exists(), f"no docker client at {DOCKER}; scripts/lib.sh installs docker.io"
    print("\n" + docker("system", "df", check=False))
