"""The findings list's queries read through indexes, never a full scan of the findings table.

20,000 findings made by SQL in 10 projects, vacuumed and analysed as autovacuum leaves a
table (statistics fresh, the visibility map set), sequential scans left enabled: the planner
has a real choice. Each request's queries are captured and EXPLAINed, as
staff and as a member of 3 projects. The dashboard's rollups count every request here but
the rule filter, so only that one counts on findings_finding. A count without any condition
may read its first 10,001 rows in table order; nothing else may scan the table.

Search is checked apart: at this size a scan of the table is honestly cheaper than five
trigram index scans, so the test forbids sequential scans and checks the search still has a
plan, which it only has when every searched column has its trigram index. (At 1,000,000
findings the planner picks those indexes by itself.)
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from apps.common.roles import ProjectRole
from apps.common.testing.factories import ProjectFactory, ProjectMembershipFactory, UserFactory
from apps.findings.filters import FINDING_SEARCH_FIELDS
from apps.findings.models import Finding

pytestmark = [
    pytest.mark.django_db(transaction=True),  # VACUUM cannot run inside a transaction
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]

ROWS = 20_000
REQUESTS = [
    "",
    "?status=new,confirmed,reopened&severity=high&ordering=-first_seen_at",
    "?project={project}",
    "?rule_id=rule.10",
    "?ordering=first_seen_at&severity=critical",
]


def _column_values(project_ids: list[int]) -> dict[str, str]:
    """SQL for each column of a generated finding `g`."""
    ids = ",".join(str(pk) for pk in project_ids)
    values = {
        "project_id": f"(ARRAY[{ids}])[1 + g % {len(project_ids)}]",
        "fingerprint": "md5(g::text)",
        "title": "'Finding ' || g % 700",
        "severity": "(ARRAY['critical','high','medium','low','informational'])[1 + g % 5]",
        "severity_rank": "5 - g % 5",
        "status": "(ARRAY['new','confirmed','resolved','new','reopened','auto_resolved'])"
        "[1 + g % 6]",
        "rule_id": "'rule.' || g % 300",
        "file_path": "'src/mod_' || g % 300 || '.py'",
        "first_seen_at": "now() - (g % 365) * interval '1 day'",
        "last_seen_at": "now() - (g % 7) * interval '1 hour'",
    }
    for field in Finding._meta.concrete_fields:
        if field.primary_key or field.column in values:
            continue
        if field.null:
            values[field.column] = "NULL"
        elif isinstance(field, models.JSONField):
            values[field.column] = "'[]'" if field.default is list else "'{}'"
        elif isinstance(field, models.BooleanField):
            values[field.column] = "true"
        elif isinstance(field, models.DateTimeField):
            values[field.column] = "now()"
        elif isinstance(field, (models.IntegerField,)):
            values[field.column] = "0"
        else:
            values[field.column] = "''"
    return values


@pytest.fixture
def many_findings():
    projects = [ProjectFactory() for _ in range(10)]
    member = UserFactory()
    for project in projects[:3]:
        ProjectMembershipFactory(project=project, user=member, role=ProjectRole.MEMBER)
    values = _column_values([p.pk for p in projects])
    values["assignee_id"] = f"CASE WHEN g % 7 = 0 THEN {int(member.pk)} END"
    columns = ", ".join(f'"{column}"' for column in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO findings_finding ({columns}) "  # noqa: S608 - constants of this test
            f"SELECT {', '.join(values.values())} FROM generate_series(1, {ROWS}) AS g"
        )
        cursor.execute("VACUUM ANALYZE findings_finding")
    return {"staff": UserFactory(is_staff=True), "member": member, "project": projects[1]}


def _plans(client, url: str) -> tuple[dict, list[tuple[str, str]]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    plans = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT") or "findings_finding" not in sql:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}")
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return response.json(), plans


@pytest.mark.parametrize("who", ["staff", "member"])
def test_list_queries_use_indexes(client_for, many_findings, who):
    client = client_for(many_findings[who])
    failures = []
    for query in REQUESTS:
        url = "/api/v1/findings/" + query.format(project=many_findings["project"].pk)
        body, plans = _plans(client, url)
        assert body["results"], url
        next_url = urlsplit(body["next"])
        _, cursor_plans = _plans(client, f"{next_url.path}?{next_url.query}")
        # The page and its count; the rollups count all but the rule filter (no findings read).
        queries_on_findings = 2 if "rule_id" in query else 1
        assert len(plans) == queries_on_findings and len(cursor_plans) == queries_on_findings
        for sql, plan in plans + cursor_plans:
            unconditional_count = sql.startswith("SELECT COUNT(*)") and " WHERE " not in sql
            if "Seq Scan on findings_finding" in plan and not unconditional_count:
                failures.append(f"{url}\n{sql}\n{plan}")
    assert not failures, "\n\n".join(failures)


def test_every_searched_column_has_a_trigram_index(client_for, many_findings):
    client = client_for(many_findings["staff"])
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # the session's: these tests autocommit
    try:
        body, plans = _plans(client, "/api/v1/findings/?search=mod_120.py")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")
    assert len(body["results"]) == 25
    for sql, plan in plans:
        assert "Seq Scan on findings_finding" not in plan, f"{sql}\n{plan}"
        for field in FINDING_SEARCH_FIELDS:
            assert f"upper(({field})::text) ~~" in plan


# (request, index whose entries alone give the page's ids: the member's rows are picked out
# of the index, not by reading each skipped row of another project)
INDEX_ONLY_PAGES = [
    ("/api/v1/findings/", "finding_rank_project_idx"),
    ("/api/v1/findings/?rule_id=rule.10", "finding_rule_project_idx"),
    ("/api/v1/findings/?project={project}", "finding_project_rank_idx"),
    ("/api/v1/findings/?assignee=me", "finding_assignee_rank_idx"),
]


def test_a_members_pages_take_their_ids_from_an_index_alone(client_for, many_findings):
    """With the visibility map set, a member's page reads its ids by an index-only scan and
    the rows themselves by primary key; the dashboard's assigned-to-me count comes from its
    index alone too."""
    client = client_for(many_findings["member"])
    for url, index in INDEX_ONLY_PAGES:
        _, plans = _plans(client, url.format(project=many_findings["project"].pk))
        pages = [plan for sql, plan in plans if "ORDER BY" in sql]
        assert len(pages) == 1, url
        assert f"Index Only Scan Backward using {index}" in pages[0], f"{url}\n{pages[0]}"
        assert "Index Scan using findings_finding_pkey" in pages[0], f"{url}\n{pages[0]}"
    _, plans = _plans(client, "/api/v1/dashboard/")
    counts = [plan for sql, plan in plans if sql.startswith("SELECT COUNT(*)")]
    assert len(counts) == 1
    assert "Index Only Scan using finding_assignee_rank_idx" in counts[0], counts[0]
