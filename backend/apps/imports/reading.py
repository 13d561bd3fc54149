"""How a stored report is read: which parser, which producer, and whether it is the report the
caller said it is. Used by the API (to find the producing tool of SARIF and generic reports)
and by the worker (to parse)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from apps.imports.formats import (
    GENERIC,
    SARIF,
    ImportFormat,
    adapter_for_driver,
    import_format_get,
    report_probe,
)
from apps.imports.generic import generic_tool, parse_generic
from apps.tools.adapters.base import NormalizedFinding, PreparedTarget, ToolAdapter, ToolOutputError
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.adapters.sarif import parse_sarif

_DRIVERS = "runs.item.tool.driver.name"
# What tools write in place of a secret they were told not to show (gitleaks --redact).
_PLACEHOLDERS = frozenset({"REDACTED"})


class ReportRejected(Exception):
    """The report is not what the caller said it is, or cannot be read; the message says why."""


@dataclass(frozen=True)
class Producer:
    """The tool a report comes from: an adapter's id, or a name with no adapter."""

    name: str
    tool_id: str | None


def sarif_drivers(source: Path | IO[bytes], *, first_only: bool = False) -> list[str]:
    """The `tool.driver.name` of each run (in ijson's C backend; stops at the first when
    `first_only`); ReportRejected when the log is not JSON."""
    import ijson

    def read(handle: IO[bytes]) -> list[str]:
        names: list[str] = []
        try:
            for name in ijson.items(handle, _DRIVERS):
                names.append(str(name) if name is not None else "")
                if first_only:
                    break
        except ijson.JSONError as exc:
            raise ReportRejected(f"The SARIF log is not valid JSON ({_first_line(exc)}).") from exc
        return names

    if isinstance(source, Path):
        with source.open("rb") as handle:
            return read(handle)
    return read(source)


def report_producer(*, path: Path, fmt: ImportFormat, asset_type: str) -> Producer:
    """The tool a report of `fmt` comes from. SARIF: the first run's driver (an adapter's
    SARIF driver name, case-insensitive, else the name as it is); generic: `tool.name`;
    an adapter's format: that adapter. ReportRejected when it cannot be told."""
    if fmt.tool is not None:
        return Producer(name=ADAPTERS[fmt.tool].name, tool_id=fmt.tool)
    probe = report_probe(path)
    if probe.kind in ("empty", "binary", "text", "xml"):
        raise ReportRejected(f"The report is {probe.describe()}, not {fmt.name}.")
    if fmt.id == SARIF:
        names = [name for name in sarif_drivers(path, first_only=True) if name.strip()]
        if not names:
            raise ReportRejected(_not_sarif(probe.describe()))
        return _producer(names[0], asset_type)
    try:
        name, _ = generic_tool(path)
    except ToolOutputError as exc:
        raise ReportRejected(str(exc)) from exc
    return _producer(name, asset_type)


def _producer(name: str, asset_type: str) -> Producer:
    name = name.strip()[:100]
    return Producer(name=name, tool_id=adapter_for_driver(name, asset_type=asset_type))


def _not_sarif(described: str) -> str:
    if described.startswith("SARIF"):
        return "The SARIF log names no tool (runs[].tool.driver.name is missing)."
    return f"The report is {described}, not a SARIF 2.1.0 log."


@dataclass(frozen=True)
class ReportReader:
    """What the worker needs to read a stored report: the findings, the adapter whose
    coverage the report tells (None when it does not), and the format its findings were
    read as (the import's configuration for `config_digest`)."""

    findings: Callable[[], Iterator[NormalizedFinding]]
    coverage_adapter: ToolAdapter | None
    read_as: str
    # The findings and a call that gives the coverage once they are read, from one pass
    # over the report (adapters that can; else the coverage is read on its own first).
    with_coverage: Callable[[], tuple[Iterator[NormalizedFinding], Callable[[], Any]]] | None = None


