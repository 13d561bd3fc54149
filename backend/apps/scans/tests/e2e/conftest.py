"""A real Celery worker (and beat) against Redis and the test's PostgreSQL database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from django.db import connection

from seculite_api.celery import app as celery_app

BACKEND_DIR = Path(__file__).resolve().parents[4]
CELERY_BIN = str(Path(sys.executable).with_name("celery"))


def _reset_broker_pools() -> None:
    """Forget the app's cached pools so the next publish uses the current broker_url.

    The pools themselves stay open: kombu keeps one per URL in a process-wide registry and
    hands the same one back when the URL is used again.
    """
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None


def _redis_db_for_this_process() -> int:
    """One Redis database per xdist worker, so parallel test processes never share a queue."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    # Several checkouts testing on one machine at once set distinct bases.
    base = int(os.environ.get("SECULITE_TEST_REDIS_DB_BASE", "10"))
    return base + int(worker.removeprefix("gw") or 0) % 5


@dataclass
class WorkerHandle:
    env: dict[str, str]
    log_dir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, *, concurrency: int = 2, name: str = "") -> subprocess.Popen[bytes]:
        name = name or f"e2e-{uuid.uuid4().hex[:6]}"
        return self._start(
            [CELERY_BIN, "-A", "seculite_api", "worker", "-Q", "default,scans",
             "-c", str(concurrency), "-n", f"{name}@%h", "-l", "info",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            log_name=name,
        )  # fmt: skip

    def start_beat(self) -> subprocess.Popen[bytes]:
        return self._start(
            [CELERY_BIN, "-A", "seculite_api", "beat", "-l", "info",
             "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
             "--pidfile=", "--max-interval", "2"],
            log_name="beat",
        )  # fmt: skip

    def _start(self, argv: list[str], *, log_name: str) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{log_name}.log", "ab")  # noqa: SIM115 - lives with the process
        process = subprocess.Popen(
            argv,
            cwd=BACKEND_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group (the worker and its pool children)."""
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.log_dir.glob("*.log"))
        )

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.kill(process, signal.SIGTERM)


@pytest.fixture
def celery_workers(transactional_db, tmp_path, settings, monkeypatch) -> Iterator[WorkerHandle]:
    """Start real worker processes with `handle.start_worker()`; all are stopped afterwards."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    if connection.vendor != "postgresql":
        pytest.skip("the end-to-end tests run on PostgreSQL")
    broker_url = f"redis://127.0.0.1:6379/{_redis_db_for_this_process()}"
    redis.Redis.from_url(broker_url).flushdb()
    original_broker = celery_app.conf.broker_url
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
    celery_app.conf.broker_url = broker_url
    celery_app.conf.broker_transport_options = {
        **celery_app.conf.broker_transport_options,
        "visibility_timeout": 15,
    }
    _reset_broker_pools()
    media = tmp_path / "media"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_VISIBILITY_TIMEOUT": "15",
        "MEDIA_ROOT": str(media),
        "SECULITE_ALLOWED_PATHS": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    settings.MEDIA_ROOT = str(media)
    handle = WorkerHandle(env=env, log_dir=tmp_path)
    try:
        yield handle
    finally:
        handle.stop_all()
        celery_app.conf.broker_url = original_broker
        _reset_broker_pools()


def wait_for(
    condition: Callable[[], object],
    *,
    timeout: float,
    what: str,
    handle: WorkerHandle | None = None,
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    logs = handle.logs() if handle else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")
