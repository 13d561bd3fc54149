"""Scans API: lists limited to visible projects, filters, detail with tool results, 404s."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    OrganizationMembershipFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    ScanConfigurationFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.organizations.models import OrganizationRole
from apps.scans.models import ScanStatus, ScanTrigger

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.json()
    return sorted(scan["id"] for scan in response.json()["results"])


@pytest.fixture
def scans(project_with_roles):
    """Two scans in the caller's project, one in another project."""
    project = project_with_roles.project
    now = timezone.now()
    nightly = ScanConfigurationFactory(project=project, name="Nightly SAST")
    weekly = ScanConfigurationFactory(project=project, name="Weekly DAST")
    return {
        "roles": project_with_roles,
        "completed": ScanFactory(
            project=project,
            configuration=nightly,
            status=ScanStatus.COMPLETED,
            trigger=ScanTrigger.SCHEDULED,
            started_at=now - timedelta(hours=2),
            finished_at=now - timedelta(hours=1),
        ),
        "running": ScanFactory(
            project=project,
            configuration=weekly,
            status=ScanStatus.RUNNING,
            trigger=ScanTrigger.MANUAL,
            triggered_by=project_with_roles.member,
            started_at=now - timedelta(minutes=5),
        ),
        "foreign": ScanFactory(status=ScanStatus.RUNNING),
    }


@pytest.mark.parametrize("who", ["owner", "member", "auditor"])
def test_list_shows_only_scans_of_visible_projects(client_for, scans, who):
    client = client_for(getattr(scans["roles"], who))
    assert ids(client.get("/api/v1/scans/")) == sorted([scans["completed"].id, scans["running"].id])


def test_outsiders_see_no_scans_and_staff_see_all(client_for, scans):
    assert ids(client_for(scans["roles"].outsider).get("/api/v1/scans/")) == []
    assert ids(client_for(scans["roles"].staff).get("/api/v1/scans/")) == sorted(
        [scans["completed"].id, scans["running"].id, scans["foreign"].id]
    )


def test_organization_members_see_scans_of_organization_projects(client_for):
    membership = OrganizationMembershipFactory(role=OrganizationRole.MEMBER)
    project = ProjectFactory(owner_user=None, organization=membership.organization)
    scan = ScanFactory(project=project)
    ScanFactory()
    assert ids(client_for(membership.user).get("/api/v1/scans/")) == [scan.id]


def test_list_item_fields(client_for, scans):
    running = scans["running"]
    body = client_for(scans["roles"].auditor).get("/api/v1/scans/?status=running").json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == running.id
    assert item["project"] == {"id": running.project_id, "name": running.project.name}
    assert item["configuration"] == {"id": running.configuration_id, "name": "Weekly DAST"}
    assert item["trigger"] == "manual"
    assert item["triggered_by"]["username"] == scans["roles"].member.username
    assert item["status"] == "running"
    assert "configuration_snapshot" not in item
    assert "tool_results" not in item


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=running", ["running"]),
        ("status=completed", ["completed"]),
        ("status=running,completed", ["completed", "running"]),
        ("status=running&status=completed", ["completed", "running"]),
        ("trigger=scheduled", ["completed"]),
        ("configuration=CONFIG_OF_RUNNING", ["running"]),
        ("project=PROJECT", ["completed", "running"]),
        ("project=FOREIGN_PROJECT", []),
        ("search=nightly", ["completed"]),
        ("search=DAST", ["running"]),
    ],
)
def test_filters_and_search(client_for, scans, query, expected):
    query = (
        query.replace("CONFIG_OF_RUNNING", str(scans["running"].configuration_id))
        .replace("FOREIGN_PROJECT", str(scans["foreign"].project_id))
        .replace("PROJECT", str(scans["roles"].project.id))
    )
    response = client_for(scans["roles"].member).get(f"/api/v1/scans/?{query}")
    assert ids(response) == sorted(scans[name].id for name in expected)


