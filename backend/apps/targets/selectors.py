"""Reads of targets and target groups inside one project.

Every function takes the project as returned by `project_get_for_user` (which
`ProjectScopedViewSet` calls with the caller before any handler runs), so the caller's role
has been checked; an id from another project answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from apps.projects.models import Project
from apps.targets.models import TargetAsset, TargetGroup


def target_list(*, project: Project) -> QuerySet[TargetAsset]:
    return TargetAsset.objects.filter(project=project)


def target_get(*, project: Project, target_id: Any) -> TargetAsset:
    try:
        return target_list(project=project).get(pk=int(target_id))
    except (TargetAsset.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def target_group_list(*, project: Project) -> QuerySet[TargetGroup]:
    return (
        TargetGroup.objects.filter(project=project)
        .annotate(target_count=Count("targets", distinct=True))
        .prefetch_related("targets")
    )


def target_group_get(*, project: Project, group_id: Any) -> TargetGroup:
    try:
        return target_group_list(project=project).get(pk=int(group_id))
    except (TargetGroup.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
