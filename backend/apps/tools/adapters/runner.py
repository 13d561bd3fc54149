"""The only module that starts processes.

argv lists only (never a shell), a timeout per run, the whole process group killed on timeout
or cancel, stdout streamed to a file and capped in size, stderr kept as a short tail. Every
process gets an allow-listed environment, never the worker's. A tool run (`sandbox=`) also
gets the bubblewrap sandbox, resource limits and a cap on every file it writes
(apps/tools/sandbox.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from apps.tools import sandbox as sandboxing
from apps.tools.sandbox import Sandbox

DEFAULT_MAX_OUTPUT_BYTES = 512 * 1024 * 1024
STDERR_TAIL_BYTES = 8 * 1024
POLL_SECONDS = 0.2
# How often the size of everything a sandboxed tool wrote is summed up.
SIZE_POLL_SECONDS = 1.0
KILL_GRACE_SECONDS = 3.0
# The operator's outbound settings: proxies and CA bundles, kept for processes that reach
# the network (git, and tools that need the network).
NETWORK_ENV_ALLOW = (
    *("http_proxy", "https_proxy", "no_proxy", "all_proxy"),
    *("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"),
    *("SSL_CERT_FILE", "SSL_CERT_DIR"),
)
# Variables a process that is not a tool run (git, `--version`) keeps from the worker.
PLAIN_ENV_ALLOW = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "TZ", *NETWORK_ENV_ALLOW)
# Tools that keep a database cache write files far beyond the output cap (Trivy's database).
CACHE_FILE_MAX_BYTES = 8 * 1024**3


@dataclass(frozen=True)
class RunOutcome:
    exit_code: int | None
    duration_ms: int
    timed_out: bool = False
    cancelled: bool = False
    output_truncated: bool = False
    stderr_tail: str = ""
    start_error: str = ""
    # "sandboxed" (bubblewrap), "reduced" (environment and limits only) or "none" (not a
    # tool run); `isolation_note` says why isolation is reduced.
    isolation: str = sandboxing.UNSANDBOXED
    isolation_note: str = ""


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


def _tree_size(roots: Sequence[Path], skip: Sequence[Path]) -> int:
    """Bytes in the regular files under `roots`, not counting the trees in `skip`."""
    total = 0
    stack = [str(root) for root in roots]
    skipped = {str(path) for path in skip}
    while stack:
        with contextlib.suppress(OSError), os.scandir(stack.pop()) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        if entry.path not in skipped:
                            stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
    return total


@dataclass
class _Launch:
    """How the process is started: final argv, environment, preexec and what to watch."""

    argv: list[str]
    env: dict[str, str]
    preexec: Callable[[], None] | None = None
    watched: tuple[Path, ...] = ()
    skipped: tuple[Path, ...] = ()
    isolation: str = sandboxing.UNSANDBOXED
    note: str = ""
    home: Path | None = None


def _plain_launch(argv: Sequence[str], env: Mapping[str, str] | None) -> _Launch:
    base = {key: os.environ[key] for key in PLAIN_ENV_ALLOW if key in os.environ}
    return _Launch(argv=list(argv), env={**base, **(env or {})})


def _sandboxed_launch(
    argv: Sequence[str],
    *,
    sandbox: Sandbox,
    cwd: Path | None,
    env: Mapping[str, str] | None,
    timeout_seconds: float,
    max_output_bytes: int,
) -> _Launch:
    """The tool's argv wrapped in bubblewrap (when the host allows), with a private home,
    a scrubbed environment and the limits."""
    temp_home = None
    if sandbox.persistent_home is not None:
        home = sandbox.persistent_home
    else:
        temp_home = home = Path(tempfile.mkdtemp(prefix="seculite-home-"))
    (home / "tmp").mkdir(exist_ok=True)
    outbound = {k: os.environ[k] for k in NETWORK_ENV_ALLOW if k in os.environ}
    tool_env = sandboxing.tool_environment(
        {**(outbound if sandbox.network else {}), **(env or {})}, home=home
    )
    limits = sandboxing.default_limits(
        timeout_seconds=timeout_seconds, max_output_bytes=max_output_bytes
    )
    if sandbox.persistent_home is not None:
        limits = sandboxing.Limits(
            cpu_seconds=limits.cpu_seconds,
            memory_bytes=limits.memory_bytes,
            processes=limits.processes,
            file_bytes=max(limits.file_bytes, CACHE_FILE_MAX_BYTES),
        )
    watched = tuple(sandbox.writable) + ((temp_home,) if temp_home else ())
    launch = _Launch(
        argv=list(argv),
        env=tool_env,
        preexec=sandboxing.limits_preexec(limits),
        watched=watched,
        skipped=tuple(sandbox.read_only),
        home=temp_home,
        isolation=sandboxing.REDUCED,
    )
    status = sandboxing.isolation_status()
    sandboxing.report_status(status)
    if status["isolation"] != sandboxing.SANDBOXED:
        launch.note = f"tool isolation is reduced: {status['reason']}"
        return launch
    bwrap = sandboxing._bwrap()
    assert bwrap is not None  # the self-test passed
    writable = [*sandbox.writable, home, home / "tmp"]
    sandboxing.prepare_writable(writable)
    prefix = sandboxing.bwrap_argv(
        sandbox,
        home=home,
        cwd=cwd or home,
        program=sandboxing.program_paths(argv, tool_env),
        bwrap=bwrap,
    )
    launch.argv = [*prefix, *argv]
    launch.isolation = sandboxing.SANDBOXED
    return launch


def run_process(
    argv: Sequence[str],
    *,
    timeout_seconds: float,
    stdout_path: Path | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    should_cancel: Callable[[], bool] | None = None,
    sandbox: Sandbox | None = None,
) -> RunOutcome:
    """Run `argv` to completion, timeout, cancel or output cap, whichever comes first.

    With `sandbox`, `argv` is a tool run: sandboxed, limited, and stopped when everything it
    wrote (output dir and home) passes `max_output_bytes`."""
    if isinstance(argv, str) or not argv:
        raise TypeError("argv must be a non-empty list of arguments, never a string")
    started = time.monotonic()
    if sandbox is None:
        launch = _plain_launch(argv, env)
    else:
        launch = _sandboxed_launch(
            argv,
            sandbox=sandbox,
            cwd=cwd,
            env=env,
            timeout_seconds=timeout_seconds,
            max_output_bytes=max_output_bytes,
        )
    try:
        return _run(
            launch,
            program=argv[0],
            timeout_seconds=timeout_seconds,
            stdout_path=stdout_path,
            cwd=None if launch.isolation == sandboxing.SANDBOXED else cwd,
            max_output_bytes=max_output_bytes,
            should_cancel=should_cancel,
            started=started,
        )
    finally:
        if launch.home is not None:
            shutil.rmtree(launch.home, ignore_errors=True)


def _run(
    launch: _Launch,
    *,
    program: str,
    timeout_seconds: float,
    stdout_path: Path | None,
    cwd: Path | None,
    max_output_bytes: int,
    should_cancel: Callable[[], bool] | None,
    started: float,
) -> RunOutcome:
    with tempfile.TemporaryFile() as stderr_file:
        out_handle = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            try:
                process = subprocess.Popen(  # noqa: S603 - argv list, no shell
                    launch.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out_handle,
                    stderr=stderr_file,
                    cwd=cwd,
                    env=launch.env,
                    start_new_session=True,
                    preexec_fn=launch.preexec,
                )
            except OSError as exc:
                return RunOutcome(
                    exit_code=None,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    start_error=f"could not start {Path(program).name}: {exc.strerror or exc}",
                    isolation=launch.isolation,
                    isolation_note=launch.note,
                )
            timed_out = cancelled = truncated = False
            last_size_check = started
            while process.poll() is None:
                now = time.monotonic()
                if now - started > timeout_seconds:
                    timed_out = True
                elif should_cancel is not None and should_cancel():
                    cancelled = True
                elif stdout_path and stdout_path.stat().st_size > max_output_bytes:
                    truncated = True
                elif launch.watched and now - last_size_check >= SIZE_POLL_SECONDS:
                    last_size_check = now
                    truncated = _tree_size(launch.watched, launch.skipped) > max_output_bytes
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
        if launch.watched and not truncated:
            # A file that reached the per-file limit (RLIMIT_FSIZE) or a burst between two
            # polls: the run wrote more than the cap.
            truncated = _tree_size(launch.watched, launch.skipped) > max_output_bytes
        if stdout_path and stdout_path.exists() and stdout_path.stat().st_size > max_output_bytes:
            truncated = True
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
        isolation=launch.isolation,
        isolation_note=launch.note,
    )


def run_for_text(argv: Sequence[str], *, timeout_seconds: float = 30) -> tuple[int | None, str]:
    """Run a short command (e.g. `--version`) and return its exit code and combined output."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        outcome = run_process(argv, timeout_seconds=timeout_seconds, stdout_path=out)
        text = out.read_text("utf-8", "replace") if out.exists() else ""
    return outcome.exit_code, (text + "\n" + outcome.stderr_tail).strip()
