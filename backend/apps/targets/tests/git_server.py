"""Loopback git remotes for tests: `git http-backend` behind a tiny threaded HTTP server.

It can demand HTTP basic auth, answer every request with a redirect, and records each request
together with the command lines of every process that was running at that moment (to prove
that a secret never appears in one).
"""

from __future__ import annotations

import base64
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"


def all_command_lines() -> list[str]:
    """The argv of every process visible in /proc, joined by spaces."""
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            lines.append(cmdline.read_bytes().replace(b"\x00", b" ").decode("utf-8", "replace"))
        except OSError:
            continue
    return lines


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_repository(root: Path, name: str = "repo") -> Path:
    """A repository with main (a.py = "two"), a branch and a tag both called v1 on different
    commits, and an annotated tag; returns its path. `git("rev-parse", ...)` finds commits."""
    repo = root / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    git(repo, "config", "uploadpack.allowReachableSHA1InWant", "false")
    (repo / "a.py").write_text("one\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "one")
    git(repo, "tag", "v1")
    git(repo, "tag", "-a", "-m", "release", "release-1")
    (repo / "a.py").write_text("two\n")
    git(repo, "commit", "-qam", "two")
    git(repo, "checkout", "-q", "-b", "v1")
    (repo / "a.py").write_text("branch v1\n")
    git(repo, "commit", "-qam", "branch v1")
    git(repo, "checkout", "-q", "main")
    return repo


@dataclass
class GitHttpServer:
    root: Path
    host: str = "127.0.0.1"
    auth: tuple[str, str] | None = None
    redirect_to: str = ""
    requests: list[dict[str, object]] = field(default_factory=list)
    port: int = 0

    def url(self, name: str = "repo") -> str:
        return f"http://{self.host}:{self.port}/{name}"


def _handler(server_state: GitHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            return

        def _serve(self) -> None:
            authorization = self.headers.get("Authorization", "")
            server_state.requests.append(
                {
                    "path": self.path,
                    "authorization": authorization,
                    "command_lines": all_command_lines(),
                }
            )
            if server_state.redirect_to:
                self.send_response(302)
                self.send_header("Location", server_state.redirect_to + self.path)
                self.end_headers()
                return
            if server_state.auth is not None:
                user, password = server_state.auth
                expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
                if authorization != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.end_headers()
                    return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            env = {
                "GIT_PROJECT_ROOT": str(server_state.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "REQUEST_METHOD": self.command,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(length),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "REMOTE_ADDR": "127.0.0.1",
                "PATH": "/usr/bin:/bin",
            }
            done = subprocess.run(
                [HTTP_BACKEND], input=body, env=env, capture_output=True, timeout=60, check=False
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

    return Handler


@contextmanager
def git_http_server(
    root: Path,
    *,
    host: str = "127.0.0.1",
    auth: tuple[str, str] | None = None,
    redirect_to: str = "",
) -> Iterator[GitHttpServer]:
    """Serve the repositories under `root` over HTTP on `host` (a loopback address)."""
    state = GitHttpServer(root=root, host=host, auth=auth, redirect_to=redirect_to)
    httpd = ThreadingHTTPServer((host, 0), _handler(state))
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


SSHD = "/usr/sbin/sshd"


@contextmanager
def ssh_server(folder: Path, authorized_key: str) -> Iterator[int]:
    """A loopback sshd that admits `authorized_key` (for git over ssh); yields its port."""
    import os
    import socket
    import time

    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / "host_key")], check=True
    )
    (folder / "authorized_keys").write_text(authorized_key)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    (folder / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
        f"PidFile {folder / 'sshd.pid'}\nAuthorizedKeysFile {folder / 'authorized_keys'}\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\n"
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    process = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(folder / "sshd_config")],
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "sshd.log", "wb"),  # noqa: SIM115 - closed with the process
    )
    try:
        for _ in range(100):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
