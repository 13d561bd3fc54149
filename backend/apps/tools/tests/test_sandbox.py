"""The tool sandbox, for real: bubblewrap on this machine, a hostile "tool" that tries to read
the worker's secrets, its database socket and files outside the tree, to open a connection
to a loopback listener, to write into the tree and past the output cap."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.tools import sandbox as sandboxing
from apps.tools.adapters.runner import RunOutcome, run_process
from apps.tools.sandbox import Sandbox
from seculite_api.env import VAR_DIR

PY = sys.executable
PG_SOCKET = "/var/run/postgresql/.s.PGSQL.5432"
PLANTED_SECRET = "planted-secret-key-do-not-leak-8f3a"


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as server:
        yield server


@pytest.fixture(autouse=True)
def worker_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's environment as in the compose stack: secrets a tool must never see."""
    monkeypatch.setenv("SECRET_KEY", PLANTED_SECRET)
    monkeypatch.setenv("DATABASE_URL", f"postgres://seculite:{PLANTED_SECRET}@db/seculite")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://redis:6379/0")


@pytest.fixture
def sandboxed() -> None:
    ok, reason = sandboxing.self_test()
    assert ok, f"bubblewrap must work on this machine for these tests: {reason}"


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "tree": tmp_path / "work" / "target" / "src",
        "out": tmp_path / "work",
        "outside": tmp_path / "outside",
    }
    paths["tree"].mkdir(parents=True)
    paths["outside"].mkdir()
    (paths["tree"] / "app.py").write_text("print('hello')\n")
    (paths["outside"] / "secret.py").write_text(f"KEY = '{PLANTED_SECRET}'\n")
    return paths


# Each attempt records what happened; evidence files are written only on success.
HOSTILE = r"""
import json, os, socket, sys
tree, out, outside, port, state = sys.argv[1:4] + [int(sys.argv[4]), sys.argv[5]]
report = {"env": dict(os.environ), "uid": os.getuid()}
def attempt(name, action):
    try:
        value = action()
    except Exception as exc:
        report[name] = "failed: " + exc.__class__.__name__
        return
    report[name] = "succeeded"
    open(os.path.join(out, "evidence-" + name), "w").write(str(value))
def pg():
    s = socket.socket(socket.AF_UNIX)
    s.connect("/var/run/postgresql/.s.PGSQL.5432")
    return "connected"
attempt("outside_file", lambda: open(os.path.join(outside, "secret.py")).read())
attempt("pg_socket", pg)
attempt("tcp_loopback", lambda: socket.create_connection(("127.0.0.1", port), timeout=3))
attempt("write_tree", lambda: open(os.path.join(tree, "planted.py"), "w").write("x"))
attempt("worker_state", lambda: os.listdir(state))
attempt("proc_of_worker", lambda: open("/proc/1/environ", "rb").read().decode())
print(json.dumps(report))
"""


def run_hostile(layout: dict[str, Path], port: int, *, network: bool = False) -> dict:
    stdout = layout["out"] / "stdout.json"
    outcome = run_process(
        [
            PY,
            "-c",
            HOSTILE,
            str(layout["tree"]),
            str(layout["out"]),
            str(layout["outside"]),
            str(port),
            str(VAR_DIR),
        ],
        timeout_seconds=60,
        stdout_path=stdout,
        cwd=layout["tree"],
        env={"BC_SKIP_MAPPING": "TRUE"},
        sandbox=Sandbox(network=network, read_only=(layout["tree"],), writable=(layout["out"],)),
    )
    assert outcome.exit_code == 0, outcome.stderr_tail
    assert outcome.isolation == "sandboxed", outcome.isolation_note
    report = json.loads(stdout.read_text())
    report["outcome"] = outcome
    return report


