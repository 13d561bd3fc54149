"""End to end: a report uploaded over HTTP is read by a real Celery worker (Redis, PostgreSQL)
and the scan ends completed with the report's findings."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    ProjectFactory,
    ProjectMembershipFactory,
    TargetAssetFactory,
)
from apps.findings.models import Finding
from apps.imports.tests.conftest import sample
from apps.scans.models import SCAN_FINAL_STATUSES, Scan, ScanStatus, ToolResultStatus
from apps.scans.tests.e2e.conftest import celery_workers, wait_for  # noqa: F401 - the fixture

pytestmark = [pytest.mark.e2e]


def test_an_uploaded_report_is_ingested_by_a_real_worker(celery_workers, client_for):  # noqa: F811
    membership = ProjectMembershipFactory(project=ProjectFactory(), role=ProjectRole.MEMBER)
    project = membership.project
    target = TargetAssetFactory(
        project=project, asset_type="git_repository",
        identifier="https://git.example.com/acme/app.git",
    )  # fmt: skip
    celery_workers.start_worker(concurrency=1)
    report = sample("semgrep").read_bytes()
    response = client_for(membership.user).post(
        f"/api/v1/projects/{project.pk}/imports/",
        {"file": SimpleUploadedFile("semgrep.json", report), "format": "semgrep",
         "target": target.pk, "ref": "main"},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 202, response.json()
    scan_id = response.json()["id"]

    def ended() -> bool:
        return Scan.objects.get(pk=scan_id).status in SCAN_FINAL_STATUSES

    wait_for(ended, timeout=120, what="the import to end", handle=celery_workers)
    scan = Scan.objects.get(pk=scan_id)
    assert scan.status == ScanStatus.COMPLETED, scan.error_message
    assert (scan.summary["total"], scan.summary["new"]) == (22, 22)
    # Two of the twelve high findings are committed private keys: critical by policy.
    by_severity = scan.summary["by_severity"]
    assert (by_severity["critical"], by_severity["high"]) == (2, 10), by_severity
    [result] = scan.tool_results.all()
    assert (result.status, result.findings_count) == (ToolResultStatus.COMPLETED, 22)
    assert Finding.objects.filter(project=project, first_seen_scan_id=scan_id).count() == 22
    detail = client_for(membership.user).get(f"/api/v1/scans/{scan_id}/").json()
    assert detail["status"] == "completed" and detail["trigger"] == "import"
