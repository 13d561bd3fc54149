"""Reads of scan configurations and scans, always limited to projects the caller can see.

A scan or configuration in a project where the caller has no role is reported as missing
(404), like the project itself.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Prefetch, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.http import Http404

from apps.projects.models import Project
from apps.projects.selectors import project_ids_for_user
from apps.scans.models import Scan, ScanConfiguration, ScanConfigurationTool, ScanToolResult


def scan_configuration_list(*, user: Any, project: Project) -> QuerySet[ScanConfiguration]:
    """Configurations of `project`, if `user` can see it, with everything the API shows
    loaded in a fixed number of queries."""
    return (
        ScanConfiguration.objects.filter(project=project, project_id__in=project_ids_for_user(user))
        .select_related("created_by")
        .prefetch_related(
            "targets",
            "target_groups",
            Prefetch("tool_entries", queryset=ScanConfigurationTool.objects.select_related("tool")),
        )
    )


def scan_configuration_get(
    *, user: Any, project: Project, configuration_id: Any
) -> ScanConfiguration:
    """One configuration of `project` with its relations loaded; 404 when not visible."""
    try:
        return scan_configuration_list(user=user, project=project).get(pk=int(configuration_id))
    except (ScanConfiguration.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


_IMPORT = KeyTransform("import", "configuration_snapshot")


def scan_list(*, user: Any, project: Project | None = None) -> QuerySet[Scan]:
    """Scans of every project `user` can see (or of `project` only), newest first.

    The configuration snapshot is deferred: lists show only an import's report name and
    format, read from it by the database.
    """
    scans = Scan.objects.filter(project_id__in=project_ids_for_user(user))
    if project is not None:
        scans = scans.filter(project=project)
    return (
        scans.select_related("project", "configuration", "triggered_by")
        .defer("configuration_snapshot")
        .annotate(
            import_report_name=KeyTextTransform("report_name", _IMPORT),
            import_report_format=KeyTextTransform("format", _IMPORT),
        )
        .order_by("-created_at", "-id")
    )


def scan_get_for_user(*, user: Any, scan_id: Any) -> Scan:
    """One scan with its tool results (tool and target loaded); 404 when the caller has no
    role in its project."""
    tool_results = ScanToolResult.objects.select_related("tool", "target").order_by(
        "tool__name", "target__name", "id"
    )
    try:
        return (
            Scan.objects.filter(project_id__in=project_ids_for_user(user))
            .select_related("project", "configuration", "triggered_by")
            .prefetch_related(Prefetch("tool_results", queryset=tool_results))
            .get(pk=int(scan_id))
        )
    except (Scan.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def scan_live_status_get_for_user(*, user: Any, scan_id: Any) -> dict[str, Any]:
    """The scan's status, progress and each tool run's status, read as plain values in two
    narrow queries: what the scan page polls every few seconds. 404 when not visible."""
    try:
        scan: dict[str, Any] = dict(
            Scan.objects.filter(project_id__in=project_ids_for_user(user), pk=int(scan_id))
            .values(
                "id",
                "status",
                "progress",
                "current_step",
                "summary",
                "error_message",
                "started_at",
                "finished_at",
                "updated_at",
            )
            .get()
        )
    except (Scan.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    scan["tool_results"] = list(
        ScanToolResult.objects.filter(scan_id=scan["id"])
        .order_by("tool__name", "target__name", "id")
        .values(
            "id",
            "status",
            "started_at",
            "finished_at",
            "duration_ms",
            "findings_count",
            "error_message",
            "coverage",
            tool_slug=F("tool__slug"),
            tool_name=F("tool__name"),
            target_name=F("target__name"),
        )
    )
    return scan
