"""Validation of a scan configuration's per-tool overrides against the tool's JSON schema.

This is the one place where a tool's `config_schema` (filled in by the tool adapters) is
applied to what a user typed. Errors come back keyed by a dotted path into the overrides
(`severity_threshold`, `paths.2`), optionally under a prefix such as `tools.0.overrides`, so
the API's error format shows them as field errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaValidationError
from referencing.exceptions import Unresolvable
from rest_framework.exceptions import ValidationError

from apps.tools.models import ToolDefinition

ROOT_KEY = "non_field_errors"


def _join(*parts: Any) -> str:
    return ".".join(str(part) for part in parts if part != "")


def _unexpected_properties(error: SchemaValidationError) -> list[str]:
    """The keys an `additionalProperties: false` error is about, so each gets its own path."""
    instance = error.instance
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if not isinstance(instance, Mapping):
        return []
    known = set(schema.get("properties", {}) or {})
    patterns = list((schema.get("patternProperties", {}) or {}).keys())
    return [
        str(key)
        for key in instance
        if key not in known and not any(re.search(pattern, str(key)) for pattern in patterns)
    ]


def _missing_properties(error: SchemaValidationError) -> list[str]:
    required = error.validator_value if isinstance(error.validator_value, list) else []
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    return [str(name) for name in required if name not in instance]


def _messages_by_path(errors: Iterable[SchemaValidationError]) -> dict[str, list[str]]:
    """Turn jsonschema errors into {"dotted.path": [messages]}, one path per offending key."""
    out: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        messages = out.setdefault(path, [])
        if message not in messages:
            messages.append(message)

    for error in errors:
        base = _join(*error.absolute_path)
        if error.validator == "additionalProperties":
            unexpected = _unexpected_properties(error)
            if unexpected:
                for key in unexpected:
                    add(_join(base, key), "Unknown option for this tool.")
                continue
        if error.validator == "required":
            missing = _missing_properties(error)
            if missing:
                for key in missing:
                    add(_join(base, key), "This option is required.")
                continue
        add(base, error.message)
    return out


def _with_prefix(errors: dict[str, list[str]], prefix: str) -> dict[str, list[str]]:
    """Put every path under `prefix`; an error about the whole object lands on the prefix."""
    out: dict[str, list[str]] = {}
    for path, messages in errors.items():
        key = _join(prefix, path) if path else (prefix or ROOT_KEY)
        out.setdefault(key, []).extend(messages)
    return out


def tool_overrides_validate(
    *,
    tool: ToolDefinition,
    overrides: dict,
    prefix: str = "",
    raise_exception: bool = False,
) -> dict[str, list[str]]:
    """Check `overrides` against `tool.config_schema` (JSON Schema, Draft 2020-12).

    Returns the errors as {"<dotted json path>": ["message", ...]}, empty when the overrides
    are valid. Paths are relative to the overrides object and put under `prefix` when given
    (`prefix="tools.0.overrides"` gives `tools.0.overrides.severity_threshold`); an error
    about the object as a whole is reported on the prefix itself, or on `non_field_errors`.

    The schema itself is checked first: a tool whose schema is broken (invalid keywords, a
    `$ref` that cannot be resolved) is reported as an error on the overrides rather than
    raising, because a bad adapter must not turn a user's request into a 500.

    With `raise_exception=True` a DRF `ValidationError` carrying the same mapping is raised
    instead of returning a non-empty result, so an API shows the errors as field errors.
    """
    schema = tool.config_schema or {}
    errors: dict[str, list[str]]
    if not isinstance(overrides, Mapping):
        errors = {"": ["Overrides must be a JSON object."]}
    elif not isinstance(schema, Mapping):
        errors = {"": [f"The configuration schema of {tool.name} is broken: not an object."]}
    else:
        try:
            Draft202012Validator.check_schema(schema)
            validator = Draft202012Validator(
                schema, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            found = sorted(
                validator.iter_errors(dict(overrides)), key=lambda e: _join(*e.absolute_path)
            )
            errors = _messages_by_path(found)
        except SchemaError as exc:
            where = exc.json_path if exc.path else "$"
            errors = {
                "": [f"The configuration schema of {tool.name} is broken at {where}: {exc.message}"]
            }
        except Unresolvable as exc:
            errors = {
                "": [f"The configuration schema of {tool.name} has an unresolvable $ref: {exc}"]
            }
    result = _with_prefix(errors, prefix)
    if raise_exception and result:
        raise ValidationError(result)
    return result