def test_invalid_filter_values_are_a_400(client_for, scans):
    response = client_for(scans["roles"].member).get("/api/v1/scans/?status=exploded")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("ordering", "first"),
    [("started_at", "completed"), ("-started_at", "running"), ("status", "completed")],
)
def test_ordering(client_for, scans, ordering, first):
    body = client_for(scans["roles"].member).get(f"/api/v1/scans/?ordering={ordering}").json()
    assert body["results"][0]["id"] == scans[first].id


def test_default_order_is_newest_first(client_for, scans):
    body = client_for(scans["roles"].member).get("/api/v1/scans/").json()
    assert [s["id"] for s in body["results"]] == [scans["running"].id, scans["completed"].id]


def test_detail_shows_tool_results_and_snapshot(client_for, scans):
    scan = scans["completed"]
    scan.configuration_snapshot = {"name": "Nightly SAST", "tools": ["semgrep"]}
    scan.summary = {"high": 2}
    scan.save()
    tool = ToolDefinitionFactory(slug="semgrep", name="Semgrep")
    target = TargetAssetFactory(project=scan.project, name="web")
    result = ScanToolResultFactory(
        scan=scan,
        tool=tool,
        target=target,
        status="completed",
        tool_version="1.2.3",
        exit_code=1,
        duration_ms=1234,
        findings_count=2,
    )
    response = client_for(scans["roles"].auditor).get(f"/api/v1/scans/{scan.id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["configuration_snapshot"] == {"name": "Nightly SAST", "tools": ["semgrep"]}
    assert body["summary"] == {"high": 2}
    assert body["configuration"] == {"id": scan.configuration_id, "name": "Nightly SAST"}
    assert body["tool_results"] == [
        {
            "id": result.id,
            "tool": {"id": tool.id, "slug": "semgrep", "name": "Semgrep"},
            "target": {"id": target.id, "name": "web", "asset_type": "url"},
            "status": "completed",
            "tool_version": "1.2.3",
            "exit_code": 1,
            "started_at": None,
            "finished_at": None,
            "duration_ms": 1234,
            "findings_count": 2,
            "error_message": "",
            "coverage": None,
            "isolation": "",
            "raw_output_available": False,
            "commit_sha": "",
            "report_format": "",
            "report_name": "",
        }
    ]
    for field in (
        "created_at",
        "queued_at",
        "started_at",
        "finished_at",
        "progress",
        "current_step",
    ):
        assert field in body


COVERAGE = {
    "unit": "files",
    "analysed": 11,
    "unanalysed": [{"path": "app/half.py", "reason": "partly parsed (syntax error)"}],
    "unanalysed_count": 1,
    "summary": "11 files analysed; 1 file could not be analysed.",
}


def test_detail_shows_partial_and_skipped_results_with_coverage_and_reason(client_for, scans):
    scan = scans["completed"]
    scan.status = ScanStatus.COMPLETED_WITH_ERRORS
    scan.error_message = "Semgrep on web: partial (Partial: Semgrep could not analyse 1 files)"
    scan.save()
    target = TargetAssetFactory(project=scan.project, name="web")
    ScanToolResultFactory(
        scan=scan,
        target=target,
        tool=ToolDefinitionFactory(slug="semgrep", name="Semgrep"),
        status="partial",
        findings_count=4,
        coverage=COVERAGE,
        error_message="Partial: Semgrep could not analyse 1 files: app/half.py",
    )
    ScanToolResultFactory(
        scan=scan,
        target=target,
        tool=ToolDefinitionFactory(slug="npm_audit", name="npm audit"),
        status="skipped",
        error_message="Not applicable: no package-lock.json or npm-shrinkwrap.json at the top",
    )
    client = client_for(scans["roles"].auditor)

    body = client.get(f"/api/v1/scans/{scan.id}/").json()

    assert body["status"] == "completed_with_errors"
    results = {r["tool"]["slug"]: r for r in body["tool_results"]}
    assert results["semgrep"]["status"] == "partial"
    assert results["semgrep"]["coverage"] == COVERAGE
    assert results["npm_audit"]["status"] == "skipped"
    assert results["npm_audit"]["coverage"] is None
    assert results["npm_audit"]["error_message"].startswith("Not applicable: no package-lock")
    listed = client.get("/api/v1/scans/?status=completed_with_errors").json()
    assert [item["id"] for item in listed["results"]] == [scan.id]
    live = client.get(f"/api/v1/scans/{scan.id}/status/").json()
    partial = next(r for r in live["tool_results"] if r["tool_slug"] == "semgrep")
    assert partial["coverage"] == COVERAGE
    assert partial["error_message"].startswith("Partial: Semgrep could not analyse")


def test_detail_shows_the_commit_the_scan_checked_out(client_for, scans):
    scan = scans["completed"]
    target = TargetAssetFactory(
        project=scan.project, asset_type="git_repository", identifier="https://x.example/r.git"
    )
    commit = "0123456789abcdef0123456789abcdef01234567"
    scan.checkouts = {str(target.id): {"ref": "main", "ref_type": "branch", "commit": commit}}
    scan.save()
    ScanToolResultFactory(scan=scan, target=target, commit_sha=commit)
    body = client_for(scans["roles"].auditor).get(f"/api/v1/scans/{scan.id}/").json()
    assert body["checkouts"] == {
        str(target.id): {"ref": "main", "ref_type": "branch", "commit": commit}
    }
    assert [r["commit_sha"] for r in body["tool_results"]] == [commit]


def test_detail_of_a_scan_whose_configuration_was_deleted(client_for, scans):
    scan = scans["completed"]
    scan.configuration.delete()
    body = client_for(scans["roles"].member).get(f"/api/v1/scans/{scan.id}/").json()
    assert body["configuration"] is None


@pytest.mark.parametrize("who", ["outsider", "owner"])
def test_a_scan_of_a_project_without_a_role_is_not_found(client_for, scans, who):
    response = client_for(getattr(scans["roles"], who)).get(f"/api/v1/scans/{scans['foreign'].id}/")
    assert response.status_code == 404
    assert response.json()["error"] == {"status": 404, "code": "not_found", "message": "Not found."}


def test_an_unknown_scan_is_not_found(client_for, scans):
    response = client_for(scans["roles"].staff).get("/api/v1/scans/999999/")
    assert response.status_code == 404


def test_nested_list_shows_one_project(client_for, scans):
    project = scans["roles"].project
    other_visible = ProjectFactory(owner_user=scans["roles"].member)
    ProjectMembershipFactory(
        project=other_visible, user=scans["roles"].member, role=ProjectRole.OWNER
    )
    ScanFactory(project=other_visible)
    client = client_for(scans["roles"].member)
    assert len(client.get("/api/v1/scans/").json()["results"]) == 3
    nested = client.get(f"/api/v1/projects/{project.id}/scans/?ordering=started_at")
    assert [s["id"] for s in nested.json()["results"]] == [
        scans["completed"].id,
        scans["running"].id,
    ]
    filtered = client.get(f"/api/v1/projects/{project.id}/scans/?status=running")
    assert ids(filtered) == [scans["running"].id]


@pytest.mark.parametrize(("who", "expected"), [("auditor", 200), ("outsider", 404), ("staff", 200)])
def test_nested_list_roles(client_for, scans, who, expected):
    project = scans["roles"].project
    response = client_for(getattr(scans["roles"], who)).get(f"/api/v1/projects/{project.id}/scans/")
    assert response.status_code == expected


def test_list_queries_do_not_grow_with_scans(
    client_for, project_with_roles, django_assert_max_num_queries
):
    for _ in range(20):
        ScanFactory(project=project_with_roles.project, triggered_by=project_with_roles.owner)
    client = client_for(project_with_roles.auditor)
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/scans/")
    assert response.json()["count"] == 20


def test_scans_cannot_be_created_or_changed_here(client_for, scans):
    client = client_for(scans["roles"].owner)
    assert client.post("/api/v1/scans/", {}).status_code == 405
    assert client.delete(f"/api/v1/scans/{scans['running'].id}/").status_code == 405
