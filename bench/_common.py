"""What the HTTP benchmarks share: gunicorn (and a Celery worker) on a loopback port, their
processes' memory and CPU from /proc, and a GET with an API key (bench/import.py, bench/scale.py).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest import BACKEND

GUNICORN_WORKERS = 2
BIN = BACKEND / ".venv" / "bin"


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc)."""
    found = [pid]
    for current in found:
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            found.extend(int(child) for child in children if int(child) not in found)
    return found


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_backends(url: str) -> list[int]:
    """Server processes of the bench database's connections (the servers' and the worker's)."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.rsplit("/", 1)[1],),
        ).fetchall()
    return [int(row[0]) for row in rows]


@dataclass
class Servers:
    port: int
    env: dict[str, str]
    log_dir: Path
    in_process: bool
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self) -> None:
        self._spawn(
            "gunicorn",
            [str(BIN / "gunicorn"), "seculite_api.wsgi:application",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(GUNICORN_WORKERS),
             "--timeout", "600", "--log-level", "warning"],
        )  # fmt: skip
        if not self.in_process:
            # Tasks left in the broker by an earlier, interrupted run name rows now gone.
            subprocess.run(  # noqa: S603 - fixed argv
                [str(BIN / "celery"), "-A", "seculite_api", "purge", "-f", "-Q", "default,scans"],
                cwd=BACKEND, env=self.env, check=True, capture_output=True,
            )  # fmt: skip
            self._spawn(
                "worker",
                [str(BIN / "celery"), "-A", "seculite_api", "worker", "-Q", "default,scans",
                 "-c", "2", "-l", "info", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "-n", f"bench-{self.port}@%h"],
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            self._check_alive()
            web_up = http_status(self.port, "/api/v1/health/") == 200
            worker_up = self.in_process or " ready." in self.log("worker", tail=None)
            if web_up and worker_up:
                self._settle()
                return
            time.sleep(0.2)
        raise SystemExit(f"servers did not start:\n{self.log('gunicorn')}\n{self.log('worker')}")

    def _settle(self, quiet: float = 0.05, within: float = 60.0) -> None:
        """Wait until every server process has finished booting (the first answer comes from
        one gunicorn worker while the other may still be importing the application): until
        their CPU time grows by less than `quiet` seconds in half a second."""
        deadline = time.monotonic() + within
        before = self._cpu_total()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self._cpu_total()
            if now - before < quiet:
                return
            before = now

    def _cpu_total(self) -> float:
        return sum(
            cpu_seconds(pid) for proc in self.procs.values() for pid in process_tree(proc.pid)
        )

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(  # noqa: S603 - fixed argv
            argv, cwd=BACKEND, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with {proc.returncode}:\n{self.log(name)}")

    def log(self, name: str, tail: int | None = 4000) -> str:
        path = self.log_dir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return text[-tail:] if tail else text

    def peaks(self) -> dict[str, float]:
        """Highest peak RSS among each server's processes (master and workers)."""
        return {
            name: max(peak_rss_mb(pid) for pid in process_tree(proc.pid))
            for name, proc in self.procs.items()
        }

    def cpu(self, url: str) -> dict[str, dict[int, float]]:
        """CPU seconds used so far by each process of each server and of PostgreSQL."""
        trees = {name: process_tree(proc.pid) for name, proc in self.procs.items()}
        trees["postgres (open connections)"] = database_backends(url)
        return {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in trees.items()}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# --- HTTP -----------------------------------------------------------------------------------


def http_status(port: int, path: str) -> int:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return 0


def get_json(port: int, path: str, key: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Authorization": f"Token {key}"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {body[:500]!r}")
    return json.loads(body)
