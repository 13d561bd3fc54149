"""In-app notifications: written by the events (scan ended, finding assigned, accepted risk
expiring or expired, SLA breached), read and marked read by their user only.

Each write is one INSERT … ON CONFLICT DO NOTHING on (user, event_key), so a retried task or a
beat task that runs again adds nothing. Only users with a role in the project are told, each
as their preferences say. Texts name findings by severity, title and location: never a
snippet, evidence or matched secret.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from apps.common.ids import is_valid_id
from apps.common.roles import ProjectRole
from apps.findings.models import OPEN_STATUSES, Finding, FindingStatus, Severity
from apps.notifications.content import OUTCOMES, finding_location, one_line
from apps.notifications.inbox_models import InboxEvent, Notification
from apps.notifications.preferences import in_app_wanted
from apps.notifications.selectors import (
    notification_preferences_for,
    project_notification_recipients,
)
from apps.organizations.models import OrganizationMembership
from apps.projects.models import Project
from apps.projects.selectors import ORG_ROLE_TO_PROJECT_ROLE, project_role_for_user
from apps.scans.models import Scan, ScanStatus

logger = logging.getLogger(__name__)

ANNOUNCED_SCAN_STATUSES = tuple(OUTCOMES)
# How many findings one run of a beat task handles; the next run takes the rest.
BEAT_BATCH = 5000


@dataclass(frozen=True)
class Entry:
    user_id: int
    event: str
    event_key: str
    title: str
    body: str = ""
    link: str = ""
    project_id: int | None = None
    scan_id: int | None = None
    finding_id: int | None = None


def _write(entries: Iterable[Entry]) -> int:
    """Insert the entries not written before; returns how many were asked for."""
    rows = [
        Notification(
            user_id=entry.user_id,
            event_type=entry.event,
            event_key=entry.event_key[:200],
            title=one_line(entry.title, 200),
            body=one_line(entry.body, 500),
            link=entry.link[:300],
            project_id=entry.project_id,
            scan_id=entry.scan_id,
            finding_id=entry.finding_id,
        )
        for entry in entries
    ]
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def _finding_line(finding: Finding) -> str:
    location = finding_location(finding)
    return f"{finding.severity}: {finding.title}" + (f" ({location})" if location else "")


class _Audience:
    """Who may hear about a project's findings, with their preferences; cached per call."""

    def __init__(self) -> None:
        self._roles: dict[tuple[int, int], str | None] = {}
        self._preferences: dict[int, dict[str, Any]] = {}
        self._owners: dict[int, list[int]] = {}
        self._users: dict[int, Any] = {}

    def user(self, user_id: int) -> Any:
        if user_id not in self._users:
            self._users[user_id] = (
                get_user_model().objects.filter(pk=user_id, is_active=True).first()
            )
        return self._users[user_id]

    def wants(self, *, user_id: int, project: Project, event: str) -> bool:
        user = self.user(user_id)
        if user is None:
            return False
        key = (project.pk, user_id)
        if key not in self._roles:
            self._roles[key] = project_role_for_user(project=project, user=user)
        if not self._roles[key]:
            return False
        if user_id not in self._preferences:
            self._preferences[user_id] = notification_preferences_for(user=user)
        return in_app_wanted(self._preferences[user_id], event)

    def owners(self, project: Project) -> list[int]:
        """The project's owners: its owner members and its organization's owners/admins."""
        if project.pk not in self._owners:
            ids = set(
                project.memberships.filter(role=ProjectRole.OWNER).values_list("user_id", flat=True)
            )
            if project.organization_id:
                org_roles = [
                    role
                    for role, mapped in ORG_ROLE_TO_PROJECT_ROLE.items()
                    if mapped == ProjectRole.OWNER
                ]
                ids |= set(
                    OrganizationMembership.objects.filter(
                        organization_id=project.organization_id, role__in=org_roles
                    ).values_list("user_id", flat=True)
                )
            self._owners[project.pk] = sorted(ids)
        return self._owners[project.pk]

    def responsible(self, finding: Finding) -> list[int]:
        """The finding's assignee, or the project's owners when nobody has it."""
        return [finding.assignee_id] if finding.assignee_id else self.owners(finding.project)


