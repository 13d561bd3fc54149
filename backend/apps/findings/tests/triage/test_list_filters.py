"""The findings list's triage filters: the open/closed switch (whose default count is the
dashboard's), CWE in the forms people type, and overdue findings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common.testing.factories import FindingFactory
from apps.findings.models import FindingStatus, Severity

pytestmark = pytest.mark.django_db

LIST = "/api/v1/findings/"


def titles(response):
    assert response.status_code == 200, response.json()
    return sorted(item["title"] for item in response.json()["results"])


@pytest.fixture
def world(project_with_roles):
    project = project_with_roles.project
    today = timezone.localdate()
    FindingFactory(project=project, title="SQL injection", cwe=89, severity=Severity.HIGH)
    FindingFactory(
        project=project,
        title="Late XSS",
        cwe=79,
        status=FindingStatus.CONFIRMED,
        due_date=today - timedelta(days=1),
    )
    FindingFactory(project=project, title="Due today", due_date=today)
    FindingFactory(
        project=project,
        title="Fixed late",
        status=FindingStatus.RESOLVED,
        due_date=today - timedelta(days=9),
    )
    FindingFactory(project=project, title="Test key", status=FindingStatus.FALSE_POSITIVE)
    FindingFactory(project=project, title="Branch only", on_default_branch=False)
    return project_with_roles


@pytest.mark.parametrize("typed", ["CWE-89", "cwe-89", "89", " CWE-089 ", "CWE89"])
def test_cwe_filter_takes_the_form_the_list_shows(client_for, world, typed):
    response = client_for(world.member).get(LIST, {"cwe": typed})
    assert titles(response) == ["SQL injection"]


def test_a_cwe_that_is_no_cwe_is_a_clear_400(client_for, world):
    response = client_for(world.member).get(LIST, {"cwe": "CVE-2024-1"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["cwe"] == ["Give a CWE such as CWE-89 or 89."]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("open", ["Due today", "Late XSS", "SQL injection"]),
        ("closed", ["Fixed late", "Test key"]),
        (
            "all",
            ["Branch only", "Due today", "Fixed late", "Late XSS", "SQL injection", "Test key"],
        ),
    ],
)
def test_open_closed_switch(client_for, world, state, expected):
    assert titles(client_for(world.member).get(LIST, {"state": state})) == expected


def test_the_open_count_is_the_dashboards(client_for, world):
    client = client_for(world.member)
    dashboard = client.get("/api/v1/dashboard/").json()
    listed = client.get(LIST, {"state": "open"}).json()
    assert listed["count"] == dashboard["open_total"] == 3
    assert listed["count_exact"] is True


def test_state_combines_with_status(client_for, world):
    response = client_for(world.member).get(LIST, {"state": "open", "status": "confirmed,resolved"})
    assert titles(response) == ["Late XSS"]
    assert response.json()["count"] == 1


def test_overdue_filter_lists_open_findings_past_their_due_date(client_for, world):
    client = client_for(world.member)
    assert titles(client.get(LIST, {"overdue": "true"})) == ["Late XSS"]
    assert "Late XSS" not in titles(client.get(LIST, {"overdue": "false"}))
