"""Triage of findings by people: status changes, assignment and comments, one or many.

Every change writes its `FindingEvent` in the same transaction, so the audit trail can never
miss a change or record one that did not happen. The row is locked while it changes, so two
people triaging at once are applied one after the other.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied, ValidationError

from apps.accounts.scopes import has_staff_reach
from apps.common.errors import ServiceError
from apps.common.roles import ProjectRole, role_at_least
from apps.dashboard.metric_rollups import metrics_rollups_schedule
from apps.findings.dismissal import dismissal_resolve, dismissal_stored
from apps.findings.grouping import issue_groups_for_findings, issue_groups_recount
from apps.findings.models import (
    STATUSES_REQUIRING_REASON,
    Finding,
    FindingEvent,
    FindingEventType,
    FindingStatus,
)
from apps.notifications.inbox import findings_assigned_inbox
from apps.notifications.services import findings_assigned_notify_enqueue
from apps.projects.models import Project
from apps.projects.selectors import project_role_for_user

# Statuses only the scan pipeline sets.
SYSTEM_ONLY_STATUSES = (FindingStatus.AUTO_RESOLVED,)
RESOLVED_STATUSES = (FindingStatus.RESOLVED, FindingStatus.AUTO_RESOLVED)


class Keep(enum.Enum):
    """Marks an optional argument the caller did not give: keep the current value."""

    KEEP = "keep"


KEEP = Keep.KEEP


def _lock(finding: Finding) -> Finding:
    """Lock the row and refresh the triage fields on `finding` from it."""
    locked = (
        Finding.objects.select_for_update()
        .only(
            "status",
            "status_reason",
            "dismissal_reason",
            "accepted_until",
            "assignee_id",
            "due_date",
            "resolved_at",
        )
        .get(pk=finding.pk)
    )
    finding.status = locked.status
    finding.status_reason = locked.status_reason
    finding.dismissal_reason = locked.dismissal_reason
    finding.accepted_until = locked.accepted_until
    finding.assignee_id = locked.assignee_id
    finding.due_date = locked.due_date
    finding.resolved_at = locked.resolved_at
    return finding


@transaction.atomic
def finding_status_change(
    *,
    finding: Finding,
    user: Any,
    status: str | None,
    reason: str = "",
    dismissal_reason: str = "",
    accepted_until: date | None = None,
) -> Finding:
    """Move a finding to `status` on behalf of `user`, recording why.

    A dismissal reason (apps.findings.dismissal) may stand for the status. False positives
    and accepted risks need a reason; an accepted risk may carry its last day
    (`accepted_until`). `auto_resolved` belongs to the scan pipeline and is refused here.
    Resolving stamps `resolved_at`; any other status clears it. A request that changes
    nothing is refused with code "unchanged", so the trail holds only real changes.
    """
    reason = reason.strip()
    if status in SYSTEM_ONLY_STATUSES:
        raise ValidationError({"status": [f'"{status}" is set by scans only.']})
    if status is not None and status not in FindingStatus.values:
        raise ValidationError({"status": [f'"{status}" is not a finding status.']})
    dismissal = dismissal_resolve(
        status=status, reason=dismissal_reason, accepted_until=accepted_until
    )
    status = dismissal.status
    if status in STATUSES_REQUIRING_REASON and not reason:
        label = FindingStatus(status).label.lower()
        raise ValidationError({"reason": [f"Say why this finding is a {label}."]})
    _lock(finding)
    previous = finding.status
    if (status, dismissal.reason, dismissal.accepted_until) == (
        previous,
        dismissal_stored(previous, finding.dismissal_reason),
        finding.accepted_until,
    ):
        raise ServiceError(
            f"The finding is already {FindingStatus(status).label.lower()}.", code="unchanged"
        )
    finding.status = status
    finding.status_reason = reason
    finding.dismissal_reason = dismissal.reason
    finding.accepted_until = dismissal.accepted_until
    if status == FindingStatus.RESOLVED:
        finding.resolved_at = timezone.now()
    elif status not in RESOLVED_STATUSES:
        finding.resolved_at = None
    finding.save(
        update_fields=[
            "status",
            "status_reason",
            "dismissal_reason",
            "accepted_until",
            "resolved_at",
            "updated_at",
        ]
    )
    FindingEvent.objects.create(
        finding=finding,
        actor=user,
        event_type=FindingEventType.STATUS_CHANGED,
        from_value=previous,
        to_value=status,
        comment=dismissal.note(reason),
    )
    issue_groups_recount(group_ids=issue_groups_for_findings([finding.pk]))
    metrics_rollups_schedule(project_ids=[finding.project_id])
    return finding


def _username(user: Any) -> str:
    return str(user.get_username()) if user is not None else ""


def _notify_assignee_on_commit(*, events: list[FindingEvent], assignee: Any, actor: Any) -> None:
    """Tell the assignee of one assignment, unless they assigned themselves: in the app at
    once, and by email (their preferences are checked when it is sent) once committed."""
    actor_id = getattr(actor, "pk", None)
    if assignee is None or assignee.pk == actor_id or not events:
        return
    # The bell's entry is written with the assignment, in its transaction.
    findings_assigned_inbox(
        event_ids=[event.pk for event in events if event.pk is not None],
        finding_ids=[event.finding_id for event in events],
        assignee=assignee,
        actor=actor,
    )
    transaction.on_commit(
        partial(
            findings_assigned_notify_enqueue,
            event_ids=[event.pk for event in events],
            assignee_id=assignee.pk,
            actor_id=actor_id,
        )
    )


@transaction.atomic
def finding_assign(
    *,
    finding: Finding,
    user: Any,
    assignee_id: int | None,
    due_date: date | Literal[Keep.KEEP] | None = KEEP,
) -> Finding:
    """Give a finding to `assignee_id` (None unassigns), optionally with a due date.

    The assignee must be an active user with a role in the finding's project; anyone else is
    refused on the "assignee" field without saying whether the user exists. A request that
    changes nothing is refused with code "unchanged".
    """
    assignee = None
    if assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
        if (
            assignee is None
            or project_role_for_user(project=finding.project, user=assignee) is None
        ):
            raise ValidationError({"assignee": ["This user has no role in the finding's project."]})
    _lock(finding)
    previous_assignee_id = finding.assignee_id
    previous_assignee = finding.assignee if finding.assignee_id else None
    previous_due = finding.due_date
    new_due = previous_due if due_date is KEEP else due_date
    if finding.assignee_id == assignee_id and new_due == previous_due:
        raise ServiceError("Nothing to change: same assignee and due date.", code="unchanged")
    finding.assignee = assignee
    finding.due_date = new_due
    finding.save(update_fields=["assignee", "due_date", "updated_at"])
    comment = ""
    if new_due != previous_due:
        comment = f"Due date: {previous_due or 'none'} → {new_due or 'none'}"
    event = FindingEvent.objects.create(
        finding=finding,
        actor=user,
        event_type=FindingEventType.ASSIGNED,
        from_value=_username(previous_assignee),
        to_value=_username(assignee),
        comment=comment,
    )
    if finding.assignee_id != previous_assignee_id:
        _notify_assignee_on_commit(events=[event], assignee=assignee, actor=user)
    return finding


@transaction.atomic
def finding_comment(*, finding: Finding, user: Any, comment: str) -> FindingEvent:
    """Add `user`'s comment to the finding's history."""
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": ["A comment cannot be empty."]})
    return FindingEvent.objects.create(
        finding=finding, actor=user, event_type=FindingEventType.COMMENTED, comment=comment
    )


# Largest number of findings one bulk request may change; narrow the filter beyond that.
BULK_MAX_FINDINGS = 10_000


@dataclass(frozen=True)
class BulkTriageResult:
    matched: int
    status_changed: int
    assigned: int
    unchanged: int


def _bulk_require_member(*, user: Any, project_ids: set[int]) -> None:
    """403 unless `user` may triage (member or owner) in every project of the selection."""
    if has_staff_reach(user):
        return
    for project in Project.objects.filter(pk__in=project_ids):
        if not role_at_least(project_role_for_user(project=project, user=user), ProjectRole.MEMBER):
            raise PermissionDenied(
                f'Your role in project "{project.name}" does not allow changing its findings.'
            )


def _bulk_assignee(*, assignee_id: int, project_ids: set[int]) -> Any:
    """The assignee, if active and with a role in every project of the selection; else the
    error names the first project they cannot see (the caller triages there, so may know)."""
    assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
    if assignee is None:
        raise ValidationError({"assignee": ["No active user has this id."]})
    for project in Project.objects.filter(pk__in=project_ids).order_by("name"):
        if project_role_for_user(project=project, user=assignee) is None:
            raise ValidationError(
                {
                    "assignee": [
                        f'{assignee.get_username()} is not a member of project "{project.name}"'
                        ": choose someone with a role in every selected finding's project."
                    ]
                }
            )
    return assignee


@transaction.atomic
def findings_bulk_triage(
    *,
    findings: QuerySet[Finding],
    user: Any,
    status: str | None = None,
    reason: str = "",
    assignee_id: int | Literal[Keep.KEEP] | None = KEEP,
    dismissal_reason: str = "",
    accepted_until: date | None = None,
) -> BulkTriageResult:
    """Set the status and/or the assignee of every finding in `findings` at once.

    The same rules as one finding's triage apply (a reason for false positives and accepted
    risks; `auto_resolved` is for scans), and `user` must be a member or owner of every
    affected project, else nothing changes. Rows are locked, changed with one UPDATE per kind
    of change, and each finding that really changed gets its `FindingEvent`; findings already
    in the requested state are counted as unchanged.
    """
    reason = reason.strip()
    dismissal = None
    if status is not None or dismissal_reason:
        dismissal = dismissal_resolve(
            status=status, reason=dismissal_reason, accepted_until=accepted_until
        )
        status = dismissal.status
    if status is None and assignee_id is KEEP:
        raise ValidationError({"non_field_errors": ["Give a status, an assignee or both."]})
    if status is not None:
        if status in SYSTEM_ONLY_STATUSES:
            raise ValidationError({"status": [f'"{status}" is set by scans only.']})
        if status in STATUSES_REQUIRING_REASON and not reason:
            label = FindingStatus(status).label.lower()
            raise ValidationError({"reason": [f"Say why these findings are a {label}."]})
    rows = list(
        Finding.objects.select_for_update()
        .filter(pk__in=findings.values("pk"))
        .order_by("pk")
        .values_list(
            "pk", "project_id", "status", "assignee_id", "dismissal_reason", "accepted_until"
        )
    )
    if len(rows) > BULK_MAX_FINDINGS:
        raise ValidationError(
            {"non_field_errors": [f"Select at most {BULK_MAX_FINDINGS} findings at once."]}
        )
    project_ids = {row[1] for row in rows}  # rows: pk, project, status, assignee, dismissal
    _bulk_require_member(user=user, project_ids=project_ids)
    assignee = None
    if assignee_id is not KEEP and assignee_id is not None:
        assignee = _bulk_assignee(assignee_id=assignee_id, project_ids=project_ids)

    now = timezone.now()
    events: list[FindingEvent] = []
    changed: set[int] = set()
    status_changed = assigned = 0
    if status is not None and dismissal is not None:
        wanted = (status, dismissal.reason, dismissal.accepted_until)
        moving = [
            (pk, previous)
            for pk, _, previous, _, kept_reason, kept_until in rows
            if (previous, dismissal_stored(previous, kept_reason), kept_until) != wanted
        ]
        Finding.objects.filter(pk__in=[pk for pk, _ in moving]).update(
            status=status,
            status_reason=reason,
            dismissal_reason=dismissal.reason,
            accepted_until=dismissal.accepted_until,
            resolved_at=now if status == FindingStatus.RESOLVED else None,
            updated_at=now,
        )
        events += [
            FindingEvent(
                finding_id=pk,
                actor=user,
                event_type=FindingEventType.STATUS_CHANGED,
                from_value=previous,
                to_value=status,
                comment=dismissal.note(reason),
            )
            for pk, previous in moving
        ]
        status_changed = len(moving)
        changed.update(pk for pk, _ in moving)
        issue_groups_recount(group_ids=issue_groups_for_findings(pk for pk, _ in moving))
    if assignee_id is not KEEP:
        moving_assignee = [(pk, before) for pk, _, _, before, *_ in rows if before != assignee_id]
        Finding.objects.filter(pk__in=[pk for pk, _ in moving_assignee]).update(
            assignee=assignee, updated_at=now
        )
        before_ids = {before for _, before in moving_assignee if before is not None}
        names = dict(
            get_user_model().objects.filter(pk__in=before_ids).values_list("pk", "username")
        )
        events += [
            FindingEvent(
                finding_id=pk,
                actor=user,
                event_type=FindingEventType.ASSIGNED,
                from_value=names.get(before, "") if before is not None else "",
                to_value=_username(assignee),
            )
            for pk, before in moving_assignee
        ]
        assigned = len(moving_assignee)
        changed.update(pk for pk, _ in moving_assignee)
    FindingEvent.objects.bulk_create(events, batch_size=1000)
    if status_changed:
        metrics_rollups_schedule(project_ids=project_ids)
    _notify_assignee_on_commit(
        events=[event for event in events if event.event_type == FindingEventType.ASSIGNED],
        assignee=assignee,
        actor=user,
    )
    return BulkTriageResult(
        matched=len(rows),
        status_changed=status_changed,
        assigned=assigned,
        unchanged=len(rows) - len(changed),
    )
