"""A real HTTP server on loopback that stands in for a webhook receiver, and scan fixtures."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from apps.common.testing.factories import (
    FindingFactory,
    ScanConfigurationFactory,
    ScanFactory,
)
from apps.findings.models import SEVERITY_RANK
from apps.scans.models import ScanStatus


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Answers each POST with the next of `responses` (status, delay); the last one repeats."""

    port: int = 0
    responses: list[tuple[int, float]] = field(default_factory=lambda: [(204, 0.0)])
    received: list[Received] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            index = min(len(receiver.received), len(receiver.responses)) - 1
            status, delay = receiver.responses[index]
            time.sleep(delay)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def allow_loopback(settings) -> None:
    """The webhook receiver runs on 127.0.0.1, which the target policy denies by default."""
    settings.SECULITE_TARGET_ALLOW = ["127.0.0.1/32"]


@pytest.fixture(autouse=True)
def _links(settings) -> None:
    settings.FRONTEND_URL = "https://seculite.example.com"
    settings.SECULITE_WEBHOOK_TIMEOUT_SECONDS = 2.0


def finished_scan(project: Any, *, status: str = ScanStatus.COMPLETED, **config: Any) -> Any:
    """A scan of `project` that ended with `status`, with a configuration set up by `config`."""
    configuration = ScanConfigurationFactory(project=project, name="nightly", **config)
    return ScanFactory(
        project=project,
        configuration=configuration,
        status=status,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        summary={"total": 0, "new": 0, "existing": 0, "resolved": 0},
    )


def new_finding(scan: Any, severity: str, title: str, **fields: Any) -> Any:
    return FindingFactory(
        project=scan.project,
        first_seen_scan=scan,
        last_seen_scan=scan,
        severity=severity,
        severity_rank=SEVERITY_RANK[severity],
        title=title,
        **fields,
    )
