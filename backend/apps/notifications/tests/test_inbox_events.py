"""In-app notifications: each event writes exactly one entry for each user who should see it,
none for people without a role in the project, and honours each user's preferences."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    FindingFactory,
    OrganizationFactory,
    OrganizationMembershipFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    ScanFactory,
    UserFactory,
)
from apps.findings.acceptance import findings_acceptance_expire
from apps.findings.models import Finding, FindingStatus
from apps.findings.services import finding_assign, findings_bulk_triage
from apps.notifications import inbox
from apps.notifications.inbox_models import InboxEvent, Notification
from apps.notifications.preferences import notification_preferences_update
from apps.notifications.tests.conftest import finished_scan, new_finding
from apps.organizations.models import OrganizationRole
from apps.scans.models import ScanStatus

pytestmark = pytest.mark.django_db

SECRET = "AKIAIOSFODNN7EXAMPLESECRETVALUE"


def entries(**filters) -> list[Notification]:
    return list(Notification.objects.filter(**filters).order_by("user_id", "id"))


def users_told(event: str) -> set[int]:
    return set(Notification.objects.filter(event_type=event).values_list("user_id", flat=True))


@pytest.mark.parametrize(
    ("status", "event", "wording"),
    [
        (ScanStatus.COMPLETED, InboxEvent.SCAN_COMPLETED, "completed"),
        (ScanStatus.COMPLETED_WITH_ERRORS, InboxEvent.SCAN_FAILED, "completed with errors"),
        (ScanStatus.FAILED, InboxEvent.SCAN_FAILED, "failed"),
        (ScanStatus.ERROR, InboxEvent.SCAN_FAILED, "failed"),
    ],
)
def test_a_finished_scan_tells_every_member_once(project_with_roles, status, event, wording):
    roles = project_with_roles
    scan = finished_scan(roles.project, status=status)
    scan.summary = {"new": 2, "resolved": 1, "by_severity": {"critical": 1, "high": 1}}
    scan.save()
    no_email = ProjectMembershipFactory(project=roles.project, user=UserFactory(email="")).user

    written = inbox.scan_finished_inbox(scan_id=scan.pk)
    inbox.scan_finished_inbox(scan_id=scan.pk)  # a retried task writes nothing more

    members = {roles.owner.pk, roles.member.pk, roles.auditor.pk, no_email.pk}
    assert written == 4
    assert users_told(event) == members
    assert Notification.objects.count() == 4
    entry = entries(user=roles.member)[0]
    assert entry.title == f"Scan #{scan.pk} of {roles.project.name} {wording}"
    assert entry.body == "2 new, 1 resolved; open in this scan: 1 critical, 1 high."
    assert entry.link == f"/scans/{scan.pk}"
    assert (entry.project_id, entry.scan_id, entry.unread, entry.read_at) == (
        roles.project.pk,
        scan.pk,
        True,
        None,
    )


def test_a_scan_tells_organization_members_and_nobody_outside(db):
    org = OrganizationFactory()
    org_member = OrganizationMembershipFactory(organization=org, role=OrganizationRole.MEMBER).user
    project = ProjectFactory(organization=org, owner_user=None)
    outsider, staff = UserFactory(), UserFactory(is_staff=True)
    scan = finished_scan(project)

    inbox.scan_finished_inbox(scan_id=scan.pk)

    assert users_told(InboxEvent.SCAN_COMPLETED) == {org_member.pk}
    assert not Notification.objects.filter(user__in=[outsider, staff]).exists()


def test_cancelled_and_running_scans_tell_nobody(project_with_roles):
    for status in (ScanStatus.CANCELLED, ScanStatus.RUNNING):
        scan = ScanFactory(project=project_with_roles.project, status=status)
        inbox.scan_finished_inbox(scan_id=scan.pk)
    assert Notification.objects.count() == 0


def test_scan_preferences_are_per_event(project_with_roles):
    roles = project_with_roles
    notification_preferences_update(
        user=roles.member, events=[{"event": InboxEvent.SCAN_COMPLETED, "in_app": False}]
    )
    inbox.scan_finished_inbox(scan_id=finished_scan(roles.project).pk)
    failed = ScanFactory(project=roles.project, status=ScanStatus.FAILED)
    inbox.scan_finished_inbox(scan_id=failed.pk)

    assert users_told(InboxEvent.SCAN_COMPLETED) == {roles.owner.pk, roles.auditor.pk}
    assert roles.member.pk in users_told(InboxEvent.SCAN_FAILED)


def test_an_assignment_tells_the_assignee_once_without_the_secret(project_with_roles):
    roles = project_with_roles
    finding = FindingFactory(
        project=roles.project,
        title="AWS access key",
        severity="critical",
        file_path="config/settings.py",
        line_start=12,
        snippet=f"aws_key = '{SECRET}'",
        evidence={"match": SECRET},
    )

    finding_assign(finding=finding, user=roles.owner, assignee_id=roles.member.pk)

    [entry] = entries()
    assert entry.user_id == roles.member.pk
    assert entry.event_type == InboxEvent.FINDING_ASSIGNED
    owner_name = roles.owner.get_full_name() or roles.owner.username
    assert entry.title == f"{owner_name} assigned you a finding"
    assert entry.body == (
        f"critical: AWS access key (config/settings.py:12) in {roles.project.name}"
    )
    assert entry.link == f"/findings/{finding.pk}"
    assert entry.finding_id == finding.pk
    assert SECRET not in f"{entry.title} {entry.body} {entry.link}"


def test_assigning_oneself_or_with_the_preference_off_tells_nobody(project_with_roles):
    roles = project_with_roles
    first, second = FindingFactory.create_batch(2, project=roles.project)
    finding_assign(finding=first, user=roles.member, assignee_id=roles.member.pk)
    notification_preferences_update(
        user=roles.auditor, events=[{"event": "finding_assigned", "in_app": False}]
    )
    finding_assign(finding=second, user=roles.owner, assignee_id=roles.auditor.pk)
    assert Notification.objects.count() == 0


def test_a_bulk_assignment_is_one_entry_listing_the_worst(project_with_roles):
    roles = project_with_roles
    for severity, title in [
        ("low", "Weak hash"),
        ("critical", "SQLi"),
        ("high", "XSS"),
        ("medium", "Open redirect"),
        ("high", "SSRF"),
    ]:
        FindingFactory(
            project=roles.project,
            severity=severity,
            title=title,
            file_path="",
            line_start=None,
            severity_rank={"critical": 5, "high": 4, "medium": 3, "low": 2}[severity],
        )

    findings_bulk_triage(
        findings=Finding.objects.filter(project=roles.project),
        user=roles.owner,
        assignee_id=roles.auditor.pk,
    )

    [entry] = entries()
    assert entry.user_id == roles.auditor.pk
    assert entry.title.endswith("assigned you 5 findings")
    assert entry.body == "critical: SQLi; high: SSRF; high: XSS; and 2 more"
    assert entry.link == "/findings?assignee=me"


def _accepted(project, until: date, **fields) -> Finding:
    return FindingFactory(
        project=project,
        status=FindingStatus.ACCEPTED_RISK,
        dismissal_reason="accepted_risk",
        accepted_until=until,
        **fields,
    )


def test_an_expiring_acceptance_tells_the_assignee_once(project_with_roles, settings):
    settings.SECULITE_ACCEPTANCE_NOTICE_DAYS = 7
    roles = project_with_roles
    today = date(2026, 12, 1)
    soon = _accepted(
        roles.project,
        today + timedelta(days=3),
        assignee=roles.member,
        title="Old TLS",
        severity="medium",
    )
    _accepted(roles.project, today + timedelta(days=8), assignee=roles.member)  # not yet
    _accepted(roles.project, today - timedelta(days=1), assignee=roles.member)  # expired

    inbox.acceptance_expiring_inbox(today=today)
    inbox.acceptance_expiring_inbox(today=today)  # the next hourly run repeats nothing

    [entry] = entries()
    assert entry.user_id == roles.member.pk
    assert entry.event_type == InboxEvent.ACCEPTANCE_EXPIRING
    assert entry.title == f"An accepted risk in {roles.project.name} ends in 3 days"
    assert (
        entry.body
        == "medium: Old TLS (app/views.py:10); accepted until 2026-12-04, then it reopens."
    )
    assert entry.finding_id == soon.pk


def test_a_bulk_acceptance_ending_together_is_one_notice(project_with_roles, client_for):
    """Risks accepted together end together: one notice per person, project and last day,
    not one per finding."""
    roles = project_with_roles
    today, until = date(2026, 12, 1), date(2026, 12, 4)
    for title in ("Old TLS", "Weak cipher", "No HSTS", "Self-signed"):
        _accepted(roles.project, until, assignee=roles.member, title=title, severity="medium")

    inbox.acceptance_expiring_inbox(today=today)
    inbox.acceptance_expiring_inbox(today=today)

    [entry] = entries()
    assert entry.title == f"4 accepted risks in {roles.project.name} end in 3 days"
    assert entry.body.startswith("medium: ")
    assert entry.body.endswith("; and 1 more; accepted until 2026-12-04, then they reopen.")
    assert entry.link == f"/findings?project={roles.project.pk}&state=closed&status=accepted_risk"
    assert (entry.project_id, entry.finding_id) == (roles.project.pk, None)
    # The link's list shows those risks.
    query = entry.link.split("?", 1)[1]
    listed = client_for(roles.member).get(f"/api/v1/findings/?{query}").json()
    assert listed["count"] == 4


def test_every_expiring_acceptance_is_told_beyond_one_batch(project_with_roles, monkeypatch):
    """More expiring risks than one run reads: later runs tell the rest."""
    monkeypatch.setattr(inbox, "BEAT_BATCH", 2)
    roles = project_with_roles
    for offset in range(1, 5):
        _accepted(roles.project, date(2026, 12, 1) + timedelta(days=offset), assignee=roles.member)
    for _run in range(3):
        inbox.acceptance_expiring_inbox(today=date(2026, 12, 1), days=7)
    assert Notification.objects.filter(event_type=InboxEvent.ACCEPTANCE_EXPIRING).count() == 4


def test_an_unassigned_expiring_acceptance_tells_the_owners(project_with_roles):
    roles = project_with_roles
    _accepted(roles.project, date(2026, 12, 2))
    inbox.acceptance_expiring_inbox(today=date(2026, 12, 1))
    assert users_told(InboxEvent.ACCEPTANCE_EXPIRING) == {roles.owner.pk}


def test_an_expired_acceptance_tells_the_assignee_who_still_has_a_role(project_with_roles):
    roles = project_with_roles
    mine = _accepted(
        roles.project, date(2026, 11, 30), assignee=roles.member, title="Old TLS", severity="medium"
    )
    _accepted(roles.project, date(2026, 11, 30), assignee=roles.outsider)  # no role here

    assert findings_acceptance_expire(today=date(2026, 12, 1)) == 2
    findings_acceptance_expire(today=date(2026, 12, 2))

    [entry] = entries()
    assert entry.user_id == roles.member.pk
    assert entry.event_type == InboxEvent.ACCEPTANCE_EXPIRED
    assert entry.title == (
        f"An accepted risk in {roles.project.name} expired: the finding reopened"
    )
    assert entry.link == f"/findings/{mine.pk}"


def test_an_sla_breach_tells_the_assignee_once_per_finding(project_with_roles):
    roles = project_with_roles
    today = date(2026, 12, 10)
    late = FindingFactory(
        project=roles.project,
        assignee=roles.member,
        title="XSS",
        severity="high",
        due_date=date(2026, 12, 8),
    )
    FindingFactory(project=roles.project, assignee=roles.member, due_date=today)  # due today
    FindingFactory(
        project=roles.project,
        assignee=roles.member,
        due_date=date(2026, 12, 1),
        status=FindingStatus.RESOLVED,
    )
    FindingFactory(project=roles.project, due_date=date(2026, 12, 1))  # nobody's
    FindingFactory(project=roles.project, assignee=roles.outsider, due_date=date(2026, 12, 1))

    inbox.sla_breaches_inbox(today=today)
    inbox.sla_breaches_inbox(today=today)  # the next hourly run repeats nothing

    [entry] = entries()
    assert (entry.user_id, entry.finding_id) == (roles.member.pk, late.pk)
    assert entry.event_type == InboxEvent.SLA_BREACH
    assert entry.body == "high: XSS (app/views.py:10); due 2026-12-08 (2 days ago)."

    # Given to someone else, the finding's breach is news to them.
    Finding.objects.filter(pk=late.pk).update(assignee=roles.owner)
    inbox.sla_breaches_inbox(today=today)
    assert users_told(InboxEvent.SLA_BREACH) == {roles.member.pk, roles.owner.pk}


def test_sla_breach_preference_off_tells_nobody(project_with_roles):
    roles = project_with_roles
    notification_preferences_update(
        user=roles.member, events=[{"event": "sla_breach", "in_app": False}]
    )
    FindingFactory(project=roles.project, assignee=roles.member, due_date=date(2026, 1, 1))
    inbox.sla_breaches_inbox(today=date(2026, 12, 1))
    assert Notification.objects.count() == 0


def test_org_admins_are_owners_of_an_unassigned_expiring_acceptance(db):
    org = OrganizationFactory()
    admin = OrganizationMembershipFactory(organization=org, role=OrganizationRole.ADMIN).user
    OrganizationMembershipFactory(organization=org, role=OrganizationRole.MEMBER)
    project = ProjectFactory(organization=org, owner_user=None)
    owner = ProjectMembershipFactory(project=project, role=ProjectRole.OWNER).user
    _accepted(project, date(2026, 12, 2))
    inbox.acceptance_expiring_inbox(today=date(2026, 12, 1))
    assert users_told(InboxEvent.ACCEPTANCE_EXPIRING) == {admin.pk, owner.pk}


def test_new_finding_helper_is_unaffected(project_with_roles):
    # The scan fixtures of the email tests still build scans whose findings tell nobody.
    scan = finished_scan(project_with_roles.project)
    new_finding(scan, "high", "XSS")
    assert Notification.objects.count() == 0