def test_a_tool_sees_no_secret_socket_outside_file_or_network(
    sandboxed: None, layout: dict[str, Path], listener: Listener
) -> None:
    report = run_hostile(layout, listener.port)
    env = report["env"]
    assert PLANTED_SECRET not in json.dumps(env)
    assert not {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} & set(env)
    # Allow-list plus the adapter's own addition; a private home.
    assert env["BC_SKIP_MAPPING"] == "TRUE"
    assert set(env) <= {*sandboxing.tool_environment({}, home=Path("/h")), "BC_SKIP_MAPPING", "PWD"}
    assert env["HOME"].startswith("/tmp/seculite-home-")
    for attempt in ("outside_file", "pg_socket", "tcp_loopback", "write_tree", "worker_state"):
        assert report[attempt].startswith("failed"), (attempt, report[attempt])
    assert "proc_of_worker" not in report or PLANTED_SECRET not in report["proc_of_worker"]
    assert not list(layout["out"].glob("evidence-*"))
    assert not (layout["tree"] / "planted.py").exists()
    assert listener.accepted == 0
    if os.geteuid() == 0:
        assert report["uid"] == sandboxing.UNPRIVILEGED_ID


def test_a_network_tool_gets_the_network_but_still_no_secrets(
    sandboxed: None, layout: dict[str, Path], listener: Listener
) -> None:
    report = run_hostile(layout, listener.port, network=True)
    assert report["tcp_loopback"] == "succeeded"
    assert listener.accepted == 1
    assert PLANTED_SECRET not in json.dumps(report["env"])
    for attempt in ("outside_file", "pg_socket", "write_tree"):
        assert report[attempt].startswith("failed"), (attempt, report[attempt])


def test_a_hostile_setup_py_run_as_a_tool_achieves_nothing(
    sandboxed: None, layout: dict[str, Path], listener: Listener
) -> None:
    """The build script a scanner might execute, run in the code-scanner sandbox."""
    tree = layout["tree"]
    (tree / "setup.py").write_text(
        "import os, socket\n"
        f"out = {str(layout['out'])!r}\n"
        "def leak(name, value):\n"
        "    open(os.path.join(out, 'evidence-' + name), 'w').write(str(value))\n"
        "for name, action in [\n"
        "    ('secret', lambda: os.environ['SECRET_KEY']),\n"
        f"    ('outside', lambda: open({str(layout['outside'] / 'secret.py')!r}).read()),\n"
        f"    ('socket', lambda: socket.create_connection(('127.0.0.1', {listener.port}), 3)),\n"
        "    ('pg', lambda: socket.socket(socket.AF_UNIX).connect("
        f"{PG_SOCKET!r})),\n"
        "]:\n"
        "    try:\n"
        "        leak(name, action())\n"
        "    except Exception as exc:\n"
        "        print(name, 'failed', exc.__class__.__name__)\n"
    )
    stdout = layout["out"] / "setup.out"
    outcome = run_process(
        [PY, str(tree / "setup.py")],
        timeout_seconds=60,
        stdout_path=stdout,
        cwd=tree,
        sandbox=Sandbox(read_only=(tree,), writable=(layout["out"],)),
    )
    assert outcome.exit_code == 0, outcome.stderr_tail
    assert stdout.read_text().count("failed") == 4
    assert not list(layout["out"].glob("evidence-*"))
    assert listener.accepted == 0


def _writer(size: int, *, files: int = 1, then_sleep: float = 0) -> str:
    return (
        "import sys, time\n"
        f"for n in range({files}):\n"
        "    with open(f'{sys.argv[1]}/report{n}.json', 'wb') as out:\n"
        f"        out.write(b'x' * {size})\n"
        f"time.sleep({then_sleep})\n"
    )


def _write_reports(out: Path, script: str, cap: int, timeout: float = 60) -> RunOutcome:
    return run_process(
        [PY, "-c", script, str(out)],
        timeout_seconds=timeout,
        max_output_bytes=cap,
        sandbox=Sandbox(writable=(out,)),
    )


