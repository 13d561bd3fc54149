"""Dismissal reasons in the words people use, checked and mapped onto closed statuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.findings.models import DISMISSAL_STATUS, DismissalReason, FindingStatus

DISMISSED_STATUSES = (FindingStatus.FALSE_POSITIVE, FindingStatus.ACCEPTED_RISK)


@dataclass(frozen=True)
class Dismissal:
    """The status a triage request sets, with its dismissal reason and acceptance expiry
    ("" and None unless the status dismisses the finding)."""

    status: str
    reason: str = ""
    accepted_until: date | None = None

    def note(self, comment: str) -> str:
        """The history's comment: the reason's words first where the status does not say
        them already, so the trail reads as people said it ("Used in tests: only the
        fixtures load it", "Accepted risk until 2030-01-31: ...")."""
        if not self.reason or (self.reason == self.status and not self.accepted_until):
            return comment
        words = DismissalReason(self.reason).label
        if self.accepted_until:
            words += f" until {self.accepted_until.isoformat()}"
        return f"{words}: {comment}" if comment else words


def dismissal_stored(status: str, reason: str) -> str:
    """A stored dismissal reason, where a dismissed finding without one (written by an older
    version, or by hand) means the reason of its status's name."""
    return reason or (status if status in DISMISSED_STATUSES else "")


def dismissal_resolve(
    *, status: str | None, reason: str = "", accepted_until: date | None = None
) -> Dismissal:
    """The status, reason and expiry a request means. A reason alone picks its status (used
    in tests → false positive, won't fix → accepted risk); a dismissed status alone gets the
    reason of the same name; an expiry is for accepted risks only and lies in the future."""
    if reason:
        derived = DISMISSAL_STATUS[reason]
        if status is not None and status != derived:
            label = DismissalReason(reason).label
            raise ValidationError(
                {
                    "dismissal_reason": [
                        f'"{label}" dismisses a finding as {FindingStatus(derived).label.lower()}'
                        f", not as {FindingStatus(status).label.lower()}."
                    ]
                }
            )
        status = derived
    if status is None:
        raise ValidationError({"status": ["Give a status or a dismissal reason."]})
    if status in DISMISSED_STATUSES and not reason:
        reason = status  # the reasons share the dismissed statuses' names
    if accepted_until is not None:
        if reason != DismissalReason.ACCEPTED_RISK:
            raise ValidationError(
                {"accepted_until": ["Only an accepted risk can expire; choose accepted risk."]}
            )
        if accepted_until <= timezone.localdate():
            raise ValidationError({"accepted_until": ["Give a day after today."]})
    return Dismissal(status=status, reason=reason, accepted_until=accepted_until)
