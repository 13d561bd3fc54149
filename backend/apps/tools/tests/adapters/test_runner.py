"""The runner: argv only, timeouts kill the whole process group, output is capped."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from apps.tools.adapters.runner import run_for_text, run_process

PY = sys.executable


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); read its state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_refuses_a_shell_string():
    with pytest.raises(TypeError):
        run_process("echo hi", timeout_seconds=5)  # type: ignore[arg-type]


def test_captures_stdout_to_file_and_exit_code(tmp_path):
    out = tmp_path / "out.txt"
    outcome = run_process(
        [PY, "-c", "import sys; print('hello'); sys.stderr.write('warn'); sys.exit(3)"],
        timeout_seconds=10,
        stdout_path=out,
    )
    assert outcome.exit_code == 3
    assert out.read_text() == "hello\n"
    assert outcome.stderr_tail == "warn"
    assert not outcome.timed_out


def test_timeout_kills_the_tool_and_its_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([{PY!r}, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(600)\n"
    )
    started = time.monotonic()
    outcome = run_process([PY, "-c", script], timeout_seconds=2)
    assert outcome.timed_out
    assert time.monotonic() - started < 15
    child_pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child_pid), "the hanging tool's child survived the timeout"


def test_cancel_stops_the_run(tmp_path):
    calls = {"n": 0}

    def should_cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    outcome = run_process(
        [PY, "-c", "import time; time.sleep(600)"], timeout_seconds=60, should_cancel=should_cancel
    )
    assert outcome.cancelled and not outcome.timed_out


def test_output_cap_stops_a_flooding_tool(tmp_path):
    out = tmp_path / "flood"
    outcome = run_process(
        [PY, "-c", "import sys\nwhile True: sys.stdout.write('x' * 65536)"],
        timeout_seconds=30,
        stdout_path=out,
        max_output_bytes=1_000_000,
    )
    assert outcome.output_truncated
    assert out.stat().st_size == 1_000_000


def test_missing_binary_is_a_start_error_not_an_exception(tmp_path):
    outcome = run_process(["/nonexistent/tool"], timeout_seconds=5)
    assert outcome.exit_code is None
    assert "could not start tool" in outcome.start_error


def test_run_for_text_returns_output():
    code, text = run_for_text([PY, "--version"])
    assert code == 0
    assert text.startswith("Python 3.11")