def test_a_report_file_past_the_cap_stops_at_the_file_size_limit(
    sandboxed: None, tmp_path: Path
) -> None:
    """The cap holds for files the tool writes itself, not only its stdout (issue 9)."""
    out = tmp_path / "out"
    out.mkdir()
    outcome = _write_reports(out, _writer(5_000_000), cap=1_000_000)
    assert outcome.output_truncated
    assert outcome.exit_code != 0  # the write failed with EFBIG (RLIMIT_FSIZE)
    assert "File too large" in outcome.stderr_tail
    assert (out / "report0.json").stat().st_size <= 1_000_001


def test_many_report_files_together_past_the_cap_stop_the_tool(
    sandboxed: None, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    started = time.monotonic()
    outcome = _write_reports(out, _writer(400_000, files=5, then_sleep=600), cap=1_000_000)
    assert outcome.output_truncated
    assert time.monotonic() - started < 30, "the tool was not stopped"


def test_reports_under_the_cap_pass(sandboxed: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outcome = _write_reports(out, _writer(100_000, files=3), cap=1_000_000)
    assert outcome.exit_code == 0 and not outcome.output_truncated


def test_without_namespaces_the_run_is_reduced_but_scrubbed_and_limited(
    settings, tmp_path: Path
) -> None:
    settings.SECULITE_TOOL_SANDBOX = "off"
    out = tmp_path / "out"
    out.mkdir()
    stdout = out / "env.json"
    outcome = run_process(
        [PY, "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
        timeout_seconds=30,
        stdout_path=stdout,
        sandbox=Sandbox(writable=(out,)),
    )
    assert outcome.isolation == "reduced"
    assert "SECULITE_TOOL_SANDBOX=off" in outcome.isolation_note
    env = json.loads(stdout.read_text())
    assert "SECRET_KEY" not in env and PLANTED_SECRET not in json.dumps(env)
    big = _write_reports(out, _writer(3_000_000), cap=1_000_000)
    assert big.output_truncated and big.isolation == "reduced"
    assert (out / "report0.json").stat().st_size <= 1_000_001


def test_processes_that_are_not_tool_runs_get_an_allow_listed_environment(
    tmp_path: Path,
) -> None:
    stdout = tmp_path / "env.json"
    run_process(
        [PY, "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
        timeout_seconds=30,
        stdout_path=stdout,
        env={"GIT_TERMINAL_PROMPT": "0"},
    )
    env = json.loads(stdout.read_text())
    assert "SECRET_KEY" not in env and "DATABASE_URL" not in env
    assert env["GIT_TERMINAL_PROMPT"] == "0" and "PATH" in env


def test_the_sandbox_never_binds_the_workers_state_or_the_root(tmp_path: Path) -> None:

    paths = sandboxing.program_paths(
        ["/bin/sh", "-c", "true", f"--config={VAR_DIR / 'secret_key'}", "/etc/shadow"],
        {"X": str(VAR_DIR)},
    )
    assert Path("/") not in paths
    home_tool = Path.home() / "bin" / "tool"
    assert sandboxing.program_paths([str(home_tool)], {}) == [home_tool]  # not all of ~
    assert not any(
        p == VAR_DIR or VAR_DIR.is_relative_to(p) or p.is_relative_to(VAR_DIR) for p in paths
    )
    assert not any(str(p).startswith("/etc") for p in paths)


def test_health_reports_the_isolation_tool_runs_get(settings, tmp_path: Path) -> None:
    from django.core.cache import cache

    from apps.common.health import sandbox_health

    cache.clear()
    assert sandbox_health()["isolation"] == "sandboxed"  # this host, before any tool ran
    settings.SECULITE_TOOL_SANDBOX = "off"
    run_process([PY, "-c", "pass"], timeout_seconds=30, sandbox=Sandbox(writable=(tmp_path,)))
    assert sandbox_health() == {"ok": False, "isolation": "reduced"}  # public: no detail
    health = sandbox_health(detail=True)
    assert health["ok"] is False and health["isolation"] == "reduced"
    assert health["reason"] == "SECULITE_TOOL_SANDBOX=off"
