"""Create, change, clone and delete scan configurations.

The API's input serializer checks the shape of each field (types, choices, ranges, emails,
URLs); these services enforce the rules that need the database or several fields at once:
unique names per project, targets and groups of the same project, tools that exist and are
enabled with overrides valid for their schema, and a coherent schedule. All problems found
are reported together as field errors (`targets`, `tools.1.overrides.severity_threshold`,
`schedule_cron`, ...).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from apps.findings.models import Severity
from apps.notifications.formats import WebhookFormat
from apps.notifications.webhook_deliveries import webhook_secret_issue
from apps.notifications.webhooks import webhook_display_url
from apps.projects.models import Project
from apps.scans.limits import tool_timeout_max
from apps.scans.models import (
    Scan,
    ScanConfiguration,
    ScanConfigurationTool,
    ScanTrigger,
    ScheduleType,
)
from apps.scans.services.configuration_checks import (
    NAME_TAKEN,
    FieldErrors,
    ToolChoice,
    groups_in_project,
    name_check,
    schedule_check,
    targets_in_project,
    tools_resolve,
)
from apps.scans.services.scans import scan_start
from apps.scans.services.schedule_sync import scan_configuration_schedule_sync
from apps.targets.models import TargetAsset, TargetGroup
from apps.targets.refs import ref_validate
from apps.tools.models import ToolDefinition

NAME_MAX_LENGTH = ScanConfiguration._meta.get_field("name").max_length or 150

# Fields `scan_configuration_update` copies onto the row as given.
PLAIN_FIELDS = (
    "name",
    "description",
    "schedule_type",
    "schedule_enabled",
    "schedule_once_at",
    "schedule_cron",
    "schedule_timezone",
    "notify_on_completion",
    "notify_on_failure",
    "notify_min_severity",
    "notify_emails",
    "notify_webhook_url",
    "notify_webhook_format",
    "tool_timeout_seconds",
)
RELATION_FIELDS = ("targets", "target_groups", "tools", "webhook_enabled")
UPDATABLE_FIELDS = frozenset(PLAIN_FIELDS + RELATION_FIELDS)


@dataclass(frozen=True)
class ScanConfigurationWrite:
    """A saved configuration, plus the webhook token and the notification webhook's signing
    secret when this write created them.

    They exist in clear only here: the database keeps the token's SHA-256 and the secret
    encrypted, so the caller must show them now or never.
    """

    configuration: ScanConfiguration
    webhook_token: str | None = None
    webhook_secret: str | None = None


def webhook_token_hash(token: str) -> str:
    """The SHA-256 hex digest stored in `webhook_token_hash` for a webhook token."""
    return hashlib.sha256(token.encode()).hexdigest()


# Compared against when the URL names no usable configuration, so every refusal costs the same.
_NO_HASH = webhook_token_hash("no configuration has this token")


class WebhookTriggerRefused(Exception):
    """The token does not open this URL's configuration (whatever the reason: not told)."""


def scan_configuration_webhook_trigger(*, configuration_id: int, token: str, ref: Any = "") -> Scan:
    """Start a `webhook` scan of the configuration when `token` is its current webhook token,
    at `ref` (see scan_start; validated only once the token matched, so a caller without it
    learns nothing).

    The SHA-256 of the token is compared in constant time with the stored hash; a missing
    configuration or a webhook turned off costs the same comparison and raises the same
    WebhookTriggerRefused, so callers cannot learn which configurations exist.
    """
    configuration = ScanConfiguration.objects.filter(pk=configuration_id).first()
    usable = (
        configuration is not None
        and configuration.webhook_enabled
        and len(configuration.webhook_token_hash) == len(_NO_HASH)
    )
    stored = configuration.webhook_token_hash if usable and configuration else _NO_HASH
    matches = hmac.compare_digest(webhook_token_hash(token).encode(), stored.encode())
    if not (usable and matches) or configuration is None:
        raise WebhookTriggerRefused
    if not isinstance(ref, str):
        raise ValidationError({"ref": ["Give the ref as a string."]})
    try:
        ref = ref_validate(ref)
    except DjangoValidationError as exc:
        raise ValidationError({"ref": exc.messages}) from exc
    return scan_start(configuration=configuration, trigger=ScanTrigger.WEBHOOK, ref=ref)


