"""Scan emails: who gets one, what it says, and that nothing is sent twice."""

from __future__ import annotations

import pytest

from apps.accounts.models import UserProfile, default_notification_preferences
from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    OrganizationFactory,
    OrganizationMembershipFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    UserFactory,
)
from apps.notifications import services
from apps.notifications.models import Channel, DeliveryStatus, NotificationDelivery
from apps.notifications.tests.conftest import finished_scan, new_finding
from apps.organizations.models import OrganizationRole
from apps.scans.models import ScanStatus

pytestmark = pytest.mark.django_db


def set_preferences(user, **changes) -> None:
    UserProfile.objects.update_or_create(
        user=user,
        defaults={"notification_preferences": {**default_notification_preferences(), **changes}},
    )


def quiet(*users) -> None:
    """Members who want nothing, so a test sees only the recipients it is about."""
    for user in users:
        set_preferences(user, email_enabled=False)


def by_recipient(mailoutbox) -> dict[str, object]:
    return {message.to[0]: message for message in mailoutbox}


def test_completed_scan_emails_config_addresses_with_new_findings_above_the_floor(
    project_with_roles, mailoutbox
):
    roles = project_with_roles
    quiet(roles.owner, roles.member, roles.auditor)
    scan = finished_scan(
        roles.project,
        notify_on_completion=True,
        notify_min_severity="high",
        notify_emails=["SecTeam@example.com"],
    )
    critical = new_finding(scan, "critical", "SQL injection in login", file_path="app/db.py")
    new_finding(scan, "high", "Hard-coded AWS key", file_path="settings.py", line_start=3)
    new_finding(scan, "low", "Missing docstring")
    old = new_finding(scan, "critical", "Already known")
    old.first_seen_scan = None
    old.save()

    outcome = services.scan_notify(scan_id=scan.pk)

    assert outcome == services.NotifyOutcome(sent=1)
    [message] = mailoutbox
    assert message.to == ["SecTeam@example.com"]
    assert message.from_email == "SecuLite <seculite@localhost>"
    assert message.subject == (
        f'[SecuLite] Scan #{scan.pk} of "nightly" in {roles.project.name} completed: '
        "2 new findings (high+)"
    )
    body = message.body
    assert "  critical: 1\n  high: 1\n" in body
    assert "Missing docstring" not in body and "Already known" not in body
    assert body.index("SQL injection in login") < body.index("Hard-coded AWS key")
    assert "settings.py:3" in body
    assert f"https://seculite.example.com/findings/{critical.pk}" in body
    assert f"https://seculite.example.com/scans/{scan.pk}" in body
    delivery = NotificationDelivery.objects.get()
    assert (delivery.event_key, delivery.channel, delivery.recipient) == (
        f"scan:{scan.pk}:finished",
        Channel.EMAIL,
        "SecTeam@example.com",
    )
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert delivery.scan == scan and delivery.project == roles.project


def test_members_are_emailed_by_their_preferences_and_outsiders_never(
    project_with_roles, mailoutbox
):
    roles = project_with_roles
    no_email = ProjectMembershipFactory(project=roles.project, user=UserFactory(email="")).user
    critical_only = ProjectMembershipFactory(project=roles.project).user
    set_preferences(roles.member, email_enabled=False)
    set_preferences(roles.auditor, scan_completed=False, new_findings_min_severity="medium")
    set_preferences(critical_only, scan_completed=False, new_findings_min_severity="critical")
    scan = finished_scan(roles.project, notify_on_completion=False)
    new_finding(scan, "high", "XSS in search")

    services.scan_notify(scan_id=scan.pk)

    sent = by_recipient(mailoutbox)
    # owner: scan_completed (default); auditor: a new high finding is above its medium floor.
    assert sorted(sent) == sorted([roles.owner.email, roles.auditor.email])
    assert "XSS in search" in sent[roles.auditor.email].body
    assert roles.outsider.email not in sent and roles.staff.email not in sent
    assert no_email.pk not in NotificationDelivery.objects.values_list("user_id", flat=True)
    assert NotificationDelivery.objects.get(recipient=roles.owner.email).user == roles.owner


def test_organization_owners_hear_about_its_projects_members_of_other_orgs_do_not(mailoutbox):
    organization = OrganizationFactory()
    admin = OrganizationMembershipFactory(
        organization=organization, role=OrganizationRole.ADMIN
    ).user
    stranger = OrganizationMembershipFactory(role=OrganizationRole.OWNER).user
    project = ProjectFactory(owner_user=None, organization=organization)

    services.scan_notify(scan_id=finished_scan(project).pk)

    assert [message.to for message in mailoutbox] == [[admin.email]]
    assert stranger.email not in str(mailoutbox[0].to)


