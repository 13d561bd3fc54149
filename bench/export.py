"""Benchmark: export a project's findings through the export endpoint, in every format.

Fills the bench database with a generated Semgrep report (through the same ingest service as
bench/ingest.py), then downloads `GET /api/v1/findings/export/?format=…` through Django's
test client, consuming the streamed body as a browser would. Prints rows per second, bytes
and the process's peak memory per format. Each size runs in a fresh process. Not part of the
test suite's pass/fail.

    backend/.venv/bin/python bench/export.py            # 100,000 findings
    backend/.venv/bin/python bench/export.py 10000      # another size

Uses DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/seculite_bench (never the
`postgres` database itself).

`--http PROJECT` measures the real thing on a database that already holds findings (e.g. a
clone of the 1,000,000-finding bench template): it starts gunicorn (2 workers) on a free
loopback port, downloads the project's export in every format with the API key in
SECULITE_BENCH_KEY (`Authorization: Token …`), and prints seconds, rows per second against the
20,000 rows/s goal, size, and the peak RSS (VmHWM) of the gunicorn workers:

    SECULITE_BENCH_KEY=sl_… DATABASE_URL=postgres://…/seculite_h3_big \
        backend/.venv/bin/python bench/export.py --http 1
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import BACKEND, DEFAULT_DB, ensure_database, generate_semgrep_report, manage

FORMATS = ("csv", "json", "sarif")
GOAL_ROWS_PER_SECOND = 20_000


def run_size(count: int) -> dict[str, dict[str, float]]:
    """Runs inside a fresh process (see main)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seculite_api.settings")
    sys.path.insert(0, str(BACKEND))
    import django

    django.setup()
    from django.test import Client

    from apps.common.testing.factories import (
        ProjectFactory,
        ProjectMembershipFactory,
        ScanFactory,
        ScanToolResultFactory,
        TargetAssetFactory,
        ToolDefinitionFactory,
        UserFactory,
    )
    from apps.findings.ingest import findings_ingest
    from apps.tools.adapters.base import PreparedTarget
    from apps.tools.adapters.registry import ADAPTERS

    user = UserFactory()
    project = ProjectFactory()
    ProjectMembershipFactory(project=project, user=user, role="auditor")
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier="/code")
    tool = ToolDefinitionFactory(slug="semgrep")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "semgrep.json"
        generate_semgrep_report(report, count)
        findings_ingest(
            project=project,
            findings=ADAPTERS["semgrep"].parse(
                output_path=report,
                target=PreparedTarget(asset_type="codebase_path", identifier="/code"),
            ),
            tool=tool,
            tool_result=ScanToolResultFactory(
                scan=ScanFactory(project=project), tool=tool, target=target
            ),
            target=target,
        )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    figures: dict[str, dict[str, float]] = {}
    for name in FORMATS:
        started = time.perf_counter()
        response = client.get("/api/v1/findings/export/", {"format": name, "project": project.pk})
        assert response.status_code == 200, (response.status_code, response.content[:300])
        size = sum(len(chunk) for chunk in response.streaming_content)
        figures[name] = {
            "seconds": time.perf_counter() - started,
            "mb": size / 1e6,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    return figures


def _rows(name: str, content: bytes) -> int:
    if name == "csv":
        return content.count(b"\r\n") - 1  # the header; no finding field holds CRLF here
    if name == "json":
        return len(json.loads(content))
    return sum(len(run["results"]) for run in json.loads(content)["runs"])


def _peak_rss_mb(master: int) -> float:
    """The largest VmHWM among the gunicorn master's workers."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    peaks = [0.0]
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def run_http(project: str) -> None:
    """Exports of one project through gunicorn over HTTP (see the module docstring)."""
    key = os.environ["SECULITE_BENCH_KEY"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "THROTTLE_FINDINGS_EXPORT": "100000/hour"}
    server = subprocess.Popen(
        [str(BACKEND / ".venv/bin/gunicorn"), "seculite_api.wsgi", "-w", "2",
         "-b", f"127.0.0.1:{port}", "--timeout", "300"],
        cwd=BACKEND, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/api/v1/findings/export/?project={project}&format="
        for _ in range(100):  # until it answers
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        print(f"export of project {project} over HTTP (gunicorn, 2 workers)")
        print(f"{'format':>7} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'size':>9} "
              f"{'worker peak RSS':>16}")  # fmt: skip
        for name in FORMATS:
            request = urllib.request.Request(base + name, headers={"Authorization": f"Token {key}"})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=600) as response:
                content = response.read()
            seconds = time.perf_counter() - started
            rows = _rows(name, content)
            verdict = "ok" if rows / seconds >= GOAL_ROWS_PER_SECOND else "BELOW GOAL"
            print(
                f"{name:>7} {rows:>8,} {seconds:>8.2f} {rows / seconds:>9,.0f} "
                f"{len(content) / 1e6:>7.1f}MB {_peak_rss_mb(server.pid):>14.0f}MB  {verdict}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(run_size(int(sys.argv[2]))))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        run_http(sys.argv[2])
        return
    sizes = [int(arg) for arg in sys.argv[1:]] or [100_000]
    url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    os.environ["DATABASE_URL"] = url
    ensure_database(url)
    print(f"findings export from PostgreSQL ({url.rsplit('/', 1)[1]}), streamed through the API")
    print(f"{'findings':>9} {'format':>7} {'seconds':>8} {'rows/s':>9} {'size':>9} {'peak RSS':>9}")
    for size in sizes:
        manage(url, "flush", "--noinput")
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            check=True, capture_output=True, text=True, env=os.environ.copy(),
        )  # fmt: skip
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        for name in FORMATS:
            f = figures[name]
            print(
                f"{size:>9,} {name:>7} {f['seconds']:>8.2f} {size / f['seconds']:>9,.0f} "
                f"{f['mb']:>7.1f}MB {f['peak_rss_mb']:>7.0f}MB"
            )


if __name__ == "__main__":
    main()
