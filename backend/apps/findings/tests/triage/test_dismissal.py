"""Dismissal in the words people use, and accepted risks that expire: reopened by the beat
task with the audit event, and the assignee told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.common.testing.factories import FindingFactory
from apps.findings.acceptance import findings_acceptance_expire
from apps.findings.models import FindingEvent, FindingStatus
from apps.notifications import services as notification_services

pytestmark = pytest.mark.django_db


def status_url(finding):
    return f"/api/v1/findings/{finding.pk}/status/"


@pytest.fixture
def run_tasks(monkeypatch, settings):
    settings.FRONTEND_URL = "https://seculite.example.com"

    def enqueue(task, **kwargs):
        task.apply(kwargs=kwargs)

    monkeypatch.setattr(notification_services, "_enqueue", enqueue)


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("false_positive", "false_positive"),
        ("used_in_tests", "false_positive"),
        ("wont_fix", "accepted_risk"),
        ("accepted_risk", "accepted_risk"),
    ],
)
def test_each_dismissal_reason_closes_the_finding(client_for, project_with_roles, reason, status):
    finding = FindingFactory(project=project_with_roles.project)
    response = client_for(project_with_roles.member).post(
        status_url(finding), {"dismissal_reason": reason, "reason": "Looked at it"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["dismissal_reason"]) == (status, reason)
    event = FindingEvent.objects.filter(finding=finding).last()
    assert event.to_value == status
    words = {"used_in_tests": "Used in tests: ", "wont_fix": "Won't fix: "}.get(reason, "")
    assert event.comment == f"{words}Looked at it"


def test_a_reason_that_contradicts_the_status_is_refused(client_for, project_with_roles):
    finding = FindingFactory(project=project_with_roles.project)
    response = client_for(project_with_roles.member).post(
        status_url(finding),
        {"status": "accepted_risk", "dismissal_reason": "used_in_tests", "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "dismissal_reason" in response.json()["error"]["fields"]


def test_an_expiry_must_be_in_the_future_and_on_an_accepted_risk(client_for, project_with_roles):
    finding = FindingFactory(project=project_with_roles.project)
    client = client_for(project_with_roles.member)
    today = timezone.localdate()
    past = client.post(
        status_url(finding),
        {"dismissal_reason": "accepted_risk", "reason": "x", "accepted_until": str(today)},
        format="json",
    )
    assert past.json()["error"]["fields"]["accepted_until"] == ["Give a day after today."]
    wrong = client.post(
        status_url(finding),
        {
            "dismissal_reason": "used_in_tests",
            "reason": "x",
            "accepted_until": str(today + timedelta(days=3)),
        },
        format="json",
    )
    assert wrong.status_code == 400
    assert "accepted_until" in wrong.json()["error"]["fields"]


def test_old_status_only_requests_keep_working(client_for, project_with_roles):
    finding = FindingFactory(project=project_with_roles.project)
    response = client_for(project_with_roles.member).post(
        status_url(finding), {"status": "false_positive", "reason": "not reachable"}, format="json"
    )
    assert (response.json()["status"], response.json()["dismissal_reason"]) == (
        "false_positive",
        "false_positive",
    )
    reopened = client_for(project_with_roles.member).post(
        status_url(finding), {"status": "reopened"}, format="json"
    )
    assert reopened.json()["dismissal_reason"] == ""


def test_bulk_dismissal_with_an_expiry(client_for, project_with_roles):
    findings = [FindingFactory(project=project_with_roles.project) for _ in range(2)]
    until = timezone.localdate() + timedelta(days=30)
    response = client_for(project_with_roles.member).post(
        "/api/v1/findings/bulk/",
        {
            "ids": [f.pk for f in findings],
            "dismissal_reason": "accepted_risk",
            "reason": "Fixed next quarter",
            "accepted_until": str(until),
        },
        format="json",
    )
    assert response.json()["status_changed"] == 2, response.json()
    for finding in findings:
        finding.refresh_from_db()
        assert (finding.status, finding.dismissal_reason, finding.accepted_until) == (
            "accepted_risk",
            "accepted_risk",
            until,
        )


def test_an_expired_acceptance_reopens_and_tells_the_assignee(
    client_for, project_with_roles, mailoutbox, run_tasks, django_capture_on_commit_callbacks
):
    roles = project_with_roles
    finding = FindingFactory(project=roles.project, title="Weak hash", assignee=roles.member)
    kept = FindingFactory(project=roles.project, title="Still accepted")
    until = timezone.localdate() + timedelta(days=5)
    for accepted in (finding, kept):
        response = client_for(roles.owner).post(
            status_url(accepted),
            {
                "dismissal_reason": "accepted_risk",
                "reason": "Until the rewrite",
                "accepted_until": str(until),
            },
            format="json",
        )
        assert response.status_code == 200, response.json()
    kept.accepted_until = until + timedelta(days=30)
    kept.save(update_fields=["accepted_until"])

    with django_capture_on_commit_callbacks(execute=True):
        assert findings_acceptance_expire(today=until) == 0  # the last day still counts
        assert findings_acceptance_expire(today=until + timedelta(days=1)) == 1

    finding.refresh_from_db()
    assert (finding.status, finding.dismissal_reason, finding.accepted_until) == (
        FindingStatus.REOPENED,
        "",
        None,
    )
    event = FindingEvent.objects.filter(finding=finding).last()
    assert (event.actor, event.from_value, event.to_value) == (None, "accepted_risk", "reopened")
    assert event.comment == f"The risk acceptance expired after {until.isoformat()}."
    [message] = mailoutbox
    assert message.to == [roles.member.email]
    assert message.subject == "[SecuLite] Risk acceptance expired: [high] Weak hash"
    assert f"https://seculite.example.com/findings/{finding.pk}" in message.body
    kept.refresh_from_db()
    assert kept.status == FindingStatus.ACCEPTED_RISK


def test_the_management_command_acts_as_of_a_day(project_with_roles, capsys):
    finding = FindingFactory(
        project=project_with_roles.project,
        status=FindingStatus.ACCEPTED_RISK,
        dismissal_reason="accepted_risk",
        accepted_until=timezone.localdate() + timedelta(days=2),
    )
    call_command("findings_expire_acceptances")
    call_command("findings_expire_acceptances", today=str(timezone.localdate() + timedelta(days=3)))
    finding.refresh_from_db()
    assert finding.status == FindingStatus.REOPENED
    assert capsys.readouterr().out.splitlines()[-1].startswith("1 finding(s) reopened")


def test_the_beat_schedule_runs_the_expiry(settings):
    from seculite_api.config.celery import CELERY_BEAT_SCHEDULE

    assert (
        CELERY_BEAT_SCHEDULE["findings-acceptance-expire"]["task"] == "findings.acceptance_expire"
    )
