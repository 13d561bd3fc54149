"""The only module that starts processes.

argv lists only (never a shell), a timeout per run, the whole process group killed on timeout
or cancel, stdout streamed to a file and capped in size, stderr kept as a short tail.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_OUTPUT_BYTES = 512 * 1024 * 1024
STDERR_TAIL_BYTES = 8 * 1024
POLL_SECONDS = 0.2
KILL_GRACE_SECONDS = 3.0


@dataclass(frozen=True)
class RunOutcome:
    exit_code: int | None
    duration_ms: int
    timed_out: bool = False
    cancelled: bool = False
    output_truncated: bool = False
    stderr_tail: str = ""
    start_error: str = ""


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """TERM the process group, then KILL whatever is left, so no child outlives the run."""
    try:
        pgid = os.getpgid(process.pid)
    except ProcessLookupError:
        return
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; children that ignored TERM may still hold the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        return


def run_process(
    argv: Sequence[str],
    *,
    timeout_seconds: float,
    stdout_path: Path | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    should_cancel: Callable[[], bool] | None = None,
) -> RunOutcome:
    """Run `argv` to completion, timeout, cancel or output cap, whichever comes first."""
    if isinstance(argv, str) or not argv:
        raise TypeError("argv must be a non-empty list of arguments, never a string")
    started = time.monotonic()
    process_env = {**os.environ, **(env or {})}
    with tempfile.TemporaryFile() as stderr_file:
        out_handle = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            try:
                process = subprocess.Popen(  # noqa: S603 - argv list, no shell
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=out_handle,
                    stderr=stderr_file,
                    cwd=cwd,
                    env=process_env,
                    start_new_session=True,
                )
            except OSError as exc:
                return RunOutcome(
                    exit_code=None,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    start_error=f"could not start {Path(argv[0]).name}: {exc.strerror or exc}",
                )
            timed_out = cancelled = truncated = False
            while process.poll() is None:
                if time.monotonic() - started > timeout_seconds:
                    timed_out = True
                elif should_cancel is not None and should_cancel():
                    cancelled = True
                elif stdout_path and stdout_path.stat().st_size > max_output_bytes:
                    truncated = True
                if timed_out or cancelled or truncated:
                    _kill_group(process)
                    break
                time.sleep(POLL_SECONDS)
            else:
                # The leader exited; make sure no orphaned child keeps running.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
        finally:
            if stdout_path:
                out_handle.close()  # type: ignore[union-attr]
        if truncated and stdout_path:
            # Between two polls a fast tool can write far past the cap; keep exactly the cap.
            os.truncate(stdout_path, max_output_bytes)
        stderr_file.seek(0, os.SEEK_END)
        size = stderr_file.tell()
        stderr_file.seek(max(0, size - STDERR_TAIL_BYTES))
        stderr_tail = stderr_file.read().decode("utf-8", "replace")
    return RunOutcome(
        exit_code=process.returncode,
        duration_ms=int((time.monotonic() - started) * 1000),
        timed_out=timed_out,
        cancelled=cancelled,
        output_truncated=truncated,
        stderr_tail=stderr_tail,
    )


def run_for_text(argv: Sequence[str], *, timeout_seconds: float = 30) -> tuple[int | None, str]:
    """Run a short command (e.g. `--version`) and return its exit code and combined output."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        outcome = run_process(argv, timeout_seconds=timeout_seconds, stdout_path=out)
        text = out.read_text("utf-8", "replace") if out.exists() else ""
    return outcome.exit_code, (text + "\n" + outcome.stderr_tail).strip()
