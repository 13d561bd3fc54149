"""Expired risk acceptances: the findings reopen, with their history event, and the assignee
is told (in the app also the project's owners when nobody has the finding)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import partial

from django.db import transaction
from django.utils import timezone

from apps.findings.models import Finding, FindingEvent, FindingEventType, FindingStatus
from apps.notifications.inbox import acceptance_expired_inbox
from apps.notifications.services import findings_reopened_notify_enqueue


@transaction.atomic
def findings_acceptance_expire(*, today: date | None = None) -> int:
    """Reopen every accepted risk whose last day (`accepted_until`) is before `today` (the
    server's date by default): one UPDATE, one system event per finding saying so, and one
    email per assignee once committed. Returns how many reopened. Idempotent: a reopened
    finding has no acceptance left to expire."""
    today = today or timezone.localdate()
    rows = list(
        Finding.objects.select_for_update(skip_locked=True)
        .filter(status=FindingStatus.ACCEPTED_RISK, accepted_until__lt=today)
        .order_by("pk")
        .values_list("pk", "assignee_id", "accepted_until")
    )
    if not rows:
        return 0
    now = timezone.now()
    Finding.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(
        status=FindingStatus.REOPENED,
        status_reason="",
        dismissal_reason="",
        accepted_until=None,
        resolved_at=None,
        updated_at=now,
    )
    events = FindingEvent.objects.bulk_create(
        FindingEvent(
            finding_id=pk,
            event_type=FindingEventType.STATUS_CHANGED,
            from_value=FindingStatus.ACCEPTED_RISK,
            to_value=FindingStatus.REOPENED,
            comment=f"The risk acceptance expired after {until}.",
        )
        for pk, _, until in rows
    )
    reopened = [(pk, event.pk) for (pk, _, _), event in zip(rows, events, strict=True)]
    acceptance_expired_inbox(reopened=[(pk, event) for pk, event in reopened if event])
    by_assignee: dict[int, list[int]] = defaultdict(list)
    for (_, assignee_id, _), event in zip(rows, events, strict=True):
        if assignee_id is not None and event.pk is not None:
            by_assignee[assignee_id].append(event.pk)
    for assignee_id, event_ids in by_assignee.items():
        transaction.on_commit(
            partial(findings_reopened_notify_enqueue, event_ids=event_ids, assignee_id=assignee_id)
        )
    return len(rows)
