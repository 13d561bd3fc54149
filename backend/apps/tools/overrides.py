"""Validation of a scan configuration's per-tool overrides against the tool's JSON schema.

This is the one place where a tool's `config_schema` (filled in by the tool adapters) is
applied to what a user typed. Errors come back keyed by a dotted path into the overrides
(`severity_threshold`, `paths.2`), optionally under a prefix such as `tools.0.overrides`, so
the API's error format shows them as field errors.

Three rules apply to every tool on top of its schema, so an override that can never run is
refused here rather than failing the scan: no control characters (a line break, NUL) in any
string, `pattern` anchored as JSON Schema means it (`$` is the end of the string, as in
ECMA-262, not "before a final newline" as in Python), and two keywords adapters use:
`portList` (every port and range within 1-65535) and `outboundUrl` (an http(s) URL without
credentials whose host passes the target network policy: the tool will send requests there).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaValidationError
from referencing.exceptions import Unresolvable
from rest_framework.exceptions import ValidationError

from apps.targets.policy import TargetPolicyError, target_policy_check
from apps.tools.models import ToolDefinition

ROOT_KEY = "non_field_errors"
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_PORT = 65535


def _ecma_anchors(pattern: str) -> str:
    """`pattern` with each unescaped `$` outside a character class made `\\Z`, so
    `^B[0-9]{3}$` no longer matches "B101\\n"."""
    out: list[str] = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            out.append(r"\Z")
            continue
        out.append(char)
    return "".join(out)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Mapping) -> Iterable:
    if validator.is_type(instance, "string") and not re.search(_ecma_anchors(pattern), instance):
        yield SchemaValidationError(f"{instance!r} does not match {pattern!r}")


def port_list_error(value: str) -> str:
    """Why `value` (nmap's `-p`: `22,80,8000-8100`) is not a list of ports, or ""."""
    for part in value.split(",") if value else []:
        bounds = part.split("-")
        if len(bounds) > 2 or not all(b.isascii() and b.isdigit() for b in bounds):
            return f"{part!r} is not a port or a range of ports."
        low, high = int(bounds[0]), int(bounds[-1])
        if not (1 <= low <= MAX_PORT and 1 <= high <= MAX_PORT):
            return f"{part!r}: ports run from 1 to {MAX_PORT}."
        if low > high:
            return f"{part!r}: the range runs backwards."
    return ""


def _port_list(validator: Any, enabled: bool, instance: Any, schema: Mapping) -> Iterable:
    if enabled and validator.is_type(instance, "string"):
        problem = port_list_error(instance)
        if problem:
            yield SchemaValidationError(problem)


def outbound_url_error(value: str) -> str:
    """Why the tool may not send requests to `value`, or "" (empty means the tool's default)."""
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Give an http:// or https:// URL."
    if parts.username or parts.password:
        return "The URL may not carry credentials."
    try:
        parts.port  # noqa: B018 - raises on a port out of range
        target_policy_check(parts.hostname)
    except (TargetPolicyError, ValueError):
        # Never what the name resolves to: that would map the internal network.
        return (
            f"{parts.hostname} is not allowed by the target network policy "
            "(SECULITE_TARGET_ALLOW / SECULITE_TARGET_DENY)."
        )
    return ""


def _outbound_url(validator: Any, enabled: bool, instance: Any, schema: Mapping) -> Iterable:
    if enabled and validator.is_type(instance, "string"):
        problem = outbound_url_error(instance)
        if problem:
            yield SchemaValidationError(problem)


OverridesValidator = validators.extend(
    Draft202012Validator,
    {"pattern": _pattern, "portList": _port_list, "outboundUrl": _outbound_url},
)


def _control_character_errors(value: Any, path: str = "") -> dict[str, list[str]]:
    """Every string (and key) holding a control character: no tool option takes one."""
    out: dict[str, list[str]] = {}
    message = "Control characters (a line break, a tab, NUL) are not allowed here."
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            out[path] = [message]
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = _join(path, key)
            if CONTROL_CHARACTERS.search(str(key)):
                out[name] = [message]
            else:
                out.update(_control_character_errors(item, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.update(_control_character_errors(item, _join(path, index)))
    return out


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
            validator = OverridesValidator(
                schema, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            found = sorted(
                validator.iter_errors(dict(overrides)), key=lambda e: _join(*e.absolute_path)
            )
            errors = _messages_by_path(found)
            for path, messages in _control_character_errors(dict(overrides)).items():
                errors[path] = messages
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


def outbound_urls(schema: Any, overrides: Any) -> list[str]:
    """The URLs a user's overrides point the tool at (options marked `outboundUrl`)."""
    if not isinstance(schema, Mapping) or not isinstance(overrides, Mapping):
        return []
    properties = schema.get("properties") or {}
    return [
        value
        for name, value in overrides.items()
        if isinstance(value, str)
        and value
        and isinstance(properties.get(name), Mapping)
        and properties[name].get("outboundUrl")
    ]


def outbound_urls_problem(schema: Any, overrides: Any) -> str:
    """Checked again just before the run (a name may resolve elsewhere by now): a message
    that says no more than "could not reach", or ""."""
    for url in outbound_urls(schema, overrides):
        if outbound_url_error(url):
            host = urlsplit(url).hostname or "the URL"
            return f"Could not reach {host}: the target network policy does not allow it."
    return ""


def withhold_url_replies(message: str, *, schema: Any, overrides: Any) -> str:
    """A failed run's message when the user pointed the tool at a URL: the tool may quote
    that server's reply, so only "could not use <host>" is kept."""
    urls = outbound_urls(schema, overrides)
    if not urls or not message or message.startswith(("Could not reach", "Target:")):
        return message
    hosts = ", ".join(sorted({urlsplit(url).hostname or "?" for url in urls}))
    return (
        f"The tool failed while using {hosts} (set in this tool's options); "
        "its reply is not shown. An administrator can read the worker's log."
    )