def _webhook_token_issue(configuration: ScanConfiguration) -> str:
    token = secrets.token_urlsafe(32)
    configuration.webhook_token_hash = webhook_token_hash(token)
    return token


def _tool_timeout_check(errors: FieldErrors, value: int) -> None:
    """Tool runs may last at most SECULITE_TOOL_TIMEOUT_MAX_SECONDS: the broker, the task
    limits and the reaper are sized for that (apps/scans/limits.py)."""
    cap = tool_timeout_max()
    if value > cap:
        errors.add(
            "tool_timeout_seconds",
            f"Ensure this value is less than or equal to {cap} seconds, this server's "
            "SECULITE_TOOL_TIMEOUT_MAX_SECONDS.",
        )


def _tool_entries_replace(
    configuration: ScanConfiguration, tools: list[tuple[ToolDefinition, dict[str, Any]]]
) -> None:
    """Make the configuration's tool rows exactly `tools`, keeping rows of tools still there."""
    wanted = {tool.pk: overrides for tool, overrides in tools}
    ScanConfigurationTool.objects.filter(configuration=configuration).exclude(
        tool_id__in=wanted
    ).delete()
    existing = {
        entry.tool_id: entry
        for entry in ScanConfigurationTool.objects.filter(configuration=configuration)
    }
    to_update = []
    for tool_id, overrides in wanted.items():
        entry = existing.get(tool_id)
        if entry is not None and entry.overrides != overrides:
            entry.overrides = overrides
            to_update.append(entry)
    if to_update:
        ScanConfigurationTool.objects.bulk_update(to_update, ["overrides"])
    ScanConfigurationTool.objects.bulk_create(
        [
            ScanConfigurationTool(configuration=configuration, tool_id=tool_id, overrides=overrides)
            for tool_id, overrides in wanted.items()
            if tool_id not in existing
        ]
    )


def _save(configuration: ScanConfiguration) -> None:
    try:
        with transaction.atomic():
            configuration.save()
    except IntegrityError as exc:  # a concurrent write took the name
        raise ValidationError({"name": [NAME_TAKEN]}) from exc


@transaction.atomic
def scan_configuration_create(
    *,
    project: Project,
    user: Any,
    name: str,
    description: str = "",
    targets: Iterable[int | TargetAsset] = (),
    target_groups: Iterable[int | TargetGroup] = (),
    tools: Sequence[ToolChoice] = (),
    schedule_type: str = ScheduleType.MANUAL,
    schedule_enabled: bool = True,
    schedule_once_at: datetime | None = None,
    schedule_cron: str = "",
    schedule_timezone: str = "UTC",
    webhook_enabled: bool = False,
    notify_on_completion: bool = False,
    notify_on_failure: bool = True,
    notify_min_severity: str = Severity.HIGH,
    notify_emails: Sequence[str] = (),
    notify_webhook_url: str = "",
    notify_webhook_format: str = WebhookFormat.GENERIC,
    tool_timeout_seconds: int = 1800,
) -> ScanConfigurationWrite:
    """Create a configuration in `project`, created by `user`.

    With `webhook_enabled` a fresh webhook token is generated; only its hash is stored and
    the token is returned once in the result; so is the signing secret issued with a
    notification webhook URL. The schedule hook runs before returning.
    """
    errors = FieldErrors()
    name_check(errors, project=project, name=name)
    _tool_timeout_check(errors, tool_timeout_seconds)
    target_rows = targets_in_project(errors, project=project, targets=targets)
    group_rows = groups_in_project(errors, project=project, target_groups=target_groups)
    tool_rows = tools_resolve(errors, tools=list(tools))
    schedule_check(
        errors,
        schedule_type=schedule_type,
        schedule_once_at=schedule_once_at,
        schedule_cron=schedule_cron,
        schedule_timezone=schedule_timezone,
        once_at_must_be_future=True,
    )
    errors.raise_if_any()

    configuration = ScanConfiguration(
        project=project,
        name=name,
        description=description,
        schedule_type=schedule_type,
        schedule_enabled=schedule_enabled,
        schedule_once_at=schedule_once_at,
        schedule_cron=" ".join(schedule_cron.split()),
        schedule_timezone=schedule_timezone,
        webhook_enabled=webhook_enabled,
        notify_on_completion=notify_on_completion,
        notify_on_failure=notify_on_failure,
        notify_min_severity=notify_min_severity,
        notify_emails=list(notify_emails),
        notify_webhook_url=notify_webhook_url,
        notify_webhook_format=notify_webhook_format,
        tool_timeout_seconds=tool_timeout_seconds,
        created_by=user,
    )
    token = _webhook_token_issue(configuration) if webhook_enabled else None
    secret = webhook_secret_issue(configuration=configuration) if notify_webhook_url else None
    _save(configuration)
    configuration.targets.set(target_rows)
    configuration.target_groups.set(group_rows)
    _tool_entries_replace(configuration, tool_rows)
    scan_configuration_schedule_sync(configuration=configuration)
    return ScanConfigurationWrite(
        configuration=configuration, webhook_token=token, webhook_secret=secret
    )