def test_a_failed_scan_says_what_went_wrong(project_with_roles, mailoutbox):
    roles = project_with_roles
    quiet(roles.member, roles.auditor)
    set_preferences(roles.owner, scan_completed=False)
    scan = finished_scan(roles.project, status=ScanStatus.FAILED, notify_emails=["ops@example.com"])
    scan.error_message = "Semgrep on api: timed_out"
    scan.save()

    services.scan_notify(scan_id=scan.pk)

    sent = by_recipient(mailoutbox)
    assert sorted(sent) == sorted(["ops@example.com", roles.owner.email])
    assert sent["ops@example.com"].subject.endswith(" failed")
    assert "Semgrep on api: timed_out" in sent["ops@example.com"].body


def test_a_scan_completed_with_errors_goes_to_failure_recipients_titled_as_such(
    project_with_roles, mailoutbox
):
    roles = project_with_roles
    quiet(roles.member, roles.auditor)
    # The owner wants failures only; the configuration announces failures, not completions.
    set_preferences(roles.owner, scan_completed=False, scan_failed=True)
    scan = finished_scan(
        roles.project,
        status=ScanStatus.COMPLETED_WITH_ERRORS,
        notify_on_completion=False,
        notify_on_failure=True,
        notify_emails=["ops@example.com"],
    )
    scan.error_message = "Semgrep on api: partial (could not analyse 2 files)"
    scan.save()

    services.scan_notify(scan_id=scan.pk)

    sent = by_recipient(mailoutbox)
    assert sorted(sent) == sorted(["ops@example.com", roles.owner.email])
    message = sent["ops@example.com"]
    assert message.subject == (
        f'[SecuLite] Scan #{scan.pk} of "nightly" in {roles.project.name} completed with errors'
    )
    assert message.body.startswith(
        f'Scan #{scan.pk} of "nightly" in {roles.project.name} completed with errors.'
    )
    assert "What went wrong:\n  Semgrep on api: partial (could not analyse 2 files)" in message.body
    assert "nothing they did not see was marked resolved" in message.body


def test_those_who_want_only_completions_do_not_hear_of_a_scan_with_errors(
    project_with_roles, mailoutbox
):
    roles = project_with_roles
    quiet(roles.member, roles.auditor)
    set_preferences(roles.owner, scan_completed=True, scan_failed=False)
    finished = finished_scan(roles.project, status=ScanStatus.COMPLETED_WITH_ERRORS)

    services.scan_notify(scan_id=finished.pk)

    assert mailoutbox == []


def test_switches_off_and_nothing_new_above_the_floor_means_no_email(
    project_with_roles, mailoutbox
):
    roles = project_with_roles
    for user in (roles.owner, roles.member, roles.auditor):
        set_preferences(
            user, scan_completed=False, scan_failed=False, new_findings_min_severity="critical"
        )
    scan = finished_scan(
        roles.project,
        notify_on_completion=False,
        notify_min_severity="critical",
        notify_emails=["sec@example.com"],
    )
    new_finding(scan, "high", "Only high")

    assert services.scan_notify(scan_id=scan.pk) == services.NotifyOutcome()
    assert mailoutbox == []

    new_finding(scan, "critical", "Now critical")
    services.scan_notify(scan_id=scan.pk)
    sent = by_recipient(mailoutbox)
    assert len(sent) == 4  # sec@ and the three members
    assert all("Now critical" in m.body and "Only high" not in m.body for m in sent.values())


def test_an_address_wanted_twice_gets_one_email_with_the_lower_floor(
    project_with_roles, mailoutbox
):
    roles = project_with_roles
    quiet(roles.member, roles.auditor)
    set_preferences(roles.owner, new_findings_min_severity="low")
    scan = finished_scan(
        roles.project,
        notify_on_completion=True,
        notify_min_severity="critical",
        notify_emails=[roles.owner.email.upper()],
    )
    new_finding(scan, "low", "Verbose banner")

    services.scan_notify(scan_id=scan.pk)

    [message] = mailoutbox
    assert "Verbose banner" in message.body


