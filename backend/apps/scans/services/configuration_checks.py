"""The rules a scan configuration must satisfy, each adding field errors to one collection.

Used by the configuration services so that every problem in a request is reported at once,
under the field it concerns (`targets`, `tools.1.overrides.severity_threshold`, ...).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict

from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.projects.models import Project
from apps.scans.models import ScanConfiguration, ScheduleType
from apps.scans.schedule import cron_expression_error, timezone_error
from apps.targets.models import TargetAsset, TargetGroup
from apps.tools.models import ToolDefinition
from apps.tools.overrides import tool_overrides_validate

NAME_TAKEN = "A scan configuration with this name already exists in this project."


class ToolChoice(TypedDict, total=False):
    """One tool in a configuration: a tool id, slug or row, and its overrides."""

    tool: int | str | ToolDefinition
    overrides: dict[str, Any]


class FieldErrors(dict[str, list[str]]):
    """{"field": [messages]}, raised as one DRF ValidationError."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def name_check(
    errors: FieldErrors, *, project: Project, name: str, exclude_id: int | None = None
) -> None:
    """The name is given and no other configuration of the project has it."""
    if not name.strip():
        errors.add("name", "A name is required.")
        return
    taken = ScanConfiguration.objects.filter(project=project, name=name)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        errors.add("name", NAME_TAKEN)


def _ids(values: Iterable[Any]) -> list[int]:
    return [value.pk if hasattr(value, "pk") else int(value) for value in values]


def targets_in_project(
    errors: FieldErrors, *, project: Project, targets: Iterable[Any]
) -> list[TargetAsset]:
    """The target rows for `targets` (ids or rows), all of which must belong to `project`."""
    wanted = list(dict.fromkeys(_ids(targets)))
    found = list(TargetAsset.objects.filter(project=project, pk__in=wanted))
    missing = sorted(set(wanted) - {target.pk for target in found})
    if missing:
        # Unknown ids and other projects' ids get the same answer: ids reveal nothing.
        errors.add(
            "targets",
            "These targets do not exist in this project: "
            + ", ".join(str(pk) for pk in missing)
            + ".",
        )
    return found


def groups_in_project(
    errors: FieldErrors, *, project: Project, target_groups: Iterable[Any]
) -> list[TargetGroup]:
    """The group rows for `target_groups`, all of which must belong to `project`."""
    wanted = list(dict.fromkeys(_ids(target_groups)))
    found = list(TargetGroup.objects.filter(project=project, pk__in=wanted))
    missing = sorted(set(wanted) - {group.pk for group in found})
    if missing:
        errors.add(
            "target_groups",
            "These target groups do not exist in this project: "
            + ", ".join(str(pk) for pk in missing)
            + ".",
        )
    return found


def _tool_lookup(references: Sequence[Any]) -> tuple[dict[int, ToolDefinition], dict[str, Any]]:
    """Load every referenced tool in one query, indexed by id and by slug."""
    ids = {
        int(ref)
        for ref in references
        if (isinstance(ref, int) and not isinstance(ref, bool))
        or (isinstance(ref, str) and ref.isdigit())
    }
    slugs = {ref for ref in references if isinstance(ref, str) and ref}
    rows = list(ToolDefinition.objects.filter(Q(pk__in=ids) | Q(slug__in=slugs)))
    return {row.pk: row for row in rows}, {row.slug: row for row in rows}


def _resolve_tool(
    reference: Any, by_id: dict[int, ToolDefinition], by_slug: dict[str, Any]
) -> ToolDefinition | None:
    if isinstance(reference, ToolDefinition):
        return reference
    if isinstance(reference, int) and not isinstance(reference, bool):
        return by_id.get(reference)
    if isinstance(reference, str):
        if reference in by_slug:
            return by_slug[reference]
        if reference.isdigit():
            return by_id.get(int(reference))
    return None


def tools_resolve(
    errors: FieldErrors, *, tools: Sequence[Mapping[str, Any]]
) -> list[tuple[ToolDefinition, dict[str, Any]]]:
    """Each entry's tool row and validated overrides; problems go to `tools.<i>.<field>`."""
    by_id, by_slug = _tool_lookup([entry.get("tool") for entry in tools])
    resolved: list[tuple[ToolDefinition, dict[str, Any]]] = []
    seen: set[int] = set()
    for index, entry in enumerate(tools):
        path = f"tools.{index}"
        reference = entry.get("tool")
        if reference in (None, ""):
            errors.add(f"{path}.tool", "This field is required.")
            continue
        tool = _resolve_tool(reference, by_id, by_slug)
        if tool is None:
            errors.add(f"{path}.tool", f"Unknown tool {reference!r}.")
            continue
        if not tool.enabled:
            errors.add(f"{path}.tool", f"{tool.name} is disabled by an administrator.")
            continue
        if tool.pk in seen:
            errors.add(f"{path}.tool", f"{tool.name} is already in this configuration.")
            continue
        seen.add(tool.pk)
        overrides = entry.get("overrides")
        overrides = {} if overrides is None else overrides
        for field, messages in tool_overrides_validate(
            tool=tool, overrides=overrides, prefix=f"{path}.overrides"
        ).items():
            for message in messages:
                errors.add(field, message)
        resolved.append(
            (tool, copy.deepcopy(dict(overrides)) if isinstance(overrides, Mapping) else {})
        )
    return resolved


def schedule_check(
    errors: FieldErrors,
    *,
    schedule_type: str,
    schedule_once_at: datetime | None,
    schedule_cron: str,
    schedule_timezone: str,
    once_at_must_be_future: bool,
) -> None:
    """A schedule of each type carries what it needs to fire; a new one-off time is ahead."""
    tz_problem = timezone_error(schedule_timezone)
    if tz_problem:
        errors.add("schedule_timezone", tz_problem)
    if schedule_type == ScheduleType.ONCE:
        if schedule_once_at is None:
            errors.add("schedule_once_at", "A date and time is required for a one-off schedule.")
        elif once_at_must_be_future and schedule_once_at <= timezone.now():
            errors.add("schedule_once_at", "This time is in the past.")
    elif schedule_type == ScheduleType.CRON:
        if not schedule_cron.strip():
            errors.add("schedule_cron", "A cron expression is required for a cron schedule.")
        else:
            problem = cron_expression_error(schedule_cron)
            if problem:
                errors.add("schedule_cron", problem)
