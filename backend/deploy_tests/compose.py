"""The compose stack of the image tests: a clean copy of the repository (the build context),
its .env, the Docker engine of scripts/docker-engine.sh, and Compose v2 driven with the
repository's docker-compose.yml plus the test override only."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_tests.client import Client
from deploy_tests.conftest import REPO_DIR
from deploy_tests.mfa import MfaAccount

ENGINE_SH = REPO_DIR / "scripts" / "docker-engine.sh"
STANDINS_SH = REPO_DIR / "backend" / "deploy_tests" / "standins" / "build.sh"
OVERRIDE = "docker-compose.images-test.yml"
SOCKET = Path(os.environ.get("SECULITE_DOCKER_RUN_DIR", "/run/seculite-docker")) / "docker.sock"
DOCKER = "/usr/bin/docker"
# Compose v2 (scripts/docker-engine.sh installs it; Debian's v1 refuses the worker's
# security_opt), building with the classic builder: BuildKit would fetch the Dockerfiles'
# `# syntax=` frontend image from a registry.
COMPOSE = os.environ.get("SECULITE_COMPOSE_V2", "/usr/libexec/docker/cli-plugins/docker-compose")
PROJECT = "seculite_images_test"
HTTP_PORT = int(os.environ.get("SECULITE_IMAGES_HTTP_PORT", "8795"))
CONTAINERS = {
    "db": "seculite_db",
    "redis": "seculite_redis",
    "backend": "seculite_backend",
    "beat": "seculite_beat",
    "nginx": "seculite_nginx",
}


def docker_env() -> dict[str, str]:
    """The test run's environment without its Django settings, pointed at our engine."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "POSTGRES_", "SECULITE_", "DATABASE_"))
        and k not in ("MEDIA_ROOT", "STATIC_ROOT", "CACHE_URL", "SECRET_KEY", "DEBUG")
    }
    env["DOCKER_HOST"] = f"unix://{SOCKET}"
    env["DOCKER_BUILDKIT"] = "0"
    return env


def sh(
    argv: list[str | Path], *, timeout: float = 600, check: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - fixed argv built by the tests
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=kwargs.pop("env", None) or docker_env(),
        check=False,
        **kwargs,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(str(a) for a in argv)} exited {result.returncode}\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def docker(*args: str, timeout: float = 600, check: bool = True) -> str:
    return sh([DOCKER, *args], timeout=timeout, check=check).stdout


def copy_tree(source: Path, destination: Path) -> None:
    """The files git tracks or would track (ignored ones left out), as the working tree has
    them: what a fresh clone with these changes holds."""
    listed = sh(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=source, env=dict(os.environ)
    ).stdout.split("\0")
    destination.mkdir(parents=True)
    for name in filter(None, listed):
        path = source / name
        if path.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def export_commit(commit: str, destination: Path) -> None:
    """`git archive` of a commit, unpacked."""
    archive = destination.with_suffix(".tar")
    sh(["git", "archive", "-o", archive, commit], cwd=REPO_DIR, env=dict(os.environ))
    destination.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(destination, filter="data")
    archive.unlink()


@dataclass
class ComposeStack:
    """docker-compose on one build context (`dir`, a copy of a commit's tree)."""

    dir: Path
    admin_password: str
    version: str = "latest"
    timings: dict[str, float] = field(default_factory=dict)
    # The admin is staff, so signs in with a second factor (deploy_tests/mfa.py).
    admin_mfa: MfaAccount | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{HTTP_PORT}"

    def write_env(self) -> None:
        db_password = "db-" + secrets.token_urlsafe(12)
        lines = {
            "SECRET_KEY": "images-test-" + secrets.token_urlsafe(40),
            "POSTGRES_PASSWORD": db_password,
            # Plain HTTP on the loopback: secure cookies would never come back.
            "SECURE_COOKIES": "false",
            "SECULITE_ADMIN_USERNAME": "imagesadmin",
            "SECULITE_ADMIN_EMAIL": "imagesadmin@example.com",
            "SECULITE_ADMIN_PASSWORD": self.admin_password,
            "SECULITE_HTTP_PORT": f"127.0.0.1:{HTTP_PORT}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # A task whose worker died is delivered again after this long.
            "CELERY_VISIBILITY_TIMEOUT": "15",
            "GUNICORN_WORKERS": "2",
            "CELERY_CONCURRENCY": "2",
        }
        (self.dir / ".env").write_text("".join(f"{k}={v}\n" for k, v in lines.items()))

    def compose(
        self, *args: str, timeout: float = 900, check: bool = True, version: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = docker_env()
        env["SECULITE_VERSION"] = version or self.version
        return sh(
            [COMPOSE, "-p", PROJECT, "-f", "docker-compose.yml", "-f", OVERRIDE, *args],
            cwd=self.dir,
            env=env,
            timeout=timeout,
            check=check,
        )

    def timed_build(self, name: str, *services: str) -> float:
        started = time.monotonic()
        self.compose("build", *services, timeout=3600)
        self.timings[name] = time.monotonic() - started
        return self.timings[name]

    def logs(self, *services: str, tail: int = 80) -> str:
        return self.compose("logs", "--no-color", f"--tail={tail}", *services, check=False).stdout

    def container_ids(self, service: str) -> list[str]:
        return self.compose("ps", "-q", service).stdout.split()

    def inspect(self, container: str) -> dict[str, Any]:
        return dict(json.loads(docker("inspect", container))[0])

    def health(self, container: str) -> str:
        state = self.inspect(container)["State"]
        if "Health" in state:
            return str(state["Health"]["Status"])
        return "running" if state["Running"] else str(state["Status"])

    def wait_healthy(self, timeout: float = 420) -> None:
        """Every container of the project healthy (beat, without a health check: running)."""
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            ids = self.compose("ps", "-a", "-q").stdout.split()
            states = {self.inspect(c)["Name"].lstrip("/"): self.health(c) for c in ids}
            if len(states) >= 6 and all(s in ("healthy", "running") for s in states.values()):
                return
            if any(s in ("unhealthy", "exited", "dead") for s in states.values()):
                break
            time.sleep(3)
        raise AssertionError(f"the stack did not become healthy: {states}\n{self.logs()}")

    def exec(self, container: str, *argv: str, user: str | None = None, check: bool = True) -> str:
        extra = ["-u", user] if user else []
        return docker("exec", *extra, container, *argv, check=check)

    def psql(self, query: str) -> str:
        return self.exec(
            CONTAINERS["db"], "psql", "-U", "seculite", "-d", "seculite", "-tA", "-c", query
        ).strip()

    def client(self) -> Client:
        return Client(self.url)

    def admin_client(self) -> Client:
        client = self.client()
        if self.admin_mfa is None:
            self.admin_mfa = MfaAccount("imagesadmin", self.admin_password)
        answer = self.admin_mfa.sign_in(client)
        assert answer.status == 200, (answer.status, answer.text)
        # A backend from before two-factor sign-in answers without a status.
        assert answer.json().get("status", "signed_in") == "signed_in", answer.text
        return client


def wait_until(
    condition: Callable[[], Any], *, timeout: float, what: str, logs: Callable[[], str]
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")


def image_size_mb(tag: str) -> float:
    return int(docker("image", "inspect", "-f", "{{.Size}}", tag).strip()) / 1e6