# --- Scans ---------------------------------------------------------------------------------


def scan_finished_inbox(*, scan_id: int) -> int:
    """Tell the project's members that scan `scan_id` ended, as each of them wants: completed,
    or failed (failed, reaped and completed with errors). Returns how many were written."""
    scan = Scan.objects.select_related("project").filter(pk=scan_id).first()
    if scan is None or scan.status not in ANNOUNCED_SCAN_STATUSES:
        return 0
    event = (
        InboxEvent.SCAN_COMPLETED if scan.status == ScanStatus.COMPLETED else InboxEvent.SCAN_FAILED
    )
    summary = scan.summary if isinstance(scan.summary, dict) else {}
    by_severity = summary.get("by_severity")
    by_severity = by_severity if isinstance(by_severity, dict) else {}
    counts = ", ".join(
        f"{by_severity[sev]} {sev}" for sev in Severity.values if by_severity.get(sev)
    )
    body = f"{summary.get('new', 0)} new, {summary.get('resolved', 0)} resolved"
    body += f"; open in this scan: {counts}." if counts else "."
    title = f"Scan #{scan.pk} of {scan.project.name} {OUTCOMES[scan.status]}"
    recipients = project_notification_recipients(project=scan.project, require_email=False)
    return _write(
        Entry(
            user_id=user.pk,
            event=event,
            event_key=f"scan:{scan.pk}:finished",
            title=title,
            body=body,
            link=f"/scans/{scan.pk}",
            project_id=scan.project_id,
            scan_id=scan.pk,
        )
        for user, preferences in recipients
        if in_app_wanted(preferences, event)
    )


# --- Assignment ----------------------------------------------------------------------------


def findings_assigned_inbox(
    *, event_ids: Sequence[int], finding_ids: Sequence[int], assignee: Any, actor: Any
) -> int:
    """Tell `assignee` about one assignment (one or many findings), unless they assigned
    themselves, turned it off, or have no role in the findings' projects."""
    if assignee is None or not finding_ids or getattr(actor, "pk", None) == assignee.pk:
        return 0
    audience = _Audience()
    findings = Finding.objects.filter(pk__in=finding_ids, assignee=assignee).select_related(
        "project"
    )
    allowed = [
        project.pk
        for project in Project.objects.filter(pk__in=findings.values("project_id"))
        if audience.wants(user_id=assignee.pk, project=project, event=InboxEvent.FINDING_ASSIGNED)
    ]
    findings = findings.filter(project_id__in=allowed)
    top = list(findings.order_by("-severity_rank", "title", "pk")[:3])
    if not top:
        return 0
    total = findings.count() if len(top) > 1 else 1
    who = (actor.get_full_name() or actor.get_username()) if actor is not None else "Someone"
    if total == 1:
        title, link = f"{who} assigned you a finding", f"/findings/{top[0].pk}"
        body = f"{_finding_line(top[0])} in {top[0].project.name}"
    else:
        title, link = f"{who} assigned you {total} findings", "/findings?assignee=me"
        body = "; ".join(_finding_line(finding) for finding in top)
        body += f"; and {total - len(top)} more" if total > len(top) else ""
    key = f"assigned:{min(event_ids)}+{len(event_ids)}" if event_ids else f"assigned:{top[0].pk}"
    return _write(
        [
            Entry(
                user_id=assignee.pk,
                event=InboxEvent.FINDING_ASSIGNED,
                event_key=key,
                title=title,
                body=body,
                link=link,
                project_id=top[0].project_id if len(allowed) == 1 else None,
                finding_id=top[0].pk if total == 1 else None,
            )
        ]
    )


# --- Accepted risks ------------------------------------------------------------------------


