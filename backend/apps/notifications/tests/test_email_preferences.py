"""The emails that existed before the in-app notifications follow the per-event email
switches of /notifications/preferences/; left unset, they behave as before."""

from __future__ import annotations

from datetime import date

import pytest

from apps.accounts.models import UserProfile, default_notification_preferences
from apps.common.testing.factories import FindingFactory, ScanFactory
from apps.findings.models import FindingEvent, FindingEventType, FindingStatus
from apps.notifications import services
from apps.notifications.preferences import notification_preferences_update
from apps.notifications.tests.conftest import finished_scan
from apps.scans.models import ScanStatus

pytestmark = pytest.mark.django_db


def _assignment(roles, finding):
    event = FindingEvent.objects.create(
        finding=finding, actor=roles.owner, event_type=FindingEventType.ASSIGNED, to_value="x"
    )
    return services.findings_assigned_notify(
        event_ids=[event.pk], assignee_id=roles.member.pk, actor_id=roles.owner.pk
    )


def _reopening(finding):
    event = FindingEvent.objects.create(
        finding=finding,
        event_type=FindingEventType.STATUS_CHANGED,
        from_value=FindingStatus.ACCEPTED_RISK,
        to_value=FindingStatus.REOPENED,
    )
    return services.findings_reopened_notify(event_ids=[event.pk], assignee_id=finding.assignee_id)


def test_assignment_email_follows_its_switch(project_with_roles, mailoutbox):
    roles = project_with_roles
    finding = FindingFactory(project=roles.project, assignee=roles.member)
    assert _assignment(roles, finding).sent == 1

    notification_preferences_update(
        user=roles.member, events=[{"event": "finding_assigned", "email": False}]
    )
    assert _assignment(roles, finding).sent == 0
    assert len(mailoutbox) == 1


def test_acceptance_expired_email_has_its_own_switch(project_with_roles, mailoutbox):
    roles = project_with_roles
    finding = FindingFactory(project=roles.project, assignee=roles.member)
    notification_preferences_update(
        user=roles.member, events=[{"event": "acceptance_expired", "email": False}]
    )
    assert _reopening(finding).sent == 0
    assert _assignment(roles, finding).sent == 1  # the assignment email is still wanted
    assert [m.subject for m in mailoutbox if "expired" in m.subject.lower()] == []


def test_acceptance_expired_email_follows_the_assignment_switch_until_set(
    project_with_roles, mailoutbox
):
    roles = project_with_roles
    finding = FindingFactory(project=roles.project, assignee=roles.member)
    # A profile saved before the switch existed, with assignment emails off.
    UserProfile.objects.update_or_create(
        user=roles.member,
        defaults={
            "notification_preferences": {
                **default_notification_preferences(),
                "finding_assigned": False,
            }
        },
    )
    assert _reopening(finding).sent == 0
    notification_preferences_update(
        user=roles.member, events=[{"event": "acceptance_expired", "email": True}]
    )
    assert _reopening(finding).sent == 1


@pytest.mark.parametrize(
    ("status", "switch"),
    [(ScanStatus.COMPLETED, "scan_completed"), (ScanStatus.FAILED, "scan_failed")],
)
def test_scan_emails_follow_their_switches(project_with_roles, mailoutbox, status, switch):
    roles = project_with_roles
    for user in (roles.owner, roles.auditor):
        notification_preferences_update(user=user, email_enabled=False)
    notification_preferences_update(user=roles.member, events=[{"event": switch, "email": False}])
    scan = finished_scan(roles.project, status=status)
    assert services.scan_notify(scan_id=scan.pk).sent == 0

    notification_preferences_update(user=roles.member, events=[{"event": switch, "email": True}])
    second = ScanFactory(project=roles.project, configuration=scan.configuration, status=status)
    assert services.scan_notify(scan_id=second.pk).sent == 1
    assert mailoutbox[0].to == [roles.member.email]


def test_the_master_switch_turns_every_email_off(project_with_roles, mailoutbox):
    roles = project_with_roles
    notification_preferences_update(user=roles.member, email_enabled=False)
    finding = FindingFactory(
        project=roles.project, assignee=roles.member, accepted_until=date(2026, 1, 1)
    )
    assert _assignment(roles, finding).sent == 0
    assert _reopening(finding).sent == 0
