"""Starting, cancelling and re-running scans through the API; tool results and raw output."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from apps.common.testing.factories import TargetAssetFactory, ToolDefinitionFactory
from apps.scans.models import Scan, ScanStatus, ScanToolResult, ToolResultStatus
from apps.scans.services import scans as scan_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """Scans enqueued on commit are recorded instead of sent to a broker (unit tests)."""
    sent: list[int] = []
    monkeypatch.setattr(scan_services, "_enqueue_scan", sent.append)
    return sent


@pytest.fixture
def configuration(project_with_roles, client_for):
    project = project_with_roles.project
    code = TargetAssetFactory(
        project=project, asset_type="git_repository", identifier="https://git.example.com/app.git"
    )
    TargetAssetFactory(project=project, asset_type="url", identifier="https://app.example.com/")
    ToolDefinitionFactory(slug="bandit", supported_asset_types=["git_repository"])
    ToolDefinitionFactory(slug="semgrep", supported_asset_types=["git_repository"])
    client = client_for(project_with_roles.member)
    body = client.post(
        f"/api/v1/projects/{project.id}/scan-configurations/",
        {"name": "ci", "targets": [code.id], "tools": [{"tool": "bandit"}, {"tool": "semgrep"}]},
        format="json",
    ).json()
    return project, body["id"]


def start_url(project_id: int, configuration_id: int) -> str:
    return f"/api/v1/projects/{project_id}/scan-configurations/{configuration_id}/start/"


@pytest.mark.django_db(transaction=True)
def test_member_starts_a_scan_with_one_result_per_tool_and_target(
    configuration, project_with_roles, client_for, enqueued
):
    project, config_id = configuration
    response = client_for(project_with_roles.member).post(start_url(project.id, config_id))
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued"
    assert body["trigger"] == "manual"
    assert sorted(r["tool"]["slug"] for r in body["tool_results"]) == ["bandit", "semgrep"]
    assert {r["status"] for r in body["tool_results"]} == {"pending"}
    assert enqueued == [body["id"]]
    assert body["configuration_snapshot"]["tools"][0]["slug"] == "bandit"


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("outsider", 404)])
def test_auditors_and_outsiders_cannot_start(
    configuration, project_with_roles, client_for, enqueued, who, expected
):
    project, config_id = configuration
    response = client_for(getattr(project_with_roles, who)).post(start_url(project.id, config_id))
    assert response.status_code == expected
    assert Scan.objects.count() == 0 and enqueued == []


def test_start_without_targets_is_a_clear_error(project_with_roles, client_for, enqueued):
    project = project_with_roles.project
    ToolDefinitionFactory(slug="bandit")
    client = client_for(project_with_roles.member)
    config = client.post(
        f"/api/v1/projects/{project.id}/scan-configurations/",
        {"name": "empty", "tools": [{"tool": "bandit"}]},
        format="json",
    ).json()
    response = client.post(start_url(project.id, config["id"]))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_targets"


def test_cancel_and_rescan(configuration, project_with_roles, client_for, enqueued):
    project, config_id = configuration
    client = client_for(project_with_roles.member)
    scan_id = client.post(start_url(project.id, config_id)).json()["id"]

    auditor = client_for(project_with_roles.auditor).post(f"/api/v1/scans/{scan_id}/cancel/")
    assert auditor.status_code == 403
    cancelled = client.post(f"/api/v1/scans/{scan_id}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert {r["status"] for r in cancelled.json()["tool_results"]} == {"cancelled"}
    again = client.post(f"/api/v1/scans/{scan_id}/cancel/")
    assert again.status_code == 409

    rescan = client.post(f"/api/v1/scans/{scan_id}/rescan/")
    assert rescan.status_code == 202
    assert rescan.json()["id"] != scan_id
    assert Scan.objects.get(pk=rescan.json()["id"]).status == ScanStatus.QUEUED


def test_tool_results_and_raw_output_download(
    configuration, project_with_roles, client_for, enqueued, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    project, config_id = configuration
    client = client_for(project_with_roles.member)
    scan_id = client.post(start_url(project.id, config_id)).json()["id"]
    result = ScanToolResult.objects.filter(scan_id=scan_id).first()
    assert result is not None
    result.raw_output.save("bandit.json", ContentFile(b'{"results": []}'))
    result.status = ToolResultStatus.NO_FINDINGS
    result.save()

    listed = client_for(project_with_roles.auditor).get(f"/api/v1/scans/{scan_id}/tool-results/")
    assert listed.status_code == 200
    assert {r["id"]: r["raw_output_available"] for r in listed.json()}[result.id] is True

    raw_url = f"/api/v1/scans/{scan_id}/tool-results/{result.id}/raw/"
    download = client_for(project_with_roles.auditor).get(raw_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b'{"results": []}'
    assert client_for(project_with_roles.outsider).get(raw_url).status_code == 404
