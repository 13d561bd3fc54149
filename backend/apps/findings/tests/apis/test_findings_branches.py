"""Findings and branches: which findings are on the default branch, shown and filtered."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import FindingFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/findings/"


@pytest.fixture
def findings(project_with_roles):
    project = project_with_roles.project
    main = FindingFactory(project=project, title="On main")
    branch = FindingFactory(project=project, title="Only on a branch", on_default_branch=False)
    return project_with_roles, main, branch


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["On main", "Only on a branch"]),
        ("?on_default_branch=true", ["On main"]),
        ("?on_default_branch=false", ["Only on a branch"]),
    ],
)
def test_the_list_shows_and_filters_by_the_default_branch(client_for, findings, query, expected):
    roles, _, _ = findings
    response = client_for(roles.auditor).get(LIST + query)
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert sorted(item["title"] for item in results) == expected
    for item in results:
        assert item["on_default_branch"] is (item["title"] == "On main")


def test_the_detail_says_whether_the_finding_is_on_the_default_branch(client_for, findings):
    roles, _, branch = findings
    body = client_for(roles.auditor).get(f"{LIST}{branch.id}/").json()
    assert body["on_default_branch"] is False


def test_an_invalid_value_is_a_400(client_for, findings):
    roles, _, _ = findings
    response = client_for(roles.auditor).get(LIST + "?on_default_branch=maybe")
    assert response.status_code == 400
    assert "on_default_branch" in response.json()["error"]["fields"]
