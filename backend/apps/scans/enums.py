"""Choice fields that appear in the OpenAPI schema as one named enum per choice set.

drf-spectacular names enums after the field, so the many different `status` fields (scans,
tool results, findings) would collide and get hashed names. A field class made here carries
its own component name instead.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class NamedChoiceField(serializers.ChoiceField):
    """A ChoiceField whose choices are fixed by the subclass (see `named_choice_field`)."""

    fixed_choices: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=self.fixed_choices, **kwargs)


def named_choice_field(
    choices: type[models.TextChoices],
    component_name: str,
    *,
    exclude: tuple[str, ...] = (),
) -> type[NamedChoiceField]:
    """A NamedChoiceField class over `choices` (minus `exclude`) shown as `component_name`."""
    pairs = [(str(value), str(label)) for value, label in choices.choices if value not in exclude]
    schema = {
        "type": "string",
        "enum": [value for value, _ in pairs],
        "description": "\n".join(f"* `{value}` - {label}" for value, label in pairs),
    }
    field_class = type(f"{component_name}Field", (NamedChoiceField,), {"fixed_choices": pairs})
    return extend_schema_field(schema, component_name=component_name)(field_class)
