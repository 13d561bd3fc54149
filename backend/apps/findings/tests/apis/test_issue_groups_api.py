"""The issue groups API: the grouped list with its filters, a group's findings, group triage."""

import pytest

from apps.common.testing.factories import FindingFactory, ProjectFactory, ToolDefinitionFactory
from apps.findings.grouping import issue_groups_assign
from apps.findings.models import (
    Finding,
    FindingEvent,
    FindingEventType,
    FindingStatus,
    IssueGroup,
    IssueGroupMember,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/issue-groups/"


@pytest.fixture
def grouped(project_with_roles):
    """Two tools agree on a SQL injection; a third finding stands alone."""
    project = project_with_roles.project
    bandit, semgrep = ToolDefinitionFactory(slug="bandit"), ToolDefinitionFactory(slug="semgrep")
    sql_b = FindingFactory(project=project, tool=bandit, title="SQL by bandit", severity="medium",
                           cwe=89, file_path="app/views.py", line_start=41)  # fmt: skip
    sql_s = FindingFactory(project=project, tool=semgrep, title="SQL by semgrep", severity="high",
                           cwe=89, file_path="app/views.py", line_start=41)  # fmt: skip
    debug = FindingFactory(project=project, tool=bandit, title="Debug on", severity="low",
                           cwe=489, file_path="app/settings.py", line_start=3)  # fmt: skip
    issue_groups_assign(project_id=project.pk, finding_ids=[sql_b.pk, sql_s.pk, debug.pk])
    other = ProjectFactory()
    hidden = FindingFactory(project=other, title="Elsewhere")
    issue_groups_assign(project_id=other.pk, finding_ids=[hidden.pk])

    def group(finding):
        return IssueGroupMember.objects.get(finding=finding).group

    return {"sql": group(sql_s), "debug": group(debug), "hidden": group(hidden),
            "members": [sql_b, sql_s]}  # fmt: skip


def test_the_list_shows_one_row_per_group_worst_first(client_for, project_with_roles, grouped):
    response = client_for(project_with_roles.auditor).get(URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["title"], r["severity"], r["member_count"], r["tools"]) for r in rows] == [
        ("SQL by semgrep", "high", 2, ["bandit", "semgrep"]),
        ("Debug on", "low", 1, ["bandit"]),
    ]
    assert response.json()["count"] == 2
    assert rows[0]["project"] == {"id": project_with_roles.project.pk,
                                  "name": project_with_roles.project.name}  # fmt: skip
    assert (rows[0]["file_path"], rows[0]["line_start"], rows[0]["cwe"]) == ("app/views.py", 41, 89)


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ({"severity": "high"}, ["SQL by semgrep"]),
        ({"tool": "semgrep"}, ["SQL by semgrep"]),
        ({"status": "closed"}, []),
        ({"status": "open"}, ["SQL by semgrep", "Debug on"]),
    ],
)
def test_filters(client_for, project_with_roles, grouped, query, titles):
    response = client_for(project_with_roles.member).get(URL, query)
    assert [r["title"] for r in response.json()["results"]] == titles


def test_staff_filter_by_project(client_for, project_with_roles, grouped):
    response = client_for(project_with_roles.staff).get(
        URL, {"project": project_with_roles.project.pk}
    )
    assert len(response.json()["results"]) == 2


def test_another_projects_group_is_invisible(client_for, project_with_roles, grouped):
    client = client_for(project_with_roles.member)
    assert client.get(f"{URL}{grouped['hidden'].pk}/").status_code == 404
    assert client.get(f"{URL}{grouped['hidden'].pk}/findings/").status_code == 404
    assert client_for(project_with_roles.outsider).get(URL).json()["results"] == []


def test_a_groups_findings(client_for, project_with_roles, grouped):
    response = client_for(project_with_roles.auditor).get(f"{URL}{grouped['sql'].pk}/findings/")
    assert response.status_code == 200
    assert [r["title"] for r in response.json()["results"]] == ["SQL by semgrep", "SQL by bandit"]


def test_group_triage_changes_each_member_with_its_own_event(
    client_for, project_with_roles, grouped
):
    response = client_for(project_with_roles.member).post(
        f"{URL}{grouped['sql'].pk}/triage/",
        {"status": "false_positive", "reason": "parameterised by the ORM", "assignee": None},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["matched"], body["status_changed"]) == (2, 2)
    assert (body["group"]["status"], body["group"]["is_open"]) == ("false_positive", False)
    for finding in grouped["members"]:
        finding.refresh_from_db()
        assert finding.status == FindingStatus.FALSE_POSITIVE
        event = FindingEvent.objects.get(
            finding=finding, event_type=FindingEventType.STATUS_CHANGED
        )
        assert (event.actor, event.comment) == (
            project_with_roles.member,
            "parameterised by the ORM",
        )
    listed = client_for(project_with_roles.member).get(URL, {"status": "closed"}).json()
    assert [r["title"] for r in listed["results"]] == ["SQL by semgrep"]


def test_group_triage_needs_a_reason_and_a_member_role(client_for, project_with_roles, grouped):
    url = f"{URL}{grouped['sql'].pk}/triage/"
    refused = client_for(project_with_roles.member).post(
        url, {"status": "accepted_risk"}, format="json"
    )
    assert refused.status_code == 400
    assert (
        client_for(project_with_roles.auditor)
        .post(url, {"status": "confirmed"}, format="json")
        .status_code
        == 403
    )
    assert (
        client_for(project_with_roles.outsider)
        .post(url, {"status": "confirmed"}, format="json")
        .status_code
        == 404
    )
    assert set(
        Finding.objects.filter(group_membership__group=grouped["sql"]).values_list(
            "status", flat=True
        )
    ) == {FindingStatus.NEW}


def test_group_assignment(client_for, project_with_roles, grouped):
    response = client_for(project_with_roles.owner).post(
        f"{URL}{grouped['sql'].pk}/triage/",
        {"assignee": project_with_roles.member.pk},
        format="json",
    )
    assert response.json()["assigned"] == 2
    assert set(
        Finding.objects.filter(group_membership__group=grouped["sql"]).values_list(
            "assignee", flat=True
        )
    ) == {project_with_roles.member.pk}


def test_cursor_paging(client_for, project_with_roles, grouped):
    client = client_for(project_with_roles.member)
    first = client.get(URL, {"page_size": 1}).json()
    assert len(first["results"]) == 1 and first["next"]
    second = client.get(first["next"]).json()
    assert [r["title"] for r in second["results"]] == ["Debug on"]
    assert IssueGroup.objects.count() == 3
