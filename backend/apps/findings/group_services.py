"""Triage of an issue group: the change applies to each member through the findings' triage."""

from __future__ import annotations

from typing import Any, Literal

from apps.findings.models import Finding, IssueGroup
from apps.findings.services import KEEP, BulkTriageResult, Keep, findings_bulk_triage


def issue_group_triage(
    *,
    group: IssueGroup,
    user: Any,
    status: str | None = None,
    reason: str = "",
    assignee_id: int | Literal[Keep.KEEP] | None = KEEP,
) -> BulkTriageResult:
    """Set the status and/or assignee of every member of `group` on behalf of `user`.

    It is the bulk triage of the group's findings, so the same rules hold (a reason for false
    positives and accepted risks, members and owners only) and each member that changes gets
    its own audit event; the group's summary is recounted with them."""
    return findings_bulk_triage(
        findings=Finding.objects.filter(group_membership__group=group),
        user=user,
        status=status,
        reason=reason,
        assignee_id=assignee_id,
    )
