"""Shared query-string filters: dates and times the database can always compare against, and
a filter backend that leaves its filter set on the view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend


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


class ViewFilterSetBackend(DjangoFilterBackend):
    """DjangoFilterBackend that leaves the filter set it applied on the view as `filterset`,
    so the view can read the request's cleaned filters (to count from a rollup, say) without
    building and validating a second one."""

    def get_filterset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        view.filterset = filterset
        return filterset
