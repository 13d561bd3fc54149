"""Saved filters (each user's own) and a project's SLA: due dates set at first sight."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common.testing.factories import (
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.findings.ingest import findings_ingest
from apps.findings.models import Finding
from apps.tools.adapters.base import NormalizedFinding

pytestmark = pytest.mark.django_db

SAVED = "/api/v1/saved-filters/"


def test_saved_filters_are_private_to_their_user(client_for, project_with_roles):
    roles = project_with_roles
    mine = client_for(roles.member)
    created = mine.post(
        SAVED, {"name": "Open highs", "query": "?state=open&severity=high"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["query"] == "state=open&severity=high"
    again = mine.post(
        SAVED, {"name": "Open highs", "query": "state=open&severity=critical"}, format="json"
    )
    assert again.json()["id"] == created.json()["id"]
    assert [(f["name"], f["query"]) for f in mine.get(SAVED).json()] == [
        ("Open highs", "state=open&severity=critical")
    ]
    theirs = client_for(roles.owner)
    assert theirs.get(SAVED).json() == []
    assert theirs.delete(f"{SAVED}{created.json()['id']}/").status_code == 404
    assert mine.delete(f"{SAVED}{created.json()['id']}/").status_code == 204
    assert mine.get(SAVED).json() == []


def test_saved_filters_need_a_name_and_a_session(client_for, project_with_roles):
    response = client_for(project_with_roles.member).post(
        SAVED, {"name": " ", "query": ""}, format="json"
    )
    assert response.status_code == 400
    assert client_for(None).get(SAVED).status_code in (401, 403)


def sla_url(project):
    return f"/api/v1/projects/{project.pk}/sla/"


def test_sla_defaults_and_owner_edits(client_for, project_with_roles):
    roles = project_with_roles
    assert client_for(roles.auditor).get(sla_url(roles.project)).json() == {
        "critical": 7,
        "high": 30,
        "medium": 90,
        "low": 180,
    }
    assert (
        client_for(roles.member)
        .patch(sla_url(roles.project), {"high": 14}, format="json")
        .status_code
        == 403
    )
    assert client_for(roles.outsider).get(sla_url(roles.project)).status_code == 404
    changed = client_for(roles.owner).patch(
        sla_url(roles.project), {"high": 14, "low": None}, format="json"
    )
    assert changed.json() == {"critical": 7, "high": 14, "medium": 90, "low": None}
    bad = client_for(roles.owner).patch(sla_url(roles.project), {"critical": 0}, format="json")
    assert bad.status_code == 400


def test_ingest_sets_due_dates_at_first_sight_from_the_sla(client_for, project_with_roles):
    roles = project_with_roles
    client_for(roles.owner).patch(sla_url(roles.project), {"high": 14, "low": None}, format="json")
    tool = ToolDefinitionFactory(slug="semgrep")
    target = TargetAssetFactory(project=roles.project)

    def ingest(findings):
        result = ScanToolResultFactory(
            scan=ScanFactory(project=roles.project), tool=tool, target=target
        )
        return findings_ingest(
            project=roles.project, findings=findings, tool=tool, tool_result=result, target=target
        )

    reported = [
        NormalizedFinding(
            title="SQLi", severity="high", rule_id="r1", file_path="a.py", line_start=1
        ),
        NormalizedFinding(
            title="Weak", severity="low", rule_id="r2", file_path="a.py", line_start=2
        ),
        NormalizedFinding(
            title="Crit", severity="critical", rule_id="r3", file_path="a.py", line_start=3
        ),
        NormalizedFinding(
            title="Info", severity="informational", rule_id="r4", file_path="a.py", line_start=4
        ),
    ]
    ingest(reported)
    today = timezone.localdate()
    due = dict(Finding.objects.values_list("title", "due_date"))
    assert due == {
        "SQLi": today + timedelta(days=14),
        "Weak": None,
        "Crit": today + timedelta(days=7),
        "Info": None,
    }
    # A person's change of a due date survives the next scan.
    Finding.objects.filter(title="SQLi").update(due_date=today + timedelta(days=60))
    ingest(reported)
    assert Finding.objects.get(title="SQLi").due_date == today + timedelta(days=60)


def test_a_project_key_reads_its_sla_but_no_saved_filters(project_with_roles):
    from apps.accounts.services import api_key_create
    from apps.accounts.tests.utils import token_client

    project = project_with_roles.project
    _, key = api_key_create(
        user=project_with_roles.member, name="ci", project_id=project.pk, scopes=["read"]
    )
    client = token_client(key)
    assert client.get(sla_url(project)).json()["critical"] == 7
    assert client.get(SAVED).status_code == 403
