"""The inbound webhook: a CI job starts a configuration's scan with its token and nothing else."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from apps.common.testing.factories import TargetAssetFactory, ToolDefinitionFactory
from apps.scans.models import Scan, ScanConfiguration, ScanTrigger
from apps.scans.services import scans as scan_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """Scans enqueued on commit are recorded instead of sent to a broker (unit tests)."""
    sent: list[int] = []
    monkeypatch.setattr(scan_services, "_enqueue_scan", sent.append)
    return sent


@pytest.fixture
def hooked(project_with_roles, client_for):
    """A configuration with its webhook on: (configuration id, token)."""
    project = project_with_roles.project
    code = TargetAssetFactory(
        project=project, asset_type="git_repository", identifier="https://git.example.com/app.git"
    )
    ToolDefinitionFactory(slug="bandit", supported_asset_types=["git_repository"])
    body = client_for(project_with_roles.member).post(
        f"/api/v1/projects/{project.id}/scan-configurations/",
        {
            "name": "ci",
            "targets": [code.id],
            "tools": [{"tool": "bandit"}],
            "webhook_enabled": True,
        },
        format="json",
    )
    assert body.status_code == 201, body.json()
    return body.json()["id"], body.json()["webhook_token"]


def trigger_url(configuration_id: int) -> str:
    return f"/api/v1/webhooks/scan-configurations/{configuration_id}/trigger/"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("header", ["X-SecuLite-Token", "Authorization"])
def test_the_token_starts_a_webhook_scan(hooked, enqueued, header):
    configuration_id, token = hooked
    value = f"Bearer {token}" if header == "Authorization" else token

    response = APIClient().post(trigger_url(configuration_id), headers={header: value})

    assert response.status_code == 202, response.json()
    body = response.json()
    scan = Scan.objects.get(pk=body["id"])
    assert body["status"] == "queued"
    assert scan.configuration_id == configuration_id
    assert scan.trigger == ScanTrigger.WEBHOOK
    assert scan.triggered_by is None
    assert enqueued == [scan.pk]
    # The answer tells the caller the scan id, nothing about the project.
    assert set(body) == {"id", "status"}


def test_without_a_token_the_answer_is_401(hooked, enqueued):
    configuration_id, _ = hooked
    for headers in ({}, {"Authorization": "Basic dXNlcjpwdw=="}, {"X-SecuLite-Token": ""}):
        response = APIClient().post(trigger_url(configuration_id), headers=headers)
        assert response.status_code == 401, response.json()
        assert response.json()["error"]["code"] == "not_authenticated"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert Scan.objects.count() == 0


def test_wrong_token_missing_configuration_and_disabled_webhook_answer_alike(
    hooked, enqueued, project_with_roles, client_for
):
    configuration_id, token = hooked
    wrong = APIClient().post(
        trigger_url(configuration_id), headers={"X-SecuLite-Token": token[:-1] + "x"}
    )
    missing = APIClient().post(trigger_url(999_999), headers={"X-SecuLite-Token": token})
    project = project_with_roles.project
    client_for(project_with_roles.member).patch(
        f"/api/v1/projects/{project.id}/scan-configurations/{configuration_id}/",
        {"webhook_enabled": False},
        format="json",
    )
    disabled = APIClient().post(trigger_url(configuration_id), headers={"X-SecuLite-Token": token})

    answers = [(r.status_code, r.json()) for r in (wrong, missing, disabled)]
    assert answers[0][0] == 404
    assert answers[0] == answers[1] == answers[2]
    assert Scan.objects.count() == 0 and enqueued == []


def test_a_token_opens_only_its_own_configuration(hooked, enqueued, project_with_roles, client_for):
    _, token = hooked
    project = project_with_roles.project
    other = client_for(project_with_roles.member).post(
        f"/api/v1/projects/{project.id}/scan-configurations/",
        {"name": "other", "webhook_enabled": True},
        format="json",
    )
    other_id, other_token = other.json()["id"], other.json()["webhook_token"]
    assert other_token and other_token != token

    response = APIClient().post(trigger_url(other_id), headers={"X-SecuLite-Token": token})

    assert response.status_code == 404
    assert Scan.objects.count() == 0


def test_a_signed_in_session_does_not_stand_in_for_the_token(
    hooked, enqueued, project_with_roles, client_for
):
    configuration_id, _ = hooked
    response = client_for(project_with_roles.owner).post(trigger_url(configuration_id))
    assert response.status_code == 401
    assert Scan.objects.count() == 0


def test_only_post_is_accepted(hooked):
    configuration_id, token = hooked
    response = APIClient().get(trigger_url(configuration_id), headers={"X-SecuLite-Token": token})
    assert response.status_code == 405


def test_a_configuration_that_cannot_start_says_why(hooked, enqueued):
    configuration_id, token = hooked
    ScanConfiguration.objects.get(pk=configuration_id).targets.clear()
    response = APIClient().post(trigger_url(configuration_id), headers={"X-SecuLite-Token": token})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_targets"


def test_triggers_are_rate_limited(hooked, enqueued, monkeypatch):
    configuration_id, token = hooked
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"scan_webhook": "2/min"})
    client = APIClient()
    codes = [
        client.post(
            trigger_url(configuration_id), headers={"X-SecuLite-Token": "guess"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [404, 404, 429]
    blocked = client.post(trigger_url(configuration_id), headers={"X-SecuLite-Token": token})
    assert blocked.status_code == 429
    assert Scan.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_ci_system_can_trigger_a_scan_of_a_pull_request_ref(hooked, enqueued):
    configuration_id, token = hooked
    client = APIClient(headers={"X-SecuLite-Token": token})

    response = client.post(trigger_url(configuration_id), {"ref": "refs/pull/7/head"},
                           format="json")  # fmt: skip

    assert response.status_code == 202, response.json()
    scan = Scan.objects.get(pk=response.json()["id"])
    assert (scan.ref, scan.is_default_branch) == ("refs/pull/7/head", False)
    bad = client.post(trigger_url(configuration_id), {"ref": "-x..y"}, format="json")
    assert bad.status_code == 400
    assert "ref" in bad.json()["error"]["fields"]
    assert Scan.objects.count() == 1
