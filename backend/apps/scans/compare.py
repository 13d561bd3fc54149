"""Comparing a scan with a base (a ref or another scan): which findings are new, fixed,
unchanged.

A finding is seen by a scan when one of its sighting ranges covers a result of that scan
(apps.findings.sightings). Relative to the base scan:
- new: seen by the scan, not by the base scan, and not triaged away (false positive, accepted
  risk);
- fixed: seen by the base scan, not by the scan, for a (tool, target) the scan ran
  successfully (a failed or partial run proves nothing is gone);
- unchanged: seen by both (counted only).
The base scan of a ref is the latest other scan of the project that ended completed (with or
without errors), shares a target with the scan, and looked at that ref; a scan of the default
branch counts as being on each of its targets' default branch. Every set is one SQL query from
the scans' results through the ranges' (stream, first_seq) index, never a Python loop over
findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.findings.models import Finding, FindingStatus
from apps.findings.selectors import finding_list_columns
from apps.findings.sightings import seen_by_scan
from apps.scans.models import Scan, ScanStatus, ScanToolResult, ToolResultStatus
from apps.scans.selectors import scan_get_for_user
from apps.targets.models import AssetType, TargetAsset
from apps.targets.refs import ref_short_name, ref_validate, target_default_branch

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
IGNORED = (FindingStatus.FALSE_POSITIVE, FindingStatus.ACCEPTED_RISK)
BASE_STATUSES = (ScanStatus.COMPLETED, ScanStatus.COMPLETED_WITH_ERRORS)
SUCCESSFUL = (ToolResultStatus.COMPLETED, ToolResultStatus.NO_FINDINGS)


@dataclass
class ScanComparison:
    scan: Scan
    base: str
    base_scan: Scan | None
    counts: dict[str, int]
    new: list[Finding]
    fixed: list[Finding]
    truncated: bool


def _seen_by(scan_id: int) -> Exists:
    return seen_by_scan(scan_id)


def _scan_targets(scan: Scan) -> list[TargetAsset]:
    ids = ScanToolResult.objects.filter(scan=scan, target__isnull=False).values("target_id")
    return list(TargetAsset.objects.filter(pk__in=ids).order_by("pk"))


def _default_base(targets: list[TargetAsset]) -> str:
    """The default branch the scan is compared with when no base is named: its first git
    target's (its first target's when it has none)."""
    git = [target for target in targets if target.asset_type == AssetType.GIT_REPOSITORY]
    chosen = (git or targets)[:1]
    return target_default_branch(chosen[0]) if chosen else "main"


def _base_scan_of_ref(*, scan: Scan, ref: str, target_ids: list[int]) -> Scan | None:
    """The latest other completed scan of the project, sharing a target with `scan`, whose ref
    is `ref`, or that looked at the default branch of a target whose default branch is `ref`."""
    name = ref_short_name(ref)
    on_default = [
        target.pk
        for target in TargetAsset.objects.filter(project_id=scan.project_id).only(
            "id", "default_branch", "metadata"
        )
        if target_default_branch(target) == name
    ]
    shared = ScanToolResult.objects.filter(scan_id=OuterRef("pk"), target_id__in=target_ids)
    default_there = ScanToolResult.objects.filter(scan_id=OuterRef("pk"), target_id__in=on_default)
    return (
        Scan.objects.filter(project_id=scan.project_id, status__in=BASE_STATUSES)
        .exclude(pk=scan.pk)
        .filter(Exists(shared))
        .filter(
            Q(ref__in={ref, name, f"refs/heads/{name}"})
            | (Q(is_default_branch=True) & Exists(default_there))
        )
        .order_by("-id")
        .first()
    )


def _base_scan_by_id(*, scan: Scan, user: Any, base_id: str) -> Scan:
    base_scan = scan_get_for_user(user=user, scan_id=base_id)  # 404 out of reach
    if base_scan.project_id != scan.project_id:
        raise ValidationError({"base": ["The base scan belongs to another project."]})
    if base_scan.pk == scan.pk:
        raise ValidationError({"base": ["Compare the scan with another scan."]})
    return base_scan


def _listed(findings: QuerySet[Finding], limit: int) -> list[Finding]:
    return list(finding_list_columns(findings).order_by("-severity_rank", "id")[:limit])


def scan_compare(
    *, scan: Any, base: str | None, user: Any, limit: int = DEFAULT_LIMIT
) -> ScanComparison:
    """Compare `scan` (a Scan or id the caller can see, else 404) with `base`: a scan id (in
    digits, of the same project) or a ref (None or "": its target's default branch).
    Lists hold at most `limit` findings each, worst first; `counts` are always complete."""
    if not isinstance(scan, Scan):
        scan = scan_get_for_user(user=user, scan_id=scan)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": [f"Give a number from 1 to {MAX_LIMIT}."]})
    targets = _scan_targets(scan)
    base = (base or "").strip()
    base_scan: Scan | None
    if base.isdigit():
        base_scan = _base_scan_by_id(scan=scan, user=user, base_id=base)
    else:
        try:
            base = ref_validate(base) or _default_base(targets)
        except ValidationError as exc:
            raise ValidationError({"base": exc.messages}) from exc
        base_scan = _base_scan_of_ref(
            scan=scan, ref=base, target_ids=[target.pk for target in targets]
        )

    project_findings = Finding.objects.filter(project_id=scan.project_id)
    seen = project_findings.filter(_seen_by(scan.pk))
    if base_scan is None:
        new = seen.exclude(status__in=IGNORED)
        fixed = project_findings.none()
        unchanged = 0
    else:
        new = seen.exclude(_seen_by(base_scan.pk)).exclude(status__in=IGNORED)
        ran = set(
            ScanToolResult.objects.filter(
                scan=scan, status__in=SUCCESSFUL, target__isnull=False
            ).values_list("tool_id", "target_id")
        )
        covered = Q(pk__in=[])
        for tool_id, target_id in ran:
            covered |= Q(tool_id=tool_id, target_id=target_id)
        fixed = (
            project_findings.filter(covered)
            .filter(_seen_by(base_scan.pk))
            .exclude(_seen_by(scan.pk))
            if ran
            else project_findings.none()
        )
        unchanged = seen.filter(_seen_by(base_scan.pk)).count()
    counts = {"new": new.count(), "fixed": fixed.count(), "unchanged": unchanged}
    return ScanComparison(
        scan=scan,
        base=base,
        base_scan=base_scan,
        counts=counts,
        new=_listed(new, limit),
        fixed=_listed(fixed, limit),
        truncated=counts["new"] > limit or counts["fixed"] > limit,
    )
