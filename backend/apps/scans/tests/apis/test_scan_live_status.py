"""Live scan status: a small payload with per-tool status, an ETag and 304 while unchanged."""

import pytest

from apps.common.testing.factories import (
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.scans.models import ScanStatus, ToolResultStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def scan(project_with_roles):
    project = project_with_roles.project
    scan = ScanFactory(project=project, status=ScanStatus.RUNNING, progress=50,
                       current_step="Running tools")  # fmt: skip
    target = TargetAssetFactory(project=project, name="app")
    ScanToolResultFactory(scan=scan, target=target, status=ToolResultStatus.COMPLETED,
                          tool=ToolDefinitionFactory(slug="bandit", name="Bandit"),
                          duration_ms=1200, findings_count=3)  # fmt: skip
    ScanToolResultFactory(scan=scan, target=target, status=ToolResultStatus.RUNNING,
                          tool=ToolDefinitionFactory(slug="semgrep", name="Semgrep"))  # fmt: skip
    return scan


def url(scan):
    return f"/api/v1/scans/{scan.pk}/status/"


def test_status_reports_progress_and_each_tool(client_for, project_with_roles, scan):
    response = client_for(project_with_roles.auditor).get(url(scan))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "running"
    assert body["progress"] == 50
    assert body["current_step"] == "Running tools"
    assert [(r["tool_slug"], r["status"], r["target_name"]) for r in body["tool_results"]] == [
        ("bandit", "completed", "app"),
        ("semgrep", "running", "app"),
    ]
    assert body["tool_results"][0]["duration_ms"] == 1200
    assert body["tool_results"][0]["findings_count"] == 3
    assert response["ETag"].startswith('W/"')


def test_unchanged_status_answers_304_and_a_change_a_new_etag(client_for, project_with_roles, scan):
    client = client_for(project_with_roles.member)
    etag = client.get(url(scan))["ETag"]

    unchanged = client.get(url(scan), HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    scan.tool_results.filter(status=ToolResultStatus.RUNNING).update(status=ToolResultStatus.FAILED)
    changed = client.get(url(scan), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["tool_results"][1]["status"] == "failed"


def test_other_projects_scan_is_not_found(client_for, project_with_roles, scan):
    response = client_for(project_with_roles.outsider).get(url(scan))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
