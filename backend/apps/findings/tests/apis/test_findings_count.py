"""The findings list's total: exact from the dashboard's rollups when the filters are ones the
rollups count by (project, severity, status, branch), whatever the size, in one query that
never reads the findings table; bounded (exact up to the limit, estimated beyond) for any
other filter or search."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.services import api_key_create
from apps.accounts.tests.utils import token_client
from apps.common import counting
from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    FindingFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    UserFactory,
)
from apps.findings.models import Finding, FindingStatus, Severity

pytestmark = pytest.mark.django_db

LIST = "/api/v1/findings/"
LIMIT = 3  # EXACT_COUNT_LIMIT for these tests: every total below is past it
ROLLUP_QUERIES = [
    "",
    "?status=new",
    "?severity=high,critical",
    "?severity=low&status=new,confirmed,reopened",
    "?project={project}",
    "?project={project}&severity=critical&status=new",
    "?on_default_branch=false",
    "?on_default_branch=true&status=new,resolved",
    "?ordering=-first_seen_at&severity=high",
    "?search=%20,%20&status=new",  # blank search terms filter nothing
]
# Each maps a query to the ORM filter it means.
EXPECTED = {
    "": {},
    "?status=new": {"status": "new"},
    "?severity=high,critical": {"severity__in": ["high", "critical"]},
    "?severity=low&status=new,confirmed,reopened": {
        "severity": "low",
        "status__in": ["new", "confirmed", "reopened"],
    },
    "?project={project}": {"project": "project"},
    "?project={project}&severity=critical&status=new": {
        "project": "project",
        "severity": "critical",
        "status": "new",
    },
    "?on_default_branch=false": {"on_default_branch": False},
    "?on_default_branch=true&status=new,resolved": {
        "on_default_branch": True,
        "status__in": ["new", "resolved"],
    },
    "?ordering=-first_seen_at&severity=high": {"severity": "high"},
    "?search=%20,%20&status=new": {"status": "new"},
}


@pytest.fixture
def world():
    """Three projects with findings of every mix of severity, status and branch, four of
    each mix per project (made in one statement); the member sees two of the projects."""
    projects = [ProjectFactory() for _ in range(3)]
    severities = [Severity.CRITICAL, Severity.HIGH, Severity.LOW, Severity.MEDIUM]
    statuses = [FindingStatus.NEW, FindingStatus.CONFIRMED, FindingStatus.RESOLVED]
    Finding.objects.bulk_create(
        FindingFactory.build(
            project=projects[index % 3],
            status=statuses[(index // 3) % 3],
            severity=severities[(index // 9) % 4],
            on_default_branch=(index // 36) % 2 == 0,
            rule_id=f"rule.{index % 2}",
        )
        for index in range(144)
    )
    member = UserFactory()
    for project in projects[:2]:
        ProjectMembershipFactory(project=project, user=member, role=ProjectRole.AUDITOR)
    return {"projects": projects, "member": member, "staff": UserFactory(is_staff=True)}


def _expected(query: str, visible: list[int], project: int) -> int:
    conditions = {
        name: project if value == "project" else value for name, value in EXPECTED[query].items()
    }
    return Finding.objects.filter(project_id__in=visible, **conditions).count()


@pytest.mark.parametrize("who", ["staff", "member"])
@pytest.mark.parametrize("query", ROLLUP_QUERIES)
def test_rollup_filters_count_exactly_past_the_limit(client_for, world, monkeypatch, who, query):
    monkeypatch.setattr(counting, "EXACT_COUNT_LIMIT", LIMIT)
    projects = world["projects"]
    visible = [p.pk for p in (projects if who == "staff" else projects[:2])]
    body = client_for(world[who]).get(LIST + query.format(project=projects[1].pk)).json()
    expected = _expected(query, visible, projects[1].pk)
    assert expected > LIMIT
    assert (body["count"], body["count_exact"]) == (expected, True)


def test_a_project_out_of_reach_counts_nothing(client_for, world):
    outside = world["projects"][2].pk
    body = client_for(world["member"]).get(f"{LIST}?project={outside}").json()
    assert (body["count"], body["count_exact"], body["results"]) == (0, True, [])


def test_a_project_scoped_key_counts_its_project_only(world):
    project = world["projects"][0]
    _, key = api_key_create(user=world["member"], name="ci", project_id=project.pk, scopes=["read"])
    body = token_client(key).get(f"{LIST}?status=new").json()
    expected = Finding.objects.filter(project=project, status="new").count()
    assert (body["count"], body["count_exact"]) == (expected, True)


@pytest.mark.parametrize(
    "query", ["?rule_id=rule.1", "?search=Finding", "?status=new&rule_id=rule.0", "?assignee=none"]
)
def test_other_filters_keep_the_bounded_count(client_for, world, monkeypatch, query):
    monkeypatch.setattr(counting, "EXACT_COUNT_LIMIT", LIMIT)
    body = client_for(world["staff"]).get(LIST + query).json()
    if connection.vendor == "postgresql":
        assert body["count_exact"] is False
        assert body["count"] > LIMIT
    else:
        assert body["count_exact"] is True


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rollups are PostgreSQL's")
@pytest.mark.parametrize("who", ["staff", "member"])
def test_the_rollup_count_is_one_query_that_never_reads_findings(client_for, world, who):
    client = client_for(world[who])
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{LIST}?status=new,confirmed&severity=high").status_code == 200
    sqls = [query["sql"] for query in captured.captured_queries]
    counts = [sql for sql in sqls if "dashboard_findingcount" in sql]
    assert len(counts) == 1
    assert "findings_finding" not in counts[0]
    assert not [sql for sql in sqls if sql.startswith("EXPLAIN") or "COUNT(" in sql]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {counts[0]}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "findings_finding" not in plan
