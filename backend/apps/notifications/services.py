"""Sending notifications, each delivery recorded once per (event, channel, recipient).

A delivery row is locked while it is sent and holds the outcome afterwards, so a retried or
redelivered task skips what was already sent or given up on. A failure (SMTP error, HTTP error,
timeout, policy refusal) is recorded and logged without secrets and never raised to the caller:
a scan or a triage never fails because a notification did.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from apps.findings.models import Finding, FindingEvent, FindingEventType, Severity
from apps.notifications.content import (
    TOP_FINDINGS,
    ScanFacts,
    acceptance_expired_email,
    assignment_email,
    scan_email,
)
from apps.notifications.inbox_models import InboxEvent
from apps.notifications.models import Channel, DeliveryStatus, NotificationDelivery
from apps.notifications.preferences import email_wanted
from apps.notifications.selectors import (
    notification_preferences_for,
    project_notification_recipients,
)
from apps.notifications.webhook_deliveries import scan_webhook_send
from apps.notifications.webhooks import SendOutcome
from apps.projects.models import Project
from apps.projects.selectors import project_role_for_user
from apps.scans.models import Scan, ScanStatus

logger = logging.getLogger(__name__)

# Scans that end in these statuses are announced; a cancelled scan was someone's decision.
NOTIFIED_SCAN_STATUSES = (
    ScanStatus.COMPLETED,
    ScanStatus.COMPLETED_WITH_ERRORS,
    ScanStatus.FAILED,
    ScanStatus.ERROR,
)


@dataclass(frozen=True)
class NotifyOutcome:
    sent: int = 0
    failed: int = 0
    # Some delivery failed in a way another attempt may fix (timeout, 5xx, SMTP down).
    retry: bool = False


@dataclass
class _Tally:
    sent: int = 0
    failed: int = 0
    retry: bool = False

    def add(self, delivery: NotificationDelivery | None) -> None:
        if delivery is None:
            return
        if delivery.status == DeliveryStatus.SENT:
            self.sent += 1
        elif delivery.status == DeliveryStatus.FAILED:
            self.failed += 1
        else:
            self.retry = True

    def outcome(self) -> NotifyOutcome:
        return NotifyOutcome(sent=self.sent, failed=self.failed, retry=self.retry)


def _deliver(
    *,
    event_key: str,
    channel: str,
    recipient: str,
    send: Callable[[], SendOutcome],
    final_attempt: bool,
    project: Project | None = None,
    scan: Scan | None = None,
    user: Any = None,
) -> NotificationDelivery:
    """Send once: claim the (event, channel, recipient) row, send unless it is already done.

    The row stays locked while sending, so two copies of one task cannot both send. A
    transient failure leaves the row pending for the task's next try, unless this is the last.
    """
    delivery, _ = NotificationDelivery.objects.get_or_create(
        event_key=event_key,
        channel=channel,
        recipient=recipient,
        defaults={"project": project, "scan": scan, "user": user},
    )
    with transaction.atomic():
        delivery = NotificationDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status != DeliveryStatus.PENDING:
            return delivery
        delivery.attempts += 1
        try:
            outcome = send()
        except Exception as exc:  # a bug in building or sending must not reach the scan
            logger.exception("notification %s via %s crashed", event_key, channel)
            outcome = SendOutcome(ok=False, error=f"Internal error: {exc.__class__.__name__}")
        if outcome.ok:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
            logger.info("notification %s sent via %s to %s", event_key, channel, recipient)
        else:
            retrying = outcome.transient and not final_attempt
            delivery.status = DeliveryStatus.PENDING if retrying else DeliveryStatus.FAILED
            delivery.last_error = outcome.error[:2000]
            logger.warning(
                "notification %s via %s to %s failed (attempt %d%s): %s",
                event_key,
                channel,
                recipient,
                delivery.attempts,
                ", will retry" if retrying else "",
                outcome.error,
            )
        delivery.save()
    return delivery


def _email_sender(*, to: str, subject: str, body: str) -> Callable[[], SendOutcome]:
    def send() -> SendOutcome:
        try:
            EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send()
        except smtplib.SMTPRecipientsRefused:
            return SendOutcome(ok=False, error="The mail server refused this address.")
        except (smtplib.SMTPException, OSError) as exc:
            # smtplib's messages carry the server's reply, never the configured password.
            return SendOutcome(
                ok=False, transient=True, error=f"SMTP: {exc.__class__.__name__}: {exc}"
            )
        return SendOutcome(ok=True)

    return send


# --- Scans -------------------------------------------------------------------------------


@dataclass
class _EmailRecipient:
    address: str
    min_severity: str
    user: Any = None


def _severity(value: Any) -> str:
    return value if value in Severity.values else Severity.HIGH


def _scan_email_recipients(facts: ScanFacts) -> list[_EmailRecipient]:
    """Who gets an email about this scan, each with the severity floor for its list.

    The configuration's addresses follow its switches and `notify_min_severity`; project
    members follow their own preferences. New findings at or above a recipient's floor are
    news whatever the switches say. An address wanted twice gets one email, with the lower
    floor.
    """
    scan = facts.scan
    chosen: dict[str, _EmailRecipient] = {}

    def want(address: str, min_severity: str, user: Any = None) -> None:
        key = address.strip().lower()
        if not key:
            return
        current = chosen.get(key)
        if current is None:
            chosen[key] = _EmailRecipient(address.strip(), min_severity, user)
            return
        if Severity.values.index(min_severity) > Severity.values.index(current.min_severity):
            current.min_severity = min_severity
        current.user = current.user or user

    configuration = scan.configuration
    if configuration is not None:
        floor = _severity(configuration.notify_min_severity)
        if _configuration_switch(facts) or facts.counts_at_least(floor):
            for address in configuration.notify_emails or []:
                if isinstance(address, str):
                    want(address, floor)
    for user, preferences in project_notification_recipients(project=scan.project):
        if not preferences.get("email_enabled"):
            continue
        floor = _severity(preferences.get("new_findings_min_severity"))
        if preferences.get("scan_failed" if facts.failed else "scan_completed") or (
            facts.counts_at_least(floor)
        ):
            want(user.email, floor, user)
    return list(chosen.values())


def _configuration_switch(facts: ScanFacts) -> bool:
    configuration = facts.scan.configuration
    if configuration is None:
        return False
    if facts.failed:
        return configuration.notify_on_failure
    return configuration.notify_on_completion


def _webhook_wanted(facts: ScanFacts) -> bool:
    configuration = facts.scan.configuration
    if configuration is None or not configuration.notify_webhook_url:
        return False
    floor = _severity(configuration.notify_min_severity)
    return _configuration_switch(facts) or bool(facts.counts_at_least(floor))


def scan_notify(*, scan_id: int, final_attempt: bool = True) -> NotifyOutcome:
    """Email and POST about a scan that ended, to whoever asked for it; idempotent.

    Completed, completed-with-errors, failed and reaped (`error`) scans are announced; all but
    a clean completion go to those who asked for failures, each titled with its own outcome.
    """
    scan = Scan.objects.select_related("project", "configuration").filter(pk=scan_id).first()
    if scan is None or scan.status not in NOTIFIED_SCAN_STATUSES:
        return NotifyOutcome()
    facts = ScanFacts.for_scan(scan)
    event_key = f"scan:{scan.pk}:finished"
    tally = _Tally()
    for recipient in _scan_email_recipients(facts):
        subject, body = scan_email(facts, min_severity=recipient.min_severity)
        tally.add(
            _deliver(
                event_key=event_key,
                channel=Channel.EMAIL,
                recipient=recipient.address,
                send=_email_sender(to=recipient.address, subject=subject, body=body),
                final_attempt=final_attempt,
                project=scan.project,
                scan=scan,
                user=recipient.user,
            )
        )
    if _webhook_wanted(facts):
        assert scan.configuration is not None
        # Signed, in the configuration's format, with retries of its own (webhook_deliveries).
        tally.add(
            scan_webhook_send(
                facts=facts,
                configuration=scan.configuration,
                min_severity=_severity(scan.configuration.notify_min_severity),
            )
        )
    return tally.outcome()


# --- Finding assignment ------------------------------------------------------------------


def _display_name(user: Any) -> str:
    if user is None:
        return "Someone"
    return str(user.get_full_name() or user.get_username())


def findings_assigned_notify(
    *, event_ids: Sequence[int], assignee_id: int, actor_id: int | None, final_attempt: bool = True
) -> NotifyOutcome:
    """Email the assignee of one assignment (one or many findings at once), if they want it.

    No email for assigning oneself, to users without an address or with the preference off,
    nor about findings since given to someone else or in projects the assignee left.
    """
    if not event_ids or assignee_id == actor_id:
        return NotifyOutcome()
    assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
    if assignee is None or not assignee.email:
        return NotifyOutcome()
    preferences = notification_preferences_for(user=assignee)
    if not (preferences.get("email_enabled") and preferences.get("finding_assigned")):
        return NotifyOutcome()
    events = FindingEvent.objects.filter(pk__in=event_ids, event_type=FindingEventType.ASSIGNED)
    findings = Finding.objects.filter(
        pk__in=events.values("finding_id"), assignee_id=assignee_id
    ).select_related("project")
    allowed_projects = [
        project.pk
        for project in Project.objects.filter(pk__in=findings.values("project_id"))
        if project_role_for_user(project=project, user=assignee)
    ]
    findings = findings.filter(project_id__in=allowed_projects)
    total = findings.count()
    if not total:
        return NotifyOutcome()
    top = list(findings.order_by("-severity_rank", "title", "pk")[:TOP_FINDINGS])
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    subject, body = assignment_email(findings=top, total=total, actor_name=_display_name(actor))
    if len(event_ids) == 1:
        event_key = f"finding:{top[0].pk}:assigned:{event_ids[0]}"
    else:
        event_key = f"findings:assigned:{min(event_ids)}+{len(event_ids)}"
    tally = _Tally()
    tally.add(
        _deliver(
            event_key=event_key,
            channel=Channel.EMAIL,
            recipient=assignee.email,
            send=_email_sender(to=assignee.email, subject=subject, body=body),
            final_attempt=final_attempt,
            project=top[0].project if len(allowed_projects) == 1 else None,
            user=assignee,
        )
    )
    return tally.outcome()


def findings_reopened_notify(
    *, event_ids: Sequence[int], assignee_id: int, final_attempt: bool = True
) -> NotifyOutcome:
    """Email the assignee of findings whose risk acceptance expired (the reopening events
    `event_ids`), if they want it (`acceptance_expired`, which follows the assignment switch
    until set): findings given to them. Findings
    since given to someone else, or in projects the assignee left, are left out."""
    assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
    if not event_ids or assignee is None or not assignee.email:
        return NotifyOutcome()
    preferences = notification_preferences_for(user=assignee)
    if not email_wanted(preferences, InboxEvent.ACCEPTANCE_EXPIRED):
        return NotifyOutcome()
    events = FindingEvent.objects.filter(
        pk__in=event_ids, event_type=FindingEventType.STATUS_CHANGED
    )
    findings = Finding.objects.filter(
        pk__in=events.values("finding_id"), assignee_id=assignee_id
    ).select_related("project")
    allowed_projects = [
        project.pk
        for project in Project.objects.filter(pk__in=findings.values("project_id"))
        if project_role_for_user(project=project, user=assignee)
    ]
    findings = findings.filter(project_id__in=allowed_projects)
    total = findings.count()
    if not total:
        return NotifyOutcome()
    top = list(findings.order_by("-severity_rank", "title", "pk")[:TOP_FINDINGS])
    subject, body = acceptance_expired_email(findings=top, total=total)
    tally = _Tally()
    tally.add(
        _deliver(
            event_key=f"findings:acceptance_expired:{min(event_ids)}+{len(event_ids)}",
            channel=Channel.EMAIL,
            recipient=assignee.email,
            send=_email_sender(to=assignee.email, subject=subject, body=body),
            final_attempt=final_attempt,
            project=top[0].project if len(allowed_projects) == 1 else None,
            user=assignee,
        )
    )
    return tally.outcome()


# --- Queueing ----------------------------------------------------------------------------


def _enqueue(task: Any, **kwargs: Any) -> None:
    """Queue a notification task; a broker hiccup is logged, never raised into the caller,
    whose transaction has already committed."""
    try:
        task.apply_async(kwargs=kwargs, queue="default")
    except Exception:
        logger.exception("could not queue %s", task.name)


def scan_notify_enqueue(*, scan_id: int) -> None:
    from apps.notifications.tasks import scan_notify as task

    _enqueue(task, scan_id=scan_id)


def findings_assigned_notify_enqueue(
    *, event_ids: Sequence[int], assignee_id: int, actor_id: int | None
) -> None:
    from apps.notifications.tasks import findings_assigned_notify as task

    _enqueue(task, event_ids=list(event_ids), assignee_id=assignee_id, actor_id=actor_id)


def findings_reopened_notify_enqueue(*, event_ids: Sequence[int], assignee_id: int) -> None:
    from apps.notifications.tasks import findings_reopened_notify as task

    _enqueue(task, event_ids=list(event_ids), assignee_id=assignee_id)