@transaction.atomic
def scan_configuration_update(
    *, configuration: ScanConfiguration, data: Mapping[str, Any]
) -> ScanConfigurationWrite:
    """Apply a partial change: only the keys present in `data` change.

    `targets`, `target_groups` and `tools` replace the whole set when given. Turning
    `webhook_enabled` on issues a new token (returned once); turning it off forgets the
    hash. Setting a notification webhook URL on a configuration without a signing secret
    issues one (returned once). A one-off time must lie ahead when it is changed or the
    schedule becomes one-off; an unchanged past time does not block unrelated edits.
    """
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"Unknown scan configuration fields: {sorted(unknown)}")
    stored_hook = configuration.notify_webhook_url
    if stored_hook and data.get("notify_webhook_url") == webhook_display_url(stored_hook):
        # The masked URL the API shows came back unchanged: keep the real one.
        data = {k: v for k, v in data.items() if k != "notify_webhook_url"}
    project = configuration.project
    errors = FieldErrors()
    if "name" in data and data["name"] != configuration.name:
        name_check(errors, project=project, name=data["name"], exclude_id=configuration.pk)
    if "tool_timeout_seconds" in data:
        _tool_timeout_check(errors, data["tool_timeout_seconds"])
    target_rows = (
        targets_in_project(errors, project=project, targets=data["targets"])
        if "targets" in data
        else None
    )
    group_rows = (
        groups_in_project(errors, project=project, target_groups=data["target_groups"])
        if "target_groups" in data
        else None
    )
    tool_rows = tools_resolve(errors, tools=list(data["tools"])) if "tools" in data else None

    def merged(field: str) -> Any:
        return data[field] if field in data else getattr(configuration, field)

    schedule_type = merged("schedule_type")
    once_at_changed = (
        "schedule_once_at" in data and data["schedule_once_at"] != configuration.schedule_once_at
    )
    became_once = (
        schedule_type == ScheduleType.ONCE and configuration.schedule_type != ScheduleType.ONCE
    )
    schedule_check(
        errors,
        schedule_type=schedule_type,
        schedule_once_at=merged("schedule_once_at"),
        schedule_cron=merged("schedule_cron"),
        schedule_timezone=merged("schedule_timezone"),
        once_at_must_be_future=once_at_changed or became_once,
    )
    errors.raise_if_any()

    for field in PLAIN_FIELDS:
        if field in data:
            value = data[field]
            if field == "schedule_cron":
                value = " ".join(value.split())
            elif field == "notify_emails":
                value = list(value)
            setattr(configuration, field, value)
    token = None
    if "webhook_enabled" in data:
        if data["webhook_enabled"]:
            if not configuration.webhook_enabled or not configuration.webhook_token_hash:
                token = _webhook_token_issue(configuration)
        else:
            configuration.webhook_token_hash = ""
        configuration.webhook_enabled = bool(data["webhook_enabled"])
    secret = None
    if configuration.notify_webhook_url and not configuration.notify_webhook_secret_encrypted:
        secret = webhook_secret_issue(configuration=configuration)
    _save(configuration)
    if target_rows is not None:
        configuration.targets.set(target_rows)
    if group_rows is not None:
        configuration.target_groups.set(group_rows)
    if tool_rows is not None:
        _tool_entries_replace(configuration, tool_rows)
    scan_configuration_schedule_sync(configuration=configuration)
    return ScanConfigurationWrite(
        configuration=configuration, webhook_token=token, webhook_secret=secret
    )


