"""Dashboard API: aggregates over visible projects only, trend per day, assigned to me."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    FindingFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    ScanFactory,
)
from apps.findings.models import FindingStatus, Severity

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboard/"


@pytest.fixture
def world(project_with_roles):
    project = project_with_roles.project
    now = timezone.now()
    FindingFactory(project=project, severity=Severity.CRITICAL, status=FindingStatus.NEW,
                   first_seen_at=now, assignee=project_with_roles.member)  # fmt: skip
    FindingFactory(project=project, severity=Severity.HIGH, status=FindingStatus.CONFIRMED,
                   first_seen_at=now - timedelta(days=2))  # fmt: skip
    FindingFactory(project=project, severity=Severity.HIGH, status=FindingStatus.REOPENED,
                   first_seen_at=now - timedelta(days=40))  # fmt: skip
    FindingFactory(project=project, severity=Severity.LOW, status=FindingStatus.RESOLVED,
                   first_seen_at=now - timedelta(days=3), resolved_at=now)  # fmt: skip
    FindingFactory(project=project, severity=Severity.MEDIUM, first_seen_at=now - timedelta(days=3),
                   status=FindingStatus.FALSE_POSITIVE,
                   assignee=project_with_roles.member)  # fmt: skip
    ScanFactory(project=project, status="running")
    # Another team's project: never counted.
    other = ProjectFactory()
    FindingFactory(project=other, severity=Severity.CRITICAL, first_seen_at=now)
    ScanFactory(project=other)
    return project_with_roles


def test_counts_cover_only_visible_projects(client_for, world):
    response = client_for(world.member).get(URL)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["open_by_severity"] == {
        "critical": 1, "high": 2, "medium": 0, "low": 0, "informational": 0, "unknown": 0,
    }  # fmt: skip
    assert body["by_status"]["new"] == 1
    assert body["by_status"]["resolved"] == 1
    assert body["by_status"]["false_positive"] == 1
    assert body["total"] == 5
    assert body["open_total"] == 3
    assert body["project_count"] == 1
    assert [scan["project"]["id"] for scan in body["recent_scans"]] == [world.project.pk]


def test_trend_counts_new_and_resolved_per_day(client_for, world):
    body = client_for(world.auditor).get(URL).json()

    trend = body["trend"]
    assert len(trend) == 30
    assert trend[-1]["date"] == timezone.now().date().isoformat()
    assert trend[-1] == {"date": trend[-1]["date"], "new": 1, "resolved": 1}
    assert sum(day["new"] for day in trend) == 4  # the 40-day-old finding is outside
    assert sum(day["resolved"] for day in trend) == 1
    assert body["timezone"] == "UTC"


def test_assigned_to_me_lists_open_findings_only(client_for, world):
    body = client_for(world.member).get(URL).json()

    assert body["assigned_to_me"]["count"] == 1
    [finding] = body["assigned_to_me"]["results"]
    assert finding["severity"] == "critical"
    assert client_for(world.owner).get(URL).json()["assigned_to_me"]["count"] == 0


def test_outsider_sees_zeroes_and_staff_sees_everything(client_for, world):
    outsider = client_for(world.outsider).get(URL).json()
    assert outsider["total"] == 0
    assert outsider["recent_scans"] == []
    assert client_for(world.staff).get(URL).json()["total"] == 6


def test_anonymous_is_refused(api_client, world):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_query_count_does_not_grow_with_findings_or_projects(client_for, world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client_for(world.member).get(URL).status_code == 200
        return len(captured.captured_queries)

    queries()  # the first read creates the caller's profile
    before = queries()
    FindingFactory.create_batch(20, project=world.project, first_seen_at=timezone.now())
    assert queries() == before
    for _ in range(4):  # more projects, each with findings, scans and an assignment
        project = ProjectFactory()
        ProjectMembershipFactory(project=project, user=world.member, role=ProjectRole.MEMBER)
        FindingFactory.create_batch(5, project=project, first_seen_at=timezone.now(),
                                    resolved_at=timezone.now(), assignee=world.member)  # fmt: skip
        ScanFactory(project=project)
    assert queries() == before


def test_findings_only_branch_scans_have_seen_are_not_counted(client_for, world):
    """A pull request's new findings are compared, not counted as the project's."""
    FindingFactory(project=world.project, severity=Severity.CRITICAL, status=FindingStatus.NEW,
                   first_seen_at=timezone.now(), on_default_branch=False)  # fmt: skip
    body = client_for(world.member).get(URL).json()
    assert body["open_by_severity"]["critical"] == 1
    assert (body["total"], body["open_total"], body["by_status"]["new"]) == (5, 3, 1)
    assert sum(day["new"] for day in body["trend"]) == 4  # as without it
