"""The SecuLite generic JSON report: a documented format for tools SecuLite has no parser for.

    {"version": 1,
     "tool": {"name": "Acme SAST", "version": "4.2"},
     "findings": [{"title": "SQL injection", "severity": "high", "rule_id": "ACME-SQLI", ...}]}

The JSON Schema is `schemas/generic-findings-v1.schema.json` (served at
/api/v1/imports/formats/generic/schema/), described in docs/import-formats.md. Findings are
streamed one at a time; each is checked (types, lengths, the severity and confidence values)
and the first bad one fails the whole report with a message naming its index and field.
Unknown fields are refused too, so a misspelt field is never silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from apps.tools.adapters.base import (
    CONFIDENCES,
    SEVERITIES,
    NormalizedFinding,
    ToolOutputError,
    cwe_from,
)
from apps.tools.adapters.jsonstream import json_kind, json_value, stream_json_items

FORMAT_NAME = "SecuLite generic JSON"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "generic-findings-v1.schema.json"
VERSION = 1
TOOL_NAME_MAX = 100
TOOL_VERSION_MAX = 100
LONG_TEXT_MAX = 65_536
MAX_REFERENCES = 50
MAX_LINE = 10**9

# Text fields: their longest value (the database's column, or LONG_TEXT_MAX).
TEXT_FIELDS: dict[str, int] = {
    "title": 500, "rule_id": 300, "description": LONG_TEXT_MAX, "cve": 64, "file_path": 1024,
    "url": 2048, "http_method": 16, "parameter": 300, "package_name": 300,
    "package_version": 100, "fixed_version": 100, "image": 500, "snippet": LONG_TEXT_MAX,
    "remediation": LONG_TEXT_MAX, "fingerprint": 500,
}  # fmt: skip
REQUIRED = ("title", "severity")
KNOWN_FIELDS = frozenset(
    {*TEXT_FIELDS, "severity", "confidence", "cwe", "line_start", "line_end", "references"}
)


@cache
def generic_schema() -> dict[str, Any]:
    """The format's JSON Schema (draft 2020-12), as kept in the repository."""
    return dict(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def generic_tool(path: Path) -> tuple[str, str]:
    """(tool name, tool version) from the report; ToolOutputError when the report is not a
    generic report of version 1 or names no tool."""
    kind = json_kind(path, FORMAT_NAME)
    if kind != "dict":
        raise ToolOutputError(f"A {FORMAT_NAME} report is a JSON object, not {kind}.")
    version = json_value(path, FORMAT_NAME, "version")
    if version != VERSION or isinstance(version, bool):
        raise ToolOutputError(
            f"Unsupported {FORMAT_NAME} version {version!r}: this server reads version {VERSION}."
        )
    tool = json_value(path, FORMAT_NAME, "tool")
    if not isinstance(tool, dict):
        raise ToolOutputError('The report has no "tool" object ({"name": ..., "version": ...}).')
    name = tool.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ToolOutputError('"tool.name" must be a non-empty string.')
    if len(name) > TOOL_NAME_MAX:
        raise ToolOutputError(f'"tool.name" has at most {TOOL_NAME_MAX} characters.')
    tool_version = tool.get("version", "")
    if tool_version is None:
        tool_version = ""
    if not isinstance(tool_version, str) or len(tool_version) > TOOL_VERSION_MAX:
        raise ToolOutputError(
            f'"tool.version" must be a string of at most {TOOL_VERSION_MAX} characters.'
        )
    return name.strip(), tool_version.strip()


def parse_generic(path: Path) -> Iterator[NormalizedFinding]:
    """Findings of a generic report, streamed; the header is checked first."""
    generic_tool(path)
    kind = json_kind(path, FORMAT_NAME, "findings")
    if kind != "list":
        raise ToolOutputError(f'"findings" must be a list, not {kind or "missing"}.')
    items = stream_json_items(path, FORMAT_NAME, "findings.item", expect_keys=None)
    for index, item in enumerate(items):
        yield generic_finding(item, index)


class _Bad(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def generic_finding(item: Any, index: int) -> NormalizedFinding:
    """One checked item as a finding; ToolOutputError naming the item and field otherwise."""
    try:
        return _finding(item)
    except _Bad as exc:
        where = f"findings[{index}]" + (f".{exc.field}" if exc.field else "")
        raise ToolOutputError(f"{where}: {exc}") from None


def _finding(item: Any) -> NormalizedFinding:
    if not isinstance(item, dict):
        raise _Bad("", f"each finding must be a JSON object, not {_type(item)}.")
    unknown = sorted(str(key) for key in item if key not in KNOWN_FIELDS)
    if unknown:
        raise _Bad(unknown[0][:60], "unknown field (see the format's JSON Schema).")
    for name in REQUIRED:
        if item.get(name) in (None, ""):
            raise _Bad(name, "required.")
    text: dict[str, Any] = {name: _text(item, name, limit) for name, limit in TEXT_FIELDS.items()}
    line_start, line_end = _line(item, "line_start"), _line(item, "line_end")
    if line_start is None and line_end is not None:
        raise _Bad("line_start", "required when line_end is given.")
    if line_start is not None and line_end is not None and line_end < line_start:
        raise _Bad("line_end", "must not be before line_start.")
    fingerprint = text.pop("fingerprint")
    rule_id = text.pop("rule_id") or text["title"][:300]
    return NormalizedFinding(
        **text,
        rule_id=rule_id,
        severity=_choice(item, "severity", SEVERITIES, required=True),
        confidence=_choice(item, "confidence", CONFIDENCES, required=False) or "unknown",
        cwe=_cwe(item),
        line_start=line_start,
        line_end=line_end if line_end is not None else line_start,
        references=_references(item),
        fingerprint_hint=fingerprint,
    )


def _type(value: Any) -> str:
    names: dict[type, str] = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def _text(item: Mapping[str, Any], name: str, limit: int) -> str:
    value = item.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Bad(name, f"must be a string, not {_type(value)}.")
    if len(value) > limit:
        raise _Bad(name, f"has {len(value)} characters; at most {limit}.")
    return value


def _choice(item: Mapping[str, Any], name: str, allowed: tuple[str, ...], *, required: bool) -> str:
    value = item.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value)[:40] if isinstance(value, str) else _type(value)
        raise _Bad(name, f"{shown} is not one of {', '.join(allowed)}.")
    return value


def _line(item: Mapping[str, Any], name: str) -> int | None:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(name, f"must be a whole number, not {_type(value)}.")
    if not 1 <= value <= MAX_LINE:
        raise _Bad(name, f"must be between 1 and {MAX_LINE}.")
    return value


def _cwe(item: Mapping[str, Any]) -> int | None:
    value = item.get("cwe")
    if value is None:
        return None
    valid: Callable[[Any], bool] = lambda v: isinstance(v, int) and 0 < v < 100_000  # noqa: E731
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _Bad("cwe", f"must be a number or 'CWE-<number>', not {_type(value)}.")
    number = cwe_from(value)
    if isinstance(value, str) and (not value.upper().startswith("CWE-") or len(value) > 12):
        number = None
    if not valid(number):
        raise _Bad("cwe", f"{str(value)[:20]!r} is not a CWE id (79 or 'CWE-79').")
    return number


def _references(item: Mapping[str, Any]) -> tuple[str, ...]:
    value = item.get("references")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Bad("references", f"must be a list of strings, not {_type(value)}.")
    if len(value) > MAX_REFERENCES:
        raise _Bad("references", f"has {len(value)} entries; at most {MAX_REFERENCES}.")
    for position, reference in enumerate(value):
        if not isinstance(reference, str) or not 0 < len(reference) <= 2048:
            raise _Bad(f"references[{position}]", "must be a string of 1 to 2048 characters.")
    return tuple(value)
