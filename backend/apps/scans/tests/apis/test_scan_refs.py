"""Scans of a ref: starting a configuration's scan of a branch, tag or pull request ref, what
the scan shows about it, and re-running it."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import (
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.scans.models import Scan
from apps.scans.services import scans as scan_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(scan_services, "_enqueue_scan", sent.append)
    return sent


@pytest.fixture
def configuration(project_with_roles, client_for):
    project = project_with_roles.project
    code = TargetAssetFactory(
        project=project,
        asset_type="git_repository",
        identifier="https://git.example.com/app.git",
        metadata={"branch": "develop"},
    )
    ToolDefinitionFactory(slug="bandit", supported_asset_types=["git_repository"])
    client = client_for(project_with_roles.member)
    body = client.post(
        f"/api/v1/projects/{project.id}/scan-configurations/",
        {"name": "ci", "targets": [code.id], "tools": [{"tool": "bandit"}]},
        format="json",
    ).json()
    return project, body["id"], code


def start(client, project, config_id, body=None):
    return client.post(
        f"/api/v1/projects/{project.id}/scan-configurations/{config_id}/start/",
        body,
        format="json",
    )


@pytest.mark.parametrize(
    ("ref", "default"),
    [
        ("feature/x", False),
        ("refs/pull/12/head", False),
        ("refs/merge-requests/3/head", False),
        ("v1.2.0", False),
        ("develop", True),  # the target's branch is its default branch
        ("refs/heads/develop", True),
        ("", True),
    ],
)
def test_a_scan_starts_at_the_ref_the_caller_names(
    configuration, project_with_roles, client_for, enqueued, ref, default
):
    project, config_id, _ = configuration
    response = start(client_for(project_with_roles.member), project, config_id, {"ref": ref})
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["ref"], body["is_default_branch"], body["commit_sha"]) == (ref, default, "")
    assert Scan.objects.get(pk=body["id"]).is_default_branch is default


def test_without_a_body_the_scan_is_of_the_default_branch(
    configuration, project_with_roles, client_for, enqueued
):
    project, config_id, _ = configuration
    body = start(client_for(project_with_roles.member), project, config_id).json()
    assert (body["ref"], body["is_default_branch"]) == ("", True)


def test_the_target_default_branch_decides_what_is_the_default_branch(
    configuration, project_with_roles, client_for, enqueued
):
    project, config_id, code = configuration
    code.default_branch = "trunk"
    code.save()
    client = client_for(project_with_roles.member)
    develop = start(client, project, config_id, {"ref": "develop"}).json()
    trunk = start(client, project, config_id, {"ref": "trunk"}).json()
    assert (develop["is_default_branch"], trunk["is_default_branch"]) == (False, True)


@pytest.mark.parametrize("ref", ["a..b", "-x", "feature/", "x y", "a@{1}", "x.lock", 12])
def test_an_invalid_ref_is_a_400_and_starts_nothing(
    configuration, project_with_roles, client_for, enqueued, ref
):
    project, config_id, _ = configuration
    response = start(client_for(project_with_roles.member), project, config_id, {"ref": ref})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"]["ref"]
    assert Scan.objects.count() == 0 and enqueued == []


def test_a_rescan_keeps_the_ref(configuration, project_with_roles, client_for, enqueued):
    project, config_id, _ = configuration
    client = client_for(project_with_roles.member)
    first = start(client, project, config_id, {"ref": "refs/pull/7/head"}).json()
    again = client.post(f"/api/v1/scans/{first['id']}/rescan/")
    assert again.status_code == 202, again.json()
    assert (again.json()["ref"], again.json()["is_default_branch"]) == ("refs/pull/7/head", False)


def test_scans_show_ref_commit_and_tool_result_report_fields(project_with_roles, client_for):
    project = project_with_roles.project
    scan = ScanFactory(
        project=project, ref="feature/y", commit_sha="a" * 40, is_default_branch=False
    )
    ScanToolResultFactory(scan=scan, report_format="sarif", report_name="codeql.sarif")
    client = client_for(project_with_roles.auditor)
    [listed] = client.get(f"/api/v1/projects/{project.id}/scans/").json()["results"]
    detail = client.get(f"/api/v1/scans/{scan.id}/").json()
    for body in (listed, detail):
        assert (body["ref"], body["commit_sha"], body["is_default_branch"]) == (
            "feature/y",
            "a" * 40,
            False,
        )
    [result] = detail["tool_results"]
    assert (result["report_format"], result["report_name"]) == ("sarif", "codeql.sarif")
    [result] = client.get(f"/api/v1/scans/{scan.id}/tool-results/").json()
    assert result["report_name"] == "codeql.sarif"
