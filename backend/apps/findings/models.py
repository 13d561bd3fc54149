"""Findings (unique per project + fingerprint), their sightings and their audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.common.models import TimeStampedModel


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    INFORMATIONAL = "informational", "Informational"
    UNKNOWN = "unknown", "Unknown"


# Ordering key for sorting by severity (higher is worse).
SEVERITY_RANK: dict[str, int] = {
    Severity.CRITICAL: 5,
    Severity.HIGH: 4,
    Severity.MEDIUM: 3,
    Severity.LOW: 2,
    Severity.INFORMATIONAL: 1,
    Severity.UNKNOWN: 0,
}


class Confidence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    UNKNOWN = "unknown", "Unknown"


class FindingStatus(models.TextChoices):
    NEW = "new", "New"
    CONFIRMED = "confirmed", "Confirmed"
    FALSE_POSITIVE = "false_positive", "False positive"
    ACCEPTED_RISK = "accepted_risk", "Accepted risk"
    RESOLVED = "resolved", "Resolved"
    AUTO_RESOLVED = "auto_resolved", "Auto-resolved"
    REOPENED = "reopened", "Reopened"


OPEN_STATUSES = (FindingStatus.NEW, FindingStatus.CONFIRMED, FindingStatus.REOPENED)
# Statuses a person must justify.
STATUSES_REQUIRING_REASON = (FindingStatus.FALSE_POSITIVE, FindingStatus.ACCEPTED_RISK)


class DismissalReason(models.TextChoices):
    """Why a finding was dismissed, in the words people use (GitHub code scanning's, plus
    accepted risk); each maps onto a closed status (DISMISSAL_STATUS)."""

    FALSE_POSITIVE = "false_positive", "False positive"
    USED_IN_TESTS = "used_in_tests", "Used in tests"
    WONT_FIX = "wont_fix", "Won't fix"
    ACCEPTED_RISK = "accepted_risk", "Accepted risk"


# A finding only tests reach is no problem of the product (like a false positive); a finding
# nobody will fix is a risk the team carries (like an accepted risk, without an expiry).
DISMISSAL_STATUS: dict[str, str] = {
    DismissalReason.FALSE_POSITIVE: FindingStatus.FALSE_POSITIVE,
    DismissalReason.USED_IN_TESTS: FindingStatus.FALSE_POSITIVE,
    DismissalReason.WONT_FIX: FindingStatus.ACCEPTED_RISK,
    DismissalReason.ACCEPTED_RISK: FindingStatus.ACCEPTED_RISK,
}


class Finding(TimeStampedModel):
    """One issue in a project, however many times and by however many scans it is seen.

    Indexes are chosen for the list filters; every extra one slows each scan's upsert.
    """

    created_at = models.DateTimeField(auto_now_add=True)

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="findings",
        db_index=False,  # the (project, fingerprint) unique index leads with it
    )
    fingerprint = models.CharField(max_length=64)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.UNKNOWN)
    severity_rank = models.PositiveSmallIntegerField(default=0)
    confidence = models.CharField(
        max_length=16, choices=Confidence.choices, default=Confidence.UNKNOWN
    )
    status = models.CharField(
        max_length=16, choices=FindingStatus.choices, default=FindingStatus.NEW
    )
    status_reason = models.TextField(blank=True)
    # Set with the dismissed statuses only. A database default: ingest inserts rows by SQL.
    dismissal_reason = models.CharField(
        max_length=16, choices=DismissalReason.choices, blank=True, db_default=""
    )
    # An accepted risk's last day: after it, the beat task reopens the finding.
    accepted_until = models.DateField(null=True, blank=True)
    # False while the finding has only been seen by scans of other refs (a branch or pull
    # request): such findings are compared, and count nowhere on the default branch.
    on_default_branch = models.BooleanField(default=True)
    # Tool and target are the same for every finding of an ingest batch, and a database
    # constraint would check them again for each new finding at COMMIT (with the sighting
    # range's stream and tool result, a fifth of a large first import); Django's on_delete
    # still clears them when a tool or target is deleted.
    tool = models.ForeignKey(
        "tools.ToolDefinition",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # the (tool, target) index leads with it
        db_constraint=False,
    )
    rule_id = models.CharField(max_length=300, blank=True)
    target = models.ForeignKey(
        "targets.TargetAsset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
        db_constraint=False,
    )
    cwe = models.PositiveIntegerField(null=True, blank=True)
    cve = models.CharField(max_length=64, blank=True)
    # Location: whichever of these the tool reports.
    file_path = models.CharField(max_length=1024, blank=True)
    line_start = models.PositiveIntegerField(null=True, blank=True)
    line_end = models.PositiveIntegerField(null=True, blank=True)
    url = models.CharField(max_length=2048, blank=True)
    http_method = models.CharField(max_length=16, blank=True)
    parameter = models.CharField(max_length=300, blank=True)
    package_name = models.CharField(max_length=300, blank=True)
    package_version = models.CharField(max_length=100, blank=True)
    fixed_version = models.CharField(max_length=100, blank=True)
    image = models.CharField(max_length=500, blank=True)
    image_layer = models.CharField(max_length=200, blank=True)
    snippet = models.TextField(blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    remediation = models.TextField(blank=True)
    references = models.JSONField(default=list, blank=True)
    # The flagged lines and a few around them, read from the scanned tree at ingest and masked
    # (apps.findings.code_context): {"start": n, "lines": [...], "highlight": [first, last]}.
    code_context = models.JSONField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # Tracking across scans. The two seen-in pointers are written for every finding of every
    # scan; a database constraint would add a deferred per-row check to each ingest (about a
    # third of its time). Django's on_delete still clears them when a scan is deleted.
    first_seen_scan = models.ForeignKey(
        "scans.Scan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    # Not indexed: it changes at every sighting, and an unchanged column set keeps the re-scan's
    # row update HOT (no index entry written).
    last_seen_scan = models.ForeignKey(
        "scans.Scan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    resolved_in_scan = models.ForeignKey(
        "scans.Scan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Triage
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_findings",
        db_index=False,  # the finding_assignee_rank_idx index leads with it
    )
    # Set at first sight from the project's SLA (apps.findings.sla); people may change it.
    due_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-severity_rank", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "fingerprint"], name="uniq_finding_fingerprint"
            ),
        ]
        # The list reads pages in (ordering column, id) order, so these let it seek to any
        # cursor; last_seen_at is left unindexed so re-scans update it in place (HOT). The
        # trigram indexes behind `search` are PostgreSQL-only, in migration 0006. A trailing
        # project (and status) after the id never changes the order: it lets a page's ids
        # and a count be read from the index alone (apps.common.keyset.page_rows) when a
        # member's list skips other projects' rows.
        indexes = [
            models.Index(fields=["project", "status", "severity_rank"]),
            models.Index(
                fields=["project", "severity_rank", "id"], name="finding_project_rank_idx"
            ),
            models.Index(
                fields=["severity_rank", "id", "project"], name="finding_rank_project_idx"
            ),
            models.Index(fields=["first_seen_at", "id"], name="finding_first_seen_id_idx"),
            models.Index(
                fields=["rule_id", "severity_rank", "id", "project"],
                name="finding_rule_project_idx",
            ),
            # "Open highs": counted from the index alone, for staff and for members.
            models.Index(fields=["status", "severity", "project"], name="finding_status_sev_idx"),
            # Assigned to someone: the dashboard's "assigned to me", its count and its page.
            models.Index(
                fields=["assignee", "severity_rank", "id", "status", "project"],
                name="finding_assignee_rank_idx",
            ),
            models.Index(fields=["tool", "target"]),
            models.Index(fields=["cve"]),
        ]

    def __str__(self) -> str:
        return f"[{self.severity}] {self.title}"


class SightingStream(models.Model):
    """The tool results of one (project, tool, target, ref key), in ingest order: `ref_key` is
    "" for scans of the default branch and the scan's ref otherwise. Each ingested result takes
    the next `head_seq` (under this row's lock), so a finding seen by consecutive results is
    one FindingOccurrence range instead of one row per sighting."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique index leads with it
    )
    tool = models.ForeignKey("tools.ToolDefinition", on_delete=models.CASCADE, related_name="+")
    # A deleted target's streams keep its id (never reused): they still are that target's.
    target = models.ForeignKey(
        "targets.TargetAsset",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    ref_key = models.CharField(max_length=255, blank=True)
    head_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "tool", "target", "ref_key"],
                name="uniq_sighting_stream",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"stream {self.pk} ({self.tool_id} on {self.target_id}, ref {self.ref_key!r})"


