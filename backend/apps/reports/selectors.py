"""Reads of reports and report schedules, always through the caller's project role.

A report of a project where the caller has no role is missing (404), like the project.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from apps.common.roles import ProjectRole
from apps.projects.models import Project
from apps.projects.selectors import project_get_for_user
from apps.reports.models import Report, ReportSchedule


def report_list(*, project: Project) -> QuerySet[Report]:
    """The project's reports, newest first (the caller's role was checked with `project`)."""
    return Report.objects.filter(project=project).select_related("requested_by")


def report_get_for_user(*, user: Any, report_id: Any) -> Report:
    """One report if the caller can read its project's findings (auditor and up)."""
    try:
        report = Report.objects.select_related("requested_by", "project").get(pk=int(report_id))
    except (Report.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
    project_get_for_user(project_id=report.project_id, user=user, min_role=ProjectRole.AUDITOR)
    return report


def report_schedule_list(*, project: Project) -> QuerySet[ReportSchedule]:
    return ReportSchedule.objects.filter(project=project)


def report_schedule_get(*, project: Project, schedule_id: Any) -> ReportSchedule:
    try:
        return ReportSchedule.objects.get(project=project, pk=int(schedule_id))
    except (ReportSchedule.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