def test_a_retried_task_sends_nothing_twice(project_with_roles, mailoutbox):
    roles = project_with_roles
    scan = finished_scan(roles.project, notify_on_completion=True, notify_emails=["a@example.com"])

    first = services.scan_notify(scan_id=scan.pk)
    again = services.scan_notify(scan_id=scan.pk)

    assert first.sent == 4  # a@ plus owner, member and auditor
    assert again == services.NotifyOutcome(sent=4)  # all already sent: counted, not resent
    assert len(mailoutbox) == 4
    assert NotificationDelivery.objects.count() == 4
    assert set(NotificationDelivery.objects.values_list("attempts", flat=True)) == {1}


def test_cancelled_scans_are_not_announced(project_with_roles, mailoutbox):
    scan = finished_scan(
        project_with_roles.project,
        status=ScanStatus.CANCELLED,
        notify_on_completion=True,
        notify_on_failure=True,
        notify_emails=["a@example.com"],
    )
    new_finding(scan, "critical", "Found before the cancel")

    assert services.scan_notify(scan_id=scan.pk) == services.NotifyOutcome()
    assert mailoutbox == [] and not NotificationDelivery.objects.exists()


def test_a_reaped_scan_is_announced_as_a_failure(project_with_roles, mailoutbox):
    roles = project_with_roles
    quiet(roles.member, roles.auditor)
    scan = finished_scan(roles.project, status=ScanStatus.ERROR)
    scan.summary = {}
    scan.error_message = "The scan passed its deadline without finishing."
    scan.save()
    set_preferences(roles.owner, scan_completed=False, scan_failed=True)

    services.scan_notify(scan_id=scan.pk)

    [message] = mailoutbox
    assert message.to == [roles.owner.email]
    assert message.subject.endswith(" failed")
    assert "deadline" in message.body


def test_smtp_failure_is_recorded_and_retried_then_given_up(project_with_roles, settings, caplog):
    roles = project_with_roles
    quiet(roles.owner, roles.member, roles.auditor)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: refused
    settings.EMAIL_HOST_PASSWORD = "smtp-secret-pw"
    settings.EMAIL_TIMEOUT = 2
    scan = finished_scan(roles.project, notify_on_completion=True, notify_emails=["a@example.com"])

    first = services.scan_notify(scan_id=scan.pk, final_attempt=False)
    delivery = NotificationDelivery.objects.get()
    assert first.retry and delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("SMTP: ConnectionRefusedError")

    last = services.scan_notify(scan_id=scan.pk, final_attempt=True)
    delivery.refresh_from_db()
    assert not last.retry and last.failed == 1
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    assert "smtp-secret-pw" not in caplog.text
    assert "a@example.com" in caplog.text and "failed (attempt 2)" in caplog.text


def test_deleted_configuration_still_reaches_members(project_with_roles, mailoutbox):
    roles = project_with_roles
    quiet(roles.member, roles.auditor)
    scan = finished_scan(roles.project)
    scan.configuration.delete()

    services.scan_notify(scan_id=scan.pk)

    [message] = mailoutbox
    assert message.to == [roles.owner.email]
    assert "a deleted configuration" in message.subject


@pytest.mark.parametrize("role", [ProjectRole.AUDITOR, ProjectRole.OWNER])
def test_any_role_in_the_project_qualifies(role, mailoutbox):
    project = ProjectFactory()
    user = ProjectMembershipFactory(project=project, role=role).user
    services.scan_notify(scan_id=finished_scan(project).pk)
    assert [message.to for message in mailoutbox] == [[user.email]]


def test_every_organization_role_opens_the_organizations_projects():
    """Recipients are taken from memberships without a per-user role query; that holds only
    while every organization role maps to a project role."""
    from apps.projects.selectors import ORG_ROLE_TO_PROJECT_ROLE

    assert set(ORG_ROLE_TO_PROJECT_ROLE) == set(OrganizationRole.values)


def test_recipients_take_a_fixed_number_of_queries_however_many_members(
    django_assert_max_num_queries,
):
    from apps.notifications.selectors import project_notification_recipients

    organization = OrganizationFactory()
    project = ProjectFactory(owner_user=None, organization=organization)
    for _ in range(20):
        ProjectMembershipFactory(project=project, role=ProjectRole.MEMBER)
        OrganizationMembershipFactory(organization=organization, role=OrganizationRole.MEMBER)
    quiet_user = ProjectMembershipFactory(project=project).user
    set_preferences(quiet_user, email_enabled=False)
    with django_assert_max_num_queries(4):
        recipients = project_notification_recipients(project=project)
    assert len(recipients) == 41
    assert dict(recipients)[quiet_user]["email_enabled"] is False