def report_reader(
    *, path: Path, format_id: str, tool_slug: str, tool_name: str, target: PreparedTarget
) -> ReportReader:
    """Check that the report at `path` is of `format_id` and from the tool `tool_slug`, and
    say how to read it; ReportRejected (with the reason) otherwise."""
    fmt = import_format_get(format_id)
    if fmt is None:
        raise ReportRejected(f"Unknown report format '{format_id}'.")
    probe = report_probe(path, fmt)
    if probe.kind in ("empty", "binary", "text"):
        raise ReportRejected(f"The report is {probe.describe()}, not {fmt.name}.")
    looks_like = probe.looks_like()
    is_sarif = any(found.id == SARIF for found in looks_like)
    if fmt.id == GENERIC:
        _expect(probe, fmt, looks_like)
        return ReportReader(findings=lambda: parse_generic(path), coverage_adapter=None,
                            read_as=GENERIC)  # fmt: skip
    if fmt.id == SARIF or (is_sarif and fmt.media != "SARIF 2.1.0"):
        # A SARIF log, named as such or as the report of a tool that writes SARIF too.
        if not is_sarif:
            raise ReportRejected(f"The report is {probe.describe()}, not a SARIF 2.1.0 log.")
        _check_sarif_drivers(path, fmt=fmt, tool_slug=tool_slug, asset_type=target.asset_type)
        return ReportReader(
            findings=lambda: parse_sarif(path, None, tool_name), coverage_adapter=None,
            read_as=SARIF,
        )  # fmt: skip
    adapter = ADAPTERS[fmt.tool or ""]
    _expect(probe, fmt, looks_like)
    if is_sarif:  # an adapter whose own format is SARIF (ESLint)
        _check_sarif_drivers(path, fmt=fmt, tool_slug=tool_slug, asset_type=target.asset_type)
    one_pass = getattr(adapter, "parse_with_coverage", None)
    return ReportReader(
        findings=lambda: adapter.parse(output_path=path, target=target),
        coverage_adapter=adapter,
        read_as=fmt.id,
        with_coverage=(
            (lambda: one_pass(output_path=path, target=target))
            if one_pass is not None and not is_sarif
            else None
        ),
    )


def _expect(probe: Any, fmt: ImportFormat, looks_like: list[ImportFormat]) -> None:
    """Refuse a report that is plainly another format than `fmt`."""
    if fmt.xml_root:
        if probe.kind != "xml":
            raise ReportRejected(f"The report is {probe.describe()}, not {fmt.name} (XML).")
        if probe.xml_root != fmt.xml_root:
            raise ReportRejected(
                f"The report is {probe.describe()}, not {fmt.name} (<{fmt.xml_root}>)."
            )
        return
    if probe.kind == "xml":
        raise ReportRejected(f"The report is {probe.describe()}, not {fmt.name} ({fmt.media}).")
    if looks_like and all(found.layout != fmt.layout for found in looks_like):
        raise ReportRejected(f"The report looks like {probe.describe()}, not {fmt.name}.")


def _check_sarif_drivers(path: Path, *, fmt: ImportFormat, tool_slug: str, asset_type: str) -> None:
    """Every run must come from the result's tool: the named adapter, or the producer the
    import was created for."""
    names = {name.strip() for name in sarif_drivers(path)}
    for name in sorted(names):
        if not name:
            continue
        producer = _producer(name, asset_type)
        if fmt.tool is not None:
            if name.lower() not in fmt.sarif_drivers and producer.tool_id != fmt.tool:
                raise ReportRejected(
                    f"The SARIF log comes from '{name[:100]}', not {ADAPTERS[fmt.tool].name}."
                )
            continue
        slug = producer.tool_id or imported_tool_slug(producer.name)
        if slug != tool_slug:
            others = ", ".join(sorted(n[:60] for n in names if n))
            raise ReportRejected(
                f"The SARIF log holds runs of several tools ({others}); import each tool's "
                "report on its own."
            )


def report_secret_values(path: Path, format_id: str) -> set[str]:
    """The raw secret values a report of `format_id` holds where its format keeps them (read
    in ijson's C backend); empty for other formats or an unreadable report."""
    import ijson

    fmt = import_format_get(format_id)
    values: set[str] = set()
    for prefix in fmt.secret_paths if fmt else ():
        # The values read before an error are still rewritten.
        with path.open("rb") as handle, contextlib.suppress(ijson.JSONError):
            for value in ijson.items(handle, prefix):
                if isinstance(value, str) and value and value not in _PLACEHOLDERS:
                    values.add(value)
    return values


def imported_tool_slug(name: str) -> str:
    """The slug of the IMPORTED tool row for a producer with no adapter."""
    from django.utils.text import slugify

    return f"imported-{slugify(name)[:55] or 'unnamed'}".rstrip("-")


def _first_line(exc: Exception) -> str:
    text = str(exc)
    return text.splitlines()[0][:200] if text else type(exc).__name__
