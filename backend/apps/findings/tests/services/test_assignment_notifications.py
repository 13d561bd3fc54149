"""Assigning findings emails the assignee once per assignment, never for self-assignment."""

from __future__ import annotations

import datetime

import pytest

from apps.accounts.models import UserProfile, default_notification_preferences
from apps.common.testing.factories import FindingFactory
from apps.findings import services
from apps.findings.models import Finding
from apps.notifications import services as notification_services
from apps.notifications.models import NotificationDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_tasks(monkeypatch, settings):
    """Queued notification tasks run in-process, as a worker would run them."""
    settings.FRONTEND_URL = "https://seculite.example.com"
    calls: list[dict] = []

    def enqueue(task, **kwargs):
        calls.append(kwargs)
        task.apply(kwargs=kwargs)

    monkeypatch.setattr(notification_services, "_enqueue", enqueue)
    return calls


def test_assignee_gets_one_email_with_a_link(
    project_with_roles, mailoutbox, run_tasks, django_capture_on_commit_callbacks
):
    roles = project_with_roles
    roles.owner.first_name, roles.owner.last_name = "Ada", "Lovelace"
    roles.owner.save()
    finding = FindingFactory(project=roles.project, title="Open redirect", severity="medium")

    with django_capture_on_commit_callbacks(execute=True):
        services.finding_assign(finding=finding, user=roles.owner, assignee_id=roles.member.pk)

    [message] = mailoutbox
    assert message.to == [roles.member.email]
    assert message.subject == "[SecuLite] Assigned to you: [medium] Open redirect"
    assert f"Ada Lovelace assigned you a finding in {roles.project.name}." in message.body
    assert "app/views.py:10" in message.body
    assert f"https://seculite.example.com/findings/{finding.pk}" in message.body
    delivery = NotificationDelivery.objects.get()
    assert delivery.event_key.startswith(f"finding:{finding.pk}:assigned:")
    assert delivery.user == roles.member


def test_self_assignment_sends_nothing(
    project_with_roles, mailoutbox, run_tasks, django_capture_on_commit_callbacks
):
    finding = FindingFactory(project=project_with_roles.project)
    member = project_with_roles.member
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.finding_assign(finding=finding, user=member, assignee_id=member.pk)
    assert callbacks == [] and mailoutbox == []


def test_changing_only_the_due_date_sends_nothing(
    project_with_roles, mailoutbox, run_tasks, django_capture_on_commit_callbacks
):
    roles = project_with_roles
    finding = FindingFactory(project=roles.project, assignee=roles.member)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.finding_assign(
            finding=finding,
            user=roles.owner,
            assignee_id=roles.member.pk,
            due_date=datetime.date(2030, 1, 1),
        )
    assert callbacks == []
    assert mailoutbox == []


def test_assignee_preferences_are_respected(
    project_with_roles, mailoutbox, run_tasks, django_capture_on_commit_callbacks
):
    roles = project_with_roles
    UserProfile.objects.create(
        user=roles.member,
        notification_preferences={**default_notification_preferences(), "finding_assigned": False},
    )
    finding = FindingFactory(project=roles.project)
    with django_capture_on_commit_callbacks(execute=True):
        services.finding_assign(finding=finding, user=roles.owner, assignee_id=roles.member.pk)
    assert len(run_tasks) == 1  # queued, then the task finds the preference off
    assert mailoutbox == [] and not NotificationDelivery.objects.exists()


def test_bulk_assignment_is_one_email_and_a_retry_sends_nothing_more(
    project_with_roles, mailoutbox, run_tasks, django_capture_on_commit_callbacks
):
    roles = project_with_roles
    FindingFactory(project=roles.project, title="Weak TLS", severity="low")
    FindingFactory(project=roles.project, title="SQL injection", severity="critical")
    FindingFactory(project=roles.project, title="Already theirs", assignee=roles.member)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.findings_bulk_triage(
            findings=Finding.objects.all(), user=roles.owner, assignee_id=roles.member.pk
        )

    assert result.assigned == 2
    [message] = mailoutbox
    assert message.subject == "[SecuLite] 2 findings assigned to you"
    assert message.body.index("SQL injection") < message.body.index("Weak TLS")
    assert "Already theirs" not in message.body

    [kwargs] = run_tasks
    notification_services.findings_assigned_notify(**kwargs)  # a redelivered task
    assert len(mailoutbox) == 1 and NotificationDelivery.objects.count() == 1


def test_unassigning_and_bulk_self_assignment_send_nothing(
    project_with_roles, mailoutbox, run_tasks, django_capture_on_commit_callbacks
):
    roles = project_with_roles
    FindingFactory(project=roles.project, assignee=roles.member)
    FindingFactory(project=roles.project)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.findings_bulk_triage(
            findings=Finding.objects.all(), user=roles.owner, assignee_id=None
        )
        services.findings_bulk_triage(
            findings=Finding.objects.all(), user=roles.member, assignee_id=roles.member.pk
        )
    assert callbacks == [] and mailoutbox == []


def test_a_finding_reassigned_before_the_task_ran_is_not_announced(
    project_with_roles, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    roles = project_with_roles
    queued: list[dict] = []
    monkeypatch.setattr(notification_services, "_enqueue", lambda task, **kw: queued.append(kw))
    finding = FindingFactory(project=roles.project)
    with django_capture_on_commit_callbacks(execute=True):
        services.finding_assign(finding=finding, user=roles.owner, assignee_id=roles.member.pk)
        services.finding_assign(finding=finding, user=roles.owner, assignee_id=roles.auditor.pk)
    for kwargs in queued:
        notification_services.findings_assigned_notify(**kwargs)
    assert [m.to for m in mailoutbox] == [[roles.auditor.email]]