class FindingOccurrence(models.Model):
    """A sighting range: the finding was seen, at this location, by every tool result of
    `stream` from sequence number `first_seq` to `last_seq`. An unchanged re-scan extends the
    range in place (no new row, and no indexed column changes, so PostgreSQL updates it HOT);
    a finding that moved or came back after a gap opens a new range. `tool_result`, `scan` and
    `seen_at` are the range's first sighting, the `last_*` columns its last."""

    finding = models.ForeignKey(
        Finding,
        on_delete=models.CASCADE,
        related_name="occurrences",
        db_index=False,  # the (finding, stream, first_seq) unique index leads with it
    )
    # Stream and tool result are the same for every range an ingest batch writes: no
    # per-row database check at COMMIT (see Finding.tool); Django's on_delete cascades.
    stream = models.ForeignKey(
        SightingStream,
        on_delete=models.CASCADE,
        related_name="ranges",
        db_index=False,  # the (stream, first_seq) index leads with it
        db_constraint=False,
    )
    first_seq = models.PositiveIntegerField()
    # Never indexed: extending a range must stay a HOT update.
    last_seq = models.PositiveIntegerField()
    tool_result = models.ForeignKey(
        "scans.ScanToolResult",
        on_delete=models.CASCADE,
        related_name="occurrences",
        db_constraint=False,
    )
    # Denormalised from tool_result.scan for per-scan queries; no per-row database check
    # either (see stream).
    scan = models.ForeignKey(
        "scans.Scan",
        on_delete=models.CASCADE,
        related_name="occurrences",
        db_index=False,  # the (scan, finding) index leads with it
        db_constraint=False,
    )
    # The range's last sighting, rewritten by every re-scan that extends it: no index and no
    # database check (scans are deleted only with their project, which takes the range along).
    last_tool_result = models.ForeignKey(
        "scans.ScanToolResult",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    last_scan = models.ForeignKey(
        "scans.Scan",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    file_path = models.CharField(max_length=1024, blank=True)
    line_start = models.PositiveIntegerField(null=True, blank=True)
    line_end = models.PositiveIntegerField(null=True, blank=True)
    seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_scan_id", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["finding", "stream", "first_seq"], name="uniq_sighting_range"
            ),
        ]
        indexes = [
            models.Index(fields=["scan", "finding"]),
            models.Index(fields=["stream", "first_seq"]),
        ]

    def __str__(self) -> str:
        return f"finding {self.finding_id}: {self.stream_id} #{self.first_seq}-{self.last_seq}"

    @property
    def sightings(self) -> int:
        """How many results of the stream the range spans."""
        return self.last_seq - self.first_seq + 1


