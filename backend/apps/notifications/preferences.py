"""Each user's notification preferences per event and channel (in the app, by email).

They live in the profile's `notification_preferences` JSON beside the email switches that
came first, so there is one place to read: the email switch of an event is the key the
emails always used (`scan_completed`, `scan_failed`, `finding_assigned`), plus
`acceptance_expired` (which follows `finding_assigned` until set, as those emails did), and
the in-app switches sit under `in_app`. Everything left unset keeps its default, which is
today's behaviour: every in-app event on, emails as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from apps.accounts.models import UserProfile, default_notification_preferences
from apps.notifications.inbox_models import InboxEvent

IN_APP_KEY = "in_app"

# The email switch of each event that has an email; the others are in the app only.
EMAIL_KEYS: dict[str, str] = {
    InboxEvent.SCAN_COMPLETED: "scan_completed",
    InboxEvent.SCAN_FAILED: "scan_failed",
    InboxEvent.FINDING_ASSIGNED: "finding_assigned",
    InboxEvent.ACCEPTANCE_EXPIRED: "acceptance_expired",
}


class PreferenceError(ValueError):
    """A change the preferences cannot take: `field` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def preferences_with_defaults(stored: Any) -> dict[str, Any]:
    """The stored preferences over the defaults; `acceptance_expired` follows
    `finding_assigned` until it is set, and `in_app` holds every event."""
    preferences: dict[str, Any] = default_notification_preferences()
    if isinstance(stored, dict):
        preferences.update(stored)
    preferences.setdefault("acceptance_expired", preferences["finding_assigned"])
    stored_in_app = preferences.get(IN_APP_KEY)
    in_app = {event: True for event in InboxEvent.values}
    if isinstance(stored_in_app, dict):
        in_app.update({k: bool(v) for k, v in stored_in_app.items() if k in in_app})
    preferences[IN_APP_KEY] = in_app
    return preferences


def in_app_wanted(preferences: Mapping[str, Any], event: str) -> bool:
    in_app = preferences.get(IN_APP_KEY)
    return not isinstance(in_app, dict) or bool(in_app.get(event, True))


def email_wanted(preferences: Mapping[str, Any], event: str) -> bool:
    """True when the user takes email at all and this event's email switch is on."""
    key = EMAIL_KEYS.get(event)
    if key is None or not preferences.get("email_enabled"):
        return False
    if key == "acceptance_expired" and key not in preferences:
        key = "finding_assigned"
    return bool(preferences.get(key))


@dataclass(frozen=True)
class EventPreference:
    event: str
    label: str
    in_app: bool
    # None: this event sends no email.
    email: bool | None


def preferences_view(preferences: Mapping[str, Any]) -> dict[str, Any]:
    """The preferences as the API shows them: the email switches, then one row per event."""
    events = [
        EventPreference(
            event=event.value,
            label=event.label,
            in_app=in_app_wanted(preferences, event.value),
            email=bool(preferences.get(EMAIL_KEYS[event])) if event in EMAIL_KEYS else None,
        )
        for event in InboxEvent
    ]
    return {
        "email_enabled": bool(preferences.get("email_enabled")),
        "new_findings_min_severity": preferences.get("new_findings_min_severity"),
        "events": [event.__dict__ for event in events],
    }


def notification_preferences_get(*, user: Any) -> dict[str, Any]:
    stored = (
        UserProfile.objects.filter(user=user).values_list("notification_preferences", flat=True)
    ).first()
    return preferences_view(preferences_with_defaults(stored))


@transaction.atomic
def notification_preferences_update(
    *,
    user: Any,
    email_enabled: bool | None = None,
    new_findings_min_severity: str | None = None,
    events: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Change the switches named (each event row may name `in_app`, `email` or both); the rest
    keep their stored values. An email switch for an event that sends none is refused."""
    changes: dict[str, Any] = {}
    in_app: dict[str, bool] = {}
    for row in events:
        event = row["event"]
        if "in_app" in row and row["in_app"] is not None:
            in_app[event] = bool(row["in_app"])
        if "email" in row and row["email"] is not None:
            if event not in EMAIL_KEYS:
                raise PreferenceError("events", f'"{event}" is announced in the app only.')
            changes[EMAIL_KEYS[event]] = bool(row["email"])
    if email_enabled is not None:
        changes["email_enabled"] = email_enabled
    if new_findings_min_severity is not None:
        changes["new_findings_min_severity"] = new_findings_min_severity
    UserProfile.objects.get_or_create(user=user)
    profile = UserProfile.objects.select_for_update().get(user=user)
    stored = dict(profile.notification_preferences or {})
    stored_in_app = stored.get(IN_APP_KEY)
    stored[IN_APP_KEY] = {**(stored_in_app if isinstance(stored_in_app, dict) else {}), **in_app}
    if "acceptance_expired" not in stored and "acceptance_expired" not in changes:
        # Pin today's value before finding_assigned changes, so one switch moves at a time.
        stored["acceptance_expired"] = preferences_with_defaults(stored)["acceptance_expired"]
    stored.update(changes)
    profile.notification_preferences = stored
    profile.save(update_fields=["notification_preferences", "updated_at"])
    return preferences_view(preferences_with_defaults(stored))
