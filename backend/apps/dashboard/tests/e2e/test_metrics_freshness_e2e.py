"""End to end: a report imported over HTTP is ingested by a real Celery worker (Redis,
PostgreSQL), and the metrics show its findings within seconds of the scan's end, through the
recompute the ingest queued on that same worker: no test hook runs it."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.dateparse import parse_datetime

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    ProjectFactory,
    ProjectMembershipFactory,
    TargetAssetFactory,
)
from apps.imports.tests.conftest import sample
from apps.scans.models import SCAN_FINAL_STATUSES, Scan, ScanStatus
from apps.scans.tests.e2e.conftest import celery_workers, wait_for  # noqa: F401 - the fixture

pytestmark = [pytest.mark.e2e]


def test_an_imported_scan_shows_in_the_metrics_within_seconds(celery_workers, client_for):  # noqa: F811
    membership = ProjectMembershipFactory(project=ProjectFactory(), role=ProjectRole.MEMBER)
    project = membership.project
    target = TargetAssetFactory(
        project=project, asset_type="git_repository",
        identifier="https://git.example.com/acme/app.git",
    )  # fmt: skip
    client = client_for(membership.user)
    url = f"/api/v1/projects/{project.pk}/metrics/"
    assert client.get(url).json()["tools"] == []
    celery_workers.start_worker(concurrency=1)
    response = client.post(
        f"/api/v1/projects/{project.pk}/imports/",
        {"file": SimpleUploadedFile("semgrep.json", sample("semgrep").read_bytes()),
         "format": "semgrep", "target": target.pk, "ref": "main"},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 202, response.json()
    scan_id = response.json()["id"]
    wait_for(
        lambda: Scan.objects.get(pk=scan_id).status in SCAN_FINAL_STATUSES,
        timeout=120, what="the import to end", handle=celery_workers,
    )  # fmt: skip
    scan = Scan.objects.get(pk=scan_id)
    assert scan.status == ScanStatus.COMPLETED, scan.error_message
    ended = time.monotonic()

    def counted() -> dict | None:
        body = client.get(url).json()
        return body if body["tools"] else None

    body = wait_for(
        counted, timeout=30, what="the metrics to count the scan", handle=celery_workers
    )
    assert time.monotonic() - ended < 15
    assert isinstance(body, dict)
    assert body["tools"] == [{"tool": "semgrep", "name": "Semgrep", "open": 22, "new": 22}]
    assert sum(bucket["total"] for bucket in body["age"]) == 22
    as_of = parse_datetime(body["as_of"])
    assert as_of is not None and scan.finished_at is not None and as_of >= scan.finished_at