class FindingEventType(models.TextChoices):
    CREATED = "created", "Created"
    STATUS_CHANGED = "status_changed", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    COMMENTED = "commented", "Commented"
    AUTO_RESOLVED = "auto_resolved", "Auto-resolved"
    REOPENED = "reopened", "Reopened"
    SEVERITY_CHANGED = "severity_changed", "Severity changed"


class FindingEvent(models.Model):
    """The audit trail: who changed what on a finding, when and why. `actor` null = system."""

    finding = models.ForeignKey(
        Finding,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # the (finding, created_at) index leads with it
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    event_type = models.CharField(max_length=32, choices=FindingEventType.choices)
    from_value = models.CharField(max_length=200, blank=True)
    to_value = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)
    # Which scan caused a system event; like Finding's seen-in pointers, kept by Django's
    # on_delete rather than a per-row database check on every ingest.
    scan = models.ForeignKey(
        "scans.Scan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["finding", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} on finding {self.finding_id}"


class SavedFilter(models.Model):
    """A named query of the findings list, private to its user (`query` is the list's URL
    query string; what it shows is still limited to the projects the user can see)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_finding_filters",
        db_index=False,  # the (user, name) unique index leads with it
    )
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="uniq_saved_filter_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"


class ProjectSla(models.Model):
    """Days to fix a finding of each severity in one project; None: no due date for that
    severity. A project without a row uses SLA_DEFAULT_DAYS (apps.findings.sla)."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    critical_days = models.PositiveSmallIntegerField(null=True, blank=True, default=7)
    high_days = models.PositiveSmallIntegerField(null=True, blank=True, default=30)
    medium_days = models.PositiveSmallIntegerField(null=True, blank=True, default=90)
    low_days = models.PositiveSmallIntegerField(null=True, blank=True, default=180)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"SLA of project {self.project_id}"


class IssueGroup(models.Model):
    """Findings of different tools or rules that point at the same problem (see
    apps.findings.grouping). Its columns summarise its members, recomputed whenever a member
    is added, leaves or changes status, so the list reads one table."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="issue_groups",
        db_index=False,  # the list indexes lead with it
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The highest severity of the open members (of all members when none is open).
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.UNKNOWN)
    severity_rank = models.PositiveSmallIntegerField(default=0)
    # The members' status when they all share one, else "mixed"; is_open when any is open.
    status = models.CharField(max_length=16, default=FindingStatus.NEW)
    is_open = models.BooleanField(default=True)
    member_count = models.PositiveIntegerField(default=0)
    open_count = models.PositiveIntegerField(default=0)
    # Slugs of the tools whose findings agree, sorted.
    tools = models.JSONField(default=list, blank=True)
    # The representative member (the worst open one) and what the list shows of it.
    representative = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=500, blank=True)
    file_path = models.CharField(max_length=1024, blank=True)
    line_start = models.PositiveIntegerField(null=True, blank=True)
    cwe = models.PositiveIntegerField(null=True, blank=True)
    package_name = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=2048, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-severity_rank", "-id"]
        indexes = [
            models.Index(
                fields=["project", "is_open", "severity_rank", "id"], name="group_project_open_idx"
            ),
            models.Index(fields=["severity_rank", "id", "project"], name="group_rank_project_idx"),
        ]

    def __str__(self) -> str:
        return f"group {self.pk}: [{self.severity}] {self.title}"


class IssueGroupMember(models.Model):
    """A finding's place in its issue group, and the key that joins it to findings elsewhere
    in the project: "s:" + a keyed hash of its secret value (never the value), or "a:" +
    package and advisory. A row of its own rather than columns of Finding: writing it leaves
    the finding's row as the ingest wrote it, so re-scans keep updating findings in place."""

    finding = models.OneToOneField(
        Finding, primary_key=True, on_delete=models.CASCADE, related_name="group_membership"
    )
    group = models.ForeignKey(IssueGroup, on_delete=models.CASCADE, related_name="memberships")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["project", "key"], name="group_member_key_idx", condition=~models.Q(key="")
            )
        ]

    def __str__(self) -> str:
        return f"finding {self.finding_id} in group {self.group_id}"
