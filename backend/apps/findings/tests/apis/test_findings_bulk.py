"""Bulk triage: by ids or by the list's filter, status and/or assignee, one event per change."""

import pytest

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    FindingFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    UserFactory,
)
from apps.findings.models import Finding, FindingEvent, FindingEventType, FindingStatus, Severity

pytestmark = pytest.mark.django_db

URL = "/api/v1/findings/bulk/"


@pytest.fixture
def findings(project_with_roles):
    project = project_with_roles.project
    return {
        "critical": FindingFactory(project=project, title="SQL injection",
                                   severity=Severity.CRITICAL, severity_rank=5),
        "high": FindingFactory(project=project, title="Weak hash", severity=Severity.HIGH),
        "low": FindingFactory(project=project, title="Debug on", severity=Severity.LOW,
                              severity_rank=2),
        "done": FindingFactory(project=project, title="Old XSS", severity=Severity.HIGH,
                               status=FindingStatus.FALSE_POSITIVE),
    }  # fmt: skip


def statuses():
    return dict(Finding.objects.values_list("title", "status"))


def test_status_by_ids_changes_each_and_writes_events(client_for, project_with_roles, findings):
    ids = [findings["critical"].pk, findings["high"].pk, findings["done"].pk]

    response = client_for(project_with_roles.member).post(
        URL, {"ids": ids, "status": "false_positive", "reason": "test code"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {"matched": 3, "status_changed": 2, "assigned": 0, "unchanged": 1}
    assert statuses() == {"SQL injection": "false_positive", "Weak hash": "false_positive",
                          "Debug on": "new", "Old XSS": "false_positive"}  # fmt: skip
    events = FindingEvent.objects.filter(event_type=FindingEventType.STATUS_CHANGED)
    assert sorted(events.values_list("finding_id", "from_value", "to_value", "comment")) == sorted(
        [(findings["critical"].pk, "new", "false_positive", "test code"),
         (findings["high"].pk, "new", "false_positive", "test code")]
    )  # fmt: skip
    assert {event.actor_id for event in events} == {project_with_roles.member.pk}
    assert Finding.objects.get(pk=findings["high"].pk).status_reason == "test code"


def test_by_filter_changes_exactly_what_the_list_shows(client_for, project_with_roles, findings):
    client = client_for(project_with_roles.owner)
    listed = client.get("/api/v1/findings/", {"severity": "critical,high", "status": "new"})
    assert {f["title"] for f in listed.json()["results"]} == {"SQL injection", "Weak hash"}

    response = client.post(
        URL,
        {"filter": {"severity": ["critical", "high"], "status": "new"}, "status": "confirmed"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status_changed"] == 2
    assert statuses()["Debug on"] == "new"
    assert statuses()["Weak hash"] == "confirmed"


def test_by_filter_with_search(client_for, project_with_roles, findings):
    response = client_for(project_with_roles.member).post(
        URL, {"filter": {"search": "injection"}, "status": "resolved"}, format="json"
    )

    assert response.json()["matched"] == 1
    finding = Finding.objects.get(pk=findings["critical"].pk)
    assert finding.status == "resolved"
    assert finding.resolved_at is not None


@pytest.mark.parametrize(
    "search", ['"sql injection"', 'sql, "weak hash"', '"injection sql"', "hash weak"]
)
def test_by_filter_search_selects_what_the_list_shows(
    client_for, project_with_roles, findings, search
):
    """Quoted phrases and term splitting are the list's own (DRF's SearchFilter): a bulk
    change by search never reaches a finding the list with that search did not show."""
    client = client_for(project_with_roles.owner)
    listed = client.get("/api/v1/findings/", {"search": search, "state": "all"}).json()["results"]

    response = client.post(
        URL, {"filter": {"search": search, "state": "all"}, "status": "confirmed"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["matched"] == len(listed)


def test_assign_and_unassign(client_for, project_with_roles, findings):
    client = client_for(project_with_roles.member)
    ids = [findings["critical"].pk, findings["low"].pk]

    assigned = client.post(URL, {"ids": ids, "assignee": project_with_roles.auditor.pk})
    assert assigned.json() == {"matched": 2, "status_changed": 0, "assigned": 2, "unchanged": 0}
    assert set(Finding.objects.filter(pk__in=ids).values_list("assignee_id", flat=True)) == {
        project_with_roles.auditor.pk
    }

    unassigned = client.post(URL, {"ids": ids, "assignee": None}, format="json")
    assert unassigned.json()["assigned"] == 2
    events = FindingEvent.objects.filter(event_type=FindingEventType.ASSIGNED).order_by("id")
    assert [(e.from_value, e.to_value) for e in events] == [
        ("", project_with_roles.auditor.username),
        ("", project_with_roles.auditor.username),
        (project_with_roles.auditor.username, ""),
        (project_with_roles.auditor.username, ""),
    ]


def test_status_and_assignee_together(client_for, project_with_roles, findings):
    response = client_for(project_with_roles.member).post(
        URL,
        {
            "ids": [findings["low"].pk],
            "status": "confirmed",
            "assignee": project_with_roles.owner.pk,
        },
        format="json",
    )

    assert response.json() == {"matched": 1, "status_changed": 1, "assigned": 1, "unchanged": 0}
    assert FindingEvent.objects.filter(finding=findings["low"]).count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "false_positive"}, "reason"),
        ({"status": "accepted_risk", "reason": "  "}, "reason"),
        ({"status": "auto_resolved"}, "status"),
        ({}, "status"),
    ],
)
def test_invalid_requests_change_nothing(client_for, project_with_roles, findings, body, field):
    response = client_for(project_with_roles.member).post(
        URL, {"ids": [findings["critical"].pk], **body}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert statuses()["SQL injection"] == "new"
    assert not FindingEvent.objects.exists()


def test_ids_and_filter_are_exclusive(client_for, project_with_roles, findings):
    response = client_for(project_with_roles.member).post(
        URL, {"ids": [findings["low"].pk], "filter": {}, "status": "confirmed"}, format="json"
    )
    assert response.status_code == 400
    assert "ids" in response.json()["error"]["fields"]


def test_unknown_filter_is_refused(client_for, project_with_roles, findings):
    response = client_for(project_with_roles.member).post(
        URL, {"filter": {"colour": "red"}, "status": "confirmed"}, format="json"
    )
    assert response.status_code == 400
    assert "filter.colour" in response.json()["error"]["fields"]


def test_auditor_is_forbidden_and_nothing_changes(client_for, project_with_roles, findings):
    response = client_for(project_with_roles.auditor).post(
        URL, {"filter": {}, "status": "confirmed"}, format="json"
    )
    assert response.status_code == 403
    assert statuses()["SQL injection"] == "new"


def test_member_of_one_project_cannot_change_another_where_they_audit(client_for, findings):
    user = UserFactory()
    mine = ProjectFactory()
    ProjectMembershipFactory(project=mine, user=user, role=ProjectRole.MEMBER)
    audited = ProjectFactory()
    ProjectMembershipFactory(project=audited, user=user, role=ProjectRole.AUDITOR)
    own = FindingFactory(project=mine)
    foreign = FindingFactory(project=audited)

    response = client_for(user).post(
        URL, {"ids": [own.pk, foreign.pk], "status": "confirmed"}, format="json"
    )

    assert response.status_code == 403
    assert Finding.objects.get(pk=own.pk).status == "new"


def test_invisible_ids_answer_404(client_for, project_with_roles, findings):
    other = FindingFactory(project=ProjectFactory())
    response = client_for(project_with_roles.member).post(
        URL, {"ids": [findings["low"].pk, other.pk], "status": "confirmed"}, format="json"
    )
    assert response.status_code == 404
    assert Finding.objects.get(pk=findings["low"].pk).status == "new"


def test_assignee_without_role_is_refused(client_for, project_with_roles, findings):
    response = client_for(project_with_roles.member).post(
        URL, {"ids": [findings["low"].pk], "assignee": project_with_roles.outsider.pk}
    )
    assert response.status_code == 400
    assert "assignee" in response.json()["error"]["fields"]


def test_list_filters_new_and_resolved_in_a_scan(client_for, project_with_roles):
    from apps.common.testing.factories import ScanFactory

    project = project_with_roles.project
    scan = ScanFactory(project=project)
    FindingFactory(project=project, title="fresh", first_seen_scan=scan)
    FindingFactory(project=project, title="gone", resolved_in_scan=scan, status="auto_resolved")
    FindingFactory(project=project, title="other")
    client = client_for(project_with_roles.auditor)

    fresh = client.get("/api/v1/findings/", {"first_seen_scan": scan.pk}).json()["results"]
    gone = client.get("/api/v1/findings/", {"resolved_in_scan": scan.pk}).json()["results"]

    assert [f["title"] for f in fresh] == ["fresh"]
    assert [f["title"] for f in gone] == ["gone"]
