"""Streaming readers for JSON reports, so a report of any size is never held whole.

Everything on the hot path runs in ijson's C backend (`ijson.items`/`kvitems` over an open
file). The one Python-level event loop, `json_outline`, is for formats whose items must be
matched to the container they sit in (SARIF runs, Checkov's per-framework reports): it skips
the events inside items with one string test each and builds only small fields, so the items
themselves are then streamed in C by `stream_outlined_items`. Every reader turns missing,
empty or invalid output and wrong shapes into `ToolOutputError`.

Numbers are read as floats (`use_float`), which is fastest but makes yajl refuse integers
beyond 64 bits; a format that has them (SSLyze's RSA moduli) passes `use_float=False` and
gets `Decimal` for non-integral numbers instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apps.tools.adapters.base import ToolOutputError

_OPENS = frozenset({"start_map", "start_array"})
_CLOSES = frozenset({"end_map", "end_array"})
_SCALARS = {"string": "str", "boolean": "bool", "null": "NoneType"}


def _kind(event: str, value: Any) -> str:
    """The Python type name json.load would give the value that `event` starts."""
    if event == "start_map":
        return "dict"
    if event == "start_array":
        return "list"
    return _SCALARS.get(event) or type(value).__name__


def _require_output(output_path: Path, tool: str) -> None:
    if not output_path.exists():
        raise ToolOutputError(f"{tool} wrote no output file ({output_path.name} is missing).")
    if output_path.stat().st_size == 0:
        raise ToolOutputError(f"{tool} wrote no output (empty report).")


def _invalid(output_path: Path, tool: str, exc: Exception) -> ToolOutputError:
    with output_path.open("rb") as handle:
        head = handle.read(120).decode("utf-8", "replace")
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ToolOutputError(f"{tool} report is not valid JSON ({message}): {head!r}")


def stream_json_items(
    output_path: Path,
    tool: str,
    prefix: str,
    *,
    expect_keys: Iterable[str] | None,
    use_float: bool = True,
) -> Iterator[Any]:
    """Items under `prefix` (ijson syntax, e.g. 'matches.item') streamed from a large JSON
    object. Fails if the document is not JSON, or (unless `expect_keys` is None) if nothing
    was yielded and its top level has none of `expect_keys`."""
    import ijson

    return _stream(
        output_path,
        tool,
        expect_keys,
        lambda handle: ijson.items(handle, prefix, use_float=use_float),
    )


def stream_json_kvitems(
    output_path: Path, tool: str, prefix: str, *, expect_keys: Iterable[str] | None
) -> Iterator[tuple[str, Any]]:
    """(key, value) pairs of the object at `prefix` (e.g. 'results' for {"results": {k: v}}),
    streamed one pair at a time; checked like `stream_json_items`."""
    import ijson

    return _stream(
        output_path, tool, expect_keys, lambda handle: ijson.kvitems(handle, prefix, use_float=True)
    )


def stream_json_array(output_path: Path, tool: str, *, shape_error: str = "") -> Iterator[Any]:
    """Items of a document whose top level is an array (hadolint, gitleaks, testssl.sh's flat
    JSON), one at a time. Any other top level raises `shape_error` (or a generic message)
    before anything is yielded."""
    import ijson

    kind = json_kind(output_path, tool)
    if kind != "list":
        raise ToolOutputError(
            shape_error
            or f"{tool} output has an unexpected shape: the report should be a list, not {kind}."
        )
    return _stream(
        output_path, tool, None, lambda handle: ijson.items(handle, "item", use_float=True)
    )


def json_kind(
    output_path: Path, tool: str, prefix: str = "", *, use_float: bool = True
) -> str | None:
    """The type name (dict, list, str, …) of the first value at `prefix`, None when there is
    none. Stops at that value, so it is instant for the top level or an early key."""
    import ijson

    _require_output(output_path, tool)
    with output_path.open("rb") as handle:
        try:
            for event_prefix, event, value in ijson.parse(handle, use_float=use_float):
                if event_prefix == prefix and event not in _CLOSES and event != "map_key":
                    return _kind(event, value)
        except ijson.JSONError as exc:
            raise _invalid(output_path, tool, exc) from exc
    return None


def json_value(
    output_path: Path, tool: str, prefix: str, default: Any = None, *, use_float: bool = True
) -> Any:
    """The first value at `prefix` built whole (keep it to small values: a version, a
    summary, a target URL), else `default`. Runs in C and stops at that value."""
    import ijson

    _require_output(output_path, tool)
    with output_path.open("rb") as handle:
        try:
            return next(ijson.items(handle, prefix, use_float=use_float), default)
        except ijson.JSONError as exc:
            raise _invalid(output_path, tool, exc) from exc


@dataclass
class Container:
    """One container (a SARIF run, a Checkov report) as `json_outline` saw it."""

    kind: str
    keys: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    count: int = 0
    bad_item: str = ""


@dataclass
class Outline:
    kinds: dict[str, str]
    containers: list[Container]


def json_outline(
    output_path: Path,
    tool: str,
    *,
    container: str,
    array: str,
    fields: Iterable[str] = (),
    kinds: Iterable[str] = (),
    top: Iterable[str] = (),
) -> Outline:
    """First pass over a document whose items (at `array`.item) belong to containers (at
    `container`, e.g. 'runs.item'): per container, its keys, the whole values of the small
    `fields`, the type names of the `kinds` paths (both relative to the container), how many
    items its array holds and the type of the first item that is not an object; plus the
    type names at the absolute `top` prefixes. Validates the whole document as JSON."""
    import ijson
    from ijson.common import ObjectBuilder

    _require_output(output_path, tool)

    def absolute(path: str) -> str:
        return f"{container}.{path}" if container else path

    field_at = {absolute(name): name for name in fields}
    kind_at = {absolute(name): name for name in kinds}
    watched = set(top)
    item = f"{array}.item"
    inside = item + "."
    outline = Outline(kinds={}, containers=[])
    current = Container(kind="")
    builder: Any = None
    building, depth = "", 0
    with output_path.open("rb") as handle:
        try:
            for prefix, event, value in ijson.parse(handle, use_float=True):
                if builder is not None:
                    builder.event(event, value)
                    depth += 1 if event in _OPENS else -1 if event in _CLOSES else 0
                    if depth == 0:
                        current.fields[building] = builder.value
                        builder = None
                    continue
                if prefix.startswith(inside):  # the hot path: events inside an item
                    continue
                if event in _CLOSES:
                    continue
                if event == "map_key":
                    if prefix == container:
                        current.keys.append(value)
                    continue
                kind = _kind(event, value)
                if prefix == item:
                    current.count += 1
                    if kind != "dict" and not current.bad_item:
                        current.bad_item = kind
                    continue
                if prefix in watched:
                    outline.kinds.setdefault(prefix, kind)
                if prefix == container:
                    current = Container(kind=kind)
                    outline.containers.append(current)
                if prefix in kind_at:
                    current.kinds[kind_at[prefix]] = kind
                if prefix in field_at:
                    if event in _OPENS:
                        builder, building, depth = ObjectBuilder(), field_at[prefix], 1
                        builder.event(event, value)
                    else:
                        current.fields[field_at[prefix]] = value
        except ijson.JSONError as exc:
            raise _invalid(output_path, tool, exc) from exc
    return outline


def stream_outlined_items(
    output_path: Path, tool: str, outline: Outline, array: str
) -> Iterator[tuple[int, Any]]:
    """(container index, item) for every item at `array`.item, streamed in C; the container
    of each item comes from the per-container counts of `json_outline`."""
    import ijson

    items = _stream(
        output_path, tool, None, lambda handle: ijson.items(handle, f"{array}.item", use_float=True)
    )
    missing = object()
    for index, container in enumerate(outline.containers):
        for _ in range(container.count):
            value = next(items, missing)
            if value is missing:
                raise ToolOutputError(f"{tool} report changed while it was being read.")
            yield index, value
    for _ in items:
        raise ToolOutputError(f"{tool} report changed while it was being read.")


def _stream(
    output_path: Path,
    tool: str,
    expect_keys: Iterable[str] | None,
    reader: Callable[[Any], Any],
) -> Iterator[Any]:
    """Runs `reader` (an ijson iterator over an open binary file) entirely in ijson's C
    backend; the top-level check only needs its own early-stopping pass when nothing was
    yielded, since a yielded item proves the top-level key on its path exists."""
    import ijson

    _require_output(output_path, tool)
    yielded = False
    with output_path.open("rb") as handle:
        try:
            for item in reader(handle):
                yielded = True
                yield item
        except ijson.JSONError as exc:
            raise _invalid(output_path, tool, exc) from exc
    if expect_keys is None or yielded:
        return
    wanted = set(expect_keys)
    if not _top_level_has(output_path, wanted):
        raise ToolOutputError(
            f"{tool} report does not look like {tool} JSON output (expected a top-level "
            f"object with one of: {', '.join(sorted(wanted))})"
        )


def _top_level_has(output_path: Path, keys: set[str]) -> bool:
    """Whether the (already validated) document is an object with one of `keys`; stops at
    the first such key."""
    import ijson

    with output_path.open("rb") as handle:
        for event_prefix, event, value in ijson.parse(handle):
            if event_prefix != "":
                continue
            if event == "map_key" and value in keys:
                return True
            if event in ("start_array", "end_map", "string", "number", "boolean", "null"):
                return False
    return False
