"""Ids as the API accepts them: positive integers that fit the database's 64-bit keys.

Every id in a query string, a path or a body goes through one of these, so a number past 64
bits is a 400 naming the field, never a database overflow (a 500 on SQLite).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from django_filters.rest_framework import DjangoFilterBackend, FilterSet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_ID = 2**63 - 1
INVALID_ID = "Not a valid id."


def is_valid_id(value: object) -> bool:
    """True for an int (or digit string) that a 64-bit primary key can hold."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 19:
            return False
        value = int(value)
    return isinstance(value, int) and 1 <= value <= MAX_ID


class IdFormField(forms.IntegerField):
    """A query-string id."""

    default_error_messages = {
        "invalid": INVALID_ID,
        "min_value": INVALID_ID,
        "max_value": INVALID_ID,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """Filters on an integer id; anything else is a 400, not a database error."""

    field_class = IdFormField


class IdModelChoiceField(django_filters.fields.ModelChoiceField):
    """A model choice whose key is checked before the database sees it."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if not is_valid_id(value):
            raise DjangoValidationError(INVALID_ID, code="invalid_choice")
        return super().to_python(value)


class IdModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = IdModelChoiceField


class IdFilterSet(FilterSet):
    """The base of the filter sets DRF builds from `filterset_fields`: relations by id."""

    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.ForeignKey: {
            **FILTER_FOR_DBFIELD_DEFAULTS[models.ForeignKey],
            "filter_class": IdModelChoiceFilter,
        },
        models.OneToOneField: {
            **FILTER_FOR_DBFIELD_DEFAULTS[models.OneToOneField],
            "filter_class": IdModelChoiceFilter,
        },
        models.AutoField: {"filter_class": IdFilter},
        models.BigAutoField: {"filter_class": IdFilter},
    }


class IdFilterBackend(DjangoFilterBackend):
    """DRF's filter backend with relation filters that refuse ids past 64 bits."""

    filterset_base = IdFilterSet


class IdField(serializers.IntegerField):
    """An id in a request body."""

    default_error_messages = {
        "invalid": INVALID_ID,
        "min_value": INVALID_ID,
        "max_value": INVALID_ID,
        "max_string_length": INVALID_ID,
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdListField(serializers.ListField):
    """A list of ids in a request body (bulk changes, targets of a group)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", IdField())
        super().__init__(**kwargs)


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object by id, with the id checked before the database sees it."""

    def to_internal_value(self, data: Any) -> Any:
        if not is_valid_id(data):
            self.fail("does_not_exist", pk_value=str(data)[:30])
        return super().to_internal_value(data)
