"""A fake SecuLite API behind httpx.MockTransport, and a runner for the `seculite` commands.

The fake answers like the real API (paths, pagination, error shape, live status with ETags,
compare) from a few in-memory rows, and records every request so tests can check what the
command sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from seculite_cli.main import Runtime, app
from seculite_cli.scans import Waiting

URL = "https://seculite.example.test"
TOKEN = "sl_test_4f9a2c7e1b"


def error(status: int, message: str, fields: dict[str, list[str]] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"status": status, "code": "invalid", "message": message}
    if fields:
        body["fields"] = fields
    return httpx.Response(status, json={"error": body})


def finding(
    fid: int,
    severity: str,
    title: str,
    *,
    path: str = "app/views.py",
    line: int = 12,
    tool: str = "semgrep",
    rule: str = "python.django.security.injection.sql",
    **extra: Any,
) -> dict[str, Any]:
    """A finding as GET /api/v1/findings/ lists it."""
    return {
        "id": fid,
        "project": {"id": 1, "name": "web"},
        "title": title,
        "severity": severity,
        "severity_rank": {"critical": 5, "high": 4, "medium": 3, "low": 2}.get(severity, 1),
        "confidence": "high",
        "status": "new",
        "tool": {"id": 3, "slug": tool, "name": tool.capitalize()},
        "rule_id": rule,
        "target": {"id": 7, "name": "web-repo", "asset_type": "git_repository"},
        "cwe": 89,
        "cve": "",
        "file_path": path,
        "line_start": line,
        "line_end": line + 2,
        "url": "",
        "parameter": "",
        "package_name": "",
        "package_version": "",
        "image": "",
        "tags": [],
        **extra,
    }


@dataclass
class FakeServer:
    """In-memory SecuLite API. `scans` holds scan rows by id; `statuses[id]` is the sequence
    of live statuses a scan goes through (one per poll, the last one repeats)."""

    projects: list[dict[str, Any]] = field(
        default_factory=lambda: [{"id": 1, "name": "web"}, {"id": 2, "name": "api"}]
    )
    targets: dict[int, list[dict[str, Any]]] = field(
        default_factory=lambda: {
            1: [{"id": 7, "name": "web-repo", "asset_type": "git_repository"}],
            2: [
                {"id": 8, "name": "api-repo", "asset_type": "git_repository"},
                {"id": 9, "name": "api-image", "asset_type": "container_image"},
            ],
        }
    )
    configurations: dict[int, list[dict[str, Any]]] = field(
        default_factory=lambda: {1: [{"id": 4, "name": "Nightly SAST"}]}
    )
    scans: dict[int, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[int, list[str]] = field(default_factory=dict)
    compares: dict[int, dict[str, Any]] = field(default_factory=dict)
    scan_defaults: dict[str, Any] = field(default_factory=dict)
    filter_scans_by_ref: bool = True
    requests: list[httpx.Request] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    overrides: dict[str, Callable[[httpx.Request], httpx.Response]] = field(default_factory=dict)
    _polls: dict[int, int] = field(default_factory=dict)
    next_scan_id: int = 100

    # --- helpers for tests -----------------------------------------------------------------

    def add_scan(
        self, sid: int, *, project: int = 1, ref: str = "", status: str = "completed", **extra: Any
    ) -> dict[str, Any]:
        row = {
            "id": sid,
            "project": {"id": project, "name": self._project(project)["name"]},
            "configuration": None,
            "trigger": "import",
            "status": status,
            "progress": 100 if status == "completed" else 0,
            "current_step": "",
            "summary": {},
            "error_message": "",
            "ref": ref,
            "commit_sha": "",
            "is_default_branch": ref in ("", "main"),
            "created_at": f"2026-01-01T00:00:{sid % 60:02d}Z",
            **self.scan_defaults,
            **extra,
        }
        self.scans[sid] = row
        return row

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    # --- the API ---------------------------------------------------------------------------

    def _project(self, pid: int) -> dict[str, Any]:
        return next(p for p in self.projects if p["id"] == pid)

    @staticmethod
    def _page(rows: list[dict[str, Any]], request: httpx.Request) -> httpx.Response:
        size = int(request.url.params.get("page_size", 25))
        page = int(request.url.params.get("page", 1))
        chunk = rows[(page - 1) * size : page * size]
        more = page * size < len(rows)
        return httpx.Response(
            200,
            json={
                "count": len(rows),
                "next": f"{URL}{request.url.path}?page={page + 1}" if more else None,
                "previous": None,
                "results": chunk,
            },
        )

    @staticmethod
    def _search(rows: list[dict[str, Any]], request: httpx.Request) -> list[dict[str, Any]]:
        term = request.url.params.get("search", "").casefold()
        return [row for row in rows if term in row["name"].casefold()]

    def _live(self, sid: int) -> dict[str, Any]:
        sequence = self.statuses.get(sid) or [self.scans[sid]["status"]]
        index = min(self._polls.get(sid, 0), len(sequence) - 1)
        self._polls[sid] = self._polls.get(sid, 0) + 1
        status = sequence[index]
        self.scans[sid]["status"] = status
        done = status not in ("pending", "queued", "running")
        return {
            "id": sid,
            "status": status,
            "progress": 100 if done else 40,
            "current_step": "Finished" if done else "Running semgrep",
            "summary": self.scans[sid].get("summary", {}),
            "error_message": self.scans[sid].get("error_message", ""),
            "started_at": None,
            "finished_at": None,
            "updated_at": "2026-01-01T00:00:00Z",
            "tool_results": [
                {
                    "id": 1,
                    "tool_slug": "semgrep",
                    "tool_name": "Semgrep",
                    "target_name": "web-repo",
                    "status": "completed" if done else "running",
                    "findings_count": 3 if done else 0,
                    "error_message": "",
                }
            ],
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        for pattern, override in self.overrides.items():
            if re.fullmatch(pattern, path):
                return override(request)
        if request.headers.get("Authorization") != f"Token {TOKEN}":
            return error(401, "Invalid API key.")
        method = request.method
        if method == "GET" and path == "/api/v1/projects/":
            return self._page(self._search(self.projects, request), request)
        if m := re.fullmatch(r"/api/v1/projects/(\d+)/", path):
            rows = [p for p in self.projects if p["id"] == int(m[1])]
            return httpx.Response(200, json=rows[0]) if rows else error(404, "Not found.")
        if m := re.fullmatch(r"/api/v1/projects/(\d+)/targets/", path):
            return self._page(self._search(self.targets.get(int(m[1]), []), request), request)
        if m := re.fullmatch(r"/api/v1/projects/(\d+)/targets/(\d+)/", path):
            rows = [t for t in self.targets.get(int(m[1]), []) if t["id"] == int(m[2])]
            return httpx.Response(200, json=rows[0]) if rows else error(404, "Not found.")
        if m := re.fullmatch(r"/api/v1/projects/(\d+)/scan-configurations/", path):
            rows = self.configurations.get(int(m[1]), [])
            return self._page(self._search(rows, request), request)
        if m := re.fullmatch(r"/api/v1/projects/(\d+)/scan-configurations/(\d+)/", path):
            rows = [c for c in self.configurations.get(int(m[1]), []) if c["id"] == int(m[2])]
            return httpx.Response(200, json=rows[0]) if rows else error(404, "Not found.")
        if m := re.fullmatch(r"/api/v1/projects/(\d+)/scan-configurations/(\d+)/start/", path):
            body = json.loads(request.content) if request.content else {}
            scan = self.add_scan(
                self.next_scan_id,
                project=int(m[1]),
                ref=body.get("ref", ""),
                status="queued",
                trigger="api",
            )
            return httpx.Response(202, json=scan)
        if m := re.fullmatch(r"/api/v1/projects/(\d+)/imports/", path):
            return self._import(int(m[1]), request)
        if m := re.fullmatch(r"/api/v1/projects/(\d+)/scans/", path):
            rows = [s for s in self.scans.values() if s["project"]["id"] == int(m[1])]
            ref = request.url.params.get("ref")
            if self.filter_scans_by_ref and ref is not None:
                rows = [s for s in rows if s["ref"] == ref]
            rows.sort(key=lambda s: s["created_at"], reverse=True)
            return self._page(rows, request)
        if m := re.fullmatch(r"/api/v1/scans/(\d+)/", path):
            scan = self.scans.get(int(m[1]))
            return httpx.Response(200, json=scan) if scan else error(404, "Not found.")
        if m := re.fullmatch(r"/api/v1/scans/(\d+)/status/", path):
            live = self._live(int(m[1]))
            etag = f'W/"{live["status"]}"'
            if request.headers.get("If-None-Match") == etag:
                return httpx.Response(304, headers={"ETag": etag})
            return httpx.Response(200, json=live, headers={"ETag": etag})
        if m := re.fullmatch(r"/api/v1/scans/(\d+)/compare/", path):
            compare = self.compares.get(int(m[1]))
            if compare is None:
                return error(404, "Not found.")
            return httpx.Response(
                200, json={**compare, "base": request.url.params.get("base", "main")}
            )
        return error(404, "Not found.")

    def _import(self, pid: int, request: httpx.Request) -> httpx.Response:
        content_type = request.headers["Content-Type"]
        boundary = content_type.split("boundary=", 1)[1].encode()
        fields: dict[str, Any] = {}
        for part in request.read().split(b"--" + boundary):
            head, _, body = part.partition(b"\r\n\r\n")
            name = re.search(rb'name="([^"]+)"', head)
            if not name:
                continue
            filename = re.search(rb'filename="([^"]*)"', head)
            value = body[:-2] if body.endswith(b"\r\n") else body
            if filename:
                fields[name[1].decode()] = {"filename": filename[1].decode(), "content": value}
            else:
                fields[name[1].decode()] = value.decode()
        self.uploads.append(fields)
        if fields.get("format") not in ("semgrep", "sarif", "generic", "bandit"):
            return error(
                400,
                "Invalid input.",
                {"format": [f'"{fields.get("format")}" is not a known format.']},
            )
        scan = self.add_scan(
            self.next_scan_id, project=pid, ref=fields.get("ref", ""), status="queued"
        )
        self.next_scan_id += 1
        return httpx.Response(202, json=scan, headers={"Location": f"/api/v1/scans/{scan['id']}/"})


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@dataclass
class Cli:
    server: FakeServer
    runner: CliRunner

    def __call__(
        self,
        *args: str,
        env: dict[str, str | None] | None = None,
        waiting: Waiting | None = None,
    ) -> Result:
        environment: dict[str, str | None] = {
            "SECULITE_URL": URL,
            "SECULITE_TOKEN": TOKEN,
            "SECULITE_POLL_INTERVAL": None,
            "COLUMNS": "200",
        }
        environment.update(env or {})
        runtime = Runtime(
            transport=httpx.MockTransport(self.server.handle),
            waiting=waiting or Waiting(interval=0, sleep=lambda _s: None),
        )
        return self.runner.invoke(app, list(args), env=environment, obj=runtime)


@pytest.fixture
def cli(server: FakeServer) -> Cli:
    return Cli(server=server, runner=CliRunner())
