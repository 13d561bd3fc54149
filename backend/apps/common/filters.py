"""Shared query-string filters: dates and times the database can always compare against."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, turned into UTC here: PostgreSQL refuses offsets past 15:59
    (`-21:08` was a 500), and a time that leaves years 1-9999 in UTC is a 400."""

    default_error_messages = {"out_of_range": "Give a date and time between years 1 and 9999."}

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise DjangoValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
