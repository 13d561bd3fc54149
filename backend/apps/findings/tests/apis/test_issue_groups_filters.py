"""The grouped list takes every filter of the findings list: a group is listed exactly when
one of its findings is in the flat list with the same query parameters."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from apps.common.testing.factories import (
    FindingFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
    occurrence_create,
)
from apps.findings.grouping import issue_groups_assign
from apps.findings.models import FindingStatus, IssueGroupMember, Severity

pytestmark = pytest.mark.django_db

FLAT = "/api/v1/findings/"
GROUPED = "/api/v1/issue-groups/"
OLD = timezone.make_aware(datetime(2024, 1, 10, 12, 0))


@pytest.fixture
def world(project_with_roles):
    """Five findings in four groups, differing in every filtered column."""
    roles = project_with_roles
    project = roles.project
    today = timezone.localdate()
    bandit, semgrep = ToolDefinitionFactory(slug="bandit"), ToolDefinitionFactory(slug="semgrep")
    eslint, trivy = ToolDefinitionFactory(slug="eslint"), ToolDefinitionFactory(slug="trivy")
    app, image = TargetAssetFactory(project=project), TargetAssetFactory(project=project)
    first_scan = ScanFactory(project=project)
    second_scan = ScanFactory(project=project)
    sql_bandit = FindingFactory(
        project=project, tool=bandit, target=app, title="SQL built from input",
        severity=Severity.MEDIUM, cwe=89, rule_id="B608", file_path="app/views.py",
        line_start=41, assignee=roles.member, first_seen_scan=first_scan,
    )  # fmt: skip
    sql_semgrep = FindingFactory(
        project=project, tool=semgrep, target=app, title="Formatted SQL query",
        severity=Severity.HIGH, cwe=89, rule_id="python.django.sqli", file_path="app/views.py",
        line_start=41, status=FindingStatus.FALSE_POSITIVE, due_date=today - timedelta(days=3),
    )  # fmt: skip
    debug = FindingFactory(
        project=project, tool=bandit, target=app, title="Debug mode on", severity=Severity.LOW,
        cwe=489, rule_id="B201", file_path="app/settings.py", line_start=3,
        status=FindingStatus.CONFIRMED, due_date=today - timedelta(days=1),
        first_seen_at=OLD, last_seen_at=OLD,
    )  # fmt: skip
    package = FindingFactory(
        project=project, tool=trivy, target=image, title="django: SQL injection",
        severity=Severity.CRITICAL, cve="CVE-2024-1234", package_name="django", file_path="",
        line_start=None, status=FindingStatus.RESOLVED, resolved_in_scan=second_scan,
    )  # fmt: skip
    branch_eval = FindingFactory(
        project=project, tool=eslint, target=app, title="Eval of user input",
        severity=Severity.MEDIUM, cwe=95, rule_id="no-eval", file_path="web/app.js",
        line_start=10, on_default_branch=False, assignee=roles.owner,
    )  # fmt: skip
    findings = [sql_bandit, sql_semgrep, debug, package, branch_eval]
    issue_groups_assign(project_id=project.pk, finding_ids=[f.pk for f in findings])
    occurrence_create(
        finding=sql_bandit, tool_result=ScanToolResultFactory(scan=first_scan, tool=bandit)
    )
    occurrence_create(
        finding=branch_eval, tool_result=ScanToolResultFactory(scan=second_scan, tool=eslint)
    )
    group_of = dict(IssueGroupMember.objects.values_list("finding_id", "group_id"))
    assert len(set(group_of.values())) == 4  # the two SQL injection findings are one group
    return {
        "roles": roles, "group_of": group_of, "app": app, "image": image,
        "first_scan": first_scan, "second_scan": second_scan,
    }  # fmt: skip


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def _parity_params(world) -> list[dict[str, str]]:
    after = (OLD + timedelta(days=1)).isoformat()
    return [
        {},
        {"search": "sql"},
        {"search": "views.py"},
        {"search": "CVE-2024"},
        {"search": "eval input"},
        {"status": "new"},
        {"status": "false_positive,resolved"},
        {"state": "open"},
        {"state": "closed"},
        {"state": "all"},
        {"assignee": "me"},
        {"assignee": "none"},
        {"assignee": str(world["roles"].owner.pk)},
        {"cwe": "CWE-89"},
        {"cwe": "489"},
        {"cve": "cve-2024-1234"},
        {"rule_id": "B608"},
        {"rule_id": "python.django.sqli"},
        {"target": str(world["image"].pk)},
        {"overdue": "true"},
        {"overdue": "false"},
        {"first_seen_after": after},
        {"first_seen_before": after},
        {"last_seen_after": after},
        {"last_seen_before": after},
        {"scan": str(world["first_scan"].pk)},
        {"scan": str(world["second_scan"].pk)},
        {"first_seen_scan": str(world["first_scan"].pk)},
        {"resolved_in_scan": str(world["second_scan"].pk)},
        {"on_default_branch": "false"},
        {"on_default_branch": "true"},
        {"severity": "high"},
        {"severity": "critical,low"},
        {"tool": "semgrep"},
        {"project": str(world["roles"].project.pk)},
        {"state": "open", "severity": "high"},
        {"state": "open", "tool": "bandit", "search": "sql"},
        {"state": "closed", "cwe": "89"},
    ]


def test_a_group_is_listed_iff_one_of_its_findings_is_in_the_flat_list(client_for, world):
    """Every filter of the flat list, one at a time and in combinations, as a member."""
    client = client_for(world["roles"].member)
    failures = []
    for params in _parity_params(world):
        query = {**params, "page_size": "500"}
        flat = _ids(client.get(FLAT, query))
        expected = {world["group_of"][finding_id] for finding_id in flat}
        grouped = client.get(GROUPED, query)
        if _ids(grouped) != expected or grouped.json()["count"] != len(expected):
            failures.append((params, sorted(expected), sorted(_ids(grouped))))
    assert failures == []


def test_the_filters_narrow_to_the_matching_group(client_for, world):
    client = client_for(world["roles"].member)
    sql_group = world["group_of"][min(world["group_of"])]
    for params in ({"rule_id": "B608"}, {"cwe": "CWE-89"}, {"search": "Formatted SQL"}):
        assert _ids(client.get(GROUPED, params)) == {sql_group}, params


def test_a_group_keeps_its_own_summary_when_a_member_matches(client_for, world):
    """The row is the group's (its worst open finding, every tool), not the matching one."""
    rows = client_for(world["roles"].member).get(GROUPED, {"rule_id": "python.django.sqli"})
    [row] = rows.json()["results"]
    assert (row["title"], row["severity"], row["member_count"], row["tools"]) == (
        "SQL built from input", "medium", 2, ["bandit", "semgrep"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("legacy", "state"), [({"status": "open"}, "open"), ({"status": "closed"}, "closed")]
)
def test_the_earlier_open_closed_parameter_reads_as_the_state(client_for, world, legacy, state):
    client = client_for(world["roles"].member)
    assert _ids(client.get(GROUPED, legacy)) == _ids(client.get(GROUPED, {"state": state}))


@pytest.mark.parametrize(
    "params",
    [
        {"cwe": "CVE-2024-1"},
        {"state": "sometimes"},
        {"status": "shelved"},
        {"status": "open,new"},
        {"assignee": "someone"},
        {"first_seen_after": "yesterday"},
        {"target": "99999999999999999999999"},
        {"tool": "99999999999999999999999"},
        {"on_default_branch": "maybe"},
    ],
)
def test_invalid_values_are_the_flat_lists_400(client_for, world, params):
    client = client_for(world["roles"].member)
    flat, grouped = client.get(FLAT, params), client.get(GROUPED, params)
    assert (flat.status_code, grouped.status_code) == (400, 400)
    assert grouped.json()["error"]["fields"] == flat.json()["error"]["fields"]


def test_a_filtered_grouped_page_takes_a_fixed_number_of_queries(
    client_for, project_with_roles, django_assert_max_num_queries
):
    project = project_with_roles.project
    tools = [ToolDefinitionFactory() for _ in range(3)]
    findings = [
        FindingFactory(
            project=project,
            tool=tools[index % 3],
            cwe=89,
            title=f"SQL injection {index}",
            file_path=f"app/module_{index}.py",
            assignee=project_with_roles.member,
            target=TargetAssetFactory(project=project) if index % 10 == 0 else None,
        )
        for index in range(30)
    ]
    issue_groups_assign(project_id=project.pk, finding_ids=[f.pk for f in findings])
    client = client_for(project_with_roles.member)
    query = "state=open&cwe=CWE-89&search=injection&assignee=me&tool=" + tools[0].slug
    with django_assert_max_num_queries(4):
        response = client.get(f"{GROUPED}?page_size=50&{query}")
    assert response.status_code == 200
    assert response.json()["count"] == 10
    assert len(response.json()["results"]) == 10