@transaction.atomic
def scan_configuration_delete(*, configuration: ScanConfiguration) -> None:
    """Delete the configuration; its scans stay, detached from it (history is kept)."""
    scan_configuration_schedule_sync(configuration=configuration, removed=True)
    configuration.delete()


def _clone_name(*, project: Project, name: str) -> str:
    """ "<name> (copy)", or "(copy 2)", "(copy 3)"... until no configuration has it."""
    taken = set(
        ScanConfiguration.objects.filter(project=project, name__contains=" (copy").values_list(
            "name", flat=True
        )
    )
    number = 1
    while True:
        suffix = " (copy)" if number == 1 else f" (copy {number})"
        candidate = name[: NAME_MAX_LENGTH - len(suffix)].rstrip() + suffix
        if candidate not in taken:
            return candidate
        number += 1


@transaction.atomic
def scan_configuration_clone(
    *, configuration: ScanConfiguration, user: Any, name: str | None = None
) -> ScanConfigurationWrite:
    """Copy a configuration in its project: targets, groups, tools with their overrides,
    schedule and notification settings.

    The copy starts inert: its schedule is disabled and its webhook is off (a token belongs to
    one configuration), so it never runs until someone turns those on. A notification webhook
    is copied with a signing secret of its own, returned once. Without `name` the copy is
    called "<name> (copy)", numbered until unique.
    """
    project = configuration.project
    if name is None or not name.strip():
        name = _clone_name(project=project, name=configuration.name)
    else:
        errors = FieldErrors()
        name_check(errors, project=project, name=name)
        errors.raise_if_any()
    clone = ScanConfiguration(
        project=project,
        name=name,
        description=configuration.description,
        schedule_type=configuration.schedule_type,
        schedule_enabled=False,
        schedule_once_at=configuration.schedule_once_at,
        schedule_cron=configuration.schedule_cron,
        schedule_timezone=configuration.schedule_timezone,
        webhook_enabled=False,
        webhook_token_hash="",
        notify_on_completion=configuration.notify_on_completion,
        notify_on_failure=configuration.notify_on_failure,
        notify_min_severity=configuration.notify_min_severity,
        notify_emails=list(configuration.notify_emails),
        notify_webhook_url=configuration.notify_webhook_url,
        notify_webhook_format=configuration.notify_webhook_format,
        tool_timeout_seconds=configuration.tool_timeout_seconds,
        created_by=user,
    )
    secret = webhook_secret_issue(configuration=clone) if clone.notify_webhook_url else None
    _save(clone)
    clone.targets.set(configuration.targets.all())
    clone.target_groups.set(configuration.target_groups.all())
    ScanConfigurationTool.objects.bulk_create(
        [
            ScanConfigurationTool(
                configuration=clone, tool_id=entry.tool_id, overrides=copy.deepcopy(entry.overrides)
            )
            for entry in ScanConfigurationTool.objects.filter(configuration=configuration)
        ]
    )
    scan_configuration_schedule_sync(configuration=clone)
    return ScanConfigurationWrite(configuration=clone, webhook_secret=secret)