@dataclass
class _ExpiringGroup:
    """Accepted risks one person hears about together: one project, one last day."""

    project: Project
    until: date
    count: int = 0
    first_pk: int = 0
    worst: list[Finding] = field(default_factory=list)  # the first three, worst first


def _expiring_entry(user_id: int, group: _ExpiringGroup, today: date) -> Entry:
    left = (group.until - today).days
    when = "today" if left == 0 else "tomorrow" if left == 1 else f"in {left} days"
    until = group.until.isoformat()
    if group.count == 1:
        [finding] = group.worst
        return Entry(
            user_id=user_id,
            event=InboxEvent.ACCEPTANCE_EXPIRING,
            event_key=f"finding:{finding.pk}:acceptance_expiring:{until}",
            title=f"An accepted risk in {group.project.name} ends {when}",
            body=f"{_finding_line(finding)}; accepted until {until}, then it reopens.",
            link=f"/findings/{finding.pk}",
            project_id=group.project.pk,
            finding_id=finding.pk,
        )
    listed = "; ".join(_finding_line(finding) for finding in group.worst)
    more = f"; and {group.count - len(group.worst)} more" if group.count > len(group.worst) else ""
    return Entry(
        user_id=user_id,
        event=InboxEvent.ACCEPTANCE_EXPIRING,
        # Once per set: a risk accepted later into the same day makes a new, complete notice.
        event_key=f"acceptance_expiring:{group.project.pk}:{until}:{group.first_pk}+{group.count}",
        title=f"{group.count} accepted risks in {group.project.name} end {when}",
        body=f"{listed}{more}; accepted until {until}, then they reopen.",
        link=f"/findings?project={group.project.pk}&state=closed&status=accepted_risk",
        project_id=group.project.pk,
    )


def acceptance_expiring_inbox(*, today: date | None = None, days: int | None = None) -> int:
    """Tell the assignee (or the owners) of accepted risks whose last day falls within `days`
    (SECULITE_ACCEPTANCE_NOTICE_DAYS) of `today`: one notice per person, project and last
    day, since risks accepted together end together; a run repeats nothing.

    Every such risk is read in each run (streamed, worst first): a batch limit would tell the
    same first ones again and again and never the rest."""
    today = today or timezone.localdate()
    days = settings.SECULITE_ACCEPTANCE_NOTICE_DAYS if days is None else days
    findings = (
        Finding.objects.filter(
            status=FindingStatus.ACCEPTED_RISK,
            accepted_until__gte=today,
            accepted_until__lte=today + timedelta(days=days),
        )
        .select_related("project")
        .order_by("-severity_rank", "pk")
    )
    audience = _Audience()
    groups: dict[tuple[int, int, date], _ExpiringGroup] = {}
    for finding in findings.iterator(chunk_size=2000):
        assert finding.accepted_until is not None
        for user_id in audience.responsible(finding):
            if not audience.wants(
                user_id=user_id, project=finding.project, event=InboxEvent.ACCEPTANCE_EXPIRING
            ):
                continue
            key = (user_id, finding.project_id, finding.accepted_until)
            group = groups.setdefault(key, _ExpiringGroup(finding.project, finding.accepted_until))
            group.count += 1
            group.first_pk = min(group.first_pk or finding.pk, finding.pk)
            if len(group.worst) < 3:
                group.worst.append(finding)
    return _write(_expiring_entry(key[0], group, today) for key, group in groups.items())


def acceptance_expired_inbox(*, reopened: Sequence[tuple[int, int]]) -> int:
    """Tell the assignee (or the owners) of findings whose accepted risk just expired:
    `reopened` holds (finding id, reopening event id). One entry per user and batch."""
    if not reopened:
        return 0
    event_of = dict(reopened)
    findings = Finding.objects.filter(pk__in=event_of).select_related("project")
    audience = _Audience()
    by_user: dict[int, list[Finding]] = defaultdict(list)
    for finding in findings.order_by("-severity_rank", "title", "pk"):
        for user_id in audience.responsible(finding):
            if audience.wants(
                user_id=user_id, project=finding.project, event=InboxEvent.ACCEPTANCE_EXPIRED
            ):
                by_user[user_id].append(finding)
    entries = []
    for user_id, mine in by_user.items():
        first_event = min(event_of[finding.pk] for finding in mine)
        if len(mine) == 1:
            title = f"An accepted risk in {mine[0].project.name} expired: the finding reopened"
            link, body = f"/findings/{mine[0].pk}", _finding_line(mine[0])
        else:
            title = f"{len(mine)} accepted risks expired: the findings reopened"
            link = "/findings?status=reopened"
            body = "; ".join(_finding_line(finding) for finding in mine[:3])
            body += f"; and {len(mine) - 3} more" if len(mine) > 3 else ""
        entries.append(
            Entry(
                user_id=user_id,
                event=InboxEvent.ACCEPTANCE_EXPIRED,
                event_key=f"acceptance_expired:{first_event}+{len(mine)}",
                title=title,
                body=body,
                link=link,
                project_id=mine[0].project_id if len({f.project_id for f in mine}) == 1 else None,
                finding_id=mine[0].pk if len(mine) == 1 else None,
            )
        )
    return _write(entries)


# --- Service levels ------------------------------------------------------------------------


def sla_breaches_inbox(*, today: date | None = None) -> int:
    """Tell each assignee of an open finding whose due date has passed, once per finding and
    assignee (a finding given to someone else later tells them too)."""
    today = today or timezone.localdate()
    told = Notification.objects.filter(
        event_type=InboxEvent.SLA_BREACH, finding_id=OuterRef("pk"), user_id=OuterRef("assignee_id")
    )
    findings = (
        Finding.objects.filter(
            due_date__lt=today,
            status__in=OPEN_STATUSES,
            assignee__isnull=False,
            on_default_branch=True,
        )
        .exclude(Exists(told))
        .select_related("project")
        .order_by("pk")[:BEAT_BATCH]
    )
    audience = _Audience()
    entries = []
    for finding in findings:
        assert finding.assignee_id is not None and finding.due_date is not None
        if not audience.wants(
            user_id=finding.assignee_id, project=finding.project, event=InboxEvent.SLA_BREACH
        ):
            continue
        late = (today - finding.due_date).days
        entries.append(
            Entry(
                user_id=finding.assignee_id,
                event=InboxEvent.SLA_BREACH,
                event_key=f"finding:{finding.pk}:sla_breach",
                title=f"A finding of yours in {finding.project.name} is past its due date",
                body=f"{_finding_line(finding)}; due {finding.due_date.isoformat()} "
                f"({late} day{'s' if late != 1 else ''} ago).",
                link=f"/findings/{finding.pk}",
                project_id=finding.project_id,
                finding_id=finding.pk,
            )
        )
    return _write(entries)


# --- Reading and marking read (the caller's own only) --------------------------------------

ORDERINGS = {"newest": ["-id"], "unread": ["-unread", "-id"]}


def notification_list(*, user: Any, order: str = "newest") -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by(*ORDERINGS[order])


def notification_unread_count(*, user: Any) -> int:
    """An index-only count of the caller's unread notifications."""
    return Notification.objects.filter(user=user, unread=True).count()


def notification_mark_read(*, user: Any, notification_id: Any) -> Notification:
    """Mark one of the caller's notifications read (again: a no-op); another's is a 404."""
    if not is_valid_id(notification_id):
        raise Http404
    notification = Notification.objects.filter(user=user, pk=int(notification_id)).first()
    if notification is None:
        raise Http404
    if notification.unread:
        notification.unread = False
        notification.read_at = timezone.now()
        notification.save(update_fields=["unread", "read_at", "updated_at"])
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of the caller read; returns how many changed."""
    now = timezone.now()
    return Notification.objects.filter(user=user, unread=True).update(
        unread=False, read_at=now, updated_at=now
    )
